#pragma once
/// \file
/// `adapters::redis_connection`: one binary-safe connection to a Redis
/// server, with timeouts on connecting and on every command, AUTH and
/// SELECT on each (re)connection; `redis_options`, how it connects.

#include <dualstore/adapters/redis/address.hpp>
#include <dualstore/redact.hpp>

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::adapters {

/// Where `redis_store::sample_keys` hashes the keys it samples.
enum class redis_key_sampling {
    /// In the client: `SCAN` sends every key (not the values) and the client
    /// keeps the sample; the server spends only the `SCAN`.
    in_client,
    /// On the server, in a Lua script: only about the sample is sent; the
    /// server spends about 11 µs a key (Lua's MD5), in slices of about 1 ms.
    on_server,
};

/// How a `redis_store` connects.
struct redis_options {
    std::string key_prefix{};  ///< prepended to every key (several stores in one database)
    /// Where `redis_store::sample_keys` hashes keys (`redis_store` only).
    redis_key_sampling key_sampling = redis_key_sampling::in_client;
    /// With `redis_key_sampling::on_server`: keys each call of the script
    /// hashes (`SCAN ... COUNT`), one round trip per call; the server is busy
    /// about 11 µs per key. More for a server far away (1 000: 11 ms per call,
    /// as many round trips as `in_client`), fewer for shorter pauses.
    std::size_t sample_page = 100;
    std::chrono::milliseconds connect_timeout =
        std::chrono::seconds(2);  ///< per connection attempt
    std::chrono::milliseconds command_timeout = std::chrono::seconds(2);  ///< per command
    std::string username{};  ///< ACL user for AUTH; empty: the URL's, else the default user
    std::string password{};  ///< password for AUTH; empty: the URL's, else no AUTH
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

}  // namespace dualstore::adapters
