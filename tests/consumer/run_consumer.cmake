# Runs one consumer test; invoked by ctest as `cmake -DMODE=... -P run_consumer.cmake`.
#   MODE=install           cmake --install MAIN_BUILD_DIR --prefix PREFIX (fresh prefix)
#   MODE=find_package      configure+build+run SOURCE_DIR with CMAKE_PREFIX_PATH=PREFIX
#   MODE=add_subdirectory  configure+build+run SOURCE_DIR, which add_subdirectory()s
#                          DUALSTORE_SOURCE_DIR; asserts dualstore's own tests,
#                          benchmarks and examples were not configured
#   MODE=pkg_config        compile+run SOURCE_DIR/main.cpp with `pkg-config dualstore`
# Also: GENERATOR, MAKE_PROGRAM, CXX_COMPILER, CXX_FLAGS, LINKER_FLAGS, BUILD_TYPE, BUILD_DIR.
# Any failure is a FATAL_ERROR, which makes the ctest test fail.
cmake_minimum_required(VERSION 3.21)

function(run)
  message(STATUS "run: ${ARGV}")
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGV}")
  endif()
endfunction()

function(configure_build_run)
  file(REMOVE_RECURSE "${BUILD_DIR}")  # always a fresh configure
  set(args -S "${SOURCE_DIR}" -B "${BUILD_DIR}" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}"
    "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
  if(MAKE_PROGRAM)
    list(APPEND args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
  endif()
  run("${CMAKE_COMMAND}" ${args} ${ARGN})
  run("${CMAKE_COMMAND}" --build "${BUILD_DIR}")
  run("${BUILD_DIR}/app")
endfunction()

if(MODE STREQUAL "install")
  file(REMOVE_RECURSE "${PREFIX}")
  run("${CMAKE_COMMAND}" --install "${MAIN_BUILD_DIR}" --prefix "${PREFIX}")

elseif(MODE STREQUAL "find_package")
  # Only the private prefix: proves the installed package is complete.
  configure_build_run("-DCMAKE_PREFIX_PATH=${PREFIX}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
  run("${BUILD_DIR}/app_adapters")  # the sqlite and gdbm components

elseif(MODE STREQUAL "add_subdirectory")
  configure_build_run("-DDUALSTORE_SOURCE_DIR=${DUALSTORE_SOURCE_DIR}")
  foreach(dir IN ITEMS tests benchmarks examples)
    if(EXISTS "${BUILD_DIR}/dualstore-build/${dir}")
      message(FATAL_ERROR
        "dualstore's ${dir}/ was configured although dualstore is not the top-level project")
    endif()
  endforeach()

elseif(MODE STREQUAL "pkg_config")
  set(ENV{PKG_CONFIG_PATH} "${PREFIX}/share/pkgconfig")
  execute_process(COMMAND "${PKG_CONFIG}" --cflags --libs dualstore
    OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config could not find dualstore in ${PREFIX}/share/pkgconfig")
  endif()
  if(NOT flags MATCHES "-I[^ ]*/include")
    message(FATAL_ERROR "pkg-config gave no include dir: ${flags}")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS} ${LINKER_FLAGS}")
  file(REMOVE_RECURSE "${BUILD_DIR}")
  file(MAKE_DIRECTORY "${BUILD_DIR}")
  run("${CXX_COMPILER}" ${cxx_flags} "${SOURCE_DIR}/main.cpp" ${flags} -o "${BUILD_DIR}/app")
  run("${BUILD_DIR}/app")

else()
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()
