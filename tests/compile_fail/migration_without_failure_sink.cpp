// expect: writes both sides best effort but has no failure sink
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <string>

int main() {
    dualstore::testing::memory_store<std::string, std::string> a, b;
    dualstore::migration store{a, b, dualstore::stage::dual_write};
    store.put("k", "v");
}
