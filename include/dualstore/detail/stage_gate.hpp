#pragma once
/// \file
/// `stage_gate`: the current stage of a migration, and the operations in
/// flight under it. A stage change is a barrier: operations that begin while
/// it is under way wait until every operation begun under the previous stage
/// has finished, so no operation of the old stage overlaps one of the new
/// (which would let a write that reaches one store under `off` land after a
/// write that reaches both under `dual_write`, leaving the stores apart).
/// Entering costs one locked instruction (the store that registers the
/// operation in the thread's own record, `thread_record`) and two atomic
/// loads; leaving, a plain store; an operation nested in one of the same
/// gate on the same thread, neither. A stage change is rare: it reads every
/// thread's record, and operations wait only while it drains.

#include <dualstore/detail/thread_record.hpp>
#include <dualstore/detail/wait_hook.hpp>
#include <dualstore/error.hpp>
#include <dualstore/stage.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>

namespace dualstore::detail {

class stage_gate {
    struct alignas(64) counter {  // one cache line each: entering does not false-share
        std::atomic<std::uint64_t> active{0};
    };
    using slot_type = std::atomic<std::uintptr_t>;

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
            if (slot_ != nullptr) {
                slot_->store(0, std::memory_order_release);
            } else if (counter_ != nullptr) {
                counter_->active.fetch_sub(1, std::memory_order_release);
            }
        }

        /// The stage the operation runs under.
        [[nodiscard]] dualstore::stage stage() const noexcept { return stage_; }

    private:
        friend stage_gate;
        /// Registered in `slot` or `c` (the other null), or in neither when
        /// nested in an operation of the same gate on this thread.
        pass(const stage_gate& gate, dualstore::stage s, slot_type* slot, counter* c) noexcept
            : gate_(gate), slot_(slot), counter_(c), stage_(s), outer_(innermost) {
            innermost = this;
        }

        const stage_gate& gate_;
        slot_type* slot_;
        counter* counter_;
        dualstore::stage stage_;
        const pass* outer_;  // the pass this thread held before this one
    };

    /// Registers an operation under the current stage; while a change drains
    /// the operations of the previous stage, waits for it to finish. An
    /// operation nested in one of this gate on the same thread (which the
    /// change waits for already) neither registers nor waits: it runs under
    /// the current stage.
    [[nodiscard]] pass enter() noexcept {
        // The common case, inline: the thread is in no operation of any gate,
        // so the first slot of its record is free.
        if (thread_record* record = thread_record::known(); record != nullptr && !innermost) {
            slot_type& slot = record->slots.front();
            const std::uint64_t seen = state_.load(std::memory_order_seq_cst);
            if (!draining(seen)) {
                slot.store(word(epoch_of(seen)), std::memory_order_seq_cst);
                if (state_.load(std::memory_order_seq_cst) == seen)
                    return pass(*this, stage_of(seen), &slot, nullptr);
                slot.store(0, std::memory_order_release);
            }
        }
        return enter_slowly();
    }

    /// The current stage.
    [[nodiscard]] stage current() const noexcept {
        return stage_of(state_.load(std::memory_order_acquire));
    }

    /// Makes `to` the current stage and returns the previous one once every
    /// operation begun under it has finished. Changes are serialised. Throws
    /// `error` when called from inside an operation of this gate (it would
    /// wait for itself) and `invalid_stage` for a value that names no stage.
    /// (A template so that only a file that changes stages compiles it.)
    template <class = void>
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
        while (drained.active.load(std::memory_order_acquire) != 0 ||
               registered(word(epoch_of(before)))) {
            wait_for_progress();
        }
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

    /// `enter` when the fast path does not apply: nested in an operation
    /// (of this gate: no registration; of another: the next free slot), no
    /// record yet, or a change under way.
    [[gnu::noinline]] pass enter_slowly() noexcept {
        if (inside()) return pass(*this, current(), nullptr, nullptr);
        slot_type* slot = free_slot();
        for (;;) {
            const std::uint64_t seen = state_.load(std::memory_order_seq_cst);
            if (draining(seen)) {
                wait_for_progress();
                continue;
            }
            // Registered, then still the same epoch: a change that follows
            // will see the registration and wait for us (both sides store,
            // then load, sequentially consistent).
            if (slot != nullptr) {
                slot->store(word(epoch_of(seen)), std::memory_order_seq_cst);
                if (state_.load(std::memory_order_seq_cst) == seen)
                    return pass(*this, stage_of(seen), slot, nullptr);
                slot->store(0, std::memory_order_release);
            } else {
                counter& c = counters_[epoch_of(seen) & 1U];
                c.active.fetch_add(1, std::memory_order_seq_cst);
                if (state_.load(std::memory_order_seq_cst) == seen)
                    return pass(*this, stage_of(seen), nullptr, &c);
                c.active.fetch_sub(1, std::memory_order_release);
            }
        }
    }

    /// What a thread's slot holds while an operation of this gate runs under
    /// `epoch`: the gate's address and the epoch's parity (only the draining
    /// epoch and the current one can have operations in flight).
    [[nodiscard]] std::uintptr_t word(std::uint64_t epoch) const noexcept {
        return reinterpret_cast<std::uintptr_t>(this) | (epoch & 1U);
    }

    /// A free slot of the calling thread's record; null when it has none
    /// (too many gates nested, or no memory for a record): the shared counter
    /// then registers the operation.
    static slot_type* free_slot() noexcept {
        thread_record* record = thread_record::mine();
        if (record == nullptr) return nullptr;
        for (auto& slot : record->slots) {
            if (slot.load(std::memory_order_relaxed) == 0) return &slot;  // only we write it
        }
        return nullptr;
    }

    /// Whether some thread has an operation registered as `w`.
    static bool registered(std::uintptr_t w) noexcept {
        for (const thread_record* r = thread_record::head().load(std::memory_order_acquire);
             r != nullptr; r = r->next) {
            for (const auto& slot : r->slots) {
                if (slot.load(std::memory_order_seq_cst) == w) return true;
            }
        }
        return false;
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
