// Shadow comparison (read::shadow in dual_store, stages shadow and live in
// migration): read order, check and report rates, errors compared, a throwing
// comparator, and what a mismatch report carries.

#include "support.hpp"

#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

/// Keeps every mismatch's fields, as text.
struct mismatch_recorder {
    struct entry {
        std::string key, primary, secondary, primary_error, secondary_error;
        std::chrono::nanoseconds primary_latency, secondary_latency;
    };
    std::vector<entry> entries;

    template <class K, class P, class S>
    void on(const ds::observe::mismatch_event<K, P, S>& e) {
        entries.push_back({ds::observe::printable(e.key), ds::observe::printable(e.primary),
                           ds::observe::printable(e.secondary),
                           e.primary_error ? ds::describe(e.primary_error) : "",
                           e.secondary_error ? ds::describe(e.secondary_error) : "",
                           e.primary_latency, e.secondary_latency});
    }
};

/// An executor that runs each task on a new thread and waits for it.
struct thread_per_task_executor {
    std::vector<std::thread::id> threads;
    void execute(std::function<void()> task) {
        std::thread worker([&] {
            threads.push_back(std::this_thread::get_id());
            task();
        });
        worker.join();
    }
};

using recorded = dst::recording_store<kv&>;

}  // namespace

TEST_CASE("shadow order: authoritative first reads the primary, then the secondary",
          "[shadow][order]") {
    kv a, b;
    dst::call_log log;
    recorded primary{a, log, "primary"}, secondary{b, log, "secondary"};
    ds::dual_store store{primary, secondary, ds::read::shadow{}, ds::discard_secondary_failures{}};
    for (int i = 0; i < 20; ++i) std::ignore = store.get("k");
    const auto calls = log.entries();
    REQUIRE(calls.size() == 40);
    for (std::size_t i = 0; i < calls.size(); i += 2) {
        CHECK(calls[i].store == "primary");
        CHECK(calls[i + 1].store == "secondary");
    }
}

TEST_CASE("shadow order: random runs both orders, both on the calling thread", "[shadow][order]") {
    kv a, b;
    dst::call_log log;
    recorded primary{a, log, "primary"}, secondary{b, log, "secondary"};
    ds::dual_store store{primary, secondary,
                         ds::read::shadow{.order = ds::read::shadow_order::random},
                         ds::discard_secondary_failures{}};
    std::size_t secondary_first = 0;
    constexpr std::size_t reads = 400;
    for (std::size_t i = 0; i < reads; ++i) {
        std::ignore = store.get("k");
        const auto calls = log.entries();
        REQUIRE(calls.size() == 2);
        secondary_first += calls[0].store == "secondary" ? 1 : 0;
        log.clear();
    }
    // Each order has probability 1/2 per read; 400 reads all one way is 2^-399.
    CHECK(secondary_first > 0);
    CHECK(secondary_first < reads);
}

TEST_CASE(
    "shadow order: parallel reads the secondary on the executor and compares before "
    "returning",
    "[shadow][order]") {
    kv a, b;
    a.put("k", "1");
    b.put("k", "2");
    thread_per_task_executor executor;
    mismatch_recorder mismatches;
    ds::dual_store store{
        a, b, ds::read::shadow{.order = ds::read::shadow_order::parallel, .executor = executor},
        ds::observe::with(mismatches), ds::discard_secondary_failures{}};

    CHECK(store.get("k") == "1");
    REQUIRE(executor.threads.size() == 1);
    CHECK(executor.threads[0] != std::this_thread::get_id());
    REQUIRE(mismatches.entries.size() == 1);  // reported before get returned
    CHECK(mismatches.entries[0].secondary == "2");
}

TEST_CASE(
    "shadow rates: the check rate decides how often the secondary is read, the report "
    "rate how many mismatches are reported",
    "[shadow][rate]") {
    kv a, b;
    a.put("k", "1");
    b.put("k", "2");
    dst::call_log log;
    recorded secondary{b, log, "secondary"};
    dst::counting_observer observer;
    constexpr int reads = 2000;

    SECTION("checked always, reported never") {
        ds::dual_store store{a, secondary, ds::read::shadow{.sample = 1.0, .report = 0.0},
                             ds::observe::with(observer), ds::discard_secondary_failures{}};
        for (int i = 0; i < reads; ++i) CHECK(store.get("k") == "1");
        CHECK(log.size() == reads);
        CHECK(observer.mismatches == 0);
    }
    SECTION("checked always, about half reported") {
        ds::dual_store store{a, secondary, ds::read::shadow{.sample = 1.0, .report = 0.5},
                             ds::observe::with(observer), ds::discard_secondary_failures{}};
        for (int i = 0; i < reads; ++i) std::ignore = store.get("k");
        CHECK(log.size() == reads);
        // Binomial(2000, 0.5): 800..1200 is more than 8 standard deviations wide.
        CHECK(observer.mismatches > 800);
        CHECK(observer.mismatches < 1200);
    }
    SECTION("never checked: the secondary is never read") {
        ds::dual_store store{a, secondary, ds::read::shadow{.sample = 0.0},
                             ds::observe::with(observer), ds::discard_secondary_failures{}};
        for (int i = 0; i < reads; ++i) std::ignore = store.get("k");
        CHECK(log.size() == 0);
        CHECK(observer.mismatches == 0);
    }
}

