#pragma once
/// \file
/// `adapters::redis_store`: a key-value store in a Redis database, and
/// `adapters::redis_lease_lock`. Models kv, scannable (resumable),
/// expiring (native TTL), conditional (`SET NX`, and `SET NX PX` for
/// `conditional_expiring_store`) and batch (MGET, pipelined SETs) stores.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/lease_token.hpp>
#include <dualstore/error.hpp>
#include <dualstore/lease_lock.hpp>
#include <dualstore/redact.hpp>

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::adapters {

/// An error from Redis or the connection to it: names the engine, the
/// server (its URL with any password replaced by `***`), the operation and
/// the cause.
class redis_error : public error {
public:
    using error::error;
};

/// A command or a connection attempt that got no answer within its limit
/// (`redis_options::command_timeout` or `connect_timeout`); the message names
/// the command and the limit. The connection is dropped, so the next call
/// reconnects.
class redis_timeout : public redis_error {
public:
    using redis_error::redis_error;
};

/// How a `redis_store` connects.
struct redis_options {
    std::string key_prefix{};  ///< prepended to every key (several stores in one database)
    std::chrono::milliseconds connect_timeout =
        std::chrono::seconds(2);  ///< per connection attempt
    std::chrono::milliseconds command_timeout = std::chrono::seconds(2);  ///< per command
    std::string username{};  ///< ACL user for AUTH; empty: the URL's, else the default user
    std::string password{};  ///< password for AUTH; empty: the URL's, else no AUTH
};

/// Where a Redis server is and how to log in: a parsed URL.
///
/// Accepted forms (user and password are percent-decoded):
/// - `redis://[[user]:password@]host[:port][/db]`, host a name, an IPv4
///   address or a bracketed IPv6 address; port 6379 when omitted;
/// - `unix:///path/to/socket[?db=N][&user=U][&password=P]`.
/// `rediss://` (TLS) is refused with an explanation: the hiredis of Debian 12
/// (0.14) is built without SSL.
struct redis_address {
    std::string host{};         ///< TCP host; empty for a unix socket
    int port = 6379;            ///< TCP port
    std::string socket_path{};  ///< the unix socket; empty for TCP
    int db = 0;                 ///< the database SELECTed after connecting
    std::string username{};     ///< ACL user; empty: the default user
    std::string password{};     ///< empty: no AUTH

    /// Parses `url`; throws `redis_error` naming what is wrong, quoting the
    /// URL with its password replaced by `***`.
    [[nodiscard]] static redis_address parse(std::string_view url) {
        redis_address a;
        const auto shown = redact_secrets(url);
        const auto bad = [&](std::string_view why) {
            return redis_error(fmt::format("redis: bad URL {:?}: {}", shown, why));
        };
        constexpr std::string_view tcp = "redis://", tls = "rediss://", unix_socket = "unix://";
        if (url.starts_with(tls)) {
            throw bad(
                "TLS (rediss://) needs a hiredis built with SSL, and Debian 12's hiredis 0.14 has "
                "none: reach the server through a TLS tunnel (stunnel, spiped) and connect with "
                "redis:// to the tunnel's local end");
        }
        if (url.starts_with(unix_socket)) {
            auto rest = url.substr(unix_socket.size());
            const auto query = rest.find('?');
            a.socket_path = percent_decoded(rest.substr(0, query), bad);
            if (!a.socket_path.starts_with('/')) throw bad("the socket path must be absolute");
            if (query != std::string_view::npos) a.parse_query(rest.substr(query + 1), bad);
            return a;
        }
        if (!url.starts_with(tcp)) {
            throw bad(
                "expected redis://[[user]:password@]host[:port][/db] or "
                "unix:///path/to/socket[?db=N]");
        }
        auto rest = url.substr(tcp.size());
        const auto slash = rest.find('/');
        auto authority = rest.substr(0, slash);
        if (slash != std::string_view::npos) {
            if (const auto db = rest.substr(slash + 1); !db.empty()) a.db = parse_db(db, bad);
        }
        if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
            const auto user_info = authority.substr(0, at);
            const auto colon = user_info.find(':');
            a.username = percent_decoded(user_info.substr(0, colon), bad);
            if (colon != std::string_view::npos)
                a.password = percent_decoded(user_info.substr(colon + 1), bad);
            authority = authority.substr(at + 1);
        }
        auto host = authority;
        std::optional<std::string_view> port;
        if (authority.starts_with('[')) {  // [IPv6]:port
            const auto close = authority.find(']');
            if (close == std::string_view::npos) throw bad("unclosed '[' in the host");
            host = authority.substr(1, close - 1);
            const auto after = authority.substr(close + 1);
            if (!after.empty() && !after.starts_with(':')) throw bad("text after the host");
            if (!after.empty()) port = after.substr(1);
        } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
        }
        if (port) {
            const auto [end, ec] =
                std::from_chars(port->data(), port->data() + port->size(), a.port);
            if (ec != std::errc{} || end != port->data() + port->size() || a.port <= 0 ||
                a.port > 65535) {
                throw bad(fmt::format("port {:?} is not a port number (1 to 65535)", *port));
            }
        }
        if (host.empty()) throw bad("no host");
        a.host = std::string(host);
        return a;
    }

