#pragma once
// open_store(url): the store a URL names, as an any_store, for the dualstore
// tool. The forms (an engine's options after '#', never sent to the engine):
//
//   sqlite:PATH[#table=T]          gdbm:PATH          lmdb:PATH[#database=D]
//   rocksdb:PATH                   redis://[[user]:password@]host[:port][/db][#prefix=P]
//   unix:///path/redis.sock[?db=N][#prefix=P]
//     (Redis also [&sampling=client|server][&sample_page=N])
//   postgresql://... (a libpq URI) or postgresql:DSN (key=value ...), [#table=T]
//
// A URL is never echoed with its password: errors quote redact_secrets(url).

#include <dualstore/adapters/gdbm.hpp>
#include <dualstore/adapters/postgresql.hpp>
#include <dualstore/adapters/redis.hpp>
#include <dualstore/adapters/sqlite.hpp>
#include <dualstore/any_store.hpp>
#include <dualstore/redact.hpp>
#ifdef DUALSTORE_TOOL_LMDB
#include <dualstore/adapters/lmdb.hpp>
#endif
#ifdef DUALSTORE_TOOL_ROCKSDB
#include <dualstore/adapters/rocksdb.hpp>
#endif

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dualstore_tool {

/// A URL or flag the tool cannot use: exit status 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The forms open_store accepts, for messages and --help.
inline constexpr std::string_view url_forms =
    "sqlite:PATH[#table=T], gdbm:PATH, lmdb:PATH[#database=D], rocksdb:PATH, "
    "redis://[[user]:password@]host[:port][/db][#prefix=P][&sampling=client|server]"
    "[&sample_page=N], unix:///path.sock[?db=N][#prefix=P][&sampling=...][&sample_page=N], "
    "postgresql://...[#table=T] or postgresql:DSN[#table=T]";

/// The engine's option `name` in the fragment (`#name=value`, several
/// joined by `&`), or `fallback`. `known` lists every option this engine
/// takes (empty: `name` alone); any other is a usage_error naming them.
inline std::string fragment_option(std::string_view fragment, std::string_view name,
                                   std::string_view url, std::string fallback,
                                   std::initializer_list<std::string_view> known = {}) {
    const std::initializer_list<std::string_view> only_name{name};
    const auto names = known.size() == 0 ? only_name : known;
    std::string value = std::move(fallback);
    while (!fragment.empty()) {
        const auto amp = fragment.find('&');
        const auto option = fragment.substr(0, amp);
        fragment = amp == std::string_view::npos ? std::string_view{} : fragment.substr(amp + 1);
        const auto eq = option.find('=');
        const auto option_name = option.substr(0, std::min(eq, option.size()));
        if (eq == std::string_view::npos || eq + 1 == option.size() ||
            std::ranges::find(names, option_name) == names.end()) {
            std::string takes;
            for (const auto k : names)
                takes += fmt::format("{}#{}=...", takes.empty() ? "" : ", ", k);
            throw usage_error(fmt::format("{:?}: unknown option '#{}' (this engine takes {})",
                                          dualstore::redact_secrets(url), option, takes));
        }
        if (option_name == name) value = std::string(option.substr(eq + 1));
    }
    return value;
}

/// A Redis store's options from the fragment: `#prefix=P` (the key prefix),
/// `#sampling=client|server` (where `sample_keys` hashes the keys) and
/// `#sample_page=N` (keys per call when the server hashes them).
inline dualstore::adapters::redis_options redis_fragment_options(std::string_view fragment,
                                                                 std::string_view url) {
    namespace ad = dualstore::adapters;
    const auto option = [&](std::string_view name, std::string fallback) {
        return fragment_option(fragment, name, url, std::move(fallback),
                               {"prefix", "sampling", "sample_page"});
    };
    const auto sampling = option("sampling", "client");
    if (sampling != "client" && sampling != "server") {
        throw usage_error(fmt::format("{:?}: #sampling={} is neither client nor server",
                                      dualstore::redact_secrets(url), sampling));
    }
    ad::redis_options options{.key_prefix = option("prefix", "")};
    const auto page = option("sample_page", std::to_string(options.sample_page));
    const auto parsed =
        std::from_chars(page.data(), page.data() + page.size(), options.sample_page);
    if (parsed.ec != std::errc{} || parsed.ptr != page.data() + page.size() ||
        options.sample_page == 0) {
        throw usage_error(fmt::format("{:?}: #sample_page={} is not a positive number of keys",
                                      dualstore::redact_secrets(url), page));
    }
    options.key_sampling = sampling == "server" ? ad::redis_key_sampling::on_server
                                                : ad::redis_key_sampling::in_client;
    return options;
}

/// A URL cut into its parts: `scheme:rest#fragment`.
struct url_parts {
    std::string_view address;   ///< the URL before '#'
    std::string_view fragment;  ///< the engine's option after '#' (empty: none)
    std::string_view scheme;    ///< before the first ':'
    std::string rest;           ///< after the first ':' of the address
    std::string name;           ///< the whole URL, its password redacted
    /// Whether the address is `scheme://...`.
    [[nodiscard]] bool has_authority() const {
        return address.substr(scheme.size()).starts_with("://");
    }
    /// Whether the address names a Redis server (`redis://` or `unix://`).
    [[nodiscard]] bool is_redis() const {
        return (scheme == "redis" || scheme == "unix") && has_authority();
    }
    /// Whether the address names a PostgreSQL server.
    [[nodiscard]] bool is_postgresql() const {
        return (scheme == "postgresql" || scheme == "postgres") && !rest.empty();
    }
    /// The libpq connection string: a URI is libpq's own, "postgresql:DSN"
    /// carries a key=value DSN.
    [[nodiscard]] std::string postgresql_dsn() const {
        return has_authority() ? std::string(address) : rest;
    }
};

/// `url` cut into its parts (views into `url`).
inline url_parts split_url(std::string_view url) {
    url_parts parts;
    const auto hash = url.find('#');
    parts.address = url.substr(0, hash);
    parts.fragment = hash == std::string_view::npos ? std::string_view{} : url.substr(hash + 1);
    const auto colon = parts.address.find(':');
    parts.scheme = parts.address.substr(0, colon);
    parts.rest = colon == std::string_view::npos ? "" : parts.address.substr(colon + 1);
    parts.name = dualstore::redact_secrets(url);
    return parts;
}

/// Opens the store `url` names; usage_error for a URL of no known form, the
/// adapter's own error (its address redacted) when the store cannot be opened.
inline dualstore::any_store open_store(std::string_view url) {
    namespace ds = dualstore;
    namespace ad = dualstore::adapters;
    const auto u = split_url(url);
    const auto& [address, fragment, scheme, rest, name] = u;
    auto no_option = [&] { fragment_option(u.fragment, "(none)", url, ""); };
    if (scheme == "sqlite" && !rest.empty()) {
        return ds::any_store::make<ad::sqlite_store>(
            name, rest,
            ad::sqlite_options{.table = fragment_option(fragment, "table", url, "dualstore_kv")});
    }
    if (scheme == "gdbm" && !rest.empty()) {
        no_option();
        return ds::any_store::make<ad::gdbm_store>(name, rest);
    }
#ifdef DUALSTORE_TOOL_LMDB
    if (scheme == "lmdb" && !rest.empty()) {
        return ds::any_store::make<ad::lmdb_store>(
            name, rest,
            ad::lmdb_options{.database = fragment_option(fragment, "database", url, "")});
    }
#endif
#ifdef DUALSTORE_TOOL_ROCKSDB
    if (scheme == "rocksdb" && !rest.empty()) {
        no_option();
        return ds::any_store::make<ad::rocksdb_store>(name, rest);
    }
#endif
    if (u.is_redis()) {
        return ds::any_store::make<ad::redis_store>(name, address,
                                                    redis_fragment_options(fragment, url));
    }
    if (u.is_postgresql()) {
        return ds::any_store::make<ad::postgresql_store>(
            name, u.postgresql_dsn(),
            ad::postgresql_options{.table =
                                       fragment_option(fragment, "table", url, "dualstore_kv")});
    }
    throw usage_error(fmt::format("{:?}: not a store URL ({})", name, url_forms));
}

/// Whether `url` names an engine that digests key ranges on its server
/// (SQLite, PostgreSQL).
inline bool has_range_digests(std::string_view url) {
    const auto u = split_url(url);
    return (u.scheme == "sqlite" && !u.rest.empty()) || u.is_postgresql();
}

/// Opens the store `url` names as its own type, for work that needs more than
/// `any_store` offers (digests of key ranges: `--bisect`), and returns
/// `use(store)`; usage_error for a URL of an engine without range digests
/// (see `has_range_digests`).
template <class Use>
auto with_digest_store(std::string_view url, Use&& use) {
    namespace ad = dualstore::adapters;
    const auto u = split_url(url);
    if (u.scheme == "sqlite" && !u.rest.empty()) {
        ad::sqlite_store store(
            u.rest, {.table = fragment_option(u.fragment, "table", url, "dualstore_kv")});
        return use(store);
    }
    if (u.is_postgresql()) {
        ad::postgresql_store store(
            u.postgresql_dsn(),
            {.table = fragment_option(u.fragment, "table", url, "dualstore_kv")});
        return use(store);
    }
    throw usage_error(fmt::format(
        "{:?}: --bisect needs stores that digest key ranges on their server (sqlite: or "
        "postgresql URLs)",
        u.name));
}

}  // namespace dualstore_tool
