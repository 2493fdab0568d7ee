#pragma once
/// \file
/// `partitioned_job`: a job (a backfill, a reconciliation) split into
/// partitions that any number of worker processes, on any machines, share.
/// A worker claims a partition with a lease, checkpoints it after each step
/// in a shared store, and takes over a partition whose holder died once its
/// lease lapsed. All coordination state lives in the lease lock and the
/// shared store (Redis or PostgreSQL across machines): no worker talks to
/// another.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/length_prefixed.hpp>
#include <dualstore/detail/wait_hook.hpp>
#include <dualstore/error.hpp>
#include <dualstore/lease_lock.hpp>
#include <dualstore/observe/progress.hpp>
#include <dualstore/partition/partition.hpp>
#include <dualstore/timer.hpp>

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace dualstore {

/// What a partition's work did, summed over steps (and over workers, when a
/// partition changed hands).
struct partition_tally {
    std::uint64_t scanned = 0;  ///< records read (backfill) or keys checked (reconciliation)
    std::uint64_t changed = 0;  ///< records written (backfill) or drifted keys found
    std::uint64_t failed = 0;   ///< writes or checks that failed
    /// Adds `other`'s counts.
    partition_tally& operator+=(const partition_tally& other) noexcept {
        scanned += other.scanned;
        changed += other.changed;
        failed += other.failed;
        return *this;
    }
    /// Tallies are equal when every count is.
    friend bool operator==(const partition_tally&, const partition_tally&) = default;
};

/// What one step of a partition's work did.
struct partition_step {
    /// Where the next step resumes (bytes the work understands); none when
    /// the partition is finished.
    std::optional<std::string> cursor;
    /// What this step did.
    partition_tally tally;
};

/// Work a `partitioned_job` hands out in steps: `work.step(part, cursor)`
/// does a bounded share of partition `part` from `cursor` (none: the
/// partition's start), perhaps in another process than the step before, and
/// says where the next step resumes. A step may be done twice (a worker that
/// dies after a step and before its checkpoint), so it must be safe to
/// repeat: `backfill_work` and `reconcile_work` are.
template <class W>
concept partition_work = requires(W& work, const partition& part,
                                  const std::optional<std::string>& cursor) {
    { work.step(part, cursor) } -> std::same_as<partition_step>;
};

/// How a `partitioned_job` runs.
struct partitioned_job_options {
    /// A worker's lease on a partition; renewed after a step once half of it
    /// is gone. A dead worker's partition is taken over after at most this
    /// long. Pick it well above one step's duration.
    std::chrono::milliseconds lease = std::chrono::seconds(30);
    /// The wait between looks when every unfinished partition is held by
    /// another worker.
    std::chrono::milliseconds poll = std::chrono::seconds(1);
    /// The shared store's keys begin with this and the job's name.
    std::string prefix = "dualstore:job:";
    /// Told an `observe::progress_event` ("partitioned job", this worker's
    /// counts) after each step.
    observe::progress_observers observers{};
    /// The clock: pauses on `sleep`, lease deadlines on `wall` (the lease
    /// lock's clock).
    timer clock{};
};

/// A partition's state in the shared store.
struct partition_state {
    /// Whether the partition is finished.
    bool done = false;
    /// Where its next step resumes; none before the first step and once done.
    std::optional<std::string> cursor{};
    /// What its steps did, every worker's.
    partition_tally tally{};
    /// States are equal when every field is.
    friend bool operator==(const partition_state&, const partition_state&) = default;
};

/// The job's progress, read from the shared store.
struct job_summary {
    /// Each partition's state, in the plan's order.
    std::vector<partition_state> partitions;
    /// Every partition's tally summed.
    partition_tally tally;
    /// Partitions finished.
    std::size_t done = 0;
    /// Whether every partition is finished.
    [[nodiscard]] bool complete() const noexcept { return done == partitions.size(); }
};

/// What one worker did in `partitioned_job::work`.
struct worker_report {
    std::size_t finished = 0;  ///< partitions this worker finished
    std::size_t resumed = 0;   ///< partitions it continued from another run's checkpoint
    std::size_t lost = 0;      ///< partitions whose lease it lost mid-way (left to the new holder)
    std::size_t steps = 0;     ///< steps it did
    partition_tally tally{};   ///< what its steps did
};

/// A job of `partitions` (see `split_at_keys`, `split_by_hash`) shared by
/// workers through `Lock` (a lease per partition) and `State` (each
/// partition's checkpoint and tally, and the plan), both held by reference.
/// Every worker must construct the job with the same name and partitions;
/// the first to work records the plan and the others check theirs against it.
///
/// `work(w)` runs until every partition is finished: it claims a free
/// partition (one whose lease nobody holds: never started, or its holder
/// died and the lease lapsed), continues it from its checkpoint step by
/// step, writes the checkpoint and tally after each step and marks it done
/// at the end. When every unfinished partition is held by others it waits
/// `poll` and looks again. Before writing a checkpoint the worker makes sure
/// it still holds the lease (renewing it once half is gone); a worker that
/// lost it (paused past the lease, say) stops that partition without
/// writing. A checkpoint is only ever a place every earlier record of the
/// partition was done at, so a stale one written by a worker that lost its
/// lease at that moment costs repeated work, never skipped work; the tally
/// may then count the repeated step twice.
///
/// Cost per step: one state write, plus a lease renewal every half lease.
template <renewable_lease_lock Lock, conditional_store State>
class partitioned_job {
    static_assert(std::is_same_v<key_type_t<State>, std::string> &&
                      std::is_same_v<mapped_type_t<State>, std::string>,
                  "dualstore: partitioned_job keeps its state in a store of std::string keys "
                  "and values");

public:
    /// The job `name` over `partitions`, coordinated through `lock` and `state`.
    partitioned_job(std::string name, std::vector<partition> partitions, Lock& lock, State& state,
                    partitioned_job_options options = {})
        : name_(std::move(name)),
          partitions_(std::move(partitions)),
          lock_(lock),
          state_(state),
          options_(std::move(options)) {
        if (partitions_.empty()) {
            throw error(fmt::format("dualstore: partitioned_job '{}': no partitions", name_));
        }
    }

    /// The job's name.
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

    /// The partitions, in the plan's order.
    [[nodiscard]] const std::vector<partition>& partitions() const noexcept { return partitions_; }

    /// Works on the job until every partition is finished (see the class).
    /// An exception from a step, the lock or the store propagates after the
    /// partition's lease is released, with its last checkpoint kept.
    template <partition_work Work>
    worker_report work(Work& w) {
        check_plan();
        worker_report report;
        for (;;) {
            bool unfinished = false;
            bool claimed = false;
            for (std::size_t index = 0; index < partitions_.size(); ++index) {
                if (read_state(index).done) continue;
                unfinished = true;
                auto held = lock_.try_acquire(lease_name(index), options_.lease);
                if (!held) continue;
                claimed = true;
                run_partition(w, index, std::move(*held), report);
            }
            if (!unfinished) return report;
            if (!claimed) wait_for_others();
        }
    }

    /// Each partition's state and the sums, read from the shared store
    /// (one read per partition).
    [[nodiscard]] job_summary summary() {
        job_summary s;
        for (std::size_t i = 0; i < partitions_.size(); ++i) {
            s.partitions.push_back(read_state(i));
            s.tally += s.partitions.back().tally;
            if (s.partitions.back().done) ++s.done;
        }
        return s;
    }

    /// Forgets the job's shared state (plan, checkpoints, tallies), so it can
    /// run again from the start. Only while no worker works on it.
    void reset() {
        state_.erase(plan_key());
        for (std::size_t i = 0; i < partitions_.size(); ++i) state_.erase(state_key(i));
    }

private:
    template <class Work>
    void run_partition(Work& w, std::size_t index, lease held, worker_report& report) {
        try {
            auto state = read_state(index);  // again: it may have finished meanwhile
            if (!state.done && (state.cursor || state.tally != partition_tally{})) {
                ++report.resumed;
            }
            while (!state.done) {
                auto step = w.step(partitions_[index], state.cursor);
                ++report.steps;
                report.tally += step.tally;
                if (!still_held(held)) {
                    ++report.lost;
                    return;
                }
                state.tally += step.tally;
                state.cursor = std::move(step.cursor);
                state.done = !state.cursor;
                state_.put(state_key(index), encode(state));
                if (state.done) ++report.finished;
                tell_progress(report, state.done);
            }
            lock_.release(held);
        } catch (...) {
            lock_.release(held);
            throw;
        }
    }

    // Waits for the holders of the unfinished partitions: `poll`, or, under a
    // controlled scheduler (the explorer), until another thread progressed.
    void wait_for_others() const {
        if (detail::under_controlled_scheduler()) {
            detail::wait_for_progress();
        } else {
            options_.clock.wait(options_.poll);
        }
    }

    // Whether the worker still holds `held`, renewing it once half is gone.
    bool still_held(lease& held) {
        const auto now = options_.clock.read_wall();
        if (now >= held.expires_at) return false;
        if (held.expires_at - now > options_.lease / 2) return true;
        auto renewed = lock_.renew(held, options_.lease);
        if (!renewed) return false;
        held = std::move(*renewed);
        return true;
    }

    void tell_progress(const worker_report& report, bool finished_partition) const {
        if (!options_.observers) return;
        options_.observers.notify({.task = "partitioned job",
                                   .done = report.tally.scanned,
                                   .changed = report.tally.changed,
                                   .failed = report.tally.failed,
                                   .finished = finished_partition});
    }

    // Records the plan on first use; throws when another one is recorded.
    void check_plan() {
        std::string plan = fmt::format("dspp1 {} ", partitions_.size());
        for (const auto& p : partitions_) {
            detail::put_field(plan, p.range.after);
            detail::put_field(plan, p.range.up_to);
            plan += fmt::format(" {} {} ", p.bucket, p.buckets);
        }
        if (state_.put_if_absent(plan_key(), plan)) return;
        const auto recorded = state_.get(plan_key());
        if (recorded && *recorded != plan) {
            throw error(fmt::format(
                "dualstore: partitioned_job '{}': the shared state holds another partition plan "
                "than this worker's {} partitions; give every worker the same partitions, or "
                "reset() the job or rename it",
                name_, partitions_.size()));
        }
    }

    partition_state read_state(std::size_t index) {
        const auto bytes = state_.get(state_key(index));
        if (!bytes) return {};
        return decode(*bytes, index);
    }

    // "dsps1 <d|r> <scanned> <changed> <failed> " and the cursor's field.
    static std::string encode(const partition_state& s) {
        std::string out = fmt::format("dsps1 {} {} {} {} ", s.done ? 'd' : 'r', s.tally.scanned,
                                      s.tally.changed, s.tally.failed);
        detail::put_field(out, s.cursor);
        return out;
    }

    partition_state decode(std::string_view in, std::size_t index) const {
        partition_state s;
        const auto corrupt = [&] {
            return error(fmt::format(
                "dualstore: partitioned_job '{}': the state of partition {} is not one this "
                "library wrote",
                name_, index));
        };
        if (!in.starts_with("dsps1 ") || in.size() < 8 || in[7] != ' ') throw corrupt();
        s.done = in[6] == 'd';
        in.remove_prefix(8);
        for (auto* count : {&s.tally.scanned, &s.tally.changed, &s.tally.failed}) {
            const auto [end, ec] = std::from_chars(in.data(), in.data() + in.size(), *count);
            if (ec != std::errc{} || end == in.data() + in.size() || *end != ' ') throw corrupt();
            in.remove_prefix(static_cast<std::size_t>(end - in.data()) + 1);
        }
        if (!detail::take_field(in, s.cursor) || !in.empty()) throw corrupt();
        return s;
    }

    [[nodiscard]] std::string lease_name(std::size_t index) const {
        return fmt::format("{}/{}", name_, index);
    }
    [[nodiscard]] std::string state_key(std::size_t index) const {
        return fmt::format("{}{}/{}", options_.prefix, name_, index);
    }
    [[nodiscard]] std::string plan_key() const {
        return fmt::format("{}{}/plan", options_.prefix, name_);
    }

    std::string name_;
    std::vector<partition> partitions_;
    Lock& lock_;
    State& state_;
    partitioned_job_options options_;
};

}  // namespace dualstore
