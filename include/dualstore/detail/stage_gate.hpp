#pragma once
/// \file
/// `stage_gate`: the current stage of a migration, and the operations in
/// flight under it, so a stage change can wait for every operation begun
/// under the previous stage. Entering costs two atomic loads and two atomic
/// increments (no lock); a stage change is rare and may wait.

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

    /// Registers an operation under the current stage.
    [[nodiscard]] pass enter() noexcept {
        for (;;) {
            const std::uint64_t seen = state_.load(std::memory_order_seq_cst);
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
        for (const pass* p = innermost; p != nullptr; p = p->outer_) {
            if (&p->gate_ == this) {
                throw error(
                    "dualstore: set_stage was called from inside an operation of the same "
                    "migration (an operation, observer or sink callback): it would wait for "
                    "itself; change the stage from another thread");
            }
        }
        const std::lock_guard lock(changing_);
        const std::uint64_t before = state_.load(std::memory_order_seq_cst);
        state_.store(pack(epoch_of(before) + 1, to), std::memory_order_seq_cst);
        const counter& drained = counters_[epoch_of(before) & 1U];
        while (drained.active.load(std::memory_order_acquire) != 0) std::this_thread::yield();
        return stage_of(before);
    }

private:
    static constexpr std::uint64_t pack(std::uint64_t epoch, stage s) noexcept {
        return epoch << 8U | static_cast<std::uint64_t>(s);
    }
    static constexpr std::uint64_t epoch_of(std::uint64_t state) noexcept { return state >> 8U; }
    static constexpr stage stage_of(std::uint64_t state) noexcept {
        return static_cast<stage>(state & 0xFFU);
    }

    static inline constinit thread_local const pass* innermost = nullptr;

    std::atomic<std::uint64_t> state_;  // epoch << 8 | stage
    std::array<counter, 2> counters_{};
    std::mutex changing_;
};

}  // namespace dualstore::detail
