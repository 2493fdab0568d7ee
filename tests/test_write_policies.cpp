// Write policies: which sides a write reaches, in what order, and what a
// failure on either side does.

#include "support.hpp"

#include <functional>

TEST_CASE("sequential write: both stores written, primary first", "[write][sequential]") {
    kv a, b;
    dst::call_log log;
    dst::recording_store primary{a, log, "primary"};
    dst::recording_store secondary{b, log, "secondary"};
    ds::dual_store store{primary, secondary, ds::discard_secondary_failures{}};
    static_assert(std::is_same_v<decltype(store)::write_policy, ds::write::sequential>);

    const auto result = store.put("k", "v");

    CHECK(result.ok());
    CHECK(result.primary.status == ds::outcome::ok);
    CHECK(result.secondary.status == ds::outcome::ok);
    CHECK(result.primary.attempts == 1);
    CHECK_FALSE(result.enqueued);
    CHECK(a.get("k") == "v");
    CHECK(b.get("k") == "v");
    const auto calls = log.entries();
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].store == "primary");
    CHECK(calls[1].store == "secondary");
}

TEST_CASE("sequential write: a secondary failure is recorded, not thrown", "[write][sequential]") {
    kv a, b;
    flaky secondary{b};
    secondary.fail_always();
    sink_record sunk;
    dst::counting_observer observer;
    ds::dual_store store{a, secondary, ds::on_secondary_failure{std::ref(sunk)},
                         ds::observe::with(observer)};

    ds::write_result result;
    REQUIRE_NOTHROW(result = store.put("k", "v"));

    CHECK(a.get("k") == "v");
    CHECK_FALSE(b.contains("k"));
    CHECK_FALSE(result.ok());
    CHECK(result.primary.ok());
    CHECK(result.secondary.failed());
    CHECK(result.secondary.error != nullptr);
    CHECK(result.enqueued);
    const auto entries = sunk.taken();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].key == "k");
    CHECK(entries[0].op == ds::operation::put);
    CHECK_THAT(entries[0].error, Catch::Contains("injected"));
    CHECK(observer.secondary_failures == 1);
    CHECK(observer.failure_log() == std::vector<std::string>{"put k"});
}

TEST_CASE("sequential write: a primary failure throws and the secondary is not written",
          "[write][sequential]") {
    kv a, b;
    flaky primary{a};
    primary.fail_next(1);
    dst::recording_store secondary{b};
    sink_record sunk;
    ds::dual_store store{primary, secondary, ds::on_secondary_failure{std::ref(sunk)}};

    CHECK_THROWS_AS(store.put("k", "v"), dst::injected_fault);
    CHECK(secondary.log().size() == 0);
    CHECK_FALSE(a.contains("k"));
    CHECK(sunk.taken().empty());
}

TEST_CASE("sequential erase: converts to whether the primary had the key", "[write][erase]") {
    kv a, b;
    ds::dual_store store{a, b, ds::discard_secondary_failures{}};
    store.put("k", "v");
    CHECK(store.erase("k"));
    CHECK_FALSE(a.contains("k"));
    CHECK_FALSE(b.contains("k"));
    const auto again = store.erase("k");
    CHECK_FALSE(again);
    CHECK(again.ok());
}

TEST_CASE("primary_only write: the secondary is never touched", "[write][primary_only]") {
    kv a;
    dst::stub_store<std::string, std::string> never("new");
    ds::dual_store store{a, never, ds::write::primary_only{}};

    const auto result = store.put("k", "v");
    CHECK(store.erase("missing") == false);

    CHECK(a.get("k") == "v");
    CHECK(result.secondary.status == ds::outcome::skipped);
    CHECK(result.secondary.attempts == 0);
    CHECK(never.touches() == 0);
}

TEST_CASE("parallel write: both stores written, the sink and observers see a secondary failure",
          "[write][parallel]") {
    kv a, b;
    flaky secondary{b};
    sink_record sunk;
    dst::counting_observer observer;
    ds::dual_store store{a, secondary, ds::write::parallel{},
                         ds::on_secondary_failure{std::ref(sunk)}, ds::observe::with(observer)};

    CHECK(store.put("ok", "1").ok());
    CHECK(a.get("ok") == "1");
    CHECK(b.get("ok") == "1");

    secondary.fail_next(1, dst::fault_on::writes);
    ds::write_result result;
    REQUIRE_NOTHROW(result = store.put("bad", "2"));
    CHECK(result.primary.ok());
    CHECK(result.secondary.failed());
    CHECK(result.enqueued);
    CHECK(a.get("bad") == "2");
    CHECK_FALSE(b.contains("bad"));
    REQUIRE(sunk.taken().size() == 1);
    CHECK(sunk.taken()[0].key == "bad");
    CHECK(observer.secondary_failures == 1);
}

