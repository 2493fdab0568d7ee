// write::dual_primary with rollback::snapshot and rollback::compensate: a
// secondary failure restores the primary's exact prior state and throws.

#include "support.hpp"

#include <functional>
#include <optional>

namespace {

/// Two memory stores under dual_primary + snapshot, the secondary faulty,
/// with a recording sink and a counting observer.
struct dual_primary_fixture {
    kv a, b;
    flaky secondary{b};
    sink_record sunk;
    dst::counting_observer observer;
    ds::dual_store<kv&, flaky&, ds::write::dual_primary, ds::rollback::snapshot,
                   ds::on_secondary_failure<std::reference_wrapper<sink_record>>,
                   ds::observe::observer_set<dst::counting_observer>>
        store{a,
              secondary,
              ds::write::dual_primary{},
              ds::rollback::snapshot{},
              ds::on_secondary_failure{std::ref(sunk)},
              ds::observe::with(observer)};
};

}  // namespace

TEST_CASE_METHOD(dual_primary_fixture,
                 "dual_primary + snapshot: a secondary failure restores the prior value and throws "
                 "rolled_back nesting the cause",
                 "[rollback][snapshot]") {
    store.put("k", "old");
    secondary.fail_next(1, dst::fault_on::writes);

    const auto error = thrown_by([&] { store.put("k", "new"); });

    REQUIRE(error);
    CHECK(a.get("k") == "old");
    CHECK(b.get("k") == "old");
    try {
        std::rethrow_exception(error);
    } catch (const ds::rolled_back& e) {
        CHECK_THAT(e.what(), Catch::Contains("rolled back") && Catch::Contains("injected"));
        CHECK(e.cause() != nullptr);
        CHECK_THROWS_AS(std::rethrow_exception(e.cause()), dst::injected_fault);
        CHECK_THROWS_AS(std::rethrow_if_nested(e), dst::injected_fault);
    }
    CHECK_THROWS_AS(std::rethrow_exception(error), ds::rolled_back);
    CHECK(observer.rollbacks == 1);
    CHECK(observer.failed_rollbacks == 0);
    CHECK(observer.rollback_log() == std::vector<std::string>{"put k"});
    // The secondary's state after a failed write is unknown: the key is handed
    // to the sink so a drain can make it match the restored primary.
    REQUIRE(sunk.taken().size() == 1);
    CHECK(sunk.taken()[0].key == "k");
}

TEST_CASE_METHOD(
    dual_primary_fixture,
    "dual_primary + snapshot: a key that did not exist is absent again after the rollback",
    "[rollback][snapshot]") {
    secondary.fail_next(1, dst::fault_on::writes);

    CHECK_THROWS_AS(store.put("fresh", "v"), ds::rolled_back);

    CHECK_FALSE(a.contains("fresh"));
    CHECK_FALSE(b.contains("fresh"));
}

TEST_CASE_METHOD(dual_primary_fixture,
                 "dual_primary + snapshot: a failed erase puts the erased value back",
                 "[rollback][snapshot]") {
    store.put("k", "kept");
    secondary.fail_next(1, dst::fault_on::writes);

    CHECK_THROWS_AS(store.erase("k"), ds::rolled_back);

    CHECK(a.get("k") == "kept");
    CHECK(b.get("k") == "kept");
}

namespace {

/// A key-value backend whose n-th put (1-based) fails `times` times in a row:
/// lets a test fail the restore of a rollback but not the write before it.
struct failing_nth_put {
    using key_type = std::string;
    using mapped_type = std::string;

    kv& inner;
    int fail_at;
    int times = 1;
    int puts = 0;

    std::optional<std::string> get(const std::string& k) { return inner.get(k); }
    void put(const std::string& k, const std::string& v) {
        ++puts;
        if (puts >= fail_at && puts < fail_at + times) throw permanent_error("restore refused");
        inner.put(k, v);
    }
    bool erase(const std::string& k) { return inner.erase(k); }
};

}  // namespace

