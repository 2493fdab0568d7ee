// expect: more than one write policy given
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

int main() {
    dualstore::testing::memory_store<int, int> a, b;
    dualstore::dual_store store{a, b, dualstore::write::parallel{}, dualstore::write::sequential{}};
    store.put(1, 1);
}