private:
    template <class Bad>
    static int parse_db(std::string_view text, Bad& bad) {
        int db = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), db);
        if (ec == std::errc::result_out_of_range || (ec == std::errc{} && db < 0)) {
            throw bad(
                fmt::format("database {} is out of range: databases are numbered from 0 up to the "
                            "server's `databases` setting (16 by default) minus one",
                            text));
        }
        if (ec != std::errc{} || end != text.data() + text.size())
            throw bad(fmt::format("database {:?} is not a number", text));
        return db;
    }

    template <class Bad>
    void parse_query(std::string_view query, Bad& bad) {
        while (!query.empty()) {
            const auto amp = query.find('&');
            const auto pair = query.substr(0, amp);
            query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
            const auto eq = pair.find('=');
            const auto name = pair.substr(0, eq);
            const auto value =
                eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
            if (name == "db") {
                db = parse_db(value, bad);
            } else if (name == "user") {
                username = percent_decoded(value, bad);
            } else if (name == "password") {
                password = percent_decoded(value, bad);
            } else {
                throw bad(fmt::format("unknown parameter {:?} (known: db, user, password)", name));
            }
        }
    }

    /// `text` with %XX escapes decoded.
    template <class Bad>
    static std::string percent_decoded(std::string_view text, Bad& bad) {
        std::string out;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] != '%') {
                out.push_back(text[i]);
                continue;
            }
            unsigned value = 0;
            if (i + 2 >= text.size() ||
                std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr !=
                    text.data() + i + 3) {
                throw bad("a '%' is not followed by two hexadecimal digits");
            }
            out.push_back(static_cast<char>(value));
            i += 2;
        }
        return out;
    }
};

/// A connection to a Redis server (see `redis_address` for the URL forms),
/// binary-safe (every argument is sent with its length). On connecting it
/// authenticates (`AUTH`) and selects the database (`SELECT`); if either is
/// refused the connection is closed and the call throws, so a command never
/// runs as another user or in another database. A command that fails on the
/// connection (server restarted, connection dropped, timeout) throws
/// `redis_error` (`redis_timeout` for a timeout); the next call reconnects.
/// Thread-safe: one connection, commands serialised by a mutex.
class redis_connection {
public:
    /// Parses `url` and connects; throws `redis_error` for a bad URL, an
    /// unreachable server (within `connect_timeout`) or a refused AUTH or
    /// SELECT. `options.username`/`password`, when set, replace the URL's.
    redis_connection(std::string_view url, const redis_options& options)
        : url_(redact_secrets(url)),
          address_(redis_address::parse(url)),
          connect_timeout_(options.connect_timeout),
          command_timeout_(options.command_timeout) {
        if (!options.username.empty()) address_.username = options.username;
        if (!options.password.empty()) address_.password = options.password;
        const std::lock_guard lock(mutex_);
        connect("connect to");
    }

    /// A reply owned by the caller.
    using reply = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

