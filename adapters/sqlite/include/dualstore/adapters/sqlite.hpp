#pragma once
/// \file
/// `adapters::sqlite_store`: a key-value store in one SQLite table; the
/// embedded default. Models every capability concept, including
/// `conditional_expiring_store`, `change_stamped_store` and
/// `range_digest_store`.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/batch_ttls.hpp>
#include <dualstore/detail/key_cursor.hpp>
#include <dualstore/detail/open_failure.hpp>
#include <dualstore/error.hpp>
#include <dualstore/key_range.hpp>
#include <dualstore/reconcile/key_sample.hpp>
#include <dualstore/reconcile/range_digest.hpp>

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
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

/// An error reported by SQLite: names the engine, the operation and the cause.
class sqlite_error : public error {
public:
    using error::error;
};

/// How a `sqlite_store` opens its database.
struct sqlite_options {
    std::string table = "dualstore_kv";  ///< the table (created when missing)
    std::chrono::milliseconds busy_timeout = std::chrono::seconds(5);  ///< wait for locks
    bool wal = true;                                  ///< journal_mode=WAL (not for ":memory:")
    std::function<expiry_clock::time_point()> now{};  ///< the expiry clock (empty: system clock)
};

/// Keys and values (byte strings, stored as BLOBs) in the table `table` of
/// the SQLite database at `path` (":memory:" for a private in-memory one).
/// Writes go through prepared statements in WAL mode; `put_many` is one
/// transaction; entries written with a time to live get an `expires_at`
/// column (milliseconds since the epoch) and are invisible once it passes;
/// `purge_expired()` deletes them. Scans walk the keys in byte order and
/// resume after the last key returned, so a scan that runs while others
/// write returns no key twice and every key present throughout.
/// Thread-safe: one connection, its calls serialised by a mutex.
class sqlite_store : public detail::key_cursor_codec {
public:
    using key_type = std::string;            ///< keys are byte strings
    using mapped_type = std::string;         ///< values are byte strings
    using cursor_type = detail::key_cursor;  ///< resumes after the last key returned
    /// Scans return keys in byte order (SQLite compares BLOB keys with memcmp):
    /// `key_ordered_store`.
    static constexpr bool scans_in_key_order = true;
    /// The clock expiry is measured on; empty means `expiry_clock::now`.
    using clock_function = std::function<expiry_clock::time_point()>;

    /// How the store opens its database.
    using options = sqlite_options;

