// Conan test_package: a dual write over two in-memory stores.
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>
#include <dualstore/version.hpp>

#include <cstdio>
#include <string>

int main() {
    dualstore::testing::memory_store<std::string, std::string> a, b;
    dualstore::dual_store store{a, b, dualstore::discard_secondary_failures{}};
    store.put("k", "v");
    std::printf("dualstore %s: %s\n", DUALSTORE_VERSION_STRING,
                b.get("k") == "v" ? "ok" : "FAILED");
    return b.get("k") == "v" ? 0 : 1;
}
