#pragma once
/// \file
/// `timer`: the one clock every part of dualstore reads and sleeps on
/// (retry policies, backfill, drain, the reconciliation harness, the rate
/// limiter), so a test drives them all with one manual clock
/// (`testing::manual_clock::timer()`).

#include <chrono>
#include <functional>
#include <thread>

namespace dualstore {

/// The time an algorithm reads and the sleep it waits with. Empty members
/// mean the real ones: `steady_clock::now`, `this_thread::sleep_for` and
/// `system_clock::now`. Durations, pauses and rates are measured on `now`;
/// times stored beside data (a record's expiry, a queue entry's due time)
/// are read from `wall`.
struct timer {
    /// The current time, for durations, pauses and rates.
    std::function<std::chrono::steady_clock::time_point()> now{};
    /// Waits for the given duration.
    std::function<void(std::chrono::nanoseconds)> sleep{};
    /// The current calendar time, for times stored beside data.
    std::function<std::chrono::system_clock::time_point()> wall{};

    /// The current time of this timer.
    [[nodiscard]] std::chrono::steady_clock::time_point read_clock() const {
        return now ? now() : std::chrono::steady_clock::now();
    }
    /// The current calendar time of this timer.
    [[nodiscard]] std::chrono::system_clock::time_point read_wall() const {
        return wall ? wall() : std::chrono::system_clock::now();
    }
    /// Sleeps on this timer.
    void wait(std::chrono::nanoseconds d) const {
        if (sleep) {
            sleep(d);
        } else {
            std::this_thread::sleep_for(d);
        }
    }
};

}  // namespace dualstore
