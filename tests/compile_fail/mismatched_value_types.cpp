// expect: get/put/erase need both backends to have the same key_type and mapped_type
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <string>

int main() {
    dualstore::testing::memory_store<int, int> a;
    dualstore::testing::memory_store<int, std::string> b;
    dualstore::dual_store store{a, b, dualstore::discard_secondary_failures{}};
    store.put(1, 1);
}
