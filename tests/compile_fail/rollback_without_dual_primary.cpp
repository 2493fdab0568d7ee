// expect: a rollback policy only acts under write::dual_primary
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

int main() {
    dualstore::testing::memory_store<int, int> a, b;
    dualstore::dual_store store{a, b, dualstore::rollback::snapshot{}};
    store.put(1, 1);
}
