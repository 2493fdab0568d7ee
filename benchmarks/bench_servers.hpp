#pragma once
/// \file
/// What the benchmarks against live servers share: the environment
/// scripts/test.sh sets (server addresses, DUALSTORE_BENCH_RECORDS) and
/// names no other run uses.

#include <fmt/format.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace bench_servers {

/// The environment variable `name`, when set.
inline std::optional<std::string> env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
}

/// DUALSTORE_BENCH_RECORDS, or 20 000.
inline std::size_t records() {
    const auto n = env("DUALSTORE_BENCH_RECORDS");
    return n ? static_cast<std::size_t>(std::stoull(*n)) : 20000;
}

/// A name (table, key prefix) no other run uses.
inline std::string fresh(std::string_view what) {
    static int n = 0;
    return fmt::format("bench_{}_{}_{}", what, ::getpid(), n++);
}

}  // namespace bench_servers
