#pragma once
// with_queue(spec, use): opens the retry queue an operator names, of one of
// three kinds, and hands it to `use(queue, name)`:
//
//   kv            a kv_retry_queue under a key prefix in any store URL
//   redis-stream  a redis_stream_retry_queue: a redis:// or unix:// URL, the
//                 stream's name
//   postgresql    a postgresql_retry_queue: a postgresql URL, the table's name
//
// Each queue lives for the call only; errors never show a password.

#include "store_url.hpp"

#include <dualstore/kv_retry_queue.hpp>

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace dualstore_tool {

/// The kinds of queue, for messages and --help.
inline constexpr std::string_view queue_kinds = "kv, redis-stream, postgresql";

/// The queue an operator names.
struct queue_spec {
    std::string url;                          ///< where the queue lives
    std::string kind = "kv";                  ///< kv, redis-stream or postgresql
    std::string prefix = "dualstore:retry:";  ///< kv: the queue's key prefix
    std::string name{};  ///< redis-stream: the stream; postgresql: the table (empty: default)
};

/// Opens the queue `spec` names and returns `use(queue, display_name)`;
/// usage_error when the URL does not suit the kind.
template <class Use>
auto with_queue(const queue_spec& spec, Use&& use) {
    namespace ds = dualstore;
    namespace ad = dualstore::adapters;
    if (spec.kind == "kv") {
        auto store = open_store(spec.url);
        ds::kv_retry_queue queue(store, spec.prefix);
        return use(queue, fmt::format("{} (prefix {:?})", store.name(), spec.prefix));
    }
    const auto u = split_url(spec.url);
    const auto unsuited = [&](std::string_view needs) {
        return usage_error(fmt::format("{:?}: a {} queue needs {}", u.name, spec.kind, needs));
    };
    if (!u.fragment.empty()) throw unsuited("no '#' option (use --name)");
    if (spec.kind == "redis-stream") {
        if (!u.is_redis()) throw unsuited("a redis:// or unix:// URL");
        ad::redis_stream_queue_options options;
        if (!spec.name.empty()) options.name = spec.name;
        ad::redis_stream_retry_queue queue(u.address, options);
        return use(queue, fmt::format("{} (stream {:?})", u.name, options.name));
    }
    if (spec.kind == "postgresql") {
        if (!u.is_postgresql()) throw unsuited("a postgresql:// or postgresql:DSN URL");
        ad::postgresql_queue_options options;
        if (!spec.name.empty()) options.table = spec.name;
        ad::postgresql_retry_queue queue(u.postgresql_dsn(), options);
        return use(queue, fmt::format("{} (table {:?})", u.name, options.table));
    }
    throw usage_error(fmt::format("{:?}: not a kind of queue ({})", spec.kind, queue_kinds));
}

}  // namespace dualstore_tool
