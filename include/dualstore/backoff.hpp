#pragma once
/// \file
/// `backoff`: the pause after the n-th failure, one value shared by the
/// retry policy `retry::exponential` and `drain_options`.

#include <dualstore/detail/random_bits.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>

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
        // Uniform in [0, bound]; the modulo's bias is below 2^-33 for a bound under 2^30 ns.
        const auto span = static_cast<std::uint64_t>(bound.count()) + 1;
        return std::chrono::nanoseconds{static_cast<std::int64_t>(detail::random_bits() % span)};
    }
};

}  // namespace dualstore
