#pragma once
/// \file
/// `adapters::postgresql_store`: a key-value store in a PostgreSQL table.
/// Models kv, scannable (keyset pagination, resumable), expiring
/// (`expires_at` column), conditional (also with a time to live:
/// `conditional_expiring_store`), batch and range digest stores.

#include <dualstore/adapters/postgresql/connection.hpp>
#include <dualstore/concepts.hpp>
#include <dualstore/detail/batch_ttls.hpp>
#include <dualstore/detail/key_cursor.hpp>
#include <dualstore/error.hpp>
#include <dualstore/key_range.hpp>
#include <dualstore/reconcile/key_sample.hpp>
#include <dualstore/reconcile/range_digest.hpp>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::adapters {

/// How a `postgresql_store` connects and where it keeps its data.
struct postgresql_options {
    std::string table = "dualstore_kv";  ///< the table (created when missing)
    std::chrono::milliseconds statement_timeout = std::chrono::seconds(5);  ///< per statement
    std::function<expiry_clock::time_point()> now{};  ///< the expiry clock (empty: system clock)
    /// Used when the DSN sets no `connect_timeout` (nor `PGCONNECT_TIMEOUT`).
    std::chrono::seconds connect_timeout = std::chrono::seconds(10);
};

/// Keys and values (bytea) in the table `options.table`, rows
/// `(k bytea primary key, v bytea, expires_at int8 ms since the epoch)`.
/// Writes use `INSERT ... ON CONFLICT`; scans are keyset-paginated in byte
/// order (`WHERE k > $last ORDER BY k LIMIT n`), so a scan running beside
/// writers returns every key present throughout exactly once; `put_many` is
/// one transaction; expired rows are invisible and `purge_expired()`
/// deletes them. Thread-safe: one connection, calls serialised by a mutex.
class postgresql_store : public detail::key_cursor_codec {
public:
    using key_type = std::string;            ///< keys are byte strings
    using mapped_type = std::string;         ///< values are byte strings
    using cursor_type = detail::key_cursor;  ///< resumes after the last key returned
    /// Scans return keys in byte order (PostgreSQL orders bytea by its bytes): `key_ordered_store`.
    static constexpr bool scans_in_key_order = true;
    using options = postgresql_options;  ///< table, timeout, clock

