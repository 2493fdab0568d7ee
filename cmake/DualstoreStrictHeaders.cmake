# dualstore_add_strict_header_check(NAME <test name> HEADERS <headers...> LINK <targets...>)
#
# Users who include our headers with -I (not -isystem) and strict warnings must
# get none. Generates one .cpp that includes every header of HEADERS (paths as
# written in `#include <...>`) and an OBJECT library that compiles it against
# LINK with -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
# -Werror. CMake passes the include directories of our own targets with -I and
# those of imported targets (the adapters' engines) with -isystem, so only our
# headers are judged. The library is not built by ALL (a warning must not stop
# other work); the ctest test <test name> builds it and fails on the first
# warning. GCC and Clang only.
include_guard(GLOBAL)

function(dualstore_add_strict_header_check)
  cmake_parse_arguments(A "" "NAME" "HEADERS;LINK" ${ARGN})
  set(strict_warnings
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Werror)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "^(GNU|Clang|AppleClang)$" OR NOT A_HEADERS)
    return()
  endif()
  string(MAKE_C_IDENTIFIER "dualstore_${A_NAME}" target)
  set(content "// Generated: every header below must compile without a warning under\n")
  list(JOIN strict_warnings " " flags)
  string(APPEND content "// ${flags}.\n")
  foreach(header IN LISTS A_HEADERS)
    string(APPEND content "#include <${header}>\n")
  endforeach()
  set(source "${CMAKE_CURRENT_BINARY_DIR}/${target}.cpp")
  file(CONFIGURE OUTPUT "${source}" CONTENT "${content}")
  add_library(${target} OBJECT EXCLUDE_FROM_ALL "${source}")
  target_link_libraries(${target} PRIVATE ${A_LINK})
  target_compile_options(${target} PRIVATE ${strict_warnings})
  add_test(NAME ${A_NAME}
    COMMAND "${CMAKE_COMMAND}" --build "${CMAKE_BINARY_DIR}" --target ${target})
  # Tests that build in this build tree take turns: two builds at once would
  # share the build tool's files.
  set_tests_properties(${A_NAME} PROPERTIES
    LABELS header_check RESOURCE_LOCK dualstore_build_tree)
endfunction()