    /// Runs one command; throws on connection errors and error replies.
    reply command(std::initializer_list<std::string_view> args, std::string_view what) {
        const std::lock_guard lock(mutex_);
        return run(std::vector<std::string_view>(args), what);
    }

    /// Runs one command given as a vector of arguments.
    reply command(const std::vector<std::string_view>& args, std::string_view what) {
        const std::lock_guard lock(mutex_);
        return run(args, what);
    }

    /// Sends every command before reading any reply (one round trip). Every
    /// reply is read before an error reply throws, so the connection stays in
    /// step with the server (the error names the first failed command).
    std::vector<reply> pipeline(const std::vector<std::vector<std::string_view>>& commands,
                                std::string_view what) {
        const std::lock_guard lock(mutex_);
        ensure_connected(what);
        for (const auto& args : commands) {
            auto [argv, lengths] = split(args);
            if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()), argv.data(),
                                       lengths.data()) != REDIS_OK) {
                fail_connection(what);
            }
        }
        std::vector<reply> replies;
        replies.reserve(commands.size());
        std::optional<std::size_t> first_error;
        for (std::size_t i = 0; i < commands.size(); ++i) {
            void* raw = nullptr;
            if (redisGetReply(ctx_.get(), &raw) != REDIS_OK) fail_connection(what);
            replies.emplace_back(static_cast<redisReply*>(raw), &freeReplyObject);
            if (!first_error && replies.back()->type == REDIS_REPLY_ERROR) first_error = i;
        }
        if (first_error) {
            const auto& r = *replies[*first_error];
            throw redis_error(fmt::format("redis: {} on {}: command {} of {}: {}", what, url_,
                                          *first_error + 1, commands.size(),
                                          std::string_view(r.str, r.len)));
        }
        return replies;
    }

    /// The server's URL, its password replaced by `***`.
    [[nodiscard]] const std::string& url() const noexcept { return url_; }

