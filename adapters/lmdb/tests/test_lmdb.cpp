// The LMDB adapter: the conformance suite, and its errors.

#include "support.hpp"

#include <dualstore/adapters/lmdb.hpp>

#include <memory>
#include <tuple>

namespace {
using lmdb = ds::adapters::lmdb_store;

struct lmdb_factory {
    using store = lmdb;
    static constexpr bool scan_stable_under_writes = true;  // keys in byte order
    temp_dir dir{"lmdb"};
    std::unique_ptr<store> make() { return std::make_unique<store>(dir.file("db.lmdb")); }
};

static_assert(ds::resumable_store<lmdb> && ds::conditional_store<lmdb> && ds::batch_store<lmdb>);
static_assert(!ds::expiring_store<lmdb>);
}  // namespace

using conformance_factories = std::tuple<lmdb_factory>;
#include "conformance/store_conformance.hpp"

TEST_CASE("lmdb: a bad path is a clear error naming the engine, the path and the cause",
          "[lmdb][errors]") {
    CHECK_THROWS_WITH(
        lmdb("/nonexistent-dir/db.lmdb"),
        Catch::Matchers::Contains("lmdb: open \"/nonexistent-dir/db.lmdb\"") &&
            Catch::Matchers::Contains("No such file or directory") &&
            Catch::Matchers::Contains("the directory \"/nonexistent-dir\" does not exist"));
}

TEST_CASE(
    "lmdb: data survives reopening, named databases are separate, oversized keys fail "
    "clearly",
    "[lmdb]") {
    temp_dir dir{"lmdb"};
    {
        lmdb a(dir.file("db.lmdb"));
        a.put("k", "main");
    }
    lmdb a(dir.file("db.lmdb"));
    CHECK(a.get("k") == "main");
    lmdb b(dir.file("other.lmdb"), {.database = "orders"});
    CHECK(b.get("k") == std::nullopt);
    CHECK_THROWS_WITH(a.put(std::string(600, 'k'), "v"), Catch::Matchers::Contains("lmdb: put"));
    CHECK(a.get("k") == "main");
}
