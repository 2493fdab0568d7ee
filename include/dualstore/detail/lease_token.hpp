#pragma once
/// \file
/// Lease tokens: 128 random bits in hex, unique per grant, also between
/// processes forked from one that had drawn tokens.

#include <dualstore/detail/random_bits.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace dualstore::detail {

/// A new random 128-bit token in hex: two draws of the thread's generator,
/// the second mixed with the process id and the time of the call, because a
/// forked process starts with a copy of its parent's generator. (A template
/// so that only a file that takes leases compiles it.)
template <class = void>
std::string new_lease_token() {
    std::uint64_t mixed =
        random_bits() ^ (static_cast<std::uint64_t>(::getpid()) << 32U) ^
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return fmt::format("{:016x}{:016x}", random_bits(), splitmix64(mixed));
}

}  // namespace dualstore::detail
