#pragma once
/// \file
/// `key_range`: the keys after one key and up to another, in byte order —
/// the unit a partition, a range scan and a range digest work on.

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace dualstore {

/// The keys greater than `after` and at most `up_to`, in byte order (the
/// order of `std::string`'s comparison, `memcmp`'s, and a database's `bytea`
/// or `BLOB` ordering); an absent bound is open. Half-open on the left so
/// that split keys taken from a store cut it into ranges that cover every
/// key once: (-, k1], (k1, k2], ..., (kn, -].
struct key_range {
    std::optional<std::string> after{};  ///< keys greater than this (none: from the first)
    std::optional<std::string> up_to{};  ///< keys at most this (none: to the last)

    /// Whether the range holds `key`.
    [[nodiscard]] bool contains(std::string_view key) const noexcept {
        if (after && key <= std::string_view(*after)) return false;
        return !up_to || key <= std::string_view(*up_to);
    }

    /// Whether a bound is set (the range is not every key).
    [[nodiscard]] bool bounded() const noexcept { return after || up_to; }

    /// Ranges are equal when their bounds are.
    friend bool operator==(const key_range&, const key_range&) = default;
};

}  // namespace dualstore
