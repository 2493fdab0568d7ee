# Checks that the Conan recipe, the vcpkg port and the changelog agree with
# the CMake build: the same version, the same targets, the same adapters.
# Their clients cannot run here, so this is what CI can prove.
#   cmake -DSOURCE_DIR=<repo> -DVERSION=<project version> -P check_packaging.cmake
cmake_minimum_required(VERSION 3.21)

set(failures "")
function(expect what actual expected)
  if(NOT "${actual}" STREQUAL "${expected}")
    string(REPLACE ";" ", " actual "${actual}")
    string(REPLACE ";" ", " expected "${expected}")
    set(failures ${failures} "${what}: found '${actual}', expected '${expected}'" PARENT_SCOPE)
  endif()
endfunction()

# The adapters the CMake build knows: one folder with a CMakeLists.txt each.
file(GLOB adapter_lists RELATIVE "${SOURCE_DIR}/adapters" "${SOURCE_DIR}/adapters/*/CMakeLists.txt")
set(adapters "")
foreach(list_file IN LISTS adapter_lists)
  get_filename_component(name "${list_file}" DIRECTORY)
  list(APPEND adapters "${name}")
endforeach()
list(SORT adapters)

# Version header (the single source) vs the project version.
file(READ "${SOURCE_DIR}/include/dualstore/version.hpp" header)
string(REGEX MATCH "DUALSTORE_VERSION_STRING \"([0-9.]+)\"" _ "${header}")
expect("version.hpp DUALSTORE_VERSION_STRING" "${CMAKE_MATCH_1}" "${VERSION}")

# Conan recipe: version, core target, one component per adapter.
file(READ "${SOURCE_DIR}/conanfile.py" conanfile)
string(REGEX MATCH "\n    version = \"([^\"]+)\"" _ "${conanfile}")
expect("conanfile.py version" "${CMAKE_MATCH_1}" "${VERSION}")
string(FIND "${conanfile}" "\"dualstore::dualstore\"" core_at)
if(core_at EQUAL -1)
  list(APPEND failures "conanfile.py: no component with target dualstore::dualstore")
endif()
string(REGEX MATCH "ADAPTERS = {[^}]*}" conan_table "${conanfile}")
string(REGEX MATCHALL "\n    \"([a-z0-9_]+)\": \\(" conan_entries "${conan_table}")
set(conan_adapters "")
foreach(entry IN LISTS conan_entries)
  string(REGEX REPLACE "[\n ]*\"([a-z0-9_]+)\".*" "\\1" name "${entry}")
  list(APPEND conan_adapters "${name}")
endforeach()
list(SORT conan_adapters)
expect("conanfile.py adapters" "${conan_adapters}" "${adapters}")

# vcpkg port: version, one feature per adapter, one DUALSTORE_WITH_<NAME> switch per feature.
file(READ "${SOURCE_DIR}/ports/dualstore/vcpkg.json" manifest)
string(JSON port_version GET "${manifest}" version)
expect("ports/dualstore/vcpkg.json version" "${port_version}" "${VERSION}")
string(JSON feature_count LENGTH "${manifest}" features)
set(features "")
if(feature_count GREATER 0)
  math(EXPR last "${feature_count} - 1")
  foreach(i RANGE ${last})
    string(JSON feature MEMBER "${manifest}" features ${i})
    list(APPEND features "${feature}")
  endforeach()
endif()
list(SORT features)
expect("vcpkg.json features" "${features}" "${adapters}")
file(READ "${SOURCE_DIR}/ports/dualstore/portfile.cmake" portfile)
foreach(feature IN LISTS features)
  string(TOUPPER "${feature}" upper)
  string(REGEX MATCH "\n +${feature} +DUALSTORE_WITH_${upper}[\n)]" found "${portfile}")
  if(NOT found)
    list(APPEND failures "portfile.cmake: feature ${feature} does not map to DUALSTORE_WITH_${upper}")
  endif()
endforeach()

# Changelog: the newest release is this version.
file(READ "${SOURCE_DIR}/CHANGELOG.md" changelog)
string(REGEX MATCH "\n## \\[([0-9.]+)\\]" _ "${changelog}")
expect("CHANGELOG.md newest release" "${CMAKE_MATCH_1}" "${VERSION}")

if(failures)
  list(JOIN failures "\n  " text)
  message(FATAL_ERROR "packaging files disagree with the CMake build:\n  ${text}")
endif()
message(STATUS "packaging consistent: version ${VERSION}, adapters: ${adapters}")
