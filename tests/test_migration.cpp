// ds::migration: the stage × operation table, stub backends never touched,
// policies in every stage, stage changes and their observer hook.

#include "support.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <string>
#include <vector>

namespace {

using recorded = dst::recording_store<kv&>;
using stub = dst::stub_store<std::string, std::string>;

/// Which stores each stage touches, in order, for one write and one read.
struct stage_row {
    ds::stage stage;
    std::vector<std::string> writes;  ///< stores written, in order
    std::vector<std::string> reads;   ///< stores read, in order
};

const std::array<stage_row, 6> stage_table{{
    {ds::stage::off, {"old"}, {"old"}},
    {ds::stage::dual_write, {"old", "new"}, {"old"}},
    {ds::stage::shadow, {"old", "new"}, {"old", "new"}},
    {ds::stage::live, {"new", "old"}, {"new", "old"}},
    {ds::stage::rampdown, {"new", "old"}, {"new"}},
    {ds::stage::complete, {"new"}, {"new"}},
}};

/// The calls `stores` would make of `kind` on key `key`, as "store.kind(key)".
std::vector<std::string> expected(const std::vector<std::string>& stores, std::string_view kind,
                                  std::string_view key) {
    std::vector<std::string> calls;
    for (const auto& store : stores) calls.push_back(fmt::format("{}.{}({})", store, kind, key));
    return calls;
}

/// The log's calls as "store.kind(key)", then clears it.
std::vector<std::string> take(dst::call_log& log) {
    std::vector<std::string> calls;
    for (const auto& c : log.entries()) calls.push_back(fmt::format("{}", c));
    log.clear();
    return calls;
}

/// How many of `stores` are `name`.
std::size_t count(const std::vector<std::string>& stores, std::string_view name) {
    return static_cast<std::size_t>(std::ranges::count(stores, name));
}

}  // namespace

TEST_CASE("migration: every stage touches the stores its table row says, in order",
          "[migration][stage]") {
    for (const auto& row : stage_table) {
        DYNAMIC_SECTION("stage " << fmt::format("{}", row.stage)) {
            kv old_data, new_data;
            dst::call_log log;
            recorded old_side{old_data, log, "old"};
            recorded new_side{new_data, log, "new"};
            ds::migration store{old_side, new_side, row.stage, ds::discard_secondary_failures{}};
            REQUIRE(store.current_stage() == row.stage);

            store.put("k", "v");
            CHECK(take(log) == expected(row.writes, "put", "k"));

            std::ignore = store.get("k");
            CHECK(take(log) == expected(row.reads, "get", "k"));

            store.write([](auto& s) { s.put("w", "1"); });
            CHECK(take(log) == expected(row.writes, "put", "w"));

            std::ignore = store.read([](auto& s) { return s.get("w"); });
            CHECK(take(log) == expected(row.reads, "get", "w"));

            store.erase("k");
            CHECK(take(log) == expected(row.writes, "erase", "k"));
        }
    }
}

TEST_CASE("migration: the stage's primary answers reads and decides erase's result",
          "[migration][stage]") {
    kv old_side, new_side;
    old_side.put("k", "old value");
    new_side.put("k", "new value");
    ds::migration store{old_side, new_side, ds::discard_secondary_failures{}};
    CHECK(store.current_stage() == ds::stage::off);  // the default initial stage

    const std::array<std::pair<ds::stage, std::string>, 6> answers{{
        {ds::stage::off, "old value"},
        {ds::stage::dual_write, "old value"},
        {ds::stage::shadow, "old value"},
        {ds::stage::live, "new value"},
        {ds::stage::rampdown, "new value"},
        {ds::stage::complete, "new value"},
    }};
    for (const auto& [stage, answer] : answers) {
        store.set_stage(stage);
        CHECK(store.get("k") == answer);
    }

    // complete: erase reports the new store's view; the old store keeps its key.
    new_side.erase("k");
    CHECK_FALSE(store.erase("k"));
    CHECK(old_side.get("k") == "old value");
}

/// Every operation, many times; checks the answers.
template <class Store>
void full_workload(Store& store) {
    for (int i = 0; i < 100; ++i) {
        const auto key = std::to_string(i);
        store.put(key, "v");
        CHECK(store.get(key) == "v");
        store.write(key, [&](auto& s) { s.put(key, "w"); });
        CHECK(store.read([&](auto& s) { return s.get(key); }) == "w");
        CHECK(store.erase(key));
    }
}

