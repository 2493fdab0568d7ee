# dualstore_add_adapter(NAME <name> [PKG_CONFIG_REQUIRES <modules...>]
#                       [PKG_CONFIG_LIBS <flags...>])
#
# Defines the adapter in adapters/<name>/ when DUALSTORE_WITH_<NAME> allows it
# and its engine is found. The switch is AUTO (the default: build the adapter
# when its engine is found), ON (a missing engine stops the configure) or OFF
# (never build or install it).
#
# The engine is found by adapters/<name>/engine.cmake, the one file that knows
# how: it sets _dualstore_engine to the target to link (empty when not found)
# and _dualstore_engine_needs to what to install ("SQLite3 (libsqlite3-dev)").
# The same file is installed as dualstore-<name>-dependencies.cmake, so a
# user's find_package(dualstore COMPONENTS <name>) finds the engine exactly as
# this build did.
#
# The adapter is an INTERFACE target dualstore_<name> (alias dualstore::<name>,
# exported as dualstore::<name>) over its headers in adapters/<name>/include,
# linking dualstore::dualstore and the engine. Installs the headers, the
# component files that dualstoreConfig.cmake loads, and dualstore-<name>.pc
# (Requires: dualstore and PKG_CONFIG_REQUIRES; Libs: PKG_CONFIG_LIBS).
# Checks that the adapter's header compiles on its own, and builds one test
# executable per adapters/<name>/tests/test_*.cpp when tests are on, labelled
# adapter, and the consumer test consumer.component.<name> of the user's
# program adapters/<name>/tests/consumer.cpp. An engine whose uninstrumented code makes ThreadSanitizer report
# races that are not there gets a suppression scoped to that engine's symbols
# in its test file (see adapters/rocksdb/tests/test_rocksdb.cpp).
function(dualstore_add_adapter)
  cmake_parse_arguments(A "" "NAME" "PKG_CONFIG_REQUIRES;PKG_CONFIG_LIBS" ${ARGN})
  set(dir "${CMAKE_CURRENT_SOURCE_DIR}")
  set(target dualstore_${A_NAME})
  string(TOUPPER "${A_NAME}" upper)
  set(switch DUALSTORE_WITH_${upper})
  set(${switch} AUTO CACHE STRING
    "Build the ${A_NAME} adapter: AUTO (when its engine is found), ON (required) or OFF")
  set_property(CACHE ${switch} PROPERTY STRINGS AUTO ON OFF)
  if(NOT ${switch} MATCHES "^(AUTO|ON|OFF)$")
    message(FATAL_ERROR "dualstore: ${switch} is '${${switch}}'; expected AUTO, ON or OFF")
  endif()
  if(${switch} STREQUAL "OFF")
    set_property(GLOBAL APPEND PROPERTY DUALSTORE_ADAPTERS_SKIPPED "${A_NAME} (${switch}=OFF)")
    return()
  endif()
  include("${dir}/engine.cmake")
  if(NOT _dualstore_engine)
    if(${switch} STREQUAL "ON")
      message(FATAL_ERROR
        "dualstore: ${switch}=ON but the ${A_NAME} adapter's engine, ${_dualstore_engine_needs}, was not found")
    endif()
    set_property(GLOBAL APPEND PROPERTY DUALSTORE_ADAPTERS_SKIPPED
      "${A_NAME} (${_dualstore_engine_needs} not found)")
    return()
  endif()
  set_property(GLOBAL APPEND PROPERTY DUALSTORE_ADAPTERS_FOUND "${A_NAME}")

  add_library(${target} INTERFACE)
  add_library(dualstore::${A_NAME} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${A_NAME})
  target_include_directories(${target} INTERFACE
    $<BUILD_INTERFACE:${dir}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${target} INTERFACE dualstore::dualstore ${_dualstore_engine})

  install(DIRECTORY "${dir}/include/dualstore" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
  install(TARGETS ${target} EXPORT dualstore-${A_NAME}-targets)
  install(EXPORT dualstore-${A_NAME}-targets
    FILE dualstore-${A_NAME}-targets.cmake
    NAMESPACE dualstore::
    DESTINATION "${DUALSTORE_CMAKE_INSTALL_DIR}")
  install(FILES "${dir}/engine.cmake" DESTINATION "${DUALSTORE_CMAKE_INSTALL_DIR}"
    RENAME dualstore-${A_NAME}-dependencies.cmake)
  list(JOIN A_PKG_CONFIG_REQUIRES " " DUALSTORE_PC_REQUIRES)
  list(JOIN A_PKG_CONFIG_LIBS " " DUALSTORE_PC_LIBS)
  set(DUALSTORE_PC_NAME ${A_NAME})
  configure_file("${PROJECT_SOURCE_DIR}/cmake/dualstore-adapter.pc.in"
    "${PROJECT_BINARY_DIR}/dualstore-${A_NAME}.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/dualstore-${A_NAME}.pc"
    DESTINATION "${CMAKE_INSTALL_DATADIR}/pkgconfig")

  if(NOT DUALSTORE_IS_TOP_LEVEL)
    return()  # a parent project gets the target; the checks and tests are ours
  endif()
  if(DUALSTORE_HEADER_CHECKS)
    set(check "${CMAKE_CURRENT_BINARY_DIR}/header_check_${A_NAME}.cpp")
    file(CONFIGURE OUTPUT "${check}" CONTENT
      "#include <dualstore/adapters/${A_NAME}.hpp>\n#include <dualstore/adapters/${A_NAME}.hpp>\n")
    add_library(dualstore_${A_NAME}_header_check OBJECT "${check}")
    target_link_libraries(dualstore_${A_NAME}_header_check PRIVATE ${target})
    if(TARGET dualstore_warnings)
      target_link_libraries(dualstore_${A_NAME}_header_check PRIVATE dualstore_warnings)
    endif()
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
      dualstore_discover_tests(${name} LABELS adapter)  # tests/CMakeLists.txt
    endforeach()
    # A user's program over the installed adapter (tests/consumer.cpp), found
    # both through find_package(dualstore COMPONENTS <name>) and pkg-config.
    dualstore_add_consumer_test(component.${A_NAME} MODE component INSTALLED
      "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}/tests/consumer/component"
      "-DCOMPONENT=${A_NAME}" "-DAPP_SOURCE=${dir}/tests/consumer.cpp")
  endif()
endfunction()
