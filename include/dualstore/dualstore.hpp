#pragma once
/// \file
/// Umbrella header: the whole core library. The observers with heavier
/// includes (`observe/metrics.hpp`, `observe/prometheus.hpp`,
/// `observe/json_log.hpp`, `observe/progress_bar.hpp`), the records of a
/// store as a `std::ranges` view (`scan_range.hpp`, which brings
/// `<ranges>`), the test doubles (`testing/`) and the adapters
/// (`adapters/`) are included on their own.

#include <dualstore/backfill/backfill.hpp>
#include <dualstore/backfill/plan.hpp>
#include <dualstore/backoff.hpp>
#include <dualstore/concepts.hpp>
#include <dualstore/dual_store.hpp>
#include <dualstore/error.hpp>
#include <dualstore/failure_sink.hpp>
#include <dualstore/guard.hpp>
#include <dualstore/key_lock_table.hpp>
#include <dualstore/key_range.hpp>
#include <dualstore/kv_lease_lock.hpp>
#include <dualstore/kv_operations.hpp>
#include <dualstore/kv_retry_queue.hpp>
#include <dualstore/lease_lock.hpp>
#include <dualstore/memory_lease_lock.hpp>
#include <dualstore/memory_retry_queue.hpp>
#include <dualstore/migration.hpp>
#include <dualstore/observe/events.hpp>
#include <dualstore/observe/observer.hpp>
#include <dualstore/observe/progress.hpp>
#include <dualstore/operation.hpp>
#include <dualstore/order.hpp>
#include <dualstore/overloaded.hpp>
#include <dualstore/partition/job.hpp>
#include <dualstore/partition/partition.hpp>
#include <dualstore/partition/work.hpp>
#include <dualstore/policy.hpp>
#include <dualstore/rate_limiter.hpp>
#include <dualstore/read.hpp>
#include <dualstore/reconcile/bisect.hpp>
#include <dualstore/reconcile/harness.hpp>
#include <dualstore/reconcile/kv_reconciler.hpp>
#include <dualstore/reconcile/promotion_tracker.hpp>
#include <dualstore/reconcile/range_digest.hpp>
#include <dualstore/reconcile/reconciler.hpp>
#include <dualstore/repair/drain.hpp>
#include <dualstore/repair/repair_key.hpp>
#include <dualstore/retry.hpp>
#include <dualstore/retry_queue.hpp>
#include <dualstore/rollback.hpp>
#include <dualstore/stage.hpp>
#include <dualstore/thread_pool.hpp>
#include <dualstore/timer.hpp>
#include <dualstore/version.hpp>
#include <dualstore/write.hpp>
#include <dualstore/write_result.hpp>