    /// Connects with `dsn` and creates the table when missing.
    explicit postgresql_store(const std::string& dsn, options opts = {})
        : options_(std::move(opts)),
          connection_(dsn, {.connect_timeout = options_.connect_timeout,
                            .statement_timeout = options_.statement_timeout}) {
        const auto t = postgresql_connection::quoted(options_.table);
        connection_.create(
            fmt::format("CREATE TABLE IF NOT EXISTS {} (k bytea PRIMARY KEY, v bytea NOT NULL, "
                        "expires_at int8)",
                        t),
            "create table");
        const auto live = "(expires_at IS NULL OR expires_at > $2)";
        prepare("get", fmt::format("SELECT v FROM {} WHERE k = $1 AND {}", t, live), 2);
        prepare(
            "put",
            fmt::format(
                "INSERT INTO {} (k, v, expires_at) VALUES ($1, $2, $3) ON CONFLICT (k) DO UPDATE "
                "SET v = EXCLUDED.v, expires_at = EXCLUDED.expires_at",
                t),
            3);
        prepare("erase", fmt::format("DELETE FROM {} WHERE k = $1 RETURNING {}", t, live), 2);
        // Writes only over no row or an expired one; $4 is the expiry (NULL: none).
        prepare("insert",
                fmt::format(
                    "INSERT INTO {0} AS t (k, v, expires_at) VALUES ($1, $3, $4) ON CONFLICT (k) "
                    "DO UPDATE SET v = EXCLUDED.v, expires_at = EXCLUDED.expires_at WHERE "
                    "t.expires_at IS NOT NULL AND t.expires_at <= $2",
                    t),
                4);
        prepare("scan",
                fmt::format(
                    "SELECT k, v, expires_at FROM {} WHERE ($1::bytea IS NULL OR k > $1) AND {} "
                    "ORDER BY k "
                    "LIMIT $3",
                    t, live),
                3);
        prepare("expiry", fmt::format("SELECT expires_at FROM {} WHERE k = $1 AND {}", t, live), 2);
        // Per bound present (bit 0: after, $1; bit 1: up to, $3), so that the
        // server walks only the range of the primary key.
        for (std::size_t bounds = 0; bounds < 4; ++bounds) {
            const auto range = fmt::format("{}{}{}", (bounds & 1U) != 0 ? "k > $1 AND " : "",
                                           (bounds & 2U) != 0 ? "k <= $3 AND " : "", live);
            // Unused parameters still get a type, so every variant takes the same ones.
            const auto typed = "$1::bytea IS NULL OR $3::bytea IS NULL OR true";
            prepare(fmt::format("digest{}", bounds),
                    fmt::format("SELECT count(*), coalesce(bit_xor(('x' || substr(md5(int4send("
                                "length(k)) || k || v), 1, 16))::bit(64)::int8), 0) FROM {} "
                                "WHERE {} AND ({})",
                                t, range, typed),
                    3);
            prepare(fmt::format("keys_every{}", bounds),
                    fmt::format("SELECT k FROM (SELECT k, row_number() OVER (ORDER BY k) AS n "
                                "FROM {} WHERE {} AND ({})) r WHERE n % $4 = 0 ORDER BY k LIMIT $5",
                                t, range, typed),
                    5);
        }
        prepare("purge",
                fmt::format("DELETE FROM {} WHERE expires_at IS NOT NULL AND expires_at <= $1", t),
                1);
        // key_sample_hash: the first 16 hex digits of md5(salt || k), as 8 bytes.
        prepare("sample",
                fmt::format("SELECT k, decode(left(md5($1::bytea || k), 16), 'hex') AS h FROM {} "
                            "WHERE {} ORDER BY h, k LIMIT $3",
                            t, live),
                3);
        prepare("count",
                fmt::format("SELECT count(*)::int8 FROM {} WHERE {} AND ($1::bytea IS "
                            "NULL OR true)",
                            t, live),
                2);
    }

    /// The live value of `key`.
    [[nodiscard]] std::optional<std::string> get(const std::string& key) {
        const std::lock_guard lock(mutex_);
        return get_locked(key);
    }

    /// Inserts or replaces `key` (no expiry).
    void put(const std::string& key, const std::string& value) {
        const std::lock_guard lock(mutex_);
        put_locked(key, value, std::nullopt);
    }

    /// Inserts or replaces `key`, expiring after `ttl`.
    void put(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) {
        const std::lock_guard lock(mutex_);
        put_locked(key, value, now_ms() + ttl.count());
    }

    /// Deletes `key`; whether a live entry was there.
    bool erase(const std::string& key) {
        const std::lock_guard lock(mutex_);
        const auto now = postgresql_connection::int8(now_ms());
        const std::array<std::optional<std::string_view>, 2> p{key, now};
        const auto r = connection_.run(statement_name("erase"), p, "erase");
        return PQntuples(r.get()) == 1 && *PQgetvalue(r.get(), 0, 0) != 0;
    }

    /// Writes `key` only if it has no live entry (atomically); whether it wrote.
    bool put_if_absent(const std::string& key, const std::string& value) {
        const std::lock_guard lock(mutex_);
        return insert_locked(key, value, std::nullopt, now_ms());
    }

    /// Writes `key`, expiring after `ttl`, only if it has no live entry (an
    /// expired row counts as absent); whether it wrote. One statement
    /// (`INSERT ... ON CONFLICT DO UPDATE ... WHERE` the row has expired), so
    /// atomic; a live row keeps its value and expiry.
    bool put_if_absent(const std::string& key, const std::string& value,
                       std::chrono::milliseconds ttl) {
        const std::lock_guard lock(mutex_);
        const auto now = now_ms();
        return insert_locked(key, value, now + ttl.count(), now);
    }

