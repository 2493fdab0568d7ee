// expect: write::dual_primary needs per-key ordering
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

int main() {
    dualstore::testing::memory_store<int, int> a, b;
    dualstore::dual_store store{a, b, dualstore::write::dual_primary{},
                                dualstore::rollback::snapshot{}, dualstore::order::by_caller{}};
    store.put(1, 1);
}
