#pragma once
/// \file
/// `adapters::postgresql_retry_queue`: a `retry_queue` in a PostgreSQL
/// table, claimed with `SELECT ... FOR UPDATE SKIP LOCKED`, PostgreSQL's own
/// work-queue idiom.

#include <dualstore/adapters/postgresql/connection.hpp>
#include <dualstore/detail/entry_codec.hpp>
#include <dualstore/retry_queue.hpp>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dualstore::adapters {

/// How a `postgresql_retry_queue` keeps its entries.
struct postgresql_queue_options {
    std::string table = "dualstore_retry";  ///< entries; dead letters in `<table>_dead`
    std::chrono::milliseconds claim_timeout = std::chrono::minutes(5);  ///< a claim lapses after
    postgresql_limits limits{};  ///< the connection's time limits
};

/// A retry queue in the table `(id text primary key, due int8, claimed_until
/// int8, body bytea)`, the body the entry in the library's binary entry
/// format, and dead letters in `<table>_dead (id, reason, body)`. `take`
/// is one statement: it locks the due, unclaimed rows in identifier order
/// with `FOR UPDATE SKIP LOCKED` (rows another drainer is claiming at that
/// moment are skipped, not waited for) and stamps them claimed until
/// `now + claim_timeout`, so any number of drainers in any number of
/// processes share the queue without taking one entry twice, and the
/// entries of a drainer that died come back when its claim lapses.
/// `dead_letter` moves an entry in one statement. Thread-safe (one
/// connection, calls serialised); every call bounded by the connection's
/// limits.
class postgresql_retry_queue {
public:
    /// Connects with `dsn` (passwords never appear in errors) and creates the
    /// tables when missing.
    explicit postgresql_retry_queue(const std::string& dsn, postgresql_queue_options options = {})
        : options_(std::move(options)), connection_(dsn, options_.limits) {
        const auto t = postgresql_connection::quoted(options_.table);
        const auto dead = postgresql_connection::quoted(options_.table + "_dead");
        connection_.create(fmt::format("CREATE TABLE IF NOT EXISTS {} (id text PRIMARY KEY, due "
                                       "int8 NOT NULL, claimed_until int8, body bytea NOT NULL)",
                                       t),
                           "create queue table");
        connection_.create(fmt::format("CREATE TABLE IF NOT EXISTS {} (id text PRIMARY KEY, "
                                       "reason text NOT NULL, body bytea NOT NULL, moved int8 "
                                       "NOT NULL)",
                                       dead),
                           "create dead-letter table");
        connection_.prepare("queue:push",
                            fmt::format("INSERT INTO {} (id, due, body) VALUES ($1, $2, $3) ON "
                                        "CONFLICT (id) DO UPDATE SET due = EXCLUDED.due, "
                                        "claimed_until = NULL, body = EXCLUDED.body",
                                        t),
                            3);
        connection_.prepare(
            "queue:take",
            fmt::format("WITH due AS (SELECT id FROM {0} WHERE due <= $1 AND (claimed_until IS "
                        "NULL OR claimed_until <= $1) ORDER BY id LIMIT $2 FOR UPDATE SKIP "
                        "LOCKED) UPDATE {0} AS q SET claimed_until = $3 FROM due WHERE q.id = "
                        "due.id RETURNING q.id, q.body",
                        t),
            3);
        connection_.prepare("queue:ack", fmt::format("DELETE FROM {} WHERE id = $1", t), 1);
        connection_.prepare("queue:fail",
                            fmt::format("UPDATE {} SET due = $2, claimed_until = NULL, body = $3 "
                                        "WHERE id = $1",
                                        t),
                            3);
        connection_.prepare(
            "queue:dead",
            fmt::format("WITH gone AS (DELETE FROM {} WHERE id = $1) INSERT INTO {} (id, reason, "
                        "body, moved) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET "
                        "reason = EXCLUDED.reason, body = EXCLUDED.body",
                        t, dead),
            4);
        connection_.prepare("queue:size", fmt::format("SELECT count(*)::int8 FROM {}", t), 0);
        connection_.prepare("queue:dead_letters",
                            fmt::format("SELECT id, reason, body FROM {} ORDER BY moved, id", dead),
                            0);
    }

