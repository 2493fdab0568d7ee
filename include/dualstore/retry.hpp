#pragma once
/// \file
/// Retry policies: `retry::none` (default), `retry::fixed`,
/// `retry::exponential`. `attempts` counts every call, the first included.
/// Every exception is retried unless `retry_if` says otherwise. Time is read
/// and slept through a `retry::timer`, so tests can use a manual clock.

#include <dualstore/policy.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <exception>
#include <functional>
#include <random>
#include <thread>

namespace dualstore::retry {

/// The clock retries read and the sleep they wait with. Empty members mean
/// `std::chrono::steady_clock::now` and `std::this_thread::sleep_for`.
struct timer {
    /// Current time.
    std::function<std::chrono::steady_clock::time_point()> now{};
    /// Waits for the given duration.
    std::function<void(std::chrono::nanoseconds)> sleep{};

    /// The current time of this timer.
    [[nodiscard]] std::chrono::steady_clock::time_point read_clock() const {
        return now ? now() : std::chrono::steady_clock::now();
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

/// Decides whether an exception is worth retrying. Called only for
/// exceptions derived from `std::exception`; others are retried when no
/// predicate is set and not retried when one is.
using predicate = std::function<bool(const std::exception&)>;

/// No retry: each side's operation is called once. Adds nothing to the hot path.
struct none {
    using category = retry_tag;
};

/// Retry after a fixed delay.
struct fixed {
    using category = retry_tag;
    /// Total calls allowed, the first included (at least 1).
    unsigned attempts = 3;
    /// Pause between two calls.
    std::chrono::nanoseconds delay = std::chrono::milliseconds{10};
    /// No retry starts once this much time has passed since the first call
    /// (zero: no limit).
    std::chrono::nanoseconds max_elapsed = std::chrono::nanoseconds::zero();
    /// Retry only when this returns true (empty: retry every exception).
    predicate retry_if{};
    /// Clock and sleep.
    timer clock{};

    /// The pause after the `failed`-th failed call (1-based).
    [[nodiscard]] std::chrono::nanoseconds delay_after(unsigned /*failed*/) const { return delay; }
};

/// Exponential backoff with full jitter: the pause after the n-th failure is
/// uniform in [0, min(cap, base * 2^(n-1))] (exactly that bound when `jitter`
/// is false).
struct exponential {
    using category = retry_tag;
    /// Total calls allowed, the first included (at least 1).
    unsigned attempts = 3;
    /// Pause bound after the first failure.
    std::chrono::nanoseconds base = std::chrono::milliseconds{10};
    /// Largest pause bound.
    std::chrono::nanoseconds cap = std::chrono::seconds{1};
    /// Full jitter (AWS style); false gives the deterministic bound.
    bool jitter = true;
    /// No retry starts once this much time has passed since the first call
    /// (zero: no limit).
    std::chrono::nanoseconds max_elapsed = std::chrono::nanoseconds::zero();
    /// Retry only when this returns true (empty: retry every exception).
    predicate retry_if{};
    /// Clock and sleep.
    timer clock{};

    /// The pause after the `failed`-th failed call (1-based).
    [[nodiscard]] std::chrono::nanoseconds delay_after(unsigned failed) const {
        const unsigned shift = std::min(failed - 1, 62U);
        const auto bound_count =
            base.count() > (cap.count() >> shift) ? cap.count() : (base.count() << shift);
        const auto bound = std::chrono::nanoseconds{std::min(bound_count, cap.count())};
        if (!jitter || bound.count() <= 0) return bound;
        thread_local std::minstd_rand engine{std::random_device{}()};
        std::uniform_int_distribution<std::int64_t> pick(0, bound.count());
        return std::chrono::nanoseconds{pick(engine)};
    }
};

}  // namespace dualstore::retry

namespace dualstore {

/// A policy of the retry category with what the retry loop reads:
/// `retry::none`, or a type with `attempts`, `delay_after(failed)`,
/// `max_elapsed`, `retry_if` and `clock`, as `retry::fixed` has.
template <class P>
concept retry_strategy = std::same_as<P, retry::none> || requires(const P& policy, unsigned n) {
    { policy.attempts } -> std::convertible_to<unsigned>;
    { policy.delay_after(n) } -> std::same_as<std::chrono::nanoseconds>;
    { policy.max_elapsed } -> std::convertible_to<std::chrono::nanoseconds>;
    {static_cast<bool>(policy.retry_if)};
    { policy.clock.read_clock() } -> std::same_as<std::chrono::steady_clock::time_point>;
    policy.clock.wait(std::chrono::nanoseconds{});
};

}  // namespace dualstore
