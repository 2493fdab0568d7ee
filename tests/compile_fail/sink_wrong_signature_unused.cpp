// expect: the sink must be callable as sink\(key, dualstore::operation, std::exception_ptr\)
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

// The sink is checked where it is given, before any write uses it.
int main() {
    dualstore::testing::memory_store<int, int> a, b;
    dualstore::dual_store store{a, b, dualstore::on_secondary_failure{[](int) {}}};
    (void)store;
}
