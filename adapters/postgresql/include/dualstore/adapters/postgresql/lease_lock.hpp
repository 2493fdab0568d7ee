#pragma once
/// \file
/// `adapters::postgresql_lease_lock`: a `lease_lock` in a PostgreSQL table,
/// one atomic statement each to acquire, renew and release.

#include <dualstore/adapters/postgresql/connection.hpp>
#include <dualstore/detail/lease_token.hpp>
#include <dualstore/lease_lock.hpp>

#include <libpq-fe.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dualstore::adapters {

/// A `lease_lock` in a PostgreSQL table `(name bytea primary key, token
/// bytea, expires_at int8)`: acquiring is one `INSERT ... ON CONFLICT DO
/// UPDATE ... WHERE expires_at <= now` (atomic: one winner per free or lapsed
/// lease), renewing one `UPDATE ... WHERE name = $1 AND token = $2` and
/// releasing one `DELETE ... WHERE name = $1 AND token = $2` (atomic
/// compare-and-set, compare-and-delete). Thread-safe.
class postgresql_lease_lock {
public:
    /// Connects with `dsn`; leases live in `table`.
    explicit postgresql_lease_lock(const std::string& dsn, std::string table = "dualstore_leases")
        : connection_(dsn) {
        const auto t = postgresql_connection::quoted(table);
        connection_.create(
            fmt::format(
                "CREATE TABLE IF NOT EXISTS {} (name bytea PRIMARY KEY, token bytea NOT NULL, "
                "expires_at int8 NOT NULL)",
                t),
            "create lease table");
        connection_.prepare(
            "lease:acquire",
            fmt::format("INSERT INTO {} AS l (name, token, expires_at) VALUES ($1, $2, $3) ON "
                        "CONFLICT (name) DO UPDATE SET token = EXCLUDED.token, expires_at = "
                        "EXCLUDED.expires_at WHERE l.expires_at <= $4 RETURNING token",
                        t),
            4);
        connection_.prepare(
            "lease:renew",
            fmt::format("UPDATE {} SET expires_at = $3 WHERE name = $1 AND token = $2", t), 3);
        connection_.prepare("lease:release",
                            fmt::format("DELETE FROM {} WHERE name = $1 AND token = $2", t), 2);
    }

    /// Grants `name` for `duration` unless another holder's lease is live.
    std::optional<lease> try_acquire(std::string_view name, std::chrono::milliseconds duration) {
        const auto now = std::chrono::system_clock::now();
        lease granted{std::string(name), detail::new_lease_token(), now + duration};
        const auto expires = postgresql_connection::int8_ms(granted.expires_at);
        const auto now_bytes = postgresql_connection::int8_ms(now);
        const std::array<std::optional<std::string_view>, 4> p{granted.name, granted.token, expires,
                                                               now_bytes};
        const std::lock_guard lock(mutex_);
        const auto r = connection_.run("lease:acquire", p, "lease acquire");
        if (PQntuples(r.get()) != 1) return std::nullopt;
        return granted;
    }

    /// Extends `held` to lapse `duration` from now if its token still owns
    /// the lease.
    std::optional<lease> renew(const lease& held, std::chrono::milliseconds duration) {
        lease renewed{held.name, held.token, std::chrono::system_clock::now() + duration};
        const auto expires = postgresql_connection::int8_ms(renewed.expires_at);
        const std::array<std::optional<std::string_view>, 3> p{held.name, held.token, expires};
        const std::lock_guard lock(mutex_);
        const auto r = connection_.run("lease:renew", p, "lease renew");
        if (std::string_view(PQcmdTuples(r.get())) != "1") return std::nullopt;
        return renewed;
    }

    /// Releases `held` if its token still owns the lease.
    bool release(const lease& held) {
        const std::array<std::optional<std::string_view>, 2> p{held.name, held.token};
        const std::lock_guard lock(mutex_);
        const auto r = connection_.run("lease:release", p, "lease release");
        return std::string_view(PQcmdTuples(r.get())) == "1";
    }

private:
    postgresql_connection connection_;
    std::mutex mutex_;
};

}  // namespace dualstore::adapters
