#pragma once
/// \file
/// `adapters::postgresql_store`: a key-value store in a PostgreSQL table, and
/// `adapters::postgresql_lease_lock`. Models kv, scannable (keyset
/// pagination, resumable), expiring (`expires_at` column), conditional
/// (also with a time to live: `conditional_expiring_store`) and batch stores.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/key_cursor.hpp>
#include <dualstore/detail/lease_token.hpp>
#include <dualstore/error.hpp>
#include <dualstore/lease_lock.hpp>
#include <dualstore/redact.hpp>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <poll.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::adapters {

/// An error from PostgreSQL or the connection to it: names the engine, the
/// operation and the cause. A DSN it quotes has its password replaced by
/// `***`.
class postgresql_error : public error {
public:
    using error::error;
};

/// A statement that did not finish within its limit: cancelled by the server
/// after `statement_timeout`, or given up by the client when the server sent
/// nothing for `statement_timeout + reply_grace` (a server that hangs or a
/// network that drops packets; the connection is then dropped and the next
/// call reconnects). The message names the operation and the limit.
class postgresql_timeout : public postgresql_error {
public:
    using postgresql_error::postgresql_error;
};

/// The limits of one connection. Every network wait is bounded: connecting by
/// `connect_timeout` (when the DSN sets no `connect_timeout` of its own), a
/// statement by `statement_timeout` on the server and, should the server stop
/// answering, by `statement_timeout + reply_grace` on the client.
struct postgresql_limits {
    std::chrono::seconds connect_timeout = std::chrono::seconds(10);  ///< libpq's unit; at least 2
    std::chrono::milliseconds statement_timeout = std::chrono::seconds(5);  ///< per statement
    std::chrono::milliseconds reply_grace = std::chrono::seconds(2);        ///< see above
};

/// How a `postgresql_store` connects and where it keeps its data.
struct postgresql_options {
    std::string table = "dualstore_kv";  ///< the table (created when missing)
    std::chrono::milliseconds statement_timeout = std::chrono::seconds(5);  ///< per statement
    std::function<expiry_clock::time_point()> now{};  ///< the expiry clock (empty: system clock)
    /// Used when the DSN sets no `connect_timeout` (nor `PGCONNECT_TIMEOUT`).
    std::chrono::seconds connect_timeout = std::chrono::seconds(10);
};

/// One libpq connection with prepared statements; binary parameters and
/// results, so any byte round-trips. Its session settings (the statement
/// timeout) and prepared statements are applied on every connect, including
/// the reconnect after the connection broke, so they are never lost. A
/// statement that fails because the connection broke throws
/// `postgresql_error`; the next call reconnects (`PQreset`). Not thread-safe
/// by itself: the store serialises calls.
class postgresql_connection {
public:
    /// A result owned by the caller.
    using result = std::unique_ptr<PGresult, decltype(&PQclear)>;

    /// Connects with `dsn` (libpq's "key=value ..." or a postgresql:// URI)
    /// within `limits`. Throws `postgresql_error`; the message never shows a
    /// password.
    explicit postgresql_connection(const std::string& dsn, postgresql_limits limits = {})
        : limits_(limits) {
        char* parse_error = nullptr;
        std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> parsed(
            PQconninfoParse(dsn.c_str(), &parse_error), &PQconninfoFree);
        if (parsed == nullptr) {
            const std::string why = parse_error ? parse_error : "cannot parse";
            PQfreemem(parse_error);
            throw postgresql_error(
                fmt::format("postgresql: bad DSN {:?}: {}", redact_secrets(dsn), trim(why)));
        }
        // Every parameter the DSN gives, plus a connect timeout unless it (or
        // the environment) sets one: libpq would otherwise wait for ever.
        std::vector<const char*> keywords, values;
        bool timeout_given = std::getenv("PGCONNECT_TIMEOUT") != nullptr;
        for (const auto* o = parsed.get(); o->keyword != nullptr; ++o) {
            if (o->val == nullptr) continue;
            keywords.push_back(o->keyword);
            values.push_back(o->val);
            timeout_given = timeout_given || std::string_view(o->keyword) == "connect_timeout";
        }
        const auto timeout = std::to_string(limits_.connect_timeout.count());
        if (!timeout_given) {
            keywords.push_back("connect_timeout");
            values.push_back(timeout.c_str());
        }
        keywords.push_back(nullptr);
        values.push_back(nullptr);
        conn_.reset(PQconnectdbParams(keywords.data(), values.data(), 0));
        if (PQstatus(conn_.get()) != CONNECTION_OK) {
            throw postgresql_error(
                fmt::format("postgresql: connect: {}", trim(PQerrorMessage(conn_.get()))));
        }
        // Notices ("relation already exists, skipping") are not errors: keep them off stderr.
        PQsetNoticeProcessor(
            conn_.get(), [](void*, const char*) {}, nullptr);
        apply_session("connect");
    }

