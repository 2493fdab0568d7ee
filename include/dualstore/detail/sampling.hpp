#pragma once
/// \file
/// Bernoulli sampling for shadow reads.

#include <dualstore/detail/random_bits.hpp>

namespace dualstore::detail {

/// True with probability `rate` (clamped to [0, 1]); 0 and 1 use no generator.
inline bool sampled(double rate) noexcept {
    if (rate >= 1.0) return true;
    if (!(rate > 0.0)) return false;
    return random_fraction() < rate;
}

}  // namespace dualstore::detail
