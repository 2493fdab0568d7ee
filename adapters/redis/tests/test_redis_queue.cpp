// kv_retry_queue in Redis against the live server: the queue conformance
// suite, each drainer with its own connection (claims by SET NX).

#include "server.hpp"
#include "support.hpp"

#include <dualstore/adapters/redis.hpp>
#include <dualstore/kv_retry_queue.hpp>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace {
using redis = ds::adapters::redis_store;

/// Queue objects over one key prefix, each on its own connection.
struct redis_queue_maker {
    using queue = ds::kv_retry_queue<redis&>;
    static constexpr bool shared_backing = true;
    std::string prefix = redis_server::fresh_prefix();
    std::vector<std::unique_ptr<redis>> connections;
    std::unique_ptr<queue> make() {
        connections.push_back(std::make_unique<redis>(
            redis_server::url(), ds::adapters::redis_options{.key_prefix = prefix}));
        return std::make_unique<queue>(*connections.back(), "q:");
    }
};
}  // namespace

using queue_makers = std::tuple<redis_queue_maker>;
#include "conformance/queue_conformance.hpp"
