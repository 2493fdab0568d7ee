// expect: rollback::snapshot can only roll back put and erase
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

int main() {
    dualstore::testing::memory_store<int, int> a, b;
    dualstore::dual_store store{a, b, dualstore::write::dual_primary{},
                                dualstore::rollback::snapshot{}};
    store.write([](auto& s) { s.put(1, 1); });
}
