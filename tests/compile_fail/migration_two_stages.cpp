// expect: migration takes at most one initial stage
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <string>

int main() {
    dualstore::testing::memory_store<std::string, std::string> a, b;
    dualstore::migration store{a, b, dualstore::stage::shadow, dualstore::stage::live};
    (void)store;
}
