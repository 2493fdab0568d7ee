// Conan test_package: the SQLite adapter component, dualstore::sqlite.
#include <dualstore/adapters/sqlite.hpp>
#include <dualstore/dualstore.hpp>

#include <cstdio>

int main() {
    dualstore::adapters::sqlite_store old_store(":memory:");
    dualstore::adapters::sqlite_store new_store(":memory:", {.table = "v2"});
    dualstore::dual_store store{old_store, new_store, dualstore::discard_secondary_failures{}};
    store.put("k", "v");
    const bool ok = new_store.get("k") == "v";
    std::puts(ok ? "dualstore::sqlite: ok" : "dualstore::sqlite: FAILED");
    return ok ? 0 : 1;
}