TEST_CASE("dual_primary + snapshot: a failing restore throws rollback_failed carrying both causes",
          "[rollback][snapshot]") {
    kv a, b;
    a.put("k", "old");
    b.put("k", "old");
    failing_nth_put primary{a, 2};  // put 1 is the write, put 2 the restore
    flaky secondary{b};
    secondary.fail_next(1, dst::fault_on::writes);
    dst::counting_observer observer;
    ds::dual_store store{primary, secondary, ds::write::dual_primary{}, ds::rollback::snapshot{},
                         ds::observe::with(observer)};

    const auto error = thrown_by([&] { store.put("k", "new"); });

    REQUIRE(error);
    CHECK_THROWS_AS(std::rethrow_exception(error), ds::rollback_failed);
    try {
        std::rethrow_exception(error);
    } catch (const ds::rollback_failed& e) {
        CHECK_THAT(e.what(), Catch::Contains("injected") && Catch::Contains("restore refused"));
        CHECK_THROWS_AS(std::rethrow_exception(e.cause()), dst::injected_fault);
        CHECK_THROWS_AS(std::rethrow_exception(e.restore_error()), permanent_error);
    }
    CHECK(observer.failed_rollbacks == 1);
    CHECK(observer.rollbacks == 0);
    CHECK(a.get("k") == "new");  // the restore failed: reported loudly, never swallowed
}

TEST_CASE("dual_primary + compensate: a throwing undo throws rollback_failed",
          "[rollback][compensate]") {
    kv a, b;
    flaky secondary{b};
    secondary.fail_next(1, dst::fault_on::writes);
    ds::dual_store store{
        a, secondary, ds::write::dual_primary{},
        ds::rollback::compensate{[](kv&, const auto&) { throw permanent_error("no inverse"); }}};
    CHECK_THROWS_AS(store.put("k", "v"), ds::rollback_failed);
}

TEST_CASE("dual_primary + snapshot: the restore is retried by the retry policy",
          "[rollback][snapshot][retry]") {
    kv a, b;
    a.put("k", "old");
    b.put("k", "old");
    failing_nth_put primary{a, 2};  // the restore's first attempt fails, its second succeeds
    flaky secondary{b};
    secondary.fail_always(dst::fault_on::writes);
    dst::manual_clock clock;
    ds::dual_store store{primary, secondary, ds::write::dual_primary{}, ds::rollback::snapshot{},
                         ds::retry::fixed{.attempts = 2, .delay = 5ms, .clock = clock.timer()}};

    CHECK_THROWS_AS(store.put("k", "new"), ds::rolled_back);

    CHECK(a.get("k") == "old");
    CHECK(primary.puts == 3);  // write, failed restore, restore
    // One pause before the secondary's second attempt, one before the restore's.
    CHECK(clock.sleeps() == std::vector<std::chrono::nanoseconds>{5ms, 5ms});
}

TEST_CASE("dual_primary + compensate: the user's inverse undoes a generic write",
          "[rollback][compensate]") {
    kv a, b;
    flaky secondary{b};
    std::vector<std::string> undone;
    ds::dual_store store{a, secondary, ds::write::dual_primary{},
                         ds::rollback::compensate{ds::overloaded{
                             [&](kv& primary, const ds::put_op<std::string, std::string>& op) {
                                 undone.push_back("put " + op.key);
                                 primary.erase(op.key);
                             },
                             [&](kv& primary, const auto&) {
                                 undone.push_back("generic");
                                 primary.erase("counter");
                             }}}};

    secondary.fail_next(1, dst::fault_on::writes);
    CHECK_THROWS_AS(store.write([](auto& s) { s.put("counter", "1"); }), ds::rolled_back);
    CHECK_FALSE(a.contains("counter"));

    secondary.fail_next(1, dst::fault_on::writes);
    CHECK_THROWS_AS(store.put("k", "v"), ds::rolled_back);
    CHECK_FALSE(a.contains("k"));

    CHECK(undone == std::vector<std::string>{"generic", "put k"});
}