    /// Runs DDL (CREATE TABLE IF NOT EXISTS ...) under a transaction-scoped
    /// advisory lock: PostgreSQL's IF NOT EXISTS is not safe against a
    /// concurrent creation of the same table.
    void create(const std::string& ddl, std::string_view what) {
        exec("BEGIN", what);
        try {
            exec("SELECT pg_advisory_xact_lock(1685418348)", what);  // "dual" in ASCII
            exec(ddl, what);
            exec("COMMIT", what);
        } catch (...) {
            try {
                exec("ROLLBACK", what);
            } catch (const postgresql_error&) {  // NOLINT(bugprone-empty-catch): the
                                                 // connection is gone; so is the transaction
            }
            throw;
        }
    }

    /// Runs SQL without parameters.
    void exec(const std::string& sql, std::string_view what) {
        reconnect_if_broken(what);
        awaited(PQsendQuery(conn_.get(), sql.c_str()), what);
    }

    /// Prepares `sql` as statement `name` (again after a reconnect).
    void prepare(std::string name, std::string sql, int params) {
        prepared_.push_back({std::move(name), std::move(sql), params});
        prepare_one(prepared_.back());
    }

    /// Runs prepared statement `name` with binary parameters (nullopt: NULL)
    /// and binary results.
    result run(const std::string& name, std::span<const std::optional<std::string_view>> params,
               std::string_view what) {
        reconnect_if_broken(what);
        std::vector<const char*> values;
        std::vector<int> lengths, formats;
        for (const auto& p : params) {
            values.push_back(p ? p->data() : nullptr);
            lengths.push_back(p ? static_cast<int>(p->size()) : 0);
            formats.push_back(1);
        }
        return awaited(
            PQsendQueryPrepared(conn_.get(), name.c_str(), static_cast<int>(params.size()),
                                values.data(), lengths.data(), formats.data(), 1),
            what);
    }

    /// An 8-byte big-endian integer, as PostgreSQL's binary int8.
    static std::string int8(std::int64_t v) {
        std::string out(8, '\0');
        for (int i = 0; i < 8; ++i)
            out[static_cast<std::size_t>(7 - i)] =
                static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xFF);
        return out;
    }
    /// The binary int8 at row `r`, column `c`.
    static std::int64_t int8_at(const PGresult* res, int r, int c) {
        const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(res, r, c));
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
        return static_cast<std::int64_t>(v);
    }
    /// The bytes at row `r`, column `c`.
    static std::string bytes_at(const PGresult* res, int r, int c) {
        return {PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))};
    }

