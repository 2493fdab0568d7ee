#pragma once
/// \file
/// Names for what a dual store does and to which side: used in results,
/// failure sinks and observer events. Printable with fmt.

#include <fmt/format.h>
#include <dualstore/detail/named_formatter.hpp>

#include <string_view>

namespace dualstore {

/// The key type of a generic operation called without a key.
struct no_key {};

/// What was done to a store.
enum class operation {
    get,    ///< `get(key)`
    put,    ///< `put(key, value)`
    erase,  ///< `erase(key)`
    read,   ///< a generic `read(op)`
    write,  ///< a generic `write(op)`
};

/// Which store of a pair.
enum class side {
    primary,    ///< the authoritative store: its failures reach the caller
    secondary,  ///< the other store: its failures are reported, not thrown
};

/// The lower-case name of an operation ("get", "put", ...).
[[nodiscard]] constexpr std::string_view to_string(operation op) noexcept {
    switch (op) {
        case operation::get:
            return "get";
        case operation::put:
            return "put";
        case operation::erase:
            return "erase";
        case operation::read:
            return "read";
        case operation::write:
            return "write";
    }
    return "unknown";
}

/// The lower-case name of a side ("primary" or "secondary").
[[nodiscard]] constexpr std::string_view to_string(side s) noexcept {
    return s == side::primary ? "primary" : "secondary";
}

/// Whether an operation changes the store.
[[nodiscard]] constexpr bool is_write(operation op) noexcept {
    return op == operation::put || op == operation::erase || op == operation::write;
}

}  // namespace dualstore

template <>
struct fmt::formatter<dualstore::operation>
    : dualstore::detail::named_formatter<dualstore::operation> {};

template <>
struct fmt::formatter<dualstore::side> : dualstore::detail::named_formatter<dualstore::side> {};
