// The append_only guard: puts of new keys only, checked before either store
// is written; in dual_store and in every stage of a migration.

#include "support.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {
using recorded = dst::recording_store<kv&>;

std::vector<std::string> calls(const dst::call_log& log) {
    std::vector<std::string> text;
    for (const auto& c : log.entries()) text.push_back(fmt::format("{}", c));
    return text;
}
}  // namespace

TEST_CASE("append_only: a new key is written to both stores, the primary with put_if_absent",
          "[guard][append_only]") {
    kv a, b;
    dst::call_log log;
    recorded primary{a, log, "primary"}, secondary{b, log, "secondary"};
    ds::dual_store store{primary, secondary, ds::append_only{}, ds::discard_secondary_failures{}};

    const auto result = store.put("entry-1", "100");
    CHECK(result.ok());
    CHECK(calls(log) == std::vector<std::string>{"primary.get(entry-1)",
                                                 "primary.put_if_absent(entry-1)",
                                                 "secondary.put(entry-1)"});
    CHECK(a.get("entry-1") == "100");
    CHECK(b.get("entry-1") == "100");
}

TEST_CASE("append_only: a put over an existing key throws immutable_violation and writes "
          "neither store",
          "[guard][append_only]") {
    kv a, b;
    a.put("entry-1", "100");
    b.put("entry-1", "100");
    dst::call_log log;
    recorded primary{a, log, "primary"}, secondary{b, log, "secondary"};
    dst::counting_observer observer;
    ds::dual_store store{primary,
                         secondary,
                         ds::append_only{},
                         ds::retry::fixed{.attempts = 3},
                         ds::observe::with(observer),
                         ds::discard_secondary_failures{}};

    CHECK_THROWS_WITH(store.put("entry-1", "999"),
                      Catch::Matchers::Contains("append_only") &&
                          Catch::Matchers::Contains("entry-1") &&
                          Catch::Matchers::Contains("already exists"));
    CHECK_THROWS_AS(store.put("entry-1", "999"), ds::immutable_violation);
    // Only the existence check ran: no write on either side, no retry.
    CHECK(calls(log) == std::vector<std::string>{"primary.get(entry-1)", "primary.get(entry-1)"});
    CHECK(observer.retries == 0);
    CHECK(a.get("entry-1") == "100");
    CHECK(b.get("entry-1") == "100");
}

TEST_CASE("append_only: a precondition failure is never retried, whatever the retry policy",
          "[guard][retry]") {
    kv a, b;
    dst::manual_clock clock;
    ds::dual_store store{a, b, ds::retry::fixed{.attempts = 5, .clock = clock.timer()},
                         ds::discard_secondary_failures{}};
    int calls_made = 0;
    CHECK_THROWS_AS(store.write([&](auto&) {
        ++calls_made;
        throw ds::immutable_violation("refused");
    }),
                    ds::immutable_violation);
    CHECK(calls_made == 1);
    CHECK(clock.sleeps().empty());
}

TEST_CASE("append_only: applies in every stage of a migration, against that stage's primary",
          "[guard][append_only][migration]") {
    for (const auto stage : ds::all_stages) {
        DYNAMIC_SECTION("stage " << fmt::format("{}", stage)) {
            kv old_side, new_side;
            ds::migration store{old_side, new_side, stage, ds::append_only{},
                                ds::discard_secondary_failures{}};
            CHECK(store.put("entry", "1").primary.ok());
            CHECK_THROWS_AS(store.put("entry", "2"), ds::immutable_violation);
            CHECK(store.get("entry") == "1");
        }
    }
}

TEST_CASE("append_only concurrency: of threads racing to insert one new key, exactly one wins",
          "[guard][append_only][concurrency]") {
    kv a, b;
    ds::dual_store store{a, b, ds::append_only{}, ds::discard_secondary_failures{}};
    constexpr int threads = 4;
    constexpr int keys = 200;
    std::atomic<int> wins{0};
    std::atomic<int> refusals{0};
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int k = 0; k < keys; ++k) {
                try {
                    store.put(std::to_string(k), std::to_string(t));
                    ++wins;
                } catch (const ds::immutable_violation&) {
                    ++refusals;
                }
            }
        });
    }
    workers.clear();  // joins
    CHECK(wins == keys);
    CHECK(refusals == keys * (threads - 1));
    for (int k = 0; k < keys; ++k) CHECK(a.get(std::to_string(k)) == b.get(std::to_string(k)));
}
