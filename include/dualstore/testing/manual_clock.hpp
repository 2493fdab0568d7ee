#pragma once
/// \file
/// A clock that only moves when slept on: retries under test never really
/// wait, and the pauses they asked for can be checked.

#include <dualstore/timer.hpp>

#include <chrono>
#include <mutex>
#include <vector>

namespace dualstore::testing {

/// A manual clock for `timer`. `sleep(d)` advances the time by `d` at once
/// and records `d`. Its calendar time starts at the real one when the clock
/// is made and moves with the manual time. Thread-safe.
class manual_clock {
public:
    /// The current time.
    [[nodiscard]] std::chrono::steady_clock::time_point now() const {
        std::lock_guard lock(mutex_);
        return now_;
    }

    /// The calendar time: the real time when the clock was made, plus every
    /// advance since.
    [[nodiscard]] std::chrono::system_clock::time_point wall() const {
        return wall_start_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                 now() - std::chrono::steady_clock::time_point{});
    }

    /// Moves the time forward by `d` without recording a sleep.
    void advance(std::chrono::nanoseconds d) {
        std::lock_guard lock(mutex_);
        now_ += d;
    }

    /// Records `d` and moves the time forward by it.
    void sleep(std::chrono::nanoseconds d) {
        std::lock_guard lock(mutex_);
        sleeps_.push_back(d);
        now_ += d;
    }

    /// Every pause asked for, in order.
    [[nodiscard]] std::vector<std::chrono::nanoseconds> sleeps() const {
        std::lock_guard lock(mutex_);
        return sleeps_;
    }

    /// A `timer` reading and sleeping on this clock, which must outlive it.
    [[nodiscard]] dualstore::timer timer() {
        return {[this] { return now(); }, [this](std::chrono::nanoseconds d) { sleep(d); },
                [this] { return wall(); }};
    }

private:
    mutable std::mutex mutex_;
    std::chrono::steady_clock::time_point now_{};
    std::chrono::system_clock::time_point wall_start_ = std::chrono::system_clock::now();
    std::vector<std::chrono::nanoseconds> sleeps_;
};

}  // namespace dualstore::testing
