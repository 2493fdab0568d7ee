# dualstore_add_adapter(NAME <name> [LINK <items...>] [BUILD_LINK <items...>]
#                       [INSTALL_LINK <items...>] [FIND_DEPENDENCY <args...>])
#
# Defines the adapter in adapters/<name>/: an INTERFACE target dualstore_<name>
# (alias dualstore::<name>, exported as dualstore::<name>) over its headers in
# adapters/<name>/include, linking dualstore::dualstore and LINK (BUILD_LINK
# only in the build tree, INSTALL_LINK only once installed). Installs the
# headers and the component files dualstore-<name>-targets.cmake and
# dualstore-<name>-dependencies.cmake (a find_dependency(FIND_DEPENDENCY) call)
# that dualstoreConfig.cmake loads for find_package(dualstore COMPONENTS <name>).
# Checks that the adapter's header compiles on its own, and builds one test
# executable per adapters/<name>/tests/test_*.cpp when tests are on, labelled
# adapter. An engine whose uninstrumented code makes ThreadSanitizer report
# races that are not there gets a suppression scoped to that engine's symbols
# in its test file (see adapters/rocksdb/tests/test_rocksdb.cpp).
function(dualstore_add_adapter)
  cmake_parse_arguments(A "" "NAME" "LINK;BUILD_LINK;INSTALL_LINK;FIND_DEPENDENCY" ${ARGN})
  set(dir "${CMAKE_CURRENT_SOURCE_DIR}")
  set(target dualstore_${A_NAME})
  add_library(${target} INTERFACE)
  add_library(dualstore::${A_NAME} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${A_NAME})
  target_include_directories(${target} INTERFACE
    $<BUILD_INTERFACE:${dir}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${target} INTERFACE dualstore::dualstore ${A_LINK})
  foreach(item IN LISTS A_BUILD_LINK)
    target_link_libraries(${target} INTERFACE $<BUILD_INTERFACE:${item}>)
  endforeach()
  foreach(item IN LISTS A_INSTALL_LINK)
    target_link_libraries(${target} INTERFACE $<INSTALL_INTERFACE:${item}>)
  endforeach()

  install(DIRECTORY "${dir}/include/dualstore" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
  install(TARGETS ${target} EXPORT dualstore-${A_NAME}-targets)
  install(EXPORT dualstore-${A_NAME}-targets
    FILE dualstore-${A_NAME}-targets.cmake
    NAMESPACE dualstore::
    DESTINATION "${DUALSTORE_CMAKE_INSTALL_DIR}")
  set(deps_file "${PROJECT_BINARY_DIR}/dualstore-${A_NAME}-dependencies.cmake")
  if(A_FIND_DEPENDENCY)
    list(JOIN A_FIND_DEPENDENCY " " deps)
    file(WRITE "${deps_file}" "find_dependency(${deps})\n")
  else()
    file(WRITE "${deps_file}" "# dualstore::${A_NAME} needs no CMake package\n")
  endif()
  install(FILES "${deps_file}" DESTINATION "${DUALSTORE_CMAKE_INSTALL_DIR}")

  if(NOT DUALSTORE_IS_TOP_LEVEL)
    return()  # a parent project gets the target; the checks and tests are ours
  endif()
  set(check "${CMAKE_CURRENT_BINARY_DIR}/header_check_${A_NAME}.cpp")
  file(CONFIGURE OUTPUT "${check}" CONTENT
    "#include <dualstore/adapters/${A_NAME}.hpp>\n#include <dualstore/adapters/${A_NAME}.hpp>\n")
  add_library(dualstore_${A_NAME}_header_check OBJECT "${check}")
  target_link_libraries(dualstore_${A_NAME}_header_check PRIVATE ${target})
  if(TARGET dualstore_warnings)
    target_link_libraries(dualstore_${A_NAME}_header_check PRIVATE dualstore_warnings)
  endif()

  if(DUALSTORE_BUILD_TESTS)
    file(GLOB tests CONFIGURE_DEPENDS "${dir}/tests/test_*.cpp")
    foreach(source IN LISTS tests)
      get_filename_component(name "${source}" NAME_WE)
      add_executable(${name} "${source}")
      target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}/tests")
      target_link_libraries(${name} PRIVATE dualstore_test_main ${target})
      # No shared precompiled header: engines' flags (hiredis defines
      # _FILE_OFFSET_BITS) would not match it.
      catch_discover_tests(${name} TEST_PREFIX "${name}: " PROPERTIES LABELS adapter)
    endforeach()
  endif()
endfunction()

# dualstore_adapter_dependency_missing(<name> <what>): with
# DUALSTORE_REQUIRE_<NAME> on, a missing engine stops the configure; otherwise
# the adapter is skipped with a message.
function(dualstore_adapter_dependency_missing name what)
  string(TOUPPER "${name}" upper)
  if(DUALSTORE_REQUIRE_${upper})
    message(FATAL_ERROR "dualstore: adapter ${name} required (DUALSTORE_REQUIRE_${upper}) but ${what} was not found")
  endif()
  message(STATUS "dualstore: adapter ${name} skipped: ${what} not found")
endfunction()
