#pragma once
/// \file
/// `repair_key`: make the secondary's state of one key equal the primary's
/// current state. The one repair step shared by the drain, the reconciler and
/// anything else that fixes drift: it re-reads the primary, so applying it
/// twice, or after a newer live write, never writes an older value.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/named_formatter.hpp>

#include <fmt/format.h>
#include <chrono>
#include <string_view>

namespace dualstore {

/// What `repair_key` did to the secondary.
enum class repair_action {
    wrote,   ///< the primary has the key: its value was written to the secondary
    erased,  ///< the primary lacks the key: it was erased from the secondary
};

/// The name of `a` ("wrote" or "erased").
[[nodiscard]] constexpr std::string_view to_string(repair_action a) noexcept {
    return a == repair_action::wrote ? "wrote" : "erased";
}

/// Copies the primary's current state of `key` to the secondary: its value
/// when present (with its remaining time to live when both stores expire
/// entries), or the key's absence. Exceptions from either store propagate.
template <kv_store Primary, kv_store Secondary>
requires std::convertible_to < const key_type_t<Primary>
&, key_type_t < Secondary >>
       &&std::convertible_to<mapped_type_t<Primary>, mapped_type_t<Secondary>> repair_action
       repair_key(Primary& primary, Secondary& secondary, const key_type_t<Primary>& key) {
    auto value = primary.get(key);
    if (!value) {
        secondary.erase(key);
        return repair_action::erased;
    }
    if constexpr (expiring_store<Primary> && expiring_store<Secondary>) {
        if (auto expires = primary.expiry(key)) {
            using std::chrono::milliseconds;
            auto ttl = std::chrono::ceil<milliseconds>(*expires - expiry_clock::now());
            // An entry that lapsed between the two calls is gone from the primary.
            if (ttl <= milliseconds::zero()) {
                secondary.erase(key);
                return repair_action::erased;
            }
            secondary.put(key, *value, ttl);
            return repair_action::wrote;
        }
    }
    secondary.put(key, *value);
    return repair_action::wrote;
}

}  // namespace dualstore

/// Prints `wrote` or `erased`.
template <>
struct fmt::formatter<dualstore::repair_action>
    : dualstore::detail::named_formatter<dualstore::repair_action> {};
