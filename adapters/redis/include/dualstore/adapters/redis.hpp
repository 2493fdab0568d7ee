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

#include <fmt/format.h>
#include <hiredis/hiredis.h>

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
/// server, the operation and the cause.
class redis_error : public error {
public:
    using error::error;
};

/// How a `redis_store` connects.
struct redis_options {
    std::string key_prefix{};  ///< prepended to every key (several stores in one database)
    std::chrono::milliseconds connect_timeout =
        std::chrono::seconds(2);  ///< per connection attempt
    std::chrono::milliseconds command_timeout = std::chrono::seconds(2);  ///< per command
};

/// A connection to the Redis server of `url` ("redis://host[:port][/db]"),
/// binary-safe (every argument is sent with its length). A command that
/// fails on the connection (server restarted, connection dropped, timeout)
/// throws `redis_error`; the next call reconnects. Thread-safe: one
/// connection, commands serialised by a mutex.
class redis_connection {
public:
    /// Parses `url` and connects; throws `redis_error` for a bad URL or an
    /// unreachable server (within `connect_timeout`).
    redis_connection(std::string_view url, std::chrono::milliseconds connect_timeout,
                     std::chrono::milliseconds command_timeout)
        : url_(url), connect_timeout_(connect_timeout), command_timeout_(command_timeout) {
        parse(url);
        const std::lock_guard lock(mutex_);
        connect();
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

    /// Sends every command before reading any reply (one round trip).
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
        for (std::size_t i = 0; i < commands.size(); ++i) {
            void* raw = nullptr;
            if (redisGetReply(ctx_.get(), &raw) != REDIS_OK) fail_connection(what);
            replies.push_back(
                checked(reply(static_cast<redisReply*>(raw), &freeReplyObject), what));
        }
        return replies;
    }

    /// The server's URL.
    [[nodiscard]] const std::string& url() const noexcept { return url_; }

private:
    struct context_free {
        void operator()(redisContext* c) const noexcept { redisFree(c); }
    };

    void parse(std::string_view url) {
        constexpr std::string_view scheme = "redis://";
        if (!url.starts_with(scheme)) {
            throw redis_error(
                fmt::format("redis: bad URL {:?}: expected redis://host[:port][/db]", url));
        }
        auto rest = url.substr(scheme.size());
        if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
            const auto db = rest.substr(slash + 1);
            if (!db.empty()) {
                const auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), db_);
                if (ec != std::errc{} || end != db.data() + db.size()) {
                    throw redis_error(
                        fmt::format("redis: bad URL {:?}: database {:?} is not a number", url, db));
                }
            }
            rest = rest.substr(0, slash);
        }
        if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
            const auto port = rest.substr(colon + 1);
            const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_);
            if (ec != std::errc{} || end != port.data() + port.size() || port_ <= 0 ||
                port_ > 65535) {
                throw redis_error(
                    fmt::format("redis: bad URL {:?}: port {:?} is not a port number", url, port));
            }
            rest = rest.substr(0, colon);
        }
        if (rest.empty()) throw redis_error(fmt::format("redis: bad URL {:?}: no host", url));
        host_ = std::string(rest);
    }

    static timeval to_timeval(std::chrono::milliseconds d) {
        return {static_cast<decltype(timeval::tv_sec)>(d.count() / 1000),
                static_cast<decltype(timeval::tv_usec)>((d.count() % 1000) * 1000)};
    }

    void connect() {
        ctx_.reset(redisConnectWithTimeout(host_.c_str(), port_, to_timeval(connect_timeout_)));
        if (!ctx_ || ctx_->err) {
            const std::string why = ctx_ ? ctx_->errstr : "cannot allocate a context";
            ctx_.reset();
            throw redis_error(fmt::format("redis: connect to {}: {}", url_, why));
        }
        redisSetTimeout(ctx_.get(), to_timeval(command_timeout_));
        if (db_ != 0) run({"SELECT", std::to_string(db_)}, "select");
    }

    void ensure_connected(std::string_view what) {
        if (ctx_) return;
        try {
            connect();
        } catch (const redis_error& e) {
            throw redis_error(fmt::format("redis: {}: {}", what, e.what()));
        }
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
        auto* raw = static_cast<redisReply*>(redisCommandArgv(
            ctx_.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()));
        if (raw == nullptr) fail_connection(what);
        return checked(reply(raw, &freeReplyObject), what);
    }

    reply checked(reply r, std::string_view what) const {
        if (r->type == REDIS_REPLY_ERROR) {
            throw redis_error(
                fmt::format("redis: {} on {}: {}", what, url_, std::string_view(r->str, r->len)));
        }
        return r;
    }

    /// The connection broke: report it and drop it, so the next call reconnects.
    [[noreturn]] void fail_connection(std::string_view what) {
        const std::string why = ctx_ && ctx_->err ? ctx_->errstr : "connection lost";
        ctx_.reset();
        throw redis_error(fmt::format("redis: {} on {}: {}", what, url_, why));
    }

    std::string url_;
    std::string host_;
    int port_ = 6379;
    int db_ = 0;
    std::chrono::milliseconds connect_timeout_, command_timeout_;
    std::unique_ptr<redisContext, context_free> ctx_;
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

    /// Connects to `url` ("redis://host[:port][/db]"); throws `redis_error`.
    explicit redis_store(std::string_view url, redis_options options = {})
        : options_(std::move(options)),
          connection_(url, options_.connect_timeout, options_.command_timeout) {}

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
