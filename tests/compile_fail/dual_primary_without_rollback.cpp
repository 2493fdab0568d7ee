// expect: write::dual_primary needs a rollback policy
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

int main() {
    dualstore::testing::memory_store<int, int> a, b;
    dualstore::dual_store store{a, b, dualstore::write::dual_primary{}};
    store.put(1, 1);
}