TEST_CASE("migration: a stub new store is never touched in stage off, a stub old store never "
          "in stage complete",
          "[migration][stub]") {
    SECTION("off") {
        kv old_side;
        stub new_side{"new"};
        ds::migration store{old_side, new_side, ds::stage::off, ds::discard_secondary_failures{}};
        full_workload(store);
        CHECK(new_side.touches() == 0);
    }
    SECTION("complete") {
        stub old_side{"old"};
        kv new_side;
        ds::migration store{old_side, new_side, ds::stage::complete,
                            ds::discard_secondary_failures{}};
        full_workload(store);
        CHECK(old_side.touches() == 0);
    }
}

TEST_CASE("migration: a stub store is touched exactly as the stage table says",
          "[migration][stub]") {
    for (const auto& row : stage_table) {
        DYNAMIC_SECTION("stage " << fmt::format("{}", row.stage)) {
            kv real;
            stub stub_new{"new"};
            stub stub_old{"old"};
            dst::counting_observer observer;
            // The stub stands in for the new store, then for the old one.
            ds::migration with_stub_new{real, stub_new, row.stage, ds::observe::with(observer),
                                        ds::discard_secondary_failures{}};
            ds::migration with_stub_old{stub_old, real, row.stage, ds::observe::with(observer),
                                        ds::discard_secondary_failures{}};

            const auto exercise = [](auto& store, bool stub_answers_reads,
                                     bool stub_written_first) {
                if (stub_written_first) {
                    CHECK_THROWS_AS(store.put("k", "v"), ds::not_configured);
                    CHECK_THROWS_AS(store.erase("k"), ds::not_configured);
                } else {
                    store.put("k", "v");  // a secondary failure is reported, not thrown
                    store.erase("k");
                }
                if (stub_answers_reads) {
                    CHECK_THROWS_AS(store.get("k"), ds::not_configured);
                } else {
                    CHECK_NOTHROW(std::ignore = store.get("k"));
                }
            };
            exercise(with_stub_new, row.reads.front() == "new", row.writes.front() == "new");
            exercise(with_stub_old, row.reads.front() == "old", row.writes.front() == "old");

            CHECK(stub_new.touches() == 2 * count(row.writes, "new") + count(row.reads, "new"));
            CHECK(stub_old.touches() == 2 * count(row.writes, "old") + count(row.reads, "old"));
        }
    }
}

TEST_CASE("migration: shadow and live compare the two stores and report mismatches",
          "[migration][shadow]") {
    kv old_side, new_side;
    old_side.put("k", "old value");
    new_side.put("k", "new value");
    dst::counting_observer observer;
    ds::migration store{old_side, new_side, ds::stage::shadow, ds::observe::with(observer),
                        ds::discard_secondary_failures{}};

    CHECK(store.get("k") == "old value");
    store.set_stage(ds::stage::live);
    CHECK(store.get("k") == "new value");
    store.set_stage(ds::stage::rampdown);  // reads the new store only: no comparison
    CHECK(store.get("k") == "new value");

    CHECK(observer.mismatch_log() ==
          std::vector<std::string>{"k: old value != new value", "k: new value != old value"});
}

TEST_CASE("migration: retry and the failure sink apply in every stage that writes both",
          "[migration][policies]") {
    for (const auto& row : stage_table) {
        if (row.writes.size() < 2) continue;
        DYNAMIC_SECTION("stage " << fmt::format("{}", row.stage)) {
            kv old_data, new_data;
            flaky old_side{old_data};
            flaky new_side{new_data};
            dst::manual_clock clock;
            sink_record sink;
            ds::migration store{old_side,
                                new_side,
                                row.stage,
                                ds::retry::fixed{.attempts = 2, .delay = 1ms, .clock = clock.timer()},
                                ds::on_secondary_failure{std::ref(sink)}};
            flaky& secondary = row.writes.front() == "old" ? new_side : old_side;
            secondary.fail_always(dst::fault_on::writes);

            const auto result = store.put("k", "v");
            CHECK(result.primary.ok());
            CHECK(result.secondary.failed());
            CHECK(result.secondary.attempts == 2);  // retried once
            CHECK(result.enqueued);
            const auto entries = sink.taken();
            REQUIRE(entries.size() == 1);
            CHECK(entries[0].key == "k");
            CHECK(entries[0].op == ds::operation::put);
        }
    }
}

