#pragma once
/// \file
/// `adapters::redis_address`: a Redis URL parsed into where the server is and
/// how to log in; `redis_error` and `redis_timeout`, the errors of the
/// Redis adapter.

#include <dualstore/error.hpp>
#include <dualstore/redact.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace dualstore::adapters
