#pragma once
/// \file
/// Names for a backend's members: which member of a store was called (what
/// the store wrappers and the test doubles observe). Printable with fmt.

#include <fmt/format.h>
#include <dualstore/detail/named_formatter.hpp>

#include <string_view>

namespace dualstore {

/// Which backend member a call used; one value per capability member.
enum class call_kind {
    get,                 ///< `get(key)`
    put,                 ///< `put(key, value)`
    put_ttl,             ///< `put(key, value, ttl)`
    erase,               ///< `erase(key)`
    scan,                ///< `scan(cursor, limit)`
    expiry,              ///< `expiry(key)`
    put_if_absent,       ///< `put_if_absent(key, value)`
    put_if_absent_ttl,   ///< `put_if_absent(key, value, ttl)`
    get_many,            ///< `get_many(keys)`
    put_many,            ///< `put_many(items)`
    put_many_if_absent,  ///< `put_many_if_absent(items)`
    change_stamp,        ///< `change_stamp()`
};

/// The name of a call kind, spelled as the member it stands for ("get",
/// "put_ttl", ...).
[[nodiscard]] constexpr std::string_view to_string(call_kind kind) noexcept {
    switch (kind) {
        case call_kind::get:
            return "get";
        case call_kind::put:
            return "put";
        case call_kind::put_ttl:
            return "put_ttl";
        case call_kind::erase:
            return "erase";
        case call_kind::scan:
            return "scan";
        case call_kind::expiry:
            return "expiry";
        case call_kind::put_if_absent:
            return "put_if_absent";
        case call_kind::put_if_absent_ttl:
            return "put_if_absent_ttl";
        case call_kind::get_many:
            return "get_many";
        case call_kind::put_many:
            return "put_many";
        case call_kind::put_many_if_absent:
            return "put_many_if_absent";
        case call_kind::change_stamp:
            return "change_stamp";
    }
    return "unknown";
}

/// Whether a call of this kind changes the store (put, put_ttl, erase,
/// put_if_absent, put_if_absent_ttl, put_many, put_many_if_absent); the
/// others only read.
[[nodiscard]] constexpr bool is_write(call_kind kind) noexcept {
    switch (kind) {
        case call_kind::put:
        case call_kind::put_ttl:
        case call_kind::erase:
        case call_kind::put_if_absent:
        case call_kind::put_if_absent_ttl:
        case call_kind::put_many:
        case call_kind::put_many_if_absent:
            return true;
        case call_kind::get:
        case call_kind::scan:
        case call_kind::expiry:
        case call_kind::get_many:
        case call_kind::change_stamp:
            return false;
    }
    return false;
}

}  // namespace dualstore

/// Formats a `call_kind` as its name.
template <>
struct fmt::formatter<dualstore::call_kind>
    : dualstore::detail::named_formatter<dualstore::call_kind> {};
