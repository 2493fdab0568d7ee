#pragma once
/// \file
/// `adapters::redis_lease_lock`: a `lease_lock` in Redis, acquired with
/// `SET NX PX`, renewed and released by Lua scripts only while it holds the
/// token.

#include <dualstore/adapters/redis/store.hpp>
#include <dualstore/detail/lease_token.hpp>
#include <dualstore/lease_lock.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dualstore::adapters {

/// A `lease_lock` in Redis: `SET name token NX PX duration` acquires; a Lua
/// script deletes the key (or, to renew, sets its `PEXPIRE`) only when it
/// still holds the token, so a release or a renewal never touches someone
/// else's lease (atomic, unlike the generic kv lock). A lapsed lease is gone
/// from Redis: it cannot be renewed.
class redis_lease_lock {
public:
    /// Leases in `store`'s database, under `prefix`.
    explicit redis_lease_lock(redis_store& store, std::string prefix = "dualstore:lease:")
        : connection_(store.connection()), prefix_(std::move(prefix)) {}

    /// Grants `name` for `duration` unless it is held.
    std::optional<lease> try_acquire(std::string_view name, std::chrono::milliseconds duration) {
        lease granted{std::string(name), detail::new_lease_token(),
                      std::chrono::system_clock::now() + duration};
        const auto key = prefix_ + granted.name;
        const auto ms = std::to_string(std::max<std::int64_t>(1, duration.count()));
        const auto r =
            connection_.command({"SET", key, granted.token, "NX", "PX", ms}, "lease acquire");
        if (r->type == REDIS_REPLY_NIL) return std::nullopt;
        return granted;
    }

    /// Extends `held` to lapse `duration` from now if its token still owns
    /// the lease.
    std::optional<lease> renew(const lease& held, std::chrono::milliseconds duration) {
        static constexpr std::string_view script =
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], "
            "ARGV[2]) else return 0 end";
        const auto expires = std::chrono::system_clock::now() + duration;
        const auto key = prefix_ + held.name;
        const auto ms = std::to_string(std::max<std::int64_t>(1, duration.count()));
        if (connection_.command({"EVAL", script, "1", key, held.token, ms}, "lease renew")
                ->integer != 1) {
            return std::nullopt;
        }
        return lease{held.name, held.token, expires};
    }

    /// Releases `held` if its token still owns the lease.
    bool release(const lease& held) {
        static constexpr std::string_view script =
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else "
            "return 0 end";
        const auto key = prefix_ + held.name;
        return connection_.command({"EVAL", script, "1", key, held.token}, "lease release")
                   ->integer == 1;
    }

private:
    redis_connection& connection_;
    std::string prefix_;
};

}  // namespace dualstore::adapters
