// The schedule explorer itself: it enumerates exactly the interleavings
// within its bounds, injects failures where asked, replays a failing
// schedule exactly, and finds the two races per-key ordering exists to
// prevent (same-key reorder, a rollback over another writer's acknowledged
// write) when ordering is switched off.

#include "interleaving_support.hpp"

#include <dualstore/testing/unsafe_unordered.hpp>

namespace {

/// Two writers put different values under one key through `store`; then
/// drain, and require the invariants.
template <class... Policies>
auto two_writers_one_key(Policies... policies) {
    return [=](dst::schedule& s) {
        history_store a, b;
        ds::memory_retry_queue queue;
        auto old_side = s.wrap(a, "old");
        auto new_side = s.wrap(b, "new", dst::faults::injectable);
        ds::dual_store store{old_side, new_side, ds::on_secondary_failure{queue}, policies...};
        ack_log acks;
        s.run({{"w1",
                [&] {
                    store.put("k", "1");
                    acks.put("k", "1");
                }},
               {"w2", [&] {
                    store.put("k", "2");
                    acks.put("k", "2");
                }}});
        require_same_order(s, a, b);
        ds::drain(queue, a, b);
        require_no_drift(s, a, b);
        require_acknowledged(s, a, acks, {"k"});
    };
}

}  // namespace

TEST_CASE("explorer: enumerates every interleaving of two actors when unbounded",
          "[explorer]") {
    // Each actor: a start step, then one step per store call (two calls each):
    // three steps each, so C(6, 3) = 20 interleavings.
    const auto result = dst::explore(
        [](dst::schedule& s) {
            kv a;
            auto store = s.wrap(a, "a");
            s.run({{"x",
                    [&] {
                        store.put("x", "1");
                        store.put("x", "2");
                    }},
                   {"y", [&] {
                        store.put("y", "1");
                        store.put("y", "2");
                    }}});
        },
        {.preemptions = 100, .faults = 0, .run_cap_applies = false});
    INFO(result.report());
    CHECK(result.ok());
    CHECK(result.complete);
    CHECK(result.schedules == 20);
}

TEST_CASE(
    "explorer: actors of successive schedules run on threads kept between them, so a "
    "thread_local outlives a schedule, and a spawned task is an actor too",
    "[explorer]") {
    // Each actor counts, in a thread_local, the actors its thread has run.
    // Threads started per schedule would all count 1.
    static thread_local int actors_on_this_thread = 0;
    std::atomic<int> most{0};
    const auto count = [&] {
        const int n = ++actors_on_this_thread;
        int seen = most.load();
        while (n > seen && !most.compare_exchange_weak(seen, n)) {
        }
    };
    const auto result = dst::explore(
        [&](dst::schedule& s) {
            kv a;
            auto store = s.wrap(a, "a");
            s.run({{"x",
                    [&] {
                        count();
                        store.put("x", "1");
                        s.executor().execute([&] {
                            count();
                            store.put("t", "1");
                        });
                    }},
                   {"y", [&] {
                        count();
                        store.put("y", "1");
                    }}});
        },
        {.preemptions = 100, .faults = 0, .run_cap_applies = false});
    INFO(result.report());
    CHECK(result.ok());
    CHECK(result.schedules > 3);
    CHECK(most.load() > 1);
}

TEST_CASE(
    "explorer: DUALSTORE_EXPLORE_MAX_PREEMPTIONS lowers the bound of a run and says so, "
    "a search that opts out keeps its bound, a bad value is an error",
    "[explorer]") {
    const auto scenario = two_writers_one_key();
    {
        const scoped_environment cap("DUALSTORE_EXPLORE_MAX_PREEMPTIONS", "0");
        const auto lowered = dst::explore(scenario, {.preemptions = 2, .faults = 0});
        const auto bound0 = dst::explore(scenario, {.preemptions = 0, .faults = 0});
        CHECK(lowered.complete);
        CHECK(lowered.lowered_preemptions == 0u);
        CHECK(lowered.schedules == bound0.schedules);
        CHECK_FALSE(bound0.lowered_preemptions.has_value());  // asked for no more than the cap
        CHECK_THAT(
            lowered.report(),
            Catch::Contains("preemptions lowered to 0 by DUALSTORE_EXPLORE_MAX_PREEMPTIONS"));

        const auto kept =
            dst::explore(scenario, {.preemptions = 2, .faults = 0, .run_cap_applies = false});
        CHECK_FALSE(kept.lowered_preemptions.has_value());
        CHECK(kept.schedules > lowered.schedules);
    }
    const scoped_environment bad("DUALSTORE_EXPLORE_MAX_PREEMPTIONS", "one");
    CHECK_THROWS_WITH(dst::explore(scenario, {.faults = 0}),
                      Catch::Contains("DUALSTORE_EXPLORE_MAX_PREEMPTIONS is \"one\""));
}