TEST_CASE("migration: dual_primary rolls back the stage's primary, whichever store it is",
          "[migration][policies][rollback]") {
    for (const auto stage : {ds::stage::dual_write, ds::stage::live}) {
        DYNAMIC_SECTION("stage " << fmt::format("{}", stage)) {
            kv old_data, new_data;
            flaky old_side{old_data};
            flaky new_side{new_data};
            old_data.put("k", "before");
            new_data.put("k", "before");
            ds::migration store{old_side, new_side, stage, ds::write::dual_primary{},
                                ds::rollback::snapshot{}};
            flaky& secondary = stage == ds::stage::dual_write ? new_side : old_side;
            secondary.fail_always(dst::fault_on::writes);

            CHECK_THROWS_AS(store.put("k", "after"), ds::rolled_back);
            CHECK(old_data.get("k") == "before");
            CHECK(new_data.get("k") == "before");
        }
    }
}

TEST_CASE("migration: set_stage reports each change to observers and returns the previous stage",
          "[migration][stage]") {
    struct stage_log {
        std::vector<std::pair<ds::stage, ds::stage>> changes;
        void on(const ds::observe::stage_change_event& e) { changes.emplace_back(e.from, e.to); }
    } log;
    kv old_side, new_side;
    ds::migration store{old_side, new_side, ds::observe::with(log),
                        ds::discard_secondary_failures{}};

    CHECK(store.set_stage(ds::stage::dual_write) == ds::stage::off);
    CHECK(store.set_stage(ds::stage::shadow) == ds::stage::dual_write);
    CHECK(store.set_stage(ds::stage::shadow) == ds::stage::shadow);  // no change, no event
    CHECK(store.set_stage(ds::stage::dual_write) == ds::stage::shadow);  // back is allowed
    CHECK(log.changes == std::vector<std::pair<ds::stage, ds::stage>>{
                             {ds::stage::off, ds::stage::dual_write},
                             {ds::stage::dual_write, ds::stage::shadow},
                             {ds::stage::shadow, ds::stage::dual_write}});
}

TEST_CASE("migration: set_stage from inside one of its own operations throws instead of "
          "deadlocking",
          "[migration][stage]") {
    kv old_side, new_side;
    ds::migration store{old_side, new_side, ds::stage::dual_write,
                        ds::discard_secondary_failures{}};
    const auto result = store.write([&](auto&) {
        CHECK_THROWS_WITH(store.set_stage(ds::stage::shadow),
                          Catch::Matchers::Contains("would wait for itself"));
    });
    CHECK(result.primary.ok());
    CHECK(store.current_stage() == ds::stage::dual_write);
    CHECK_THROWS_AS(store.set_stage(static_cast<ds::stage>(42)), ds::invalid_stage);
}

TEST_CASE("migration: owns backends given as rvalues", "[migration]") {
    ds::migration store{kv{}, kv{}, ds::stage::dual_write, ds::discard_secondary_failures{}};
    store.put("k", "v");
    CHECK(store.old_side().get("k") == "v");
    CHECK(store.new_side().get("k") == "v");
    static_assert(std::is_same_v<decltype(store)::old_store, kv>);
}

TEST_CASE("migration: write::parallel writes both stores in the stages that write both",
          "[migration][policies]") {
    for (const auto& row : stage_table) {
        DYNAMIC_SECTION("stage " << fmt::format("{}", row.stage)) {
            kv old_side, new_side;
            ds::migration store{old_side, new_side, row.stage, ds::write::parallel{},
                                ds::discard_secondary_failures{}};
            const auto result = store.put("k", "v");
            CHECK(result.ok());
            CHECK(old_side.get("k").has_value() == (count(row.writes, "old") == 1));
            CHECK(new_side.get("k").has_value() == (count(row.writes, "new") == 1));
        }
    }
}

TEST_CASE("migration: a read::shadow policy sets the comparison of the shadow and live stages",
          "[migration][shadow]") {
    kv old_data, new_data;
    dst::call_log log;
    recorded old_side{old_data, log, "old"};
    recorded new_side{new_data, log, "new"};
    ds::migration store{old_side, new_side, ds::stage::shadow, ds::read::shadow{.sample = 0.0},
                        ds::discard_secondary_failures{}};
    std::ignore = store.get("k");
    store.set_stage(ds::stage::live);
    std::ignore = store.get("k");
    // Check rate 0: only the answering store is read.
    CHECK(take(log) == std::vector<std::string>{"old.get(k)", "new.get(k)"});
}
