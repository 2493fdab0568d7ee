// A user's first program over the installed Redis adapter: built by the
// consumer tests through find_package(dualstore COMPONENTS redis) and through
// `pkg-config dualstore-redis`, so both link hiredis. No server listens on
// port 1: the adapter's clear error is the expected outcome.
#include <dualstore/adapters/redis.hpp>

#include <cstdio>

int main() {
    try {
        dualstore::adapters::redis_store store("redis://127.0.0.1:1");
        (void)store.get("k");
    } catch (const dualstore::adapters::redis_error& e) {
        std::printf("redis adapter: ok (%s)\n", e.what());
        return 0;
    }
    std::puts("redis adapter: FAILED (reached a server on port 1)");
    return 1;
}
