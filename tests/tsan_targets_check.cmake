# cmake -DPRESETS=<CMakePresets.json> -DBUILD_DIR=<a build with every test> -P tsan_targets_check.cmake
#
# The tsan preset builds only the test programs its tests run (its build
# preset's "targets"), and picks the tests by name (its test preset's filter).
# Checks that the two agree: every program that holds a test the filter
# selects is in the targets. Otherwise a new threaded test would silently not
# run under ThreadSanitizer. Fails naming each missing program.

cmake_minimum_required(VERSION 3.21)

file(READ "${PRESETS}" presets)

# The named preset's object in one of the presets' arrays.
function(find_preset array name out)
  string(JSON count LENGTH "${presets}" ${array})
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON preset_name GET "${presets}" ${array} ${i} name)
    if(preset_name STREQUAL name)
      string(JSON preset GET "${presets}" ${array} ${i})
      set(${out} "${preset}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "${PRESETS}: no ${array} entry named ${name}")
endfunction()

find_preset(buildPresets tsan build_preset)
find_preset(testPresets tsan test_preset)
string(JSON filter GET "${test_preset}" filter include name)
string(JSON count LENGTH "${build_preset}" targets)
math(EXPR last "${count} - 1")
set(targets "")
foreach(i RANGE ${last})
  string(JSON target GET "${build_preset}" targets ${i})
  list(APPEND targets "${target}")
endforeach()

execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --show-only=json-v1 -R "${filter}"
  WORKING_DIRECTORY "${BUILD_DIR}" OUTPUT_VARIABLE listing RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "ctest --show-only failed in ${BUILD_DIR}")
endif()
string(JSON count LENGTH "${listing}" tests)
if(count EQUAL 0)
  message(FATAL_ERROR "the tsan filter selects no test in ${BUILD_DIR}")
endif()
math(EXPR last "${count} - 1")
set(missing "")
foreach(i RANGE ${last})
  string(JSON program GET "${listing}" tests ${i} command 0)
  get_filename_component(name "${program}" NAME)
  if(NOT name IN_LIST targets AND NOT name IN_LIST missing)
    list(APPEND missing "${name}")
  endif()
endforeach()
if(missing)
  list(JOIN missing ", " missing)
  message(FATAL_ERROR "tests the tsan preset runs live in programs its build preset does not "
    "build: ${missing}. Add them to the \"targets\" of the tsan build preset in ${PRESETS}.")
endif()
message(STATUS "the tsan preset builds the programs of all ${count} tests it runs")
