// expect: is not a policy: a policy needs a member alias `category`
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

struct not_a_policy {};

int main() {
    dualstore::testing::memory_store<int, int> a, b;
    dualstore::dual_store store{a, b, not_a_policy{}};
    store.put(1, 1);
}
