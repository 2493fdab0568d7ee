#pragma once
/// \file
/// `stage_gate`: the current stage of a migration, and the operations in
/// flight under it. A stage change is a barrier: operations that begin while
/// it is under way wait until every operation begun under the previous stage
/// has finished, so no operation of the old stage overlaps one of the new
/// (which would let a write that reaches one store under `off` land after a
/// write that reaches both under `dual_write`, leaving the stores apart).
/// Entering costs two atomic loads and an atomic increment (no lock); a stage
/// change is rare, and operations wait only while it drains.

#include <dualstore/detail/wait_hook.hpp>
#include <dualstore/error.hpp>
#include <dualstore/stage.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

namespace dualstore::detail {

class stage_gate {
    struct alignas(64) counter {  // one cache line each: entering does not false-share
        std::atomic<std::uint64_t> active{0};
    };

public:
    explicit stage_gate(stage initial) noexcept : state_(pack(0, initial)) {}

    /// An operation in flight under one stage: the stage cannot finish
    /// changing away from it until the pass is gone.
    class pass {
    public:
        pass(const pass&) = delete;
        pass& operator=(const pass&) = delete;
        ~pass() {
            innermost = outer_;
            counter_.active.fetch_sub(1, std::memory_order_release);
        }

        /// The stage the operation runs under.
        [[nodiscard]] dualstore::stage stage() const noexcept { return stage_; }

    private:
        friend stage_gate;
        pass(const stage_gate& gate, counter& c, dualstore::stage s) noexcept
            : gate_(gate), counter_(c), stage_(s), outer_(innermost) {
            innermost = this;
        }

        const stage_gate& gate_;
        counter& counter_;
        dualstore::stage stage_;
        const pass* outer_;  // the pass this thread held before this one
    };

    /// Registers an operation under the current stage; while a change drains
    /// the operations of the previous stage, waits for it to finish (unless
    /// this thread is inside an operation of this gate already, which the
    /// change waits for).
    [[nodiscard]] pass enter() noexcept {
        for (;;) {
            const std::uint64_t seen = state_.load(std::memory_order_seq_cst);
            if (draining(seen) && !inside()) {
                wait_for_progress();
                continue;
            }
            counter& c = counters_[epoch_of(seen) & 1U];
            c.active.fetch_add(1, std::memory_order_seq_cst);
            // Still the same epoch: a change that follows will wait for us.
            if (state_.load(std::memory_order_seq_cst) == seen)
                return pass(*this, c, stage_of(seen));
            c.active.fetch_sub(1, std::memory_order_release);
        }
    }

    /// The current stage.
    [[nodiscard]] stage current() const noexcept {
        return stage_of(state_.load(std::memory_order_acquire));
    }

    /// Makes `to` the current stage and returns the previous one once every
    /// operation begun under it has finished. Changes are serialised. Throws
    /// `error` when called from inside an operation of this gate (it would
    /// wait for itself) and `invalid_stage` for a value that names no stage.
    stage change(stage to) {
        if (static_cast<std::size_t>(to) >= all_stages.size()) {
            throw invalid_stage(
                fmt::format("dualstore: set_stage: {} is not a stage", static_cast<unsigned>(to)));
        }
        if (inside()) {
            throw error(
                "dualstore: set_stage was called from inside an operation of the same "
                "migration (an operation, observer or sink callback): it would wait for "
                "itself; change the stage from another thread");
        }
        lock_cooperatively(changing_);
        const std::lock_guard lock(changing_, std::adopt_lock);
        const std::uint64_t before = state_.load(std::memory_order_seq_cst);
        const std::uint64_t after = pack(epoch_of(before) + 1, to);
        state_.store(after | draining_bit, std::memory_order_seq_cst);
        const counter& drained = counters_[epoch_of(before) & 1U];
        while (drained.active.load(std::memory_order_acquire) != 0) wait_for_progress();
        state_.store(after, std::memory_order_seq_cst);
        return stage_of(before);
    }

private:
    // state_ = epoch << 9 | draining << 8 | stage
    static constexpr std::uint64_t draining_bit = 1U << 8U;
    static constexpr std::uint64_t pack(std::uint64_t epoch, stage s) noexcept {
        return epoch << 9U | static_cast<std::uint64_t>(s);
    }
    static constexpr std::uint64_t epoch_of(std::uint64_t state) noexcept { return state >> 9U; }
    static constexpr stage stage_of(std::uint64_t state) noexcept {
        return static_cast<stage>(state & 0xFFU);
    }
    static constexpr bool draining(std::uint64_t state) noexcept {
        return (state & draining_bit) != 0;
    }

    /// Whether the calling thread is inside an operation of this gate.
    [[nodiscard]] bool inside() const noexcept {
        for (const pass* p = innermost; p != nullptr; p = p->outer_) {
            if (&p->gate_ == this) return true;
        }
        return false;
    }

    static inline constinit thread_local const pass* innermost = nullptr;

    std::atomic<std::uint64_t> state_;  // see pack()
    std::array<counter, 2> counters_{};
    std::mutex changing_;
};

}  // namespace dualstore::detail
