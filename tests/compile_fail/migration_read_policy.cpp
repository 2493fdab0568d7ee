// expect: the stage decides which store answers reads
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <string>

int main() {
    dualstore::testing::memory_store<std::string, std::string> a, b;
    dualstore::migration store{a, b, dualstore::read::fallback{}};
    (void)store;
}
