// The RocksDB adapter: the conformance suite, and its errors.

#include "support.hpp"

#include <dualstore/adapters/rocksdb.hpp>

#include <fstream>
#include <memory>
#include <tuple>

namespace {
using rocks = ds::adapters::rocksdb_store;

struct rocksdb_factory {
    using store = rocks;
    static constexpr bool scan_stable_under_writes = true;  // keys in byte order
    temp_dir dir{"rocksdb"};
    std::unique_ptr<store> make() { return std::make_unique<store>(dir.file("db")); }
};

static_assert(ds::resumable_store<rocks> && ds::conditional_store<rocks> && ds::batch_store<rocks>);
static_assert(!ds::expiring_store<rocks>);
}  // namespace

using conformance_factories = std::tuple<rocksdb_factory>;
#include "conformance/store_conformance.hpp"

TEST_CASE("rocksdb: a bad path is a clear error naming the engine, the path and the cause",
          "[rocksdb][errors]") {
    temp_dir dir{"rocksdb"};
    std::ofstream(dir.file("a-file")) << "not a directory";
    CHECK_THROWS_WITH(rocks(dir.file("a-file") + "/db"),
                      Catch::Matchers::Contains("rocksdb: open on") && Catch::Matchers::Contains("a-file/db"));
}

TEST_CASE("rocksdb: data survives reopening", "[rocksdb]") {
    temp_dir dir{"rocksdb"};
    {
        rocks a(dir.file("db"));
        a.put("k", "v");
    }
    CHECK(rocks(dir.file("db")).get("k") == "v");
}
