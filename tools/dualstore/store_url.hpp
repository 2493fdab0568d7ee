#pragma once
// open_store(url): the store a URL names, as an any_store, for the dualstore
// tool. The forms (an engine's options after '#', never sent to the engine):
//
//   sqlite:PATH[#table=T]          gdbm:PATH          lmdb:PATH[#database=D]
//   rocksdb:PATH                   redis://[[user]:password@]host[:port][/db][#prefix=P]
//   unix:///path/redis.sock[?db=N][#prefix=P]
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
    "redis://[[user]:password@]host[:port][/db][#prefix=P], unix:///path.sock[?db=N][#prefix=P], "
    "postgresql://...[#table=T] or postgresql:DSN[#table=T]";

/// The engine's option in the fragment (`#name=value`), or `fallback`.
inline std::string fragment_option(std::string_view fragment, std::string_view name,
                                   std::string_view url, std::string fallback) {
    if (fragment.empty()) return fallback;
    const auto eq = fragment.find('=');
    if (eq == std::string_view::npos || fragment.substr(0, eq) != name ||
        eq + 1 == fragment.size()) {
        throw usage_error(fmt::format("{:?}: unknown option '#{}' (this engine takes #{}=...)",
                                      dualstore::redact_secrets(url), fragment, name));
    }
    return std::string(fragment.substr(eq + 1));
}

/// Opens the store `url` names; usage_error for a URL of no known form, the
/// adapter's own error (its address redacted) when the store cannot be opened.
inline dualstore::any_store open_store(std::string_view url) {
    namespace ds = dualstore;
    namespace ad = dualstore::adapters;
    const auto hash = url.find('#');
    const std::string_view address = url.substr(0, hash);
    const std::string_view fragment =
        hash == std::string_view::npos ? std::string_view{} : url.substr(hash + 1);
    const auto colon = address.find(':');
    const auto scheme = address.substr(0, colon);
    const std::string rest(colon == std::string_view::npos ? "" : address.substr(colon + 1));
    const std::string name = ds::redact_secrets(url);
    auto no_option = [&] { fragment_option(fragment, "(none)", url, ""); };
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
    if ((scheme == "redis" || scheme == "unix") && address.substr(colon).starts_with("://")) {
        return ds::any_store::make<ad::redis_store>(
            name, address,
            ad::redis_options{.key_prefix = fragment_option(fragment, "prefix", url, "")});
    }
    if ((scheme == "postgresql" || scheme == "postgres") && !rest.empty()) {
        // A URI is libpq's own; "postgresql:DSN" carries a key=value DSN.
        const std::string dsn =
            address.substr(colon).starts_with("://") ? std::string(address) : rest;
        return ds::any_store::make<ad::postgresql_store>(
            name, dsn,
            ad::postgresql_options{.table =
                                       fragment_option(fragment, "table", url, "dualstore_kv")});
    }
    throw usage_error(fmt::format("{:?}: not a store URL ({})", name, url_forms));
}

}  // namespace dualstore_tool
