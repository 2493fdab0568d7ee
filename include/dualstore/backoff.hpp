#pragma once
/// \file
/// `backoff`: the pause after the n-th failure, one value shared by the
/// retry policy `retry::exponential` and `drain_options`.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace dualstore {

/// Exponential backoff with optional full jitter: the pause after the n-th
/// failure is uniform in [0, min(cap, base * 2^(n-1))], or exactly that
/// bound when `jitter` is false.
struct backoff {
    /// Pause bound after the first failure.
    std::chrono::nanoseconds base = std::chrono::milliseconds{10};
    /// Largest pause bound.
    std::chrono::nanoseconds cap = std::chrono::seconds{1};
    /// Full jitter (AWS style); false gives the deterministic bound.
    bool jitter = true;

    /// The pause after the `failed`-th failure (1-based).
    [[nodiscard]] std::chrono::nanoseconds delay_after(unsigned failed) const {
        const unsigned shift = std::min(std::max(failed, 1U) - 1, 62U);
        const auto bound_count =
            base.count() > (cap.count() >> shift) ? cap.count() : (base.count() << shift);
        const auto bound = std::chrono::nanoseconds{std::min(bound_count, cap.count())};
        if (!jitter || bound.count() <= 0) return bound;
        thread_local std::minstd_rand engine{std::random_device{}()};
        std::uniform_int_distribution<std::int64_t> pick(0, bound.count());
        return std::chrono::nanoseconds{pick(engine)};
    }
};

}  // namespace dualstore
