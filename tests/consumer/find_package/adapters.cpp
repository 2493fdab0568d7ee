// A user's program over the installed SQLite and GDBM adapters.
#include <dualstore/adapters/gdbm.hpp>
#include <dualstore/adapters/sqlite.hpp>
#include <dualstore/dualstore.hpp>

#include <cstdio>
#include <string>

int main() {
    namespace ds = dualstore;
    static_assert(ds::scannable_store<ds::adapters::gdbm_store>);
    ds::adapters::sqlite_store old_store(":memory:");
    ds::adapters::sqlite_store new_store(":memory:", {.table = "v2"});
    ds::dual_store store{old_store, new_store, ds::discard_secondary_failures{}};
    store.put("k", "v");
    const bool ok = new_store.get("k") == "v";
    std::puts(ok ? "adapters: ok" : "adapters: FAILED");
    return ok ? 0 : 1;
}