TEST_CASE("explorer: a preemption bound of 0 leaves only the schedules without preemption",
          "[explorer]") {
    // Without preemption an actor runs to its end once started: x then y, or y then x.
    const auto result = dst::explore(
        [](dst::schedule& s) {
            kv a;
            auto store = s.wrap(a, "a");
            const auto body = [&] {
                (void)store.get("k");
                (void)store.get("k");
            };
            s.run({{"x", body}, {"y", body}});
        },
        {.preemptions = 0, .faults = 0});
    CHECK(result.complete);
    CHECK(result.schedules == 2);
}

TEST_CASE("explorer: injects a failure at every call of an injectable store, one per schedule",
          "[explorer]") {
    std::vector<int> failed_at;
    const auto result = dst::explore(
        [&](dst::schedule& s) {
            kv a;
            auto store = s.wrap(a, "a", dst::faults::injectable);
            int failed = -1;
            s.run({{"x", [&] {
                        for (int i = 0; i < 3; ++i) {
                            try {
                                store.put("k", std::to_string(i));
                            } catch (const dst::injected_fault&) {
                                failed = i;
                            }
                        }
                    }}});
            failed_at.push_back(failed);
        },
        {.faults = 1});
    CHECK(result.complete);
    std::sort(failed_at.begin(), failed_at.end());
    CHECK(failed_at == std::vector<int>{-1, 0, 1, 2});
}

TEST_CASE("explorer: finds the same-key reorder when per-key ordering is switched off, and "
          "the trace replays exactly",
          "[explorer][order]") {
    const auto scenario = two_writers_one_key(ds::order::by_caller{});
    const auto result = dst::explore(scenario, {.faults = 0, .run_cap_applies = false});
    REQUIRE_FALSE(result.ok());
    const auto& failure = *result.failure;
    CHECK_THAT(failure.message, Catch::Contains("different orders") ||
                                    Catch::Contains("drift"));
    CHECK_THAT(result.report(), Catch::Contains("replay") && Catch::Contains("new.put(k)"));

    const auto again = dst::replay(failure.choices, scenario);
    REQUIRE_FALSE(again.ok());
    CHECK(again.failure->message == failure.message);
    CHECK(again.failure->trace == failure.trace);
}

TEST_CASE("explorer: random (PCT) schedules find the same-key reorder too, with a seed",
          "[explorer][order]") {
    const auto scenario = two_writers_one_key(ds::order::by_caller{});
    const auto result = dst::explore_randomly(scenario, {.schedules = 500, .seed = 7, .faults = 0});
    REQUIRE_FALSE(result.ok());
    CHECK(result.failure->seed.has_value());
    CHECK_FALSE(dst::replay(result.failure->choices, scenario).ok());
}

TEST_CASE("explorer: with per-key ordering no schedule of two writers on one key drifts",
          "[explorer][order]") {
    const auto result =
        dst::explore(two_writers_one_key(), {.faults = 1, .run_cap_applies = false});
    INFO(result.report());
    CHECK(result.ok());
    CHECK(result.complete);
    CHECK(result.schedules > 20);
}

TEST_CASE("explorer: finds dual_primary's rollback over another writer's acknowledged write "
          "without ordering, and none with it",
          "[explorer][rollback]") {
    const auto scenario = [](auto order) {
        return [=](dst::schedule& s) {
            history_store a, b;
            a.put("k", "old");
            b.put("k", "old");
            auto primary = s.wrap(a, "primary");
            auto secondary = s.wrap(b, "secondary", dst::faults::injectable);
            ds::dual_store store{primary, secondary, ds::write::dual_primary{},
                                 ds::rollback::snapshot{}, order};
            ack_log acks;
            const auto writer = [&](std::string value) {
                return [&, value] {
                    try {
                        store.put("k", value);
                        acks.put("k", value);
                    } catch (const ds::rolled_back&) {  // not acknowledged
                    }
                };
            };
            s.run({{"A", writer("first")}, {"B", writer("second")}});
            require_acknowledged(s, a, acks, {"k"}, "old");
        };
    };
    const auto unordered = dst::explore(scenario(dst::unsafe_unordered{}));
    REQUIRE_FALSE(unordered.ok());
    CHECK_THAT(unordered.failure->message, Catch::Contains("acknowledged write lost"));

    const auto ordered = dst::explore(scenario(ds::order::per_key{}));
    INFO(ordered.report());
    CHECK(ordered.ok());
    CHECK(ordered.complete);
}