TEST_CASE("parallel write: a primary failure throws after the secondary finished, and the key "
          "goes to the sink",
          "[write][parallel]") {
    kv a, b;
    flaky primary{a};
    primary.fail_next(1, dst::fault_on::writes);
    sink_record sunk;
    ds::dual_store store{primary, b, ds::write::parallel{}, ds::on_secondary_failure{std::ref(sunk)}};

    CHECK_THROWS_AS(store.put("k", "v"), dst::injected_fault);
    // The secondary ran to completion before put returned, and the sink was
    // told, so a drain can make the secondary match the primary again.
    CHECK(b.get("k") == "v");
    CHECK_FALSE(a.contains("k"));
    const auto entries = sunk.taken();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].key == "k");
    CHECK(entries[0].op == ds::operation::put);
}

TEST_CASE("parallel write: uses a caller-supplied executor", "[write][parallel]") {
    struct counting_executor {
        std::atomic<int> submitted{0};
        ds::thread_pool pool{1};
        void execute(std::function<void()> task) {
            ++submitted;
            pool.execute(std::move(task));
        }
    } executor;
    kv a, b;
    ds::dual_store store{a, b, ds::write::parallel{.executor = executor},
                         ds::discard_secondary_failures{}};
    for (int i = 0; i < 20; ++i) store.put(std::to_string(i), "v");
    CHECK(executor.submitted == 20);
    CHECK(b.size() == 20);
}

TEST_CASE("dual_primary write: success writes both", "[write][dual_primary]") {
    kv a, b;
    ds::dual_store store{a, b, ds::write::dual_primary{}, ds::rollback::snapshot{}};
    const auto result = store.put("k", "v");
    CHECK(result.ok());
    CHECK(a.get("k") == "v");
    CHECK(b.get("k") == "v");
}

TEST_CASE("write result and events are printable", "[write][format]") {
    kv a, b;
    flaky secondary{b};
    secondary.fail_always();
    ds::dual_store store{a, secondary, ds::discard_secondary_failures{}};
    const auto text = fmt::format("{}", store.put("k", "v"));
    CHECK_THAT(text, Catch::StartsWith("primary: ok (1 attempt(s)); secondary: failed after 1 "
                                       "attempt(s): "));
    CHECK(fmt::format("{} {}", ds::operation::erase, ds::side::secondary) == "erase secondary");
}

TEST_CASE("discard_secondary_failures: a failed secondary write is still reported in the "
          "result and to observers, and reaches no sink",
          "[write][sink]") {
    kv a, b;
    flaky secondary{b};
    secondary.fail_always(dst::fault_on::writes);
    dst::counting_observer observer;
    ds::dual_store store{a, secondary, ds::discard_secondary_failures{},
                         ds::observe::with(observer)};
    const auto result = store.put("k", "v");
    CHECK(result.primary.ok());
    CHECK(result.secondary.failed());
    CHECK_FALSE(result.enqueued);
    CHECK(observer.secondary_failures == 1);
    CHECK(a.get("k") == "v");
    CHECK_FALSE(b.contains("k"));
}

TEST_CASE("failure sink: primary_only and dual_primary need none, the others must name one",
          "[write][sink]") {
    kv a, b;
    ds::dual_store one_side{a, b, ds::write::primary_only{}};
    ds::dual_store both_or_throw{a, b, ds::write::dual_primary{}, ds::rollback::snapshot{}};
    one_side.put("x", "1");
    both_or_throw.put("y", "1");
    CHECK(a.size() == 2);
    CHECK(b.get("y") == "1");
    // dual_store{a, b} and dual_store{a, b, write::parallel{}} do not compile:
    // tests/compile_fail/dual_store_without_failure_sink.cpp.
}

// A write policy of the user's own, written as the library's are: the
// secondary first (best effort), then the primary.
struct secondary_first {
    using category = ds::write_tag;

    template <class Write>
    void apply(Write& call) const {
        try {
            call.secondary();
        } catch (...) {
            call.secondary_failed();
        }
        call.primary();
    }
};

TEST_CASE("a write policy of the user's own runs each side through the same call",
          "[write][custom]") {
    kv a, b;
    dst::call_log log;
    dst::recording_store primary{a, log, "primary"};
    flaky failing{b};
    dst::recording_store secondary{failing, log, "secondary"};
    sink_record sunk;
    ds::dual_store store{primary, secondary, secondary_first{},
                         ds::on_secondary_failure{std::ref(sunk)}};
    static_assert(ds::write_strategy<secondary_first>);

    CHECK(store.put("k", "v").ok());
    failing.fail_always();
    const auto failed = store.put("k", "w");

    CHECK(a.get("k") == "w");
    CHECK(b.get("k") == "v");
    CHECK(failed.secondary.failed());
    CHECK(failed.enqueued);
    REQUIRE(sunk.taken().size() == 1);
    const auto calls = log.entries();
    REQUIRE(calls.size() >= 2);
    CHECK(calls[0].store == "secondary");
    CHECK(calls[1].store == "primary");
}
