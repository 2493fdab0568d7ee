// expect: the secondary backend does not model dualstore::kv_store: no member put\(key, value\)
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <optional>

// Has get and erase, but no put.
struct read_only {
    using key_type = int;
    using mapped_type = int;
    std::optional<int> get(int) { return std::nullopt; }
    bool erase(int) { return false; }
};

int main() {
    dualstore::testing::memory_store<int, int> a;
    read_only b;
    dualstore::dual_store store{a, b, dualstore::discard_secondary_failures{}};
    store.put(1, 1);
}
