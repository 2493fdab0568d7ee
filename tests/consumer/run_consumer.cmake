# Runs one consumer test; invoked by ctest as `cmake -DMODE=... -P run_consumer.cmake`.
#   MODE=install           cmake --install MAIN_BUILD_DIR --prefix PREFIX (fresh prefix)
#   MODE=find_package      configure+build+run SOURCE_DIR with CMAKE_PREFIX_PATH=PREFIX
#   MODE=add_subdirectory  configure+build+run SOURCE_DIR, which add_subdirectory()s
#                          DUALSTORE_SOURCE_DIR; asserts dualstore's own tests,
#                          benchmarks and examples were not configured
#   MODE=pkg_config        compile+run SOURCE_DIR/main.cpp with `pkg-config dualstore`
#   MODE=component         one adapter, COMPONENT, whose program is APP_SOURCE: configure+
#                          build+run SOURCE_DIR (find_package(dualstore COMPONENTS ...)),
#                          then compile+run APP_SOURCE with `pkg-config dualstore-COMPONENT`
#   MODE=conan_test_package  build+run the Conan test_package (SOURCE_DIR) with its
#                          sqlite part, against the CMake install in PREFIX
#   MODE=switches          DUALSTORE_WITH_<NAME>: OFF leaves an adapter out (the configure
#                          says so, find_package names it as not installed); ON with its
#                          engine missing stops the configure; a bad value is refused
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

function(configure_build)
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
endfunction()

function(configure_build_run)
  configure_build(${ARGN})
  run("${BUILD_DIR}/app")
endfunction()

# pkg_config_build_run(<module> <source>): compiles <source> with the flags of
# `pkg-config --cflags --libs <module>` from the private prefix, and runs it.
# The .pc files name no -std: a user's build chooses it, as this one does.
function(pkg_config_build_run module source)  # [extra compiler flags...]
  set(ENV{PKG_CONFIG_PATH} "${PREFIX}/share/pkgconfig")
  execute_process(COMMAND "${PKG_CONFIG}" --cflags --libs ${module}
    OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config could not find ${module} in ${PREFIX}/share/pkgconfig")
  endif()
  if(NOT flags MATCHES "-I[^ ]*/include")
    message(FATAL_ERROR "pkg-config gave no include dir: ${flags}")
  endif()
  if(flags MATCHES "-std=")
    message(FATAL_ERROR "pkg-config ${module} forces a language standard: ${flags}")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS} ${LINKER_FLAGS}")
  file(REMOVE_RECURSE "${BUILD_DIR}")
  file(MAKE_DIRECTORY "${BUILD_DIR}")
  run("${CXX_COMPILER}" -std=c++20 ${cxx_flags} ${ARGN} "${source}" ${flags} -o "${BUILD_DIR}/app")
  run("${BUILD_DIR}/app")
endfunction()

# expect_configure(<0|1> <regex> <cmake args...>): a configure that succeeds
# (0) or fails (1) and prints a line matching <regex>.
function(expect_configure fails regex)
  execute_process(COMMAND "${CMAKE_COMMAND}" ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(out "${out}${err}")
  string(REGEX REPLACE "\n +" " " joined "${out}")  # CMake wraps long messages
  if((fails AND rc EQUAL 0) OR (NOT fails AND NOT rc EQUAL 0) OR NOT joined MATCHES "${regex}")
    message(FATAL_ERROR "cmake ${ARGN}\nexited ${rc}; expected ${fails} and /${regex}/ in:\n${out}")
  endif()
endfunction()

if(MODE STREQUAL "install")
  file(REMOVE_RECURSE "${PREFIX}")
  run("${CMAKE_COMMAND}" --install "${MAIN_BUILD_DIR}" --prefix "${PREFIX}")

elseif(MODE STREQUAL "find_package")
  # Only the private prefix: proves the installed package is complete.
  configure_build_run("-DCMAKE_PREFIX_PATH=${PREFIX}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)

elseif(MODE STREQUAL "add_subdirectory")
  configure_build_run("-DDUALSTORE_SOURCE_DIR=${DUALSTORE_SOURCE_DIR}")
  foreach(dir IN ITEMS tests benchmarks examples)
    if(EXISTS "${BUILD_DIR}/dualstore-build/${dir}")
      message(FATAL_ERROR
        "dualstore's ${dir}/ was configured although dualstore is not the top-level project")
    endif()
  endforeach()

elseif(MODE STREQUAL "pkg_config")
  pkg_config_build_run(dualstore "${SOURCE_DIR}/main.cpp")

elseif(MODE STREQUAL "component")
  configure_build_run("-DCMAKE_PREFIX_PATH=${PREFIX}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    "-DCOMPONENT=${COMPONENT}" "-DAPP_SOURCE=${APP_SOURCE}")
  set(BUILD_DIR "${BUILD_DIR}/pkg-config")
  pkg_config_build_run(dualstore-${COMPONENT} "${APP_SOURCE}" "-I${SOURCE_DIR}")

elseif(MODE STREQUAL "conan_test_package")
  # The Conan test_package is a plain CMake project: built here against the
  # CMake install, which gives the same targets as Conan's CMakeDeps.
  configure_build("-DCMAKE_PREFIX_PATH=${PREFIX}" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    -DDUALSTORE_TEST_SQLITE=ON)
  run("${BUILD_DIR}/test_package")
  run("${BUILD_DIR}/test_package_sqlite")

elseif(MODE STREQUAL "switches")
  set(common -S "${DUALSTORE_SOURCE_DIR}" -G "${GENERATOR}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    -DDUALSTORE_BUILD_TESTS=OFF -DDUALSTORE_BUILD_BENCHMARKS=OFF -DDUALSTORE_BUILD_EXAMPLES=OFF)
  # OFF: configured, reported and installed without the adapter.
  file(REMOVE_RECURSE "${BUILD_DIR}")
  expect_configure(0 "adapters skipped: [^\n]*gdbm \\(DUALSTORE_WITH_GDBM=OFF\\)"
    ${common} -B "${BUILD_DIR}/off" -DDUALSTORE_WITH_GDBM=OFF)
  run("${CMAKE_COMMAND}" --install "${BUILD_DIR}/off" --prefix "${BUILD_DIR}/prefix")
  file(WRITE "${BUILD_DIR}/user/CMakeLists.txt" "cmake_minimum_required(VERSION 3.21)
project(user LANGUAGES CXX)
find_package(dualstore REQUIRED COMPONENTS gdbm)\n")
  expect_configure(1 "component 'gdbm': this installation has no gdbm adapter"
    -S "${BUILD_DIR}/user" -B "${BUILD_DIR}/user/build" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_PREFIX_PATH=${BUILD_DIR}/prefix")
  # ON with the engine missing: the configure stops and names the package to install.
  expect_configure(1 "DUALSTORE_WITH_SQLITE=ON but the sqlite adapter's engine, SQLite3 \\(libsqlite3-dev\\), was not found"
    ${common} -B "${BUILD_DIR}/on" -DDUALSTORE_WITH_SQLITE=ON -DCMAKE_DISABLE_FIND_PACKAGE_SQLite3=ON)
  expect_configure(1 "DUALSTORE_WITH_REDIS is 'yes'; expected AUTO, ON or OFF"
    ${common} -B "${BUILD_DIR}/bad" -DDUALSTORE_WITH_REDIS=yes)

else()
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()
