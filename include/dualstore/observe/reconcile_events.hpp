#pragma once
/// \file
/// The events a `reconcile_harness` reports.

#include <dualstore/reconcile/promotion_state.hpp>
#include <dualstore/reconcile/reconciler.hpp>

#include <chrono>
#include <cstddef>
#include <string_view>

namespace dualstore::observe {

/// One reconciler's run finished: samples, drift, breach and duration.
struct reconcile_run_event {
    std::string_view name;              ///< the reconciler
    reconcile_mode mode;                ///< sampled or full
    std::size_t sampled;                ///< keys checked
    std::size_t drifted;                ///< keys out of sync
    std::size_t errors;                 ///< checks that failed
    bool breach;                        ///< whether the drift ratio broke the rule
    std::chrono::nanoseconds duration;  ///< the run's length
};

/// A key found out of sync.
struct drift_event {
    std::string_view name;        ///< the reconciler
    const sample_result& result;  ///< the verdict (key, reason, repaired)
};

/// A reconciler's promotion state changed.
struct promotion_event {
    const promotion_transition& transition;  ///< name, from, to
};

}  // namespace dualstore::observe
