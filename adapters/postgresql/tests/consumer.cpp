// A user's first program over the installed PostgreSQL adapter: built by the
// consumer tests through find_package(dualstore COMPONENTS postgresql) and
// through `pkg-config dualstore-postgresql`, so both link libpq. No server
// listens on port 1: the adapter's clear error is the expected outcome.
#include <dualstore/adapters/postgresql.hpp>

#include <cstdio>

int main() {
    try {
        dualstore::adapters::postgresql_store store("host=127.0.0.1 port=1 connect_timeout=2");
        (void)store.get("k");
    } catch (const dualstore::adapters::postgresql_error& e) {
        std::printf("postgresql adapter: ok (%s)\n", e.what());
        return 0;
    }
    std::puts("postgresql adapter: FAILED (reached a server on port 1)");
    return 1;
}
