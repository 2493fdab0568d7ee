#pragma once
/// \file
/// Runs a callable on an executor while the caller does other work. `join()`
/// waits for it, or runs it on the calling thread when no worker has picked it
/// up yet, so a saturated pool never deadlocks or adds queueing delay.

#include <dualstore/detail/wait_hook.hpp>
#include <dualstore/thread_pool.hpp>

#include <atomic>
#include <memory>

namespace dualstore::detail {

class offloaded_call {
public:
    /// Submits `fn` (which must not throw and must outlive this object).
    template <class Fn>
    offloaded_call(const executor_ref& executor, Fn& fn)
        : state_(std::make_shared<shared_state>(&fn, [](void* f) { (*static_cast<Fn*>(f))(); })) {
        try {
            executor.execute([state = state_] { state->run_if_pending(); });
        } catch (...) {
            // The executor refused the task: join() runs it here.
        }
    }

    offloaded_call(const offloaded_call&) = delete;
    offloaded_call& operator=(const offloaded_call&) = delete;

    /// Waits until the callable has run, running it here if nobody started it.
    ~offloaded_call() { join(); }

    /// \copydoc ~offloaded_call
    void join() noexcept {
        if (joined_) return;
        joined_ = true;
        if (!state_->run_if_pending()) state_->wait_done();
    }

private:
    struct shared_state {
        enum phase_t : int { pending, running, done };

        shared_state(void* callable, void (*invoker)(void*)) noexcept
            : fn(callable), invoke(invoker) {}

        /// Runs the callable if no other thread has claimed it; true if it ran here.
        bool run_if_pending() noexcept {
            int expected = pending;
            if (!phase.compare_exchange_strong(expected, running, std::memory_order_acq_rel)) {
                return false;
            }
            invoke(fn);
            phase.store(done, std::memory_order_release);
            phase.notify_all();
            return true;
        }

        void wait_done() noexcept {
            for (int p = phase.load(std::memory_order_acquire); p != done;
                 p = phase.load(std::memory_order_acquire)) {
                if (under_controlled_scheduler()) {
                    wait_for_progress();
                } else {
                    phase.wait(p, std::memory_order_acquire);
                }
            }
        }

        std::atomic<int> phase{pending};
        void* fn;
        void (*invoke)(void*);
    };

    std::shared_ptr<shared_state> state_;
    bool joined_ = false;
};

}  // namespace dualstore::detail
