#pragma once
/// \file
/// Write policies: how a write reaches the two stores, each with its
/// behaviour. A primary failure always reaches the caller.
///
/// A write policy is a type with `using category = write_tag;` and a member
/// `template <class Write> void apply(Write& call)` that runs one write
/// through `call`:
/// - `call.primary()` writes the primary; its failure propagates;
/// - `call.secondary()` writes the secondary; its failure is recorded in
///   `call.result().secondary` and propagates;
/// - `call.secondary_failed()` reports that recorded failure to the failure
///   sink and the observers;
/// - `call.primary_failed(error)` hands the key to the failure sink after a
///   primary failure that may have left the secondary written;
/// - `call.remember()` and `call.roll_back(prior)` undo the primary through
///   the rollback policy (see `rollback.hpp`).
///
/// Each side's call is retried, timed and reported the same way whatever the
/// policy.

#include <dualstore/detail/offloaded_call.hpp>
#include <dualstore/policy.hpp>
#include <dualstore/thread_pool.hpp>

#include <concepts>
#include <exception>

namespace dualstore::write {

/// Primary, then secondary best effort (the default). A secondary failure
/// is reported to the failure sink and observers, never thrown; a primary
/// failure throws and the secondary is not written.
struct sequential {
    using category = write_tag;

    /// Runs one write: the primary, then the secondary.
    template <class Write>
    [[gnu::always_inline]] void apply(Write& call) const {
        call.primary();
        try {
            call.secondary();
        } catch (...) {
            call.secondary_failed();
        }
    }
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

    /// Runs one write: the secondary on the executor while the primary is
    /// written here.
    template <class Write>
    void apply(Write& call) const {
        auto secondary_task = [&call]() noexcept {
            try {
                call.secondary();
            } catch (...) {  // NOLINT(bugprone-empty-catch): recorded in call.result()
            }
        };
        std::exception_ptr primary_error;
        {
            detail::offloaded_call pending(executor, secondary_task);
            try {
                call.primary();
            } catch (...) {
                primary_error = std::current_exception();
            }
        }  // both sides have finished here
        if (primary_error) {
            call.primary_failed(primary_error);
            std::rethrow_exception(primary_error);
        }
        if (call.result().secondary.failed()) call.secondary_failed();
    }
};

/// Both must succeed: primary, then secondary; a secondary failure restores
/// the primary through the rollback policy and throws `rolled_back` (or
/// `rollback_failed`). Needs `rollback::snapshot` or `rollback::compensate`.
struct dual_primary {
    using category = write_tag;

    /// Runs one write: remembers the primary's state, writes the primary,
    /// then the secondary, rolling the primary back if the secondary fails.
    template <class Write>
    void apply(Write& call) const {
        auto prior = call.remember();
        call.primary();
        try {
            call.secondary();
        } catch (...) {
            call.roll_back(prior);
        }
    }
};

/// Primary only: dual writing switched off. The secondary is never touched.
struct primary_only {
    using category = write_tag;

    /// Runs one write: the primary only.
    template <class Write>
    void apply(Write& call) const {
        call.primary();
    }
};

}  // namespace dualstore::write

namespace dualstore {

namespace detail {
/// Stands for the write in flight when a policy's shape is checked.
struct write_call_archetype {};
}  // namespace detail

/// A policy of the write category with the behaviour the engine calls:
/// `policy.apply(call)` (see the top of this header).
template <class P>
concept write_strategy = requires(const P& policy, detail::write_call_archetype& call) {
    { policy.apply(call) } -> std::same_as<void>;
};

}  // namespace dualstore
