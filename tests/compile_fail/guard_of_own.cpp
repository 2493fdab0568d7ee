// expect: the guard category has two policies, no_guard and append_only
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

// A guard of the user's own: the engine knows only no_guard and append_only.
struct positive_values_only {
    using category = dualstore::guard_tag;
};

int main() {
    dualstore::testing::memory_store<int, int> a, b;
    dualstore::dual_store store{a, b, positive_values_only{},
                                dualstore::discard_secondary_failures{}};
    store.put(1, 1);
}
