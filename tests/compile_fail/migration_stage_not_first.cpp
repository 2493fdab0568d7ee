// expect: migration takes at most one initial stage, right after the two stores
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

int main() {
    dualstore::testing::memory_store<int, int> a, b;
    dualstore::migration store{a, b, dualstore::discard_secondary_failures{},
                               dualstore::stage::shadow};
    store.put(1, 1);
}
