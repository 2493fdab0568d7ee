// expect: writes both sides best effort but has no failure sink.*on_secondary_failure.*discard_secondary_failures
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <string>

int main() {
    dualstore::testing::memory_store<std::string, std::string> a, b;
    dualstore::dual_store store{a, b, dualstore::write::parallel{}};
    store.put("k", "v");
}
