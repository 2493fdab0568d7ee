// The GDBM adapter: the conformance suite, and its errors.

#include "support.hpp"

#include <dualstore/adapters/gdbm.hpp>

#include <memory>
#include <tuple>

namespace {
using gdbm = ds::adapters::gdbm_store;

struct gdbm_factory {
    using store = gdbm;
    static constexpr bool scan_stable_under_writes = false;  // GDBM reorders buckets
    temp_dir dir{"gdbm"};
    std::unique_ptr<store> make() { return std::make_unique<store>(dir.file("db.gdbm")); }
};

static_assert(ds::scannable_store<gdbm> && ds::resumable_store<gdbm> && ds::conditional_store<gdbm>);
static_assert(!ds::expiring_store<gdbm> && !ds::batch_store<gdbm>);
}  // namespace

using conformance_factories = std::tuple<gdbm_factory>;
#include "conformance/store_conformance.hpp"

TEST_CASE("gdbm: a bad path is a clear error naming the engine, the path and the cause",
          "[gdbm][errors]") {
    CHECK_THROWS_WITH(
        gdbm("/nonexistent-dir/db.gdbm"),
        Catch::Matchers::Contains("gdbm: open \"/nonexistent-dir/db.gdbm\"") &&
            Catch::Matchers::Contains("No such file or directory") &&
            Catch::Matchers::Contains("the directory \"/nonexistent-dir\" does not exist"));
    CHECK_THROWS_AS(gdbm("/nonexistent-dir/db.gdbm"), ds::error);
}

TEST_CASE("gdbm: data survives reopening, a scan whose cursor key was erased throws", "[gdbm]") {
    gdbm_factory files;
    const auto path = files.dir.file("db.gdbm");
    {
        gdbm g(path);
        for (int i = 0; i < 10; ++i) g.put(fmt::format("k{}", i), "v");
    }
    gdbm g(path);
    CHECK(g.get("k3") == "v");
    auto page = g.scan({}, 3);
    REQUIRE(page.next);
    g.erase(*page.next->after);
    CHECK_THROWS_WITH(g.scan(*page.next, 3), Catch::Matchers::Contains("cursor's key was erased"));
}
