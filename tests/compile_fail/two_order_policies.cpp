// expect: more than one ordering policy given
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

int main() {
    dualstore::testing::memory_store<int, int> a, b;
    dualstore::dual_store store{a, b, dualstore::order::per_key{}, dualstore::order::by_caller{},
                                dualstore::discard_secondary_failures{}};
    store.put(1, 1);
}