    /// The absolute expiry of the live entry `key`, if it has one.
    [[nodiscard]] std::optional<expiry_clock::time_point> expiry(const std::string& key) {
        const std::lock_guard lock(mutex_);
        const auto now = postgresql_connection::int8(now_ms());
        const std::array<std::optional<std::string_view>, 2> p{key, now};
        const auto r = connection_.run(statement_name("expiry"), p, "expiry");
        if (PQntuples(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) return std::nullopt;
        return expiry_clock::time_point(
            std::chrono::milliseconds(postgresql_connection::int8_at(r.get(), 0, 0)));
    }

    /// At most `limit` live entries after the cursor, in byte order of keys.
    [[nodiscard]] scan_page<std::string, std::string, cursor_type> scan(const cursor_type& from,
                                                                        std::size_t limit) {
        return scan_into<scan_page<std::string, std::string, cursor_type>>(from, limit);
    }

    /// The page `scan` returns, with each item's expiry, read by the same
    /// statement (`expiry_scannable_store`).
    [[nodiscard]] expiring_scan_page<std::string, std::string, cursor_type> scan_with_expiry(
        const cursor_type& from, std::size_t limit) {
        return scan_into<expiring_scan_page<std::string, std::string, cursor_type>>(from, limit);
    }

    /// The digest of the live rows of `range`, computed by the server in one
    /// statement (`range_digest_store`): reads the range there, sends back
    /// 16 bytes. Needs PostgreSQL 14 or later (`bit_xor`).
    [[nodiscard]] range_digest digest(const key_range& range) {
        const std::lock_guard lock(mutex_);
        const auto now = postgresql_connection::int8(now_ms());
        const std::array<std::optional<std::string_view>, 3> p{bound(range.after), now,
                                                               bound(range.up_to)};
        const auto r =
            connection_.run(statement_name(fmt::format("digest{}", bounds_of(range))), p, "digest");
        return {static_cast<std::uint64_t>(postgresql_connection::int8_at(r.get(), 0, 0)),
                static_cast<std::uint64_t>(postgresql_connection::int8_at(r.get(), 0, 1))};
    }

    /// The `step`-th, 2·`step`-th, ... live keys of `range`, at most `limit`,
    /// found by the server in one statement (`range_digest_store`).
    [[nodiscard]] std::vector<std::string> keys_every(const key_range& range, std::uint64_t step,
                                                      std::size_t limit) {
        const std::lock_guard lock(mutex_);
        const auto now = postgresql_connection::int8(now_ms());
        const auto every = postgresql_connection::int8(
            static_cast<std::int64_t>(std::max<std::uint64_t>(step, 1)));
        const auto most = postgresql_connection::int8(static_cast<std::int64_t>(limit));
        const std::array<std::optional<std::string_view>, 5> p{bound(range.after), now,
                                                               bound(range.up_to), every, most};
        const auto r = connection_.run(
            statement_name(fmt::format("keys_every{}", bounds_of(range))), p, "keys_every");
        std::vector<std::string> keys;
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            keys.push_back(postgresql_connection::bytes_at(r.get(), i, 0));
        }
        return keys;
    }

