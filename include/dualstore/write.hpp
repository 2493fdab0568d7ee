#pragma once
/// \file
/// Write policies: how a write reaches the two stores. A primary failure
/// always reaches the caller.

#include <dualstore/policy.hpp>
#include <dualstore/thread_pool.hpp>

namespace dualstore::write {

/// Primary, then secondary best effort (the default). A secondary failure
/// is reported to the failure sink and observers, never thrown; a primary
/// failure throws and the secondary is not written.
struct sequential {
    using category = write_tag;
};

/// Both at once on a reusable executor; returns when both have finished, so
/// the latency is the slower side's. A secondary failure is reported, never
/// thrown. A primary failure throws, and since the secondary may already hold
/// the new value, the key also goes to the failure sink for repair.
struct parallel {
    using category = write_tag;
    /// Where the secondary's write runs (default: `default_thread_pool()`).
    /// If no worker has started it by the time the primary is done, the
    /// calling thread runs it itself.
    executor_ref executor{};
};

/// Both must succeed: primary, then secondary; a secondary failure restores
/// the primary through the rollback policy and throws `rolled_back` (or
/// `rollback_failed`). Needs `rollback::snapshot` or `rollback::compensate`.
struct dual_primary {
    using category = write_tag;
};

/// Primary only: dual writing switched off. The secondary is never touched.
struct primary_only {
    using category = write_tag;
};

}  // namespace dualstore::write