    /// Opens (creating when needed) the database at `path`. Throws
    /// `sqlite_error` naming the path, SQLite's reason, the system's (errno)
    /// and what is wrong with the file's directory.
    explicit sqlite_store(const std::string& path, options opts = {})
        : options_(std::move(opts)), path_(path) {
        sqlite3* db = nullptr;
        const int rc = sqlite3_open_v2(
            path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
            nullptr);
        db_.reset(db);
        if (rc != SQLITE_OK) {
            throw sqlite_error(fmt::format(
                "sqlite: open {:?}: {}{}", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc),
                detail::explain_open_failure(path, db ? sqlite3_system_errno(db) : 0)));
        }
        sqlite3_busy_timeout(db, static_cast<int>(options_.busy_timeout.count()));
        if (options_.wal && path != ":memory:") exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=NORMAL");
        const auto t = quoted_table();
        exec(
            fmt::format("CREATE TABLE IF NOT EXISTS {} (k BLOB PRIMARY KEY NOT NULL, v BLOB NOT "
                        "NULL, expires_at INTEGER) WITHOUT ROWID",
                        t));
        const auto live = "(expires_at IS NULL OR expires_at > ?9)";
        get_ = prepare(fmt::format("SELECT v FROM {} WHERE k = ?1 AND {}", t, live));
        put_ =
            prepare(fmt::format("INSERT INTO {} (k, v, expires_at) VALUES (?1, ?2, ?3) ON "
                                "CONFLICT(k) DO UPDATE SET v = excluded.v, expires_at = "
                                "excluded.expires_at",
                                t));
        erase_ = prepare(fmt::format("DELETE FROM {} WHERE k = ?1", t));
        // Writes only over no row or an expired one; ?3 is the expiry (unbound: none).
        insert_ = prepare(fmt::format(
            "INSERT INTO {0} (k, v, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT(k) DO UPDATE "
            "SET v = excluded.v, expires_at = excluded.expires_at WHERE {0}.expires_at IS NOT "
            "NULL AND {0}.expires_at <= ?9",
            t));
        scan_ = prepare(fmt::format(
            "SELECT k, v, expires_at FROM {} WHERE (?1 IS NULL OR k > ?1) AND {} ORDER BY k "
            "LIMIT ?2",
            t, live));
        expiry_ = prepare(fmt::format("SELECT expires_at FROM {} WHERE k = ?1 AND {}", t, live));
        if (sqlite3_create_function_v2(
                db, "dualstore_digest", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                nullptr, nullptr, digest_step, digest_final, nullptr) != SQLITE_OK) {
            fail("register dualstore_digest");
        }
        // dualstore_sample_hash(salt, k): key_sample_hash as 8 big-endian
        // bytes, so that ORDER BY compares it as an unsigned number.
        if (sqlite3_create_function_v2(db, "dualstore_sample_hash", 2,
                                       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                       nullptr, sample_hash, nullptr, nullptr,
                                       nullptr) != SQLITE_OK) {
            fail("register dualstore_sample_hash");
        }
        sample_ = prepare(
            fmt::format("SELECT k, dualstore_sample_hash(?1, k) AS h FROM {} WHERE {} ORDER BY "
                        "h, k LIMIT ?2",
                        t, live));
        count_ = prepare(fmt::format("SELECT count(*) FROM {} WHERE {}", t, live));
        // Per bound present (bit 0: after, ?1; bit 1: up to, ?3), so that
        // SQLite walks only the range of the primary key.
        for (std::size_t bounds = 0; bounds < 4; ++bounds) {
            const auto range = fmt::format("{}{}{}", (bounds & 1U) != 0 ? "k > ?1 AND " : "",
                                           (bounds & 2U) != 0 ? "k <= ?3 AND " : "", live);
            digest_[bounds] = prepare(fmt::format(
                "SELECT count(*), coalesce(dualstore_digest(k, v), 0) FROM {} WHERE {}", t, range));
            keys_every_[bounds] = prepare(
                fmt::format("SELECT k FROM (SELECT k, row_number() OVER (ORDER BY k) AS n FROM "
                            "{} WHERE {}) WHERE n % ?4 = 0 ORDER BY k LIMIT ?5",
                            t, range));
        }
        data_version_ = prepare("PRAGMA data_version");
        purge_ = prepare(
            fmt::format("DELETE FROM {} WHERE expires_at IS NOT NULL AND expires_at <= ?9", t));
    }

    /// The live value of `key`.
    [[nodiscard]] std::optional<std::string> get(const std::string& key) {
        const std::lock_guard lock(mutex_);
        return get_locked(key);
    }

    /// Inserts or replaces `key` with no expiry.
    void put(const std::string& key, const std::string& value) {
        const std::lock_guard lock(mutex_);
        put_locked(key, value, std::nullopt);
    }

    /// Inserts or replaces `key`, expiring after `ttl`.
    void put(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) {
        const std::lock_guard lock(mutex_);
        put_locked(key, value, now_ms() + ttl.count());
    }

    /// Erases `key`; whether a live entry was there.
    bool erase(const std::string& key) {
        const std::lock_guard lock(mutex_);
        bool live = false;
        {
            statement check(*this, expiry_, "erase");  // a row here is a live entry
            check.bind(1, key);
            check.bind(9, now_ms());
            live = check.step();
        }
        statement s(*this, erase_, "erase");
        s.bind(1, key);
        s.run();  // expired rows go too
        return live;
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
        statement s(*this, expiry_, "expiry");
        s.bind(1, key);
        s.bind(9, now_ms());
        if (!s.step() || sqlite3_column_type(expiry_.get(), 0) == SQLITE_NULL) return std::nullopt;
        return expiry_clock::time_point(
            std::chrono::milliseconds(sqlite3_column_int64(expiry_.get(), 0)));
    }

    /// At most `limit` live entries after the cursor, in key order.
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

    /// The live value of each key, in order, in one read transaction.
    [[nodiscard]] std::vector<std::optional<std::string>> get_many(
        std::span<const std::string> keys) {
        const std::lock_guard lock(mutex_);
        transaction tx(*this, "BEGIN");
        std::vector<std::optional<std::string>> values;
        values.reserve(keys.size());
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

    /// A stamp of the database's state (`change_stamped_store`): `PRAGMA
    /// data_version`, which moves when another connection (another store,
    /// another process) commits to the file, paired with this connection's own
    /// count of changed rows (`sqlite3_total_changes64`). One statement that
    /// reads no table.
    [[nodiscard]] std::pair<std::int64_t, std::int64_t> change_stamp() {
        const std::lock_guard lock(mutex_);
        statement s(*this, data_version_, "change_stamp");
        if (!s.step()) fail("change_stamp");
        return {sqlite3_column_int64(data_version_.get(), 0), sqlite3_total_changes64(db_.get())};
    }

    /// The digest of the live rows of `range`, computed in one statement by
    /// an aggregate function the store registers (`range_digest_store`); the
    /// same digest as PostgreSQL's, so the two engines can be compared.
    [[nodiscard]] range_digest digest(const key_range& range) {
        const std::lock_guard lock(mutex_);
        const auto& stmt = digest_[bounds_of(range)];
        statement s(*this, stmt, "digest");
        bind_range(s, range);
        if (!s.step()) fail("digest");
        return {static_cast<std::uint64_t>(sqlite3_column_int64(stmt.get(), 0)),
                static_cast<std::uint64_t>(sqlite3_column_int64(stmt.get(), 1))};
    }

    /// The `step`-th, 2·`step`-th, ... live keys of `range`, at most `limit`,
    /// in one statement (`range_digest_store`).
    [[nodiscard]] std::vector<std::string> keys_every(const key_range& range, std::uint64_t step,
                                                      std::size_t limit) {
        const std::lock_guard lock(mutex_);
        const auto& stmt = keys_every_[bounds_of(range)];
        statement s(*this, stmt, "keys_every");
        bind_range(s, range);
        s.bind(4, static_cast<std::int64_t>(std::max<std::uint64_t>(step, 1)));
        s.bind(5, static_cast<std::int64_t>(limit));
        std::vector<std::string> keys;
        while (s.step()) keys.push_back(column(stmt.get(), 0));
        return keys;
    }

    /// The `n` live keys of smallest `key_sample_hash` and the number of
    /// live keys (`key_sampling_store`), in two statements: SQLite hashes
    /// every key and keeps the smallest; only the sample leaves it.
    [[nodiscard]] key_hash_sample sample_keys(std::uint64_t salt, std::size_t n) {
        const std::lock_guard lock(mutex_);
        key_hash_sample sample;
        {
            statement s(*this, sample_, "sample_keys");
            s.bind(1, static_cast<std::int64_t>(salt));
            s.bind(2, static_cast<std::int64_t>(n));
            s.bind(9, now_ms());
            while (s.step()) {
                std::uint64_t h = 0;
                for (const char c : column(sample_.get(), 1))
                    h = (h << 8) | static_cast<std::uint8_t>(c);
                sample.smallest.emplace_back(h, column(sample_.get(), 0));
            }
        }
        statement s(*this, count_, "sample_keys");
        s.bind(9, now_ms());
        if (!s.step()) fail("sample_keys");
        sample.keys = static_cast<std::uint64_t>(sqlite3_column_int64(count_.get(), 0));
        return sample;
    }

    /// Deletes the expired rows; returns how many.
    std::size_t purge_expired() {
        const std::lock_guard lock(mutex_);
        statement s(*this, purge_, "purge_expired");
        s.bind(9, now_ms());
        s.run();
        return static_cast<std::size_t>(sqlite3_changes(db_.get()));
    }

    /// The database path.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    /// `put_many` with `ttls` empty (no expiry) or one per item.
    void put_batch(std::span<const std::pair<std::string, std::string>> items,
                   std::span<const time_to_live> ttls) {
        const std::lock_guard lock(mutex_);
        const auto now = now_ms();
        transaction tx(*this, "BEGIN IMMEDIATE");
        for (std::size_t i = 0; i < items.size(); ++i)
            put_locked(items[i].first, items[i].second, detail::expiry_ms(now, ttls, i));
        tx.commit();
    }

    /// `put_many_if_absent` with `ttls` empty (no expiry) or one per item.
    std::vector<bool> insert_batch(std::span<const std::pair<std::string, std::string>> items,
                                   std::span<const time_to_live> ttls) {
        const std::lock_guard lock(mutex_);
        const auto now = now_ms();
        transaction tx(*this, "BEGIN IMMEDIATE");
        std::vector<bool> wrote;
        wrote.reserve(items.size());
        for (std::size_t i = 0; i < items.size(); ++i) {
            wrote.push_back(insert_locked(items[i].first, items[i].second,
                                          detail::expiry_ms(now, ttls, i), now));
        }
        tx.commit();
        return wrote;
    }

    struct db_close {
        void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
    };
    struct stmt_finalize {
        void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
    };
    using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalize>;

    /// One use of a prepared statement: binds, steps, and resets it after.
    class statement {
    public:
        statement(sqlite_store& store, const stmt_ptr& stmt, const char* what)
            : store_(store), stmt_(stmt.get()), what_(what) {}
        statement(const statement&) = delete;
        statement& operator=(const statement&) = delete;
        ~statement() {
            sqlite3_reset(stmt_);
            sqlite3_clear_bindings(stmt_);
        }
        void bind(int index, std::string_view bytes) {
            check(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
        }
        void bind(int index, std::int64_t number) {
            check(sqlite3_bind_int64(stmt_, index, number));
        }
        /// Steps once: true when a row is there.
        bool step() {
            const int rc = sqlite3_step(stmt_);
            if (rc == SQLITE_ROW) return true;
            if (rc == SQLITE_DONE) return false;
            store_.fail(what_);
        }
        void run() {
            while (step()) {
            }
        }

    private:
        void check(int rc) {
            if (rc != SQLITE_OK) store_.fail(what_);
        }
        sqlite_store& store_;
        sqlite3_stmt* stmt_;
        const char* what_;
    };

    /// A transaction rolled back unless committed.
    class transaction {
    public:
        transaction(sqlite_store& store, const char* begin) : store_(store) { store_.exec(begin); }
        transaction(const transaction&) = delete;
        transaction& operator=(const transaction&) = delete;
        void commit() {
            store_.exec("COMMIT");
            done_ = true;
        }
        ~transaction() {
            if (!done_) sqlite3_exec(store_.db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        }

    private:
        sqlite_store& store_;
        bool done_ = false;
    };

    [[noreturn]] void fail(std::string_view what) const {
        throw sqlite_error(
            fmt::format("sqlite: {} on {:?}: {}", what, path_, sqlite3_errmsg(db_.get())));
    }

    void exec(const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            const std::string text = message ? message : "unknown error";
            sqlite3_free(message);
            throw sqlite_error(fmt::format("sqlite: {:?} on {:?}: {}", sql, path_, text));
        }
    }

    stmt_ptr prepare(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v3(db_.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s,
                               nullptr) != SQLITE_OK) {
            fail("prepare");
        }
        return stmt_ptr(s);
    }

    static std::size_t bounds_of(const key_range& range) {
        return (range.after ? 1U : 0U) | (range.up_to ? 2U : 0U);
    }

    void bind_range(statement& s, const key_range& range) {
        if (range.after) s.bind(1, *range.after);
        if (range.up_to) s.bind(3, *range.up_to);
        s.bind(9, now_ms());
    }

    // The aggregate dualstore_digest(k, v): the XOR of the rows' hashes.
    static void digest_step(sqlite3_context* context, int, sqlite3_value** args) {
        auto* hash =
            static_cast<std::uint64_t*>(sqlite3_aggregate_context(context, sizeof(std::uint64_t)));
        if (hash == nullptr) {
            sqlite3_result_error_nomem(context);
            return;
        }
        *hash ^= range_digest::row_hash(bytes_of(args[0]), bytes_of(args[1]));
    }
    static void digest_final(sqlite3_context* context) {
        const auto* hash = static_cast<std::uint64_t*>(sqlite3_aggregate_context(context, 0));
        sqlite3_result_int64(context, hash ? static_cast<sqlite3_int64>(*hash) : 0);
    }
    // dualstore_sample_hash(salt, k): key_sample_hash(k, salt), 8 bytes big-endian.
    static void sample_hash(sqlite3_context* context, int, sqlite3_value** args) {
        const auto h = key_sample_hash(bytes_of(args[1]),
                                       static_cast<std::uint64_t>(sqlite3_value_int64(args[0])));
        char be[8];
        for (int i = 0; i < 8; ++i) be[i] = static_cast<char>(h >> (56 - 8 * i));
        sqlite3_result_blob(context, be, 8, SQLITE_TRANSIENT);
    }
    static std::string_view bytes_of(sqlite3_value* value) {
        const auto* data = static_cast<const char*>(sqlite3_value_blob(value));
        const auto size = static_cast<std::size_t>(sqlite3_value_bytes(value));
        return data ? std::string_view(data, size) : std::string_view();
    }

    [[nodiscard]] std::string quoted_table() const {
        std::string quoted = "\"";
        for (const char c : options_.table)
            quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        return quoted + "\"";
    }

    [[nodiscard]] std::int64_t now_ms() const {
        const auto now = options_.now ? options_.now() : expiry_clock::now();
        return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch())
            .count();
    }

    static std::string column(sqlite3_stmt* s, int i) {
        const auto* data = static_cast<const char*>(sqlite3_column_blob(s, i));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(s, i));
        return data ? std::string(data, size) : std::string();
    }

    std::optional<std::string> get_locked(const std::string& key) {
        statement s(*this, get_, "get");
        s.bind(1, key);
        s.bind(9, now_ms());
        if (!s.step()) return std::nullopt;
        return column(get_.get(), 0);
    }

    /// Runs `insert_` (expiry `expires`, none when empty) at time `now`;
    /// whether it wrote a row.
    bool insert_locked(const std::string& key, const std::string& value,
                       std::optional<std::int64_t> expires, std::int64_t now) {
        statement s(*this, insert_, "put_if_absent");
        s.bind(1, key);
        s.bind(2, value);
        if (expires) s.bind(3, *expires);
        s.bind(9, now);
        s.run();
        return sqlite3_changes(db_.get()) > 0;
    }

    void put_locked(const std::string& key, const std::string& value,
                    std::optional<std::int64_t> expires) {
        statement s(*this, put_, "put");
        s.bind(1, key);
        s.bind(2, value);
        if (expires) s.bind(3, *expires);
        s.run();
    }

    options options_;
    std::string path_;
    std::unique_ptr<sqlite3, db_close> db_;
    /// `scan` into a `Page`, with each item's expiry when the page has room for it.
    template <class Page>
    Page scan_into(const cursor_type& from, std::size_t limit) {
        const std::lock_guard lock(mutex_);
        statement s(*this, scan_, "scan");
        if (from.after) s.bind(1, *from.after);
        sqlite3_bind_int64(scan_.get(), 2, static_cast<sqlite3_int64>(limit));
        s.bind(9, now_ms());
        Page page;
        while (s.step()) {
            page.items.emplace_back(column(scan_.get(), 0), column(scan_.get(), 1));
            if constexpr (requires { page.expiries; }) {
                page.expiries.push_back(
                    sqlite3_column_type(scan_.get(), 2) == SQLITE_NULL
                        ? std::nullopt
                        : std::optional(expiry_clock::time_point(
                              std::chrono::milliseconds(sqlite3_column_int64(scan_.get(), 2)))));
            }
        }
        if (limit > 0 && page.items.size() == limit)
            page.next = cursor_type{page.items.back().first};
        if (limit == 0) page.next = from;
        return page;
    }

    stmt_ptr get_, put_, erase_, insert_, scan_, expiry_, purge_, data_version_, sample_, count_;
    std::array<stmt_ptr, 4> digest_, keys_every_;  // by bounds_of(range)
    std::mutex mutex_;
};

}  // namespace dualstore::adapters
