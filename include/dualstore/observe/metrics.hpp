#pragma once
/// \file
/// `observe::metrics`: an observer that counts what dual stores and
/// migrations do and times each side's operations. Pass it to
/// `observe::with(metrics)` (held by reference: one object can serve many
/// stores). Every hook is lock-free; read it from any thread.

#include <dualstore/observe/events.hpp>
#include <dualstore/observe/histogram.hpp>
#include <dualstore/observe/reconcile_events.hpp>
#include <dualstore/operation.hpp>
#include <dualstore/stage.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace dualstore::observe {

/// What happened to a side's operation, as counted by `metrics`.
enum class outcome_kind {
    ok,           ///< finished
    failed,       ///< failed after its retries
    retried,      ///< one failed attempt that was retried
    rolled_back,  ///< a primary write undone (dual_primary)
    enqueued,     ///< a failed secondary write handed to the failure sink
};

/// Every outcome, in order.
inline constexpr std::array all_outcomes{outcome_kind::ok, outcome_kind::failed,
                                         outcome_kind::retried, outcome_kind::rolled_back,
                                         outcome_kind::enqueued};

/// The name of an outcome ("rolled_back").
[[nodiscard]] constexpr std::string_view to_string(outcome_kind o) noexcept {
    constexpr std::array<std::string_view, all_outcomes.size()> names{"ok", "failed", "retried",
                                                                      "rolled_back", "enqueued"};
    return names[static_cast<std::size_t>(o)];
}

/// Every operation and side, in order (for walking the metrics).
inline constexpr std::array all_operations{operation::get, operation::put, operation::erase,
                                           operation::read, operation::write};
/// \copydoc all_operations
inline constexpr std::array all_sides{side::primary, side::secondary};
/// Every origin (old and new store), in order.
inline constexpr std::array all_origins{migration_store::old_store, migration_store::new_store};

/// Counters per operation, side and outcome, and again per operation,
/// origin (old or new store, whatever the stage) and outcome; latency
/// histograms per operation and side and per operation and origin; shadow
/// mismatches; failure-sink errors; the retry
/// queue's depth (set by whoever drains it); the migration stage; and the
/// latency of the first operation seen, kept apart as the cold start.
class metrics {
public:
    /// Counts a finished operation and records its duration.
    void on(const operation_event& e) noexcept {
        const auto o = e.ok ? outcome_kind::ok : outcome_kind::failed;
        bump(e.op, e.side, e.origin, o);
        latency_[cell(e.op, e.side, e.origin)].record(e.duration);
        bool expected = false;
        if (!seen_first_.load(std::memory_order_relaxed) &&
            seen_first_.compare_exchange_strong(expected, true)) {
            cold_ns_.store(e.duration.count(), std::memory_order_release);
        }
    }
    /// Counts a retried attempt.
    void on(const retry_event& e) noexcept { bump(e.op, e.side, e.origin, outcome_kind::retried); }
    /// Counts a failed secondary write taken by the sink.
    template <class Key>
    void on(const secondary_failure_event<Key>& e) noexcept {
        if (e.sunk) bump_role(e.op, side::secondary, outcome_kind::enqueued);
    }
    /// Counts a failure the sink could not record (a write that may be lost).
    template <class Key>
    void on(const sink_error_event<Key>&) noexcept {
        sink_errors_.fetch_add(1, std::memory_order_relaxed);
    }
    /// Counts a rolled-back primary write.
    template <class Key>
    void on(const rollback_event<Key>& e) noexcept {
        bump_role(e.op, side::primary, outcome_kind::rolled_back);
    }
    /// Counts a shadow mismatch.
    template <class Key, class P, class S>
    void on(const mismatch_event<Key, P, S>&) noexcept {
        mismatches_.fetch_add(1, std::memory_order_relaxed);
    }
    /// Counts a shadow mismatch the policy accepts as known (`ignoring`).
    template <class Key>
    void on(const ignored_mismatch_event<Key>&) noexcept {
        ignored_mismatches_.fetch_add(1, std::memory_order_relaxed);
    }
    /// Records the migration's new stage.
    void on(const stage_change_event& e) noexcept {
        stage_.store(static_cast<int>(e.to), std::memory_order_relaxed);
        stage_changes_.fetch_add(1, std::memory_order_relaxed);
    }

