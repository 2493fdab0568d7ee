# cmake -DINCLUDE_ROOT=<dir holding dualstore/> -P layering_check.cmake
#
# Checks that the includes of the library's headers point down the layers of
# docs/architecture.md: nothing outside testing/ includes testing/; observe/
# includes no store and no algorithm; the core vocabulary and the policies
# include no store, no algorithm and no observer built on the events. Fails
# with one line per arrow that points up.

set(stores "dualstore/(dual_store|migration)\\.hpp")
set(algorithms
    "dualstore/(repair/|backfill/(backfill|plan)\\.hpp|reconcile/(kv_reconciler|harness|promotion_tracker)\\.hpp|kv_retry_queue|memory_retry_queue|kv_lease_lock|memory_lease_lock|scan_range|partition/|reconcile/bisect)")
set(observers "dualstore/observe/(metrics|json_log|prometheus|progress_bar|reconcile_events)\\.hpp")
set(core_and_policies
    "^dualstore/(concepts|operation|kv_operations|call_kind|error|stage|write_result|retry_queue|redact|policy|write|read|rollback|retry|order|guard|failure_sink|timer|backoff|backfill/report|reconcile/reconciler|reconcile/promotion_state|key_range|reconcile/range_digest|reconcile/key_sample)\\.hpp$")

file(GLOB_RECURSE headers RELATIVE "${INCLUDE_ROOT}" "${INCLUDE_ROOT}/dualstore/*.hpp")
set(violations "")
foreach(header IN LISTS headers)
  file(STRINGS "${INCLUDE_ROOT}/${header}" lines REGEX "^#include <dualstore/")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^#include <([^>]+)>.*" "\\1" included "${line}")
    set(reason "")
    if(included MATCHES "^dualstore/testing/" AND NOT header MATCHES "^dualstore/testing/")
      set(reason "only testing/ includes testing/")
    elseif(header MATCHES "^dualstore/observe/" AND included MATCHES "${stores}|${algorithms}")
      set(reason "observe/ includes no store and no algorithm")
    elseif(header MATCHES "${core_and_policies}" AND included MATCHES "${stores}|${algorithms}|${observers}")
      set(reason "the core and the policies include no store, algorithm or observer")
    endif()
    if(reason)
      string(APPEND violations "  ${header} includes ${included}: ${reason}\n")
    endif()
  endforeach()
endforeach()
if(violations)
  message(FATAL_ERROR "includes that point up the layers:\n${violations}")
endif()
list(LENGTH headers count)
message(STATUS "${count} headers, every include points down")