TEST_CASE("shadow errors: failures are compared like answers, in every order", "[shadow][errors]") {
    const auto order = GENERATE(ds::read::shadow_order::authoritative_first,
                                ds::read::shadow_order::random, ds::read::shadow_order::parallel);
    CAPTURE(order);
    kv a, b;
    a.put("k", "v");
    b.put("k", "v");
    flaky primary{a};
    flaky secondary{b};
    mismatch_recorder mismatches;
    ds::dual_store store{primary, secondary, ds::read::shadow{.order = order},
                         ds::observe::with(mismatches), ds::discard_secondary_failures{}};

    SECTION("both failing the same way is a match; the primary's error reaches the caller") {
        primary.fail_always(dst::fault_on::reads);
        secondary.fail_always(dst::fault_on::reads);
        CHECK_THROWS_AS(store.get("k"), dst::injected_fault);
        CHECK(mismatches.entries.empty());
    }
    SECTION("only the primary failing is a mismatch carrying its error, then rethrown") {
        primary.fail_always(dst::fault_on::reads);
        CHECK_THROWS_AS(store.get("k"), dst::injected_fault);
        REQUIRE(mismatches.entries.size() == 1);
        CHECK(mismatches.entries[0].primary == "<absent>");  // no answer
        CHECK_THAT(mismatches.entries[0].primary_error,
                   Catch::Matchers::Contains("injected fault"));
        CHECK(mismatches.entries[0].secondary == "v");
        CHECK(mismatches.entries[0].primary_latency > std::chrono::nanoseconds::zero());
        CHECK(mismatches.entries[0].secondary_latency > std::chrono::nanoseconds::zero());
    }
    SECTION("only the secondary failing is a mismatch; the caller gets the primary's answer") {
        secondary.fail_always(dst::fault_on::reads);
        CHECK(store.get("k") == "v");
        REQUIRE(mismatches.entries.size() == 1);
        CHECK(mismatches.entries[0].primary == "v");
        CHECK_THAT(mismatches.entries[0].secondary_error,
                   Catch::Matchers::Contains("injected fault"));
    }
    SECTION("both failing differently is a mismatch") {
        const auto failing = [&](auto& s) -> std::optional<std::string> {
            if (&s == &primary) throw std::runtime_error("primary timeout");
            throw std::logic_error("secondary schema error");
        };
        CHECK_THROWS_WITH(store.read(std::string("k"), failing), "primary timeout");
        REQUIRE(mismatches.entries.size() == 1);
        CHECK(mismatches.entries[0].primary_error == "primary timeout");
        CHECK(mismatches.entries[0].secondary_error == "secondary schema error");
    }
}

TEST_CASE("shadow: a throwing comparator never breaks the read", "[shadow][errors]") {
    kv a, b;
    a.put("k", "v");
    b.put("k", "v");
    dst::counting_observer observer;
    const auto broken = [](const auto&, const auto&) -> bool { throw std::bad_alloc(); };
    ds::dual_store store{a, b, ds::read::shadow{}.compared_by(broken), ds::observe::with(observer),
                         ds::discard_secondary_failures{}};
    CHECK(store.get("k") == "v");
    CHECK(observer.shadow_errors == 1);
    CHECK(observer.mismatches == 0);
}

TEST_CASE("shadow: a mismatch report carries the key, both values and both latencies",
          "[shadow][report]") {
    kv a, b;
    a.put("key", "left");
    b.put("key", "right");
    flaky slow{b};
    slow.add_latency(std::chrono::milliseconds(2), dst::fault_on::reads);
    mismatch_recorder mismatches;
    ds::dual_store store{a, slow, ds::read::shadow{}, ds::observe::with(mismatches),
                         ds::discard_secondary_failures{}};

    CHECK(store.get("key") == "left");
    REQUIRE(mismatches.entries.size() == 1);
    const auto& m = mismatches.entries[0];
    CHECK(m.key == "key");
    CHECK(m.primary == "left");
    CHECK(m.secondary == "right");
    CHECK(m.primary_error.empty());
    CHECK(m.secondary_error.empty());
    CHECK(m.primary_latency > std::chrono::nanoseconds::zero());
    CHECK(m.secondary_latency >= std::chrono::milliseconds(2));  // the injected latency
}

TEST_CASE("printable: fmt where formattable, optionals unwrapped, a placeholder otherwise",
          "[shadow][report]") {
    struct opaque {};
    const std::optional<int> some = 7;
    const std::optional<int> none;
    const opaque o;
    const std::string* no_key = nullptr;
    CHECK(ds::observe::printable(&some) == "7");
    CHECK(ds::observe::printable(&none) == "<none>");
    CHECK(ds::observe::printable(&o) == "<unprintable>");
    CHECK(ds::observe::printable(no_key) == "<absent>");
}

TEST_CASE("shadow in a migration: the live stage compares with the new store answering",
          "[shadow][migration]") {
    kv old_side, new_side;
    old_side.put("k", "old");
    new_side.put("k", "new");
    mismatch_recorder mismatches;
    ds::migration store{old_side,
                        new_side,
                        ds::stage::live,
                        ds::read::shadow{.order = ds::read::shadow_order::random},
                        ds::observe::with(mismatches),
                        ds::discard_secondary_failures{}};
    CHECK(store.get("k") == "new");
    REQUIRE(mismatches.entries.size() == 1);
    CHECK(mismatches.entries[0].primary == "new");
    CHECK(mismatches.entries[0].secondary == "old");
}
