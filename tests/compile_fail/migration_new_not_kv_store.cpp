// expect: the new backend does not model dualstore::kv_store: no member erase\(key\) returning bool
// A migration names its backends old and new, not primary and secondary
// (which of them is primary depends on the stage).
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <optional>

struct no_erase {
    using key_type = int;
    using mapped_type = int;
    std::optional<int> get(int) { return std::nullopt; }
    void put(int, int) {}
};

int main() {
    dualstore::testing::memory_store<int, int> a;
    no_erase b;
    dualstore::migration store{a, b, dualstore::discard_secondary_failures{}};
    store.put(1, 1);
}
