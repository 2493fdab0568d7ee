// expect: a write policy needs a member `template <class Write> void apply\(Write& call\) const`
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

// A write policy of the user's own that says nothing about how a write runs.
struct mirrored {
    using category = dualstore::write_tag;
};

int main() {
    dualstore::testing::memory_store<int, int> a, b;
    dualstore::dual_store store{a, b, mirrored{}, dualstore::discard_secondary_failures{}};
    store.put(1, 1);
}