    /// The `n` live keys of smallest `key_sample_hash` and the number of
    /// live keys (`key_sampling_store`), in two statements: the server hashes
    /// every key and sends back only the sample.
    [[nodiscard]] key_hash_sample sample_keys(std::uint64_t salt, std::size_t n) {
        const std::lock_guard lock(mutex_);
        const auto salt_bytes = postgresql_connection::int8(static_cast<std::int64_t>(salt));
        const auto now = postgresql_connection::int8(now_ms());
        const auto most = postgresql_connection::int8(static_cast<std::int64_t>(n));
        const std::array<std::optional<std::string_view>, 3> p{salt_bytes, now, most};
        const auto r = connection_.run(statement_name("sample"), p, "sample_keys");
        key_hash_sample sample;
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            std::uint64_t h = 0;
            for (const char c : postgresql_connection::bytes_at(r.get(), i, 1)) {
                h = (h << 8) | static_cast<std::uint8_t>(c);
            }
            sample.smallest.emplace_back(h, postgresql_connection::bytes_at(r.get(), i, 0));
        }
        const std::array<std::optional<std::string_view>, 2> c{std::nullopt, now};
        const auto counted = connection_.run(statement_name("count"), c, "sample_keys");
        sample.keys =
            static_cast<std::uint64_t>(postgresql_connection::int8_at(counted.get(), 0, 0));
        return sample;
    }

    /// The live value of each key, in order, in one repeatable-read transaction.
    [[nodiscard]] std::vector<std::optional<std::string>> get_many(
        std::span<const std::string> keys) {
        const std::lock_guard lock(mutex_);
        transaction tx(connection_, "BEGIN ISOLATION LEVEL REPEATABLE READ");
        std::vector<std::optional<std::string>> values;
        for (const auto& key : keys) values.push_back(get_locked(key));
        tx.commit();
        return values;
    }

    /// Writes every pair (no expiry) in one transaction: all or nothing.
    void put_many(std::span<const std::pair<std::string, std::string>> items) {
        put_batch(items, {});
    }

    /// Writes every pair, item `i` expiring after `ttls[i]` when set, in one
    /// transaction: all or nothing (`expiring_batch_store`).
    void put_many(std::span<const std::pair<std::string, std::string>> items,
                  std::span<const time_to_live> ttls) {
        detail::require_ttl_per_item(items.size(), ttls.size(), "put_many");
        put_batch(items, ttls);
    }

    /// Writes each pair whose key has no live entry, with no expiry, in one
    /// transaction of `INSERT ... ON CONFLICT` statements (all or nothing);
    /// per item, whether it wrote it (a key repeated in `items`: the first).
    std::vector<bool> put_many_if_absent(
        std::span<const std::pair<std::string, std::string>> items) {
        return insert_batch(items, {});
    }

    /// `put_many_if_absent(items)`, item `i` expiring after `ttls[i]` when
    /// set (`expiring_batch_store`).
    std::vector<bool> put_many_if_absent(std::span<const std::pair<std::string, std::string>> items,
                                         std::span<const time_to_live> ttls) {
        detail::require_ttl_per_item(items.size(), ttls.size(), "put_many_if_absent");
        return insert_batch(items, ttls);
    }

    /// Deletes the expired rows; returns how many.
    std::size_t purge_expired() {
        const std::lock_guard lock(mutex_);
        const auto now = postgresql_connection::int8(now_ms());
        const std::array<std::optional<std::string_view>, 1> p{now};
        const auto r = connection_.run(statement_name("purge"), p, "purge_expired");
        return std::stoul(PQcmdTuples(r.get()));
    }