private:
    struct context_free {
        void operator()(redisContext* c) const noexcept { redisFree(c); }
    };
    using context = std::unique_ptr<redisContext, context_free>;

    static timeval to_timeval(std::chrono::milliseconds d) {
        return {static_cast<decltype(timeval::tv_sec)>(d.count() / 1000),
                static_cast<decltype(timeval::tv_usec)>((d.count() % 1000) * 1000)};
    }

    /// Opens a connection, logs in and selects the database; keeps it only
    /// when all of that succeeded. `doing` starts every error message
    /// ("connect to", "put: reconnect to").
    void connect(std::string_view doing) {
        const auto where = fmt::format("{} {}", doing, url_);
        errno = 0;
        context c(address_.socket_path.empty()
                      ? redisConnectWithTimeout(address_.host.c_str(), address_.port,
                                                to_timeval(connect_timeout_))
                      : redisConnectUnixWithTimeout(address_.socket_path.c_str(),
                                                    to_timeval(connect_timeout_)));
        if (!c || c->err) {
            if (errno == ETIMEDOUT) {
                throw redis_timeout(fmt::format(
                    "redis: {}: timed out: no connection within {} ms (connect_timeout)", where,
                    connect_timeout_.count()));
            }
            throw redis_error(
                fmt::format("redis: {}: {}", where, c ? c->errstr : "cannot allocate a context"));
        }
        redisSetTimeout(c.get(), to_timeval(command_timeout_));
        if (!address_.password.empty()) {
            std::vector<std::string_view> auth{"AUTH"};
            if (!address_.username.empty()) auth.emplace_back(address_.username);
            auth.emplace_back(address_.password);
            handshake(c, auth, where,
                      address_.username.empty()
                          ? std::string("AUTH with a password")
                          : fmt::format("AUTH as user {:?}", address_.username));
        }
        if (address_.db != 0) {
            const auto db = std::to_string(address_.db);
            handshake(c, {"SELECT", db}, where, fmt::format("SELECT of database {}", address_.db));
        }
        ctx_ = std::move(c);
    }

    /// One command of the connection's set-up on `c`; any failure closes `c`
    /// and throws, naming `step` (never its arguments: AUTH's are secret).
    void handshake(context& c, const std::vector<std::string_view>& args, std::string_view where,
                   const std::string& step) {
        auto [argv, lengths] = split(args);
        errno = 0;
        reply r(static_cast<redisReply*>(redisCommandArgv(c.get(), static_cast<int>(argv.size()),
                                                          argv.data(), lengths.data())),
                &freeReplyObject);
        if (!r) {
            const int e = errno;
            const auto why = no_reply(c.get(), e, fmt::format("{}: {}", where, step));
            c.reset();
            why.raise();
        }
        if (r->type == REDIS_REPLY_ERROR) {
            c.reset();
            throw redis_error(fmt::format(
                "redis: {}: {} refused: {} (the connection is closed: no command runs as another "
                "user or in another database)",
                where, step, std::string_view(r->str, r->len)));
        }
    }

    void ensure_connected(std::string_view what) {
        if (!ctx_) connect(fmt::format("{}: reconnect to", what));
    }

    static std::pair<std::vector<const char*>, std::vector<size_t>> split(
        const std::vector<std::string_view>& args) {
        std::pair<std::vector<const char*>, std::vector<size_t>> out;
        for (const auto a : args) {
            out.first.push_back(a.data());
            out.second.push_back(a.size());
        }
        return out;
    }

    reply run(const std::vector<std::string_view>& args, std::string_view what) {
        ensure_connected(what);
        auto [argv, lengths] = split(args);
        errno = 0;
        auto* raw = static_cast<redisReply*>(redisCommandArgv(
            ctx_.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()));
        if (raw == nullptr) fail_connection(what);
        reply r(raw, &freeReplyObject);
        if (r->type == REDIS_REPLY_ERROR) {
            throw redis_error(
                fmt::format("redis: {} on {}: {}", what, url_, std::string_view(r->str, r->len)));
        }
        return r;
    }

    /// Why a call on `c` got no reply: a timeout (hiredis reports a read that
    /// timed out as EAGAIN in `e`, the errno of the failed call) or the
    /// connection's error.
    struct failure {
        bool timed_out;
        std::string message;
        [[noreturn]] void raise() const {
            if (timed_out) throw redis_timeout(message);
            throw redis_error(message);
        }
    };
    [[nodiscard]] failure no_reply(const redisContext* c, int e, std::string_view where) const {
        if (c != nullptr && c->err == REDIS_ERR_IO && (e == EAGAIN || e == EWOULDBLOCK)) {
            return {true, fmt::format("redis: {}: timed out: no reply within {} ms "
                                      "(command_timeout); the connection is dropped",
                                      where, command_timeout_.count())};
        }
        return {false, fmt::format("redis: {}: {}", where,
                                   c != nullptr && c->err ? c->errstr : "connection lost")};
    }

    /// The connection broke or timed out: report it and drop it, so the next
    /// call reconnects.
    [[noreturn]] void fail_connection(std::string_view what) {
        const int e = errno;
        const auto why = no_reply(ctx_.get(), e, fmt::format("{} on {}", what, url_));
        ctx_.reset();
        why.raise();
    }

    std::string url_;  // redacted
    redis_address address_;
    std::chrono::milliseconds connect_timeout_, command_timeout_;
    context ctx_;
    std::mutex mutex_;
};

/// Keys and values (byte strings) in a Redis database, under a key prefix.
/// TTLs are Redis's own (`SET ... PX`, `PTTL`). Scans use `SCAN` with a
/// `MATCH` on the prefix: a key present for the whole scan is returned at
/// least once; Redis may return a key twice when its table is resized during
/// the scan (duplicates within one page are removed). A cursor is Redis's
/// cursor plus the keys of the last `SCAN` reply not yet returned.
class redis_store {
public:
    using key_type = std::string;     ///< keys are byte strings
    using mapped_type = std::string;  ///< values are byte strings
    /// Where a scan resumes.
    struct cursor_type {
        std::string redis_cursor = "0";    ///< Redis's SCAN cursor
        std::vector<std::string> pending;  ///< keys already listed, not yet returned
        bool started = false;              ///< whether SCAN has been called
        /// Cursors are equal when every field is.
        friend bool operator==(const cursor_type&, const cursor_type&) = default;
    };

