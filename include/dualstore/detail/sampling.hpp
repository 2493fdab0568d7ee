#pragma once
/// \file
/// Bernoulli sampling for shadow reads.

#include <random>

namespace dualstore::detail {

/// True with probability `rate` (clamped to [0, 1]); 0 and 1 use no generator.
inline bool sampled(double rate) noexcept {
    if (rate >= 1.0) return true;
    if (!(rate > 0.0)) return false;
    thread_local std::minstd_rand engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine) < rate;
}

}  // namespace dualstore::detail
