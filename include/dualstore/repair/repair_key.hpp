#pragma once
/// \file
/// `repair_key`: make the secondary's state of one key equal the primary's
/// current state. The one repair step shared by the drain, the reconciler and
/// anything else that fixes drift. It re-reads the primary after its write
/// and repeats when the primary changed meanwhile, so a repair that raced a
/// live write never leaves the older value behind.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/named_formatter.hpp>
#include <dualstore/error.hpp>

#include <fmt/format.h>
#include <chrono>
#include <concepts>
#include <optional>
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

/// A repair that was not done because its direction would undo writes
/// acknowledged on the store that is authoritative now (see
/// `migration::repair`). Retrying cannot help until the stage changes back.
class repair_refused : public precondition_failed {
public:
    using precondition_failed::precondition_failed;
};

/// How often `repair_key` copies a key whose primary keeps changing under it
/// before it gives up (throws `error`; a drain tries the entry again later).
inline constexpr int repair_rounds = 3;

namespace detail {

/// Copies the primary's state of `key` as read now; returns what it did and
/// the value it copied (empty when it erased).
template <kv_store Primary, kv_store Secondary>
std::pair<repair_action, std::optional<mapped_type_t<Primary>>> copy_key_once(
    Primary& primary, Secondary& secondary, const key_type_t<Primary>& key) {
    auto value = primary.get(key);
    if (!value) {
        secondary.erase(key);
        return {repair_action::erased, std::nullopt};
    }
    if constexpr (expiring_store<Primary> && expiring_store<Secondary>) {
        if (auto expires = primary.expiry(key)) {
            using std::chrono::milliseconds;
            auto ttl = std::chrono::ceil<milliseconds>(*expires - expiry_clock::now());
            // An entry that lapsed between the two calls is gone from the primary.
            if (ttl <= milliseconds::zero()) {
                secondary.erase(key);
                return {repair_action::erased, std::nullopt};
            }
            secondary.put(key, *value, ttl);
            return {repair_action::wrote, std::move(value)};
        }
    }
    secondary.put(key, *value);
    return {repair_action::wrote, std::move(value)};
}

}  // namespace detail

/// Copies the primary's current state of `key` to the secondary: its value
/// when present (with its remaining time to live when both stores expire
/// entries), or the key's absence. Then re-reads the primary: when a write
/// landed there meanwhile, the copy may have put an older value over the
/// newer one the live path had just written to the secondary, so the copy
/// is repeated, up to `repair_rounds` times (then `error` is thrown). This
/// makes a repair safe beside writers in other processes, except for the
/// moment between the copy and its correction; within one process, run it
/// under the store's key lock (`dual_store::repair`, `migration::repair`),
/// and the older value never lands at all. Values are compared with `==`
/// (stores whose values are not comparable get no re-read). Exceptions from
/// either store propagate.
template <kv_store Primary, kv_store Secondary>
requires std::convertible_to < const key_type_t<Primary>
&, key_type_t < Secondary >>
       &&std::convertible_to<mapped_type_t<Primary>, mapped_type_t<Secondary>> repair_action
       repair_key(Primary& primary, Secondary& secondary, const key_type_t<Primary>& key) {
    for (int round = 1;; ++round) {
        auto [action, copied] = detail::copy_key_once(primary, secondary, key);
        if constexpr (!std::equality_comparable<mapped_type_t<Primary>>) {
            return action;
        } else {
            if (primary.get(key) == copied) return action;
            if (round == repair_rounds) {
                throw error(fmt::format(
                    "dualstore: repair_key: the primary's value changed during each of {} "
                    "copies; the key is written too often to repair now, try again later",
                    repair_rounds));
            }
        }
    }
}

}  // namespace dualstore

/// Prints `wrote` or `erased`.
template <>
struct fmt::formatter<dualstore::repair_action>
    : dualstore::detail::named_formatter<dualstore::repair_action> {};