    /// Connects to `url` (see `redis_address` for its forms); throws
    /// `redis_error`, which never shows the password.
    explicit redis_store(std::string_view url, redis_options options = {})
        : options_(std::move(options)), connection_(url, options_) {}

    /// The value of `key`.
    [[nodiscard]] std::optional<std::string> get(const std::string& key) {
        const auto k = full(key);
        return value_of(*connection_.command({"GET", k}, "get"));
    }

    /// Sets `key` (no expiry).
    void put(const std::string& key, const std::string& value) {
        const auto k = full(key);
        connection_.command({"SET", k, value}, "put");
    }

    /// Sets `key`, expiring after `ttl`.
    void put(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) {
        const auto k = full(key);
        const auto ms = std::to_string(std::max<std::int64_t>(1, ttl.count()));
        connection_.command({"SET", k, value, "PX", ms}, "put");
    }

    /// Deletes `key`; whether it existed.
    bool erase(const std::string& key) {
        const auto k = full(key);
        return connection_.command({"DEL", k}, "erase")->integer > 0;
    }

    /// `SET NX`: writes only if absent; whether it wrote.
    bool put_if_absent(const std::string& key, const std::string& value) {
        const auto k = full(key);
        return connection_.command({"SET", k, value, "NX"}, "put_if_absent")->type !=
               REDIS_REPLY_NIL;
    }

    /// `SET NX PX`: writes `key`, expiring after `ttl`, only if absent (Redis
    /// has already dropped an expired key); whether it wrote. One command, so
    /// atomic; a present key keeps its value and expiry. A `ttl` below 1 ms
    /// is sent as 1 ms, as by `put(key, value, ttl)`.
    bool put_if_absent(const std::string& key, const std::string& value,
                       std::chrono::milliseconds ttl) {
        const auto k = full(key);
        const auto ms = std::to_string(std::max<std::int64_t>(1, ttl.count()));
        return connection_.command({"SET", k, value, "NX", "PX", ms}, "put_if_absent")->type !=
               REDIS_REPLY_NIL;
    }

    /// The absolute expiry of `key` (from `PTTL`), if it has one.
    [[nodiscard]] std::optional<expiry_clock::time_point> expiry(const std::string& key) {
        const auto k = full(key);
        const auto ms = connection_.command({"PTTL", k}, "expiry")->integer;
        if (ms < 0) return std::nullopt;  // -1: no expiry, -2: no key
        return std::chrono::time_point_cast<expiry_clock::duration>(expiry_clock::now() +
                                                                    std::chrono::milliseconds(ms));
    }

    /// `MGET` of every key.
    [[nodiscard]] std::vector<std::optional<std::string>> get_many(
        std::span<const std::string> keys) {
        std::vector<std::optional<std::string>> values;
        if (keys.empty()) return values;
        std::vector<std::string> full_keys;
        full_keys.reserve(keys.size());
        for (const auto& k : keys) full_keys.push_back(full(k));
        std::vector<std::string_view> args{"MGET"};
        for (const auto& k : full_keys) args.emplace_back(k);
        const auto r = connection_.command(args, "get_many");
        for (std::size_t i = 0; i < r->elements; ++i) values.push_back(value_of(*r->element[i]));
        return values;
    }

    /// Every `SET`, pipelined in one round trip.
    void put_many(std::span<const std::pair<std::string, std::string>> items) {
        std::vector<std::string> full_keys;
        full_keys.reserve(items.size());
        for (const auto& [k, v] : items) full_keys.push_back(full(k));
        std::vector<std::vector<std::string_view>> commands;
        for (std::size_t i = 0; i < items.size(); ++i)
            commands.push_back({"SET", full_keys[i], items[i].second});
        connection_.pipeline(commands, "put_many");
    }

