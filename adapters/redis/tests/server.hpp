#pragma once
// The live Redis server the adapter's tests run against.

#include "support.hpp"

#include <dualstore/detail/random_bits.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace redis_server {

/// The server's URL; fails the test with how to get one when unset.
inline std::string url() {
    const char* url = std::getenv("DUALSTORE_REDIS_URL");
    if (url == nullptr) {
        FAIL(
            "DUALSTORE_REDIS_URL is not set: run the tests through scripts/test.sh, which starts "
            "a Redis server (or set it to redis://host:port)");
    }
    return url;
}

/// A key prefix no other test uses.
inline std::string fresh_prefix() {
    static std::atomic<int> n{0};
    // The process id and a random token: a later test process that gets the
    // same pid (the server outlives every test) never meets these keys.
    static const auto token = ds::detail::random_bits() & 0xFFFFFFU;
    return fmt::format("t{}-{:06x}-{}:", ::getpid(), token, n++);
}

}  // namespace redis_server
