// expect: is not a policy.*Observers go in observe::with
// An observer passed bare (not in observe::with): the first error says where
// it goes, not that its atomics cannot be copied.
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/counting_observer.hpp>
#include <dualstore/testing/memory_store.hpp>

int main() {
    dualstore::testing::memory_store<int, int> a, b;
    dualstore::testing::counting_observer observer;
    dualstore::dual_store store{a, b, dualstore::discard_secondary_failures{}, observer};
    store.put(1, 1);
}
