#pragma once
/// \file
/// `adapters::postgresql_connection`: one libpq connection with prepared
/// statements, binary parameters and results, and a bound on every network
/// wait (`postgresql_limits`); `postgresql_error` and `postgresql_timeout`,
/// the errors of the PostgreSQL adapter.

#include <dualstore/error.hpp>
#include <dualstore/redact.hpp>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
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
    /// A time as PostgreSQL's binary int8 of milliseconds since the epoch.
    static std::string int8_ms(std::chrono::system_clock::time_point t) {
        return int8(
            std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
    }
    /// `name` as a quoted SQL identifier (a `"` inside doubled).
    static std::string quoted(std::string_view name) {
        std::string out = "\"";
        for (const char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
        return out + "\"";
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

}  // namespace dualstore::adapters