private:
    /// `put_many` with `ttls` empty (no expiry) or one per item.
    void put_batch(std::span<const std::pair<std::string, std::string>> items,
                   std::span<const time_to_live> ttls) {
        const std::lock_guard lock(mutex_);
        const auto now = now_ms();
        transaction tx(connection_, "BEGIN");
        for (std::size_t i = 0; i < items.size(); ++i)
            put_locked(items[i].first, items[i].second, detail::expiry_ms(now, ttls, i));
        tx.commit();
    }

    /// `put_many_if_absent` with `ttls` empty (no expiry) or one per item.
    std::vector<bool> insert_batch(std::span<const std::pair<std::string, std::string>> items,
                                   std::span<const time_to_live> ttls) {
        const std::lock_guard lock(mutex_);
        const auto now = now_ms();
        transaction tx(connection_, "BEGIN");
        std::vector<bool> wrote;
        wrote.reserve(items.size());
        for (std::size_t i = 0; i < items.size(); ++i) {
            wrote.push_back(insert_locked(items[i].first, items[i].second,
                                          detail::expiry_ms(now, ttls, i), now));
        }
        tx.commit();
        return wrote;
    }

    /// `scan` into a `Page`, with each item's expiry when the page has room for it.
    template <class Page>
    Page scan_into(const cursor_type& from, std::size_t limit) {
        const std::lock_guard lock(mutex_);
        Page page;
        if (limit == 0) {
            page.next = from;
            return page;
        }
        const auto now = postgresql_connection::int8(now_ms());
        const auto n = postgresql_connection::int8(static_cast<std::int64_t>(limit));
        const std::array<std::optional<std::string_view>, 3> p{bound(from.after), now, n};
        const auto r = connection_.run(statement_name("scan"), p, "scan");
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            page.items.emplace_back(postgresql_connection::bytes_at(r.get(), i, 0),
                                    postgresql_connection::bytes_at(r.get(), i, 1));
            if constexpr (requires { page.expiries; }) {
                page.expiries.push_back(
                    PQgetisnull(r.get(), i, 2)
                        ? std::nullopt
                        : std::optional(expiry_clock::time_point(std::chrono::milliseconds(
                              postgresql_connection::int8_at(r.get(), i, 2)))));
            }
        }
        if (page.items.size() == limit) page.next = cursor_type{page.items.back().first};
        return page;
    }

    /// A transaction rolled back unless committed.
    class transaction {
    public:
        transaction(postgresql_connection& c, const char* begin) : c_(c) {
            c_.exec(begin, "begin");
        }
        transaction(const transaction&) = delete;
        transaction& operator=(const transaction&) = delete;
        void commit() {
            c_.exec("COMMIT", "commit");
            done_ = true;
        }
        ~transaction() {
            if (done_) return;
            try {
                c_.exec("ROLLBACK", "rollback");
            } catch (...) {  // NOLINT(bugprone-empty-catch): the connection is gone; so is the
                             // transaction
            }
        }

    private:
        postgresql_connection& c_;
        bool done_ = false;
    };

    static std::size_t bounds_of(const key_range& range) {
        return (range.after ? 1U : 0U) | (range.up_to ? 2U : 0U);
    }

    static std::optional<std::string_view> bound(const std::optional<std::string>& key) {
        if (key) return std::string_view(*key);
        return std::nullopt;
    }

    [[nodiscard]] std::string statement_name(std::string_view name) const {
        return fmt::format("{}:{}", options_.table, name);
    }

    void prepare(std::string_view name, std::string sql, int params) {
        connection_.prepare(statement_name(name), std::move(sql), params);
    }

    [[nodiscard]] std::int64_t now_ms() const {
        const auto now = options_.now ? options_.now() : expiry_clock::now();
        return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch())
            .count();
    }

    std::optional<std::string> get_locked(const std::string& key) {
        const auto now = postgresql_connection::int8(now_ms());
        const std::array<std::optional<std::string_view>, 2> p{key, now};
        const auto r = connection_.run(statement_name("get"), p, "get");
        if (PQntuples(r.get()) == 0) return std::nullopt;
        return postgresql_connection::bytes_at(r.get(), 0, 0);
    }

    /// Runs "insert" (expiry `expires`, none when empty) at time `now`;
    /// whether it wrote a row.
    bool insert_locked(const std::string& key, const std::string& value,
                       std::optional<std::int64_t> expires, std::int64_t now) {
        const auto now_bytes = postgresql_connection::int8(now);
        std::optional<std::string> e;
        if (expires) e = postgresql_connection::int8(*expires);
        std::optional<std::string_view> ev;
        if (e) ev = *e;
        const std::array<std::optional<std::string_view>, 4> p{key, now_bytes, value, ev};
        const auto r = connection_.run(statement_name("insert"), p, "put_if_absent");
        return std::string_view(PQcmdTuples(r.get())) == "1";
    }

    void put_locked(const std::string& key, const std::string& value,
                    std::optional<std::int64_t> expires) {
        std::optional<std::string> e;
        if (expires) e = postgresql_connection::int8(*expires);
        std::optional<std::string_view> ev;
        if (e) ev = *e;
        const std::array<std::optional<std::string_view>, 3> p{key, value, ev};
        connection_.run(statement_name("put"), p, "put");
    }

    options options_;
    postgresql_connection connection_;
    std::mutex mutex_;
};

}  // namespace dualstore::adapters
