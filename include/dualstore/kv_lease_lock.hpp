#pragma once
/// \file
/// `kv_lease_lock<Store>`: leases kept in any `conditional_store` of strings
/// (so a store shared by every instance makes the lease shared too).

#include <dualstore/concepts.hpp>
#include <dualstore/detail/lease_token.hpp>
#include <dualstore/lease_lock.hpp>

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dualstore {

/// A `lease_lock` over `Store`: the lease of `name` is the key
/// `<prefix><name>` holding "<token>|<expiry ns>", created with
/// `put_if_absent`, so of several instances racing for a free lease exactly
/// one wins. A lapsed lease is taken over through a marker key
/// `<prefix><name>#taken#<old token>`, also created with `put_if_absent`, so
/// exactly one instance takes over each lapsed grant. When `Store` is an
/// `expiring_store` the keys also get the lease's duration as their TTL.
///
/// Guarantee and limit: `release` and `renew` read the lease and erase or
/// rewrite it if the token matches; with only get/put/erase/put_if_absent
/// this cannot be one atomic step, so a holder that releases or renews after
/// its lease lapsed and was taken over in between could erase or overwrite
/// the new holder's lease. Release and renew well before the lease lapses. Without a TTL the
/// takeover markers stay in the store (one small key per takeover).
template <conditional_store Store>
class kv_lease_lock {
public:
    /// The clock leases lapse on; empty means `system_clock::now`.
    using clock_fn = std::function<std::chrono::system_clock::time_point()>;

    /// Leases in `store` (held by reference) under `prefix`.
    explicit kv_lease_lock(Store& store,
                           std::string prefix = "dualstore:lease:", clock_fn clock = {})
        : store_(store), prefix_(std::move(prefix)), clock_(std::move(clock)) {}

    /// Grants `name` for `duration` unless another holder's lease is live.
    std::optional<lease> try_acquire(std::string_view name, std::chrono::milliseconds duration) {
        const auto now = clock_ ? clock_() : std::chrono::system_clock::now();
        lease granted{std::string(name), detail::new_lease_token(), now + duration};
        const auto key = prefix_ + granted.name;
        const auto value = encode(granted);
        if (store_.put_if_absent(key, value)) return with_ttl(key, value, duration, granted);
        const auto held = store_.get(key);
        if (!held) {  // released meanwhile
            if (store_.put_if_absent(key, value)) return with_ttl(key, value, duration, granted);
            return std::nullopt;
        }
        const auto [old_token, expires] = decode(*held);
        if (expires > now) return std::nullopt;
        const auto marker = fmt::format("{}#taken#{}", key, old_token);
        if (!store_.put_if_absent(marker, granted.token)) return std::nullopt;
        with_ttl(marker, granted.token, duration, granted);
        store_.put(key, value);
        return with_ttl(key, value, duration, granted);
    }

    /// Extends `held` to lapse `duration` from now if its token still owns
    /// the lease (see the limit above).
    std::optional<lease> renew(const lease& held, std::chrono::milliseconds duration) {
        const auto key = prefix_ + held.name;
        const auto current = store_.get(key);
        if (!current || decode(*current).first != held.token) return std::nullopt;
        const auto now = clock_ ? clock_() : std::chrono::system_clock::now();
        lease renewed{held.name, held.token, now + duration};
        const auto value = encode(renewed);
        store_.put(key, value);
        return with_ttl(key, value, duration, renewed);
    }

    /// Releases `held` if its token still owns the lease (see the limit above).
    bool release(const lease& held) {
        const auto key = prefix_ + held.name;
        const auto current = store_.get(key);
        if (!current || decode(*current).first != held.token) return false;
        store_.erase(key);
        return true;
    }

private:
    static std::string encode(const lease& l) {
        const auto ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(l.expires_at.time_since_epoch());
        return fmt::format("{}|{}", l.token, ns.count());
    }

    /// The token and expiry of a stored lease; an unreadable one counts as lapsed.
    static std::pair<std::string, std::chrono::system_clock::time_point> decode(
        std::string_view v) {
        const auto bar = v.find('|');
        std::int64_t ns = 0;
        if (bar != std::string_view::npos) {
            std::from_chars(v.data() + bar + 1, v.data() + v.size(), ns);
        }
        return {std::string(v.substr(0, bar)),
                std::chrono::system_clock::time_point(
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(
                        std::chrono::nanoseconds(ns)))};
    }

    lease with_ttl(const std::string& key, const std::string& value,
                   std::chrono::milliseconds duration, const lease& granted) {
        if constexpr (expiring_store<Store>) store_.put(key, value, duration);
        return granted;
    }

    Store& store_;
    std::string prefix_;
    clock_fn clock_;
};

}  // namespace dualstore
