#pragma once
// The live PostgreSQL server the adapter's tests run against.

#include "support.hpp"

#include <dualstore/detail/random_bits.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <string_view>

namespace postgresql_server {

/// The server's DSN; fails the test with how to get one when unset.
inline std::string dsn() {
    const char* dsn = std::getenv("DUALSTORE_PG_DSN");
    if (dsn == nullptr) {
        FAIL(
            "DUALSTORE_PG_DSN is not set: run the tests through scripts/test.sh, which starts "
            "a PostgreSQL server (or set it to a libpq DSN)");
    }
    return dsn;
}

/// A table name no other test uses, starting with `prefix`.
inline std::string fresh_table(std::string_view prefix = "t") {
    static std::atomic<int> n{0};
    // The process id and a random token: a later test process that gets the
    // same pid (the server outlives every test) never meets these tables.
    static const auto token = ds::detail::random_bits() & 0xFFFFFFU;
    return fmt::format("{}{}_{:06x}_{}", prefix, ::getpid(), token, n++);
}

}  // namespace postgresql_server
