// expect: the comparator given to compared_by must be callable as compare\(const V& primary_value
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <string>

// The comparator is checked where the policy is given, before any get uses it.
int main() {
    dualstore::testing::memory_store<std::string, std::string> a, b;
    const auto by_length = [](int x, int y) { return x == y; };
    dualstore::dual_store store{a, b, dualstore::read::shadow{}.compared_by(by_length),
                                dualstore::discard_secondary_failures{}};
    (void)store;
}
