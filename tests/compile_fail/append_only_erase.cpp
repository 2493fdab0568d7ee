// expect: erase is not allowed under append_only
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <string>

int main() {
    dualstore::testing::memory_store<std::string, std::string> a, b;
    dualstore::dual_store store{a, b, dualstore::append_only{}, dualstore::discard_secondary_failures{}};
    store.erase("ledger-entry-1");
}
