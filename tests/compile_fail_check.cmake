# cmake -DCOMPILER=... -DSOURCE=... -DEXPECTED=<regex> "-DFLAGS=<list>" -P compile_fail_check.cmake
#
# Compiles SOURCE with FLAGS and passes only when the compile fails and its
# *first* error line (the first line containing "error:") matches EXPECTED: a
# diagnostic buried after unrelated errors does not count, because a user
# reads the first one.
execute_process(
  COMMAND "${COMPILER}" ${FLAGS} "${SOURCE}"
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled; it must not")
endif()
string(REGEX MATCH "[^\n]*error:[^\n]*" first_error "${output}")
if(NOT first_error)
  message(FATAL_ERROR "no error line in the compiler's output:\n${output}")
endif()
if(NOT first_error MATCHES "${EXPECTED}")
  message(FATAL_ERROR "the first error does not match `${EXPECTED}`:\n${first_error}\n\nfull output:\n${output}")
endif()
message(STATUS "first error: ${first_error}")