private:
    struct statement {
        std::string name, sql;
        int params;
    };
    struct finisher {
        void operator()(PGconn* c) const noexcept { PQfinish(c); }
    };

    static std::string trim(std::string s) {
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
        return s;
    }

    void prepare_one(const statement& s) {
        awaited(PQsendPrepare(conn_.get(), s.name.c_str(), s.sql.c_str(), s.params, nullptr),
                "prepare");
    }

    /// The session's settings, applied on every connect: non-blocking sends
    /// (so a send never waits past the client's limit) and the statement
    /// timeout.
    void apply_session(std::string_view what) {
        if (PQsetnonblocking(conn_.get(), 1) != 0) checked(nullptr, what);
        awaited(PQsendQuery(conn_.get(), fmt::format("SET statement_timeout = {}",
                                                     limits_.statement_timeout.count())
                                             .c_str()),
                what);
    }

    void reconnect_if_broken(std::string_view what) {
        if (!broken_ && PQstatus(conn_.get()) == CONNECTION_OK) return;
        PQreset(conn_.get());  // bounded by the connection's connect_timeout
        if (PQstatus(conn_.get()) != CONNECTION_OK) {
            throw postgresql_error(fmt::format("postgresql: {}: reconnect failed: {}", what,
                                               trim(PQerrorMessage(conn_.get()))));
        }
        broken_ = false;
        apply_session(what);
        for (const auto& s : prepared_) prepare_one(s);
    }

    /// Waits, within the client's limit, until the socket has data (or room,
    /// for `POLLOUT`); false on a timeout.
    bool wait_for(short events, std::chrono::steady_clock::time_point deadline) const {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd fd{PQsocket(conn_.get()), events, 0};
        int n = 0;
        do {
            n = ::poll(&fd, 1, static_cast<int>(left.count()));
        } while (n < 0 && errno == EINTR);
        return n != 0;
    }

    /// The result of the query `sent` (PQsend*'s return) began, read without
    /// blocking past `statement_timeout + reply_grace`; throws for an error
    /// result, a broken connection or a timeout.
    result awaited(int sent, std::string_view what) {
        if (sent == 0) return checked(nullptr, what);
        const auto limit = limits_.statement_timeout + limits_.reply_grace;
        const auto deadline = std::chrono::steady_clock::now() + limit;
        const auto give_up = [&] {
            broken_ = true;  // a reply may still come: the connection is out of step
            throw postgresql_timeout(fmt::format(
                "postgresql: {}: timed out: no reply from the server within {} ms "
                "(statement_timeout {} ms + reply_grace {} ms); the connection is dropped",
                what, limit.count(), limits_.statement_timeout.count(),
                limits_.reply_grace.count()));
        };
        int flushed = 0;
        while ((flushed = PQflush(conn_.get())) == 1) {
            if (!wait_for(POLLOUT | POLLIN, deadline)) give_up();
            if (PQconsumeInput(conn_.get()) == 0) return checked(nullptr, what);
        }
        if (flushed < 0) return checked(nullptr, what);
        result first(nullptr, &PQclear);
        for (;;) {
            while (PQisBusy(conn_.get()) != 0) {
                if (!wait_for(POLLIN, deadline)) give_up();
                if (PQconsumeInput(conn_.get()) == 0) return checked(nullptr, what);
            }
            PGresult* next = PQgetResult(conn_.get());
            if (next == nullptr) break;
            if (!first) {
                first.reset(next);
            } else {
                PQclear(next);
            }
        }
        return checked(first.release(), what);
    }

    result checked(PGresult* raw, std::string_view what) {
        result r(raw, &PQclear);
        const auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
        const auto message = trim(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_.get()));
        const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
        if (state != nullptr && std::string_view(state) == "57014") {  // query_canceled
            throw postgresql_timeout(fmt::format(
                "postgresql: {}: timed out: cancelled by the server after statement_timeout {} "
                "ms: {}",
                what, limits_.statement_timeout.count(), message));
        }
        throw postgresql_error(fmt::format("postgresql: {}: {}", what, message));
    }

    postgresql_limits limits_;
    std::unique_ptr<PGconn, finisher> conn_;
    std::vector<statement> prepared_;
    bool broken_ = false;
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
    using options = postgresql_options;      ///< table, timeout, clock

    /// Connects with `dsn` and creates the table when missing.
    explicit postgresql_store(const std::string& dsn, options opts = {})
        : options_(std::move(opts)),
          connection_(dsn, {.connect_timeout = options_.connect_timeout,
                            .statement_timeout = options_.statement_timeout}) {
        const auto t = quoted(options_.table);
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
        prepare("purge",
                fmt::format("DELETE FROM {} WHERE expires_at IS NOT NULL AND expires_at <= $1", t),
                1);
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
        const std::lock_guard lock(mutex_);
        transaction tx(connection_, "BEGIN");
        for (const auto& [key, value] : items) put_locked(key, value, std::nullopt);
        tx.commit();
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
        std::optional<std::string_view> after;
        if (from.after) after = *from.after;
        const std::array<std::optional<std::string_view>, 3> p{after, now, n};
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

    static std::string quoted(std::string_view name) {
        std::string out = "\"";
        for (const char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
        return out + "\"";
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

/// A `lease_lock` in a PostgreSQL table `(name bytea primary key, token
/// bytea, expires_at int8)`: acquiring is one `INSERT ... ON CONFLICT DO
/// UPDATE ... WHERE expires_at <= now` (atomic: one winner per free or lapsed
/// lease), releasing one `DELETE ... WHERE name = $1 AND token = $2` (atomic
/// compare-and-delete). Thread-safe.
class postgresql_lease_lock {
public:
    /// Connects with `dsn`; leases live in `table`.
    explicit postgresql_lease_lock(const std::string& dsn, std::string table = "dualstore_leases")
        : connection_(dsn) {
        std::string t = "\"";
        for (const char c : table) t += c == '"' ? std::string("\"\"") : std::string(1, c);
        t += "\"";
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
        connection_.prepare("lease:release",
                            fmt::format("DELETE FROM {} WHERE name = $1 AND token = $2", t), 2);
    }

    /// Grants `name` for `duration` unless another holder's lease is live.
    std::optional<lease> try_acquire(std::string_view name, std::chrono::milliseconds duration) {
        const auto now = std::chrono::system_clock::now();
        lease granted{std::string(name), detail::new_lease_token(), now + duration};
        const auto ms = [](std::chrono::system_clock::time_point t) {
            return postgresql_connection::int8(
                std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch())
                    .count());
        };
        const auto expires = ms(granted.expires_at);
        const auto now_bytes = ms(now);
        const std::array<std::optional<std::string_view>, 4> p{granted.name, granted.token, expires,
                                                               now_bytes};
        const std::lock_guard lock(mutex_);
        const auto r = connection_.run("lease:acquire", p, "lease acquire");
        if (PQntuples(r.get()) != 1) return std::nullopt;
        return granted;
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
