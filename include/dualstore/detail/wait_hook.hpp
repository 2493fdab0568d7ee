#pragma once
/// \file
/// Where the library's blocking waits (a contended key lock, a stage change
/// waiting for operations in flight, `write::parallel` joining its secondary)
/// hand control to a controlled scheduler such as `testing::explorer`, which
/// runs one thread at a time and would deadlock on a real block. Without a
/// scheduler (always, outside tests) a wait blocks or yields as usual, and
/// the check costs one thread-local load on the slow path only.

#include <thread>

namespace dualstore::detail {

/// A controlled scheduler's hook for the calling thread.
struct wait_hook {
    /// Passed back to `wait`.
    void* context = nullptr;
    /// Returns once other threads may have made progress.
    void (*wait)(void* context) = nullptr;
};

/// The hook of the calling thread; null unless a controlled scheduler runs it.
inline constinit thread_local const wait_hook* current_wait_hook = nullptr;

/// Whether a controlled scheduler runs the calling thread.
[[nodiscard]] inline bool under_controlled_scheduler() noexcept {
    return current_wait_hook != nullptr;
}

/// Lets other threads make progress: hands control to the controlled
/// scheduler when there is one, else yields the processor.
inline void wait_for_progress() {
    if (const wait_hook* hook = current_wait_hook) {
        hook->wait(hook->context);
    } else {
        std::this_thread::yield();
    }
}

/// Locks `mutex`: blocks as usual, or under a controlled scheduler waits
/// through `wait_for_progress` until the lock is free.
template <class Mutex>
void lock_cooperatively(Mutex& mutex) {
    if (mutex.try_lock()) return;
    if (!under_controlled_scheduler()) {
        mutex.lock();
        return;
    }
    do {
        wait_for_progress();
    } while (!mutex.try_lock());
}

}  // namespace dualstore::detail