    /// Counts a reconciliation run: samples, drift, breach, and its duration.
    void on(const reconcile_run_event& e) noexcept {
        reconcile_samples_.fetch_add(e.sampled, std::memory_order_relaxed);
        reconcile_drift_.fetch_add(e.drifted, std::memory_order_relaxed);
        if (e.breach) reconcile_breaches_.fetch_add(1, std::memory_order_relaxed);
        reconcile_duration_.record(e.duration);
    }
    /// Counts a promotion-state change to `ready_to_promote`.
    void on(const promotion_event& e) noexcept {
        if (e.transition.to == promotion_state::ready_to_promote) {
            promotions_.fetch_add(1, std::memory_order_relaxed);
        }
    }

    /// Keys checked by reconciliation runs.
    [[nodiscard]] std::uint64_t reconcile_samples() const noexcept {
        return reconcile_samples_.load(std::memory_order_relaxed);
    }
    /// Keys found drifted by reconciliation runs.
    [[nodiscard]] std::uint64_t reconcile_drift() const noexcept {
        return reconcile_drift_.load(std::memory_order_relaxed);
    }
    /// Reconciliation runs that breached their rule.
    [[nodiscard]] std::uint64_t reconcile_breaches() const noexcept {
        return reconcile_breaches_.load(std::memory_order_relaxed);
    }
    /// Times a reconciler became ready to promote.
    [[nodiscard]] std::uint64_t promotions() const noexcept {
        return promotions_.load(std::memory_order_relaxed);
    }
    /// The durations of reconciliation runs.
    [[nodiscard]] const latency_histogram& reconcile_duration() const noexcept {
        return reconcile_duration_;
    }

    /// Sets the retry queue depth gauge.
    void set_queue_depth(std::size_t depth) noexcept {
        queue_depth_.store(depth, std::memory_order_relaxed);
    }

