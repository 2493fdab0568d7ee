#pragma once
/// \file
/// Lease tokens: 128 random bits in hex, unique per grant.

#include <fmt/format.h>

#include <random>
#include <string>

namespace dualstore::detail {

/// A new random 128-bit token in hex.
inline std::string new_lease_token() {
    thread_local std::mt19937_64 random{std::random_device{}()};
    return fmt::format("{:016x}{:016x}", random(), random());
}

}  // namespace dualstore::detail
