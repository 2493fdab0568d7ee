// expect: a policy argument is not the policy the store's type names for its category
// A store spelled with write::parallel, built with write::sequential.
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

using kv = dualstore::testing::memory_store<int, int>;

int main() {
    kv a, b;
    dualstore::dual_store<kv&, kv&, dualstore::write::parallel,
                          dualstore::discard_secondary_failures>
        store{a, b, dualstore::write::sequential{}, dualstore::discard_secondary_failures{}};
    store.put(1, 1);
}