    /// Adds `entry` (an identifier is assigned when it has none); an entry
    /// with the identifier of a waiting one replaces it.
    void push(retry_entry entry) {
        if (entry.id.empty()) entry.id = detail::new_entry_id(queue_clock::now());
        const auto due = postgresql_connection::int8_ms(entry.next_attempt);
        const auto body = detail::encode_entry(entry);
        const std::array<std::optional<std::string_view>, 3> p{entry.id, due, body};
        const std::lock_guard lock(mutex_);
        connection_.run("queue:push", p, "queue push");
    }

    /// Claims up to `max` entries due at `now`, in identifier order, until
    /// `now + claim_timeout`. An entry whose body cannot be decoded is
    /// dead-lettered with the reason instead of returned.
    std::vector<retry_entry> take(std::size_t max, queue_clock::time_point now) {
        const auto now_bytes = postgresql_connection::int8_ms(now);
        const auto limit = postgresql_connection::int8(static_cast<std::int64_t>(max));
        const auto until = postgresql_connection::int8_ms(now + options_.claim_timeout);
        const std::array<std::optional<std::string_view>, 3> p{now_bytes, limit, until};
        std::vector<std::pair<std::string, std::string>> rows;
        {
            const std::lock_guard lock(mutex_);
            const auto r = connection_.run("queue:take", p, "queue take");
            for (int i = 0; i < PQntuples(r.get()); ++i) {
                rows.emplace_back(postgresql_connection::bytes_at(r.get(), i, 0),
                                  postgresql_connection::bytes_at(r.get(), i, 1));
            }
        }
        std::sort(rows.begin(), rows.end());  // RETURNING keeps no order
        return detail::decode_rows(rows, [this](const auto&... dead) { move_to_dead(dead...); });
    }

    /// Removes a repaired entry.
    void ack(const retry_entry& entry) {
        const std::array<std::optional<std::string_view>, 1> p{entry.id};
        const std::lock_guard lock(mutex_);
        connection_.run("queue:ack", p, "queue ack");
    }

    /// Records a failed repair: one more attempt, the error, the next due
    /// time; releases the claim. An entry acknowledged meanwhile stays gone.
    void fail(const retry_entry& entry, std::string error, queue_clock::time_point next_attempt) {
        const auto next = detail::after_failed_repair(entry, std::move(error), next_attempt);
        const auto due = postgresql_connection::int8_ms(next_attempt);
        const auto body = detail::encode_entry(next);
        const std::array<std::optional<std::string_view>, 3> p{entry.id, due, body};
        const std::lock_guard lock(mutex_);
        connection_.run("queue:fail", p, "queue fail");
    }

    /// Moves `entry` to the dead letters with `reason`, in one statement.
    void dead_letter(const retry_entry& entry, std::string reason) {
        move_to_dead(entry.id, reason, detail::encode_entry(entry));
    }

    /// The entries waiting (claimed or not).
    [[nodiscard]] std::size_t size() const {
        const std::lock_guard lock(mutex_);
        const auto r = connection_.run("queue:size", {}, "queue size");
        return static_cast<std::size_t>(postgresql_connection::int8_at(r.get(), 0, 0));
    }

    /// The entries moved aside, oldest first; an undecodable body is kept
    /// as `raw`.
    [[nodiscard]] std::vector<dualstore::dead_letter> dead_letters() const {
        std::vector<dualstore::dead_letter> dead;
        const std::lock_guard lock(mutex_);
        const auto r = connection_.run("queue:dead_letters", {}, "queue dead letters");
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            dead.push_back(detail::dead_letter_of(postgresql_connection::bytes_at(r.get(), i, 0),
                                                  postgresql_connection::bytes_at(r.get(), i, 1),
                                                  postgresql_connection::bytes_at(r.get(), i, 2)));
        }
        return dead;
    }

private:
    void move_to_dead(std::string_view id, std::string_view reason, std::string_view body) {
        const auto moved = postgresql_connection::int8_ms(queue_clock::now());
        const std::array<std::optional<std::string_view>, 4> p{id, reason, body, moved};
        const std::lock_guard lock(mutex_);
        connection_.run("queue:dead", p, "queue dead letter");
    }

    postgresql_queue_options options_;
    mutable postgresql_connection connection_;
    mutable std::mutex mutex_;
};

}  // namespace dualstore::adapters
