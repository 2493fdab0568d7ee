#pragma once
/// \file
/// Retry policies: `retry::none` (default), `retry::fixed`,
/// `retry::exponential`. `attempts` counts every call, the first included.
/// Every exception is retried unless `retry_if` says otherwise. Time is read
/// and slept through a `timer`, so tests can use a manual clock.

#include <dualstore/backoff.hpp>
#include <dualstore/policy.hpp>
#include <dualstore/timer.hpp>

#include <chrono>
#include <concepts>
#include <exception>
#include <functional>

namespace dualstore::retry {

/// The clock retries read and the sleep they wait with: the library's one
/// `dualstore::timer`, under the name retry policies have always used.
using timer = dualstore::timer;

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

/// Retry after an exponential `backoff` (full jitter by default): the pause
/// after the n-th failure is uniform in [0, min(cap, base * 2^(n-1))].
struct exponential {
    using category = retry_tag;
    /// Total calls allowed, the first included (at least 1).
    unsigned attempts = 3;
    /// The pauses: `.backoff = {.base = 10ms, .cap = 1s, .jitter = true}`.
    dualstore::backoff backoff{};
    /// No retry starts once this much time has passed since the first call
    /// (zero: no limit).
    std::chrono::nanoseconds max_elapsed = std::chrono::nanoseconds::zero();
    /// Retry only when this returns true (empty: retry every exception).
    predicate retry_if{};
    /// Clock and sleep.
    timer clock{};

    /// The pause after the `failed`-th failed call (1-based).
    [[nodiscard]] std::chrono::nanoseconds delay_after(unsigned failed) const {
        return backoff.delay_after(failed);
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