TEST_CASE("explorer: a parallel write's secondary runs as an actor of its own", "[explorer]") {
    std::size_t schedules_with_task = 0;
    const auto result = dst::explore(
        [&](dst::schedule& s) {
            kv a, b;
            auto pa = s.wrap(a, "a");
            auto pb = s.wrap(b, "b");
            ds::dual_store store{pa, pb, ds::write::parallel{.executor = s.executor()},
                                 ds::discard_secondary_failures{}};
            s.run({{"w", [&] { store.put("k", "v"); }}});
            s.require(b.get("k") == "v", "the secondary missed the write");
            for (const auto& line : s.trace()) {
                if (line.find("task-1: b.put(k)") != std::string::npos) {
                    ++schedules_with_task;
                    break;
                }
            }
        },
        {.faults = 0});
    INFO(result.report());
    CHECK(result.ok());
    CHECK(schedules_with_task > 0);
}

TEST_CASE("explorer: an actor's exception, a failed step check and a livelock fail the schedule",
          "[explorer]") {
    SECTION("an exception escaping an actor") {
        const auto result = dst::explore([](dst::schedule& s) {
            kv a;
            auto store = s.wrap(a, "a");
            s.run({{"thrower", [&] {
                        store.put("k", "v");
                        throw permanent_error("boom");
                    }}});
        });
        REQUIRE_FALSE(result.ok());
        CHECK_THAT(result.failure->message, Catch::Contains("actor thrower threw: boom"));
    }
    SECTION("a step check") {
        const auto result = dst::explore([](dst::schedule& s) {
            kv a;
            auto store = s.wrap(a, "a");
            s.check_each_step([&] { s.require(a.size() < 2, "two keys"); });
            s.run({{"w", [&] {
                        store.put("x", "1");
                        store.put("y", "1");
                        store.erase("x");
                    }}});
        });
        REQUIRE_FALSE(result.ok());
        CHECK_THAT(result.failure->message, Catch::Contains("two keys"));
    }
    SECTION("more steps than allowed") {
        const auto result = dst::explore(
            [](dst::schedule& s) {
                kv a;
                auto store = s.wrap(a, "a");
                s.run({{"spinner", [&] {
                            while (!store.get("never")) {
                            }
                        }}});
            },
            {.max_steps = 50});
        REQUIRE_FALSE(result.ok());
        CHECK_THAT(result.failure->message, Catch::Contains("more than 50 steps"));
    }
}

TEST_CASE("explorer: a choice list that does not fit the scenario is reported, not followed",
          "[explorer]") {
    const auto scenario = [](dst::schedule& s) {
        kv a;
        auto store = s.wrap(a, "a");
        s.run({{"w", [&] { store.put("k", "v"); }}});
    };
    const auto result = dst::replay("0 5", scenario);
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.failure->message, Catch::Contains("not deterministic"));
    CHECK_THROWS_AS(dst::replay("0 x", scenario), ds::error);
}

TEST_CASE("explorer: the README's example explores a put racing an erase with one fault",
          "[explorer][readme]") {
    // Kept identical to the README's "Checking interleavings" snippet.
    const auto result = dst::explore([](dst::schedule& s) {
        kv a, b;
        ds::memory_retry_queue queue;
        auto old_side = s.wrap(a, "old");
        auto new_side = s.wrap(b, "new", dst::faults::injectable);
        ds::dual_store store{old_side, new_side, ds::on_secondary_failure{queue}};
        s.run({{"w1", [&] { store.put("k", "1"); }}, {"w2", [&] { store.erase("k"); }}});
        ds::drain(queue, a, b);
        s.require(a.snapshot() == b.snapshot(), "the stores differ after the drain");
    });
    INFO(result.report());  // on failure: the message, replay("0 0 1 1! ...") and the trace
    CHECK(result.ok());
    CHECK(result.complete);
}