    /// At most `limit` entries after the cursor.
    [[nodiscard]] scan_page<std::string, std::string, cursor_type> scan(const cursor_type& from,
                                                                        std::size_t limit) {
        scan_page<std::string, std::string, cursor_type> page;
        cursor_type c = from;
        std::set<std::string> seen;
        while (page.items.size() < limit) {
            if (c.pending.empty()) {
                if (c.started && c.redis_cursor == "0") break;  // the scan is complete
                const auto count = std::to_string(std::max<std::size_t>(limit, 10));
                const auto pattern = glob_escape(options_.key_prefix) + "*";
                const auto r = connection_.command(
                    {"SCAN", c.redis_cursor, "MATCH", pattern, "COUNT", count}, "scan");
                c.started = true;
                c.redis_cursor.assign(r->element[0]->str, r->element[0]->len);
                const auto* keys = r->element[1];
                for (std::size_t i = 0; i < keys->elements; ++i) {
                    c.pending.emplace_back(keys->element[i]->str, keys->element[i]->len);
                }
                continue;
            }
            std::string k = std::move(c.pending.back());
            c.pending.pop_back();
            if (!seen.insert(k).second) continue;
            if (auto value = value_of(*connection_.command({"GET", k}, "scan"))) {
                page.items.emplace_back(k.substr(options_.key_prefix.size()), std::move(*value));
            }
        }
        if (limit == 0 || !c.pending.empty() || !(c.started && c.redis_cursor == "0"))
            page.next = std::move(c);
        return page;
    }

    /// Saves a cursor as bytes (for backfill checkpoints).
    [[nodiscard]] static std::string encode_cursor(const cursor_type& c) {
        std::string out =
            fmt::format("{}|{}|{}", c.started ? 1 : 0, c.redis_cursor, c.pending.size());
        for (const auto& k : c.pending) out += fmt::format("|{}:{}", k.size(), k);
        return out;
    }
    /// Restores a saved cursor; throws `error` for other bytes.
    [[nodiscard]] static cursor_type decode_cursor(std::string_view bytes) {
        cursor_type c;
        const auto fail = [&] {
            return error(fmt::format("dualstore: not a redis scan cursor: {:?}", bytes));
        };
        const auto field = [&](std::string_view& rest) {
            const auto bar = rest.find('|');
            const auto f = rest.substr(0, bar);
            rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
            return f;
        };
        std::string_view rest = bytes;
        const auto started = field(rest);
        if (started != "0" && started != "1") throw fail();
        c.started = started == "1";
        c.redis_cursor = std::string(field(rest));
        std::size_t n = 0;
        const auto count = field(rest);
        if (std::from_chars(count.data(), count.data() + count.size(), n).ec != std::errc{})
            throw fail();
        for (std::size_t i = 0; i < n; ++i) {
            const auto colon = rest.find(':');
            std::size_t len = 0;
            if (colon == std::string_view::npos ||
                std::from_chars(rest.data(), rest.data() + colon, len).ec != std::errc{} ||
                colon + 1 + len > rest.size()) {
                throw fail();
            }
            c.pending.emplace_back(rest.substr(colon + 1, len));
            rest = rest.substr(std::min(rest.size(), colon + 2 + len));
        }
        if (c.redis_cursor.empty()) throw fail();
        return c;
    }

    /// The connection (shared with a `redis_lease_lock`).
    [[nodiscard]] redis_connection& connection() noexcept { return connection_; }

private:
    [[nodiscard]] std::string full(std::string_view key) const {
        return options_.key_prefix + std::string(key);
    }

    static std::optional<std::string> value_of(const redisReply& r) {
        if (r.type == REDIS_REPLY_NIL) return std::nullopt;
        return std::string(r.str, r.len);
    }

    /// `text` with Redis glob specials escaped, for MATCH.
    static std::string glob_escape(std::string_view text) {
        std::string out;
        for (const char ch : text) {
            if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') out.push_back('\\');
            out.push_back(ch);
        }
        return out;
    }

    redis_options options_;
    redis_connection connection_;
};

/// A `lease_lock` in Redis: `SET name token NX PX duration` acquires; a Lua
/// script deletes the key only when it still holds the token, so a release
/// never frees someone else's lease (atomic, unlike the generic kv lock).
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