    /// How many operations of `op` on `s` had outcome `o`.
    [[nodiscard]] std::uint64_t count(operation op, side s, outcome_kind o) const noexcept {
        std::uint64_t n = role_counters_[index(op, s)][slot(o)].load(std::memory_order_relaxed);
        for (const auto origin : all_origins) n += load(cell(op, s, origin), o);
        return n;
    }
    /// The durations of `op` on `s` (a snapshot).
    [[nodiscard]] latency_histogram latency(operation op, side s) const noexcept {
        latency_histogram h(latency_[cell(op, s, migration_store::old_store)]);
        h.add(latency_[cell(op, s, migration_store::new_store)]);
        return h;
    }
    /// How many operations of `op` on the old or new store had outcome `o`
    /// (`ok`, `failed` and `retried` only: the sink and the rollback act on
    /// a role).
    [[nodiscard]] std::uint64_t count(operation op, migration_store origin,
                                      outcome_kind o) const noexcept {
        std::uint64_t n = 0;
        for (const auto s : all_sides) n += load(cell(op, s, origin), o);
        return n;
    }
    /// The durations of `op` on the old or new store (a snapshot).
    [[nodiscard]] latency_histogram latency(operation op, migration_store origin) const noexcept {
        latency_histogram h(latency_[cell(op, side::primary, origin)]);
        h.add(latency_[cell(op, side::secondary, origin)]);
        return h;
    }
    /// Shadow mismatches accepted as known (`read::basic_shadow::ignoring`).
    [[nodiscard]] std::uint64_t ignored_mismatches() const noexcept {
        return ignored_mismatches_.load(std::memory_order_relaxed);
    }
    /// Shadow mismatches reported.
    [[nodiscard]] std::uint64_t mismatches() const noexcept {
        return mismatches_.load(std::memory_order_relaxed);
    }
    /// Failures the sink could not record.
    [[nodiscard]] std::uint64_t sink_errors() const noexcept {
        return sink_errors_.load(std::memory_order_relaxed);
    }
    /// The last depth set with `set_queue_depth`.
    [[nodiscard]] std::size_t queue_depth() const noexcept {
        return queue_depth_.load(std::memory_order_relaxed);
    }
    /// The stage of the last stage change seen, if any.
    [[nodiscard]] std::optional<stage> current_stage() const noexcept {
        const int s = stage_.load(std::memory_order_relaxed);
        return s < 0 ? std::nullopt : std::optional<stage>(static_cast<stage>(s));
    }
    /// Stage changes seen.
    [[nodiscard]] std::uint64_t stage_changes() const noexcept {
        return stage_changes_.load(std::memory_order_relaxed);
    }
    /// Whether an operation has been seen (the cold start is behind).
    [[nodiscard]] bool warm() const noexcept { return seen_first_.load(std::memory_order_acquire); }
    /// The duration of the first operation seen (connection set-up, caches
    /// filling), or nothing before it.
    [[nodiscard]] std::optional<std::chrono::nanoseconds> cold_latency() const noexcept {
        const auto ns = cold_ns_.load(std::memory_order_acquire);
        return ns < 0 ? std::nullopt : std::optional(std::chrono::nanoseconds(ns));
    }

private:
    // An operation event is recorded once, in the cell of its role and its
    // store (one counter and one histogram: three relaxed increments); the
    // counts by role and by store add the two cells up when read.
    static constexpr std::size_t pairs = all_operations.size() * all_sides.size();
    static constexpr std::size_t cells = pairs * all_origins.size();
    static_assert(all_sides.size() == 2 && all_origins.size() == 2);
    /// The slot of `op` on a side.
    static constexpr std::size_t index(operation op, side s) noexcept {
        return static_cast<std::size_t>(op) * all_sides.size() + static_cast<std::size_t>(s);
    }
    /// The cell of `op` on a side and a store.
    static constexpr std::size_t cell(operation op, side s, migration_store origin) noexcept {
        return index(op, s) * all_origins.size() + static_cast<std::size_t>(origin);
    }
    static constexpr std::size_t slot(outcome_kind o) noexcept {
        return static_cast<std::size_t>(o);
    }
    using counter_row = std::array<std::atomic<std::uint64_t>, all_outcomes.size()>;
    std::uint64_t load(std::size_t c, outcome_kind o) const noexcept {
        return counters_[c][slot(o)].load(std::memory_order_relaxed);
    }
    void bump(operation op, side s, migration_store origin, outcome_kind o) noexcept {
        counters_[cell(op, s, origin)][slot(o)].fetch_add(1, std::memory_order_relaxed);
    }
    /// An outcome of a role only (the sink's and the rollback's).
    void bump_role(operation op, side s, outcome_kind o) noexcept {
        role_counters_[index(op, s)][slot(o)].fetch_add(1, std::memory_order_relaxed);
    }

    std::array<counter_row, cells> counters_{};
    std::array<counter_row, pairs> role_counters_{};
    std::array<latency_histogram, cells> latency_{};
    std::atomic<std::uint64_t> mismatches_{0};
    std::atomic<std::uint64_t> ignored_mismatches_{0};
    std::atomic<std::uint64_t> sink_errors_{0};
    std::atomic<std::size_t> queue_depth_{0};
    std::atomic<int> stage_{-1};
    std::atomic<std::uint64_t> stage_changes_{0};
    std::atomic<std::uint64_t> reconcile_samples_{0}, reconcile_drift_{0}, reconcile_breaches_{0},
        promotions_{0};
    latency_histogram reconcile_duration_{};
    std::atomic<bool> seen_first_{false};
    std::atomic<std::int64_t> cold_ns_{-1};
};

}  // namespace dualstore::observe
