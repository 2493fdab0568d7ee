// Retry policies: attempts, delays (through an injected clock), the elapsed
// budget, the retry-only-if predicate, and what happens when retries run out.

#include "support.hpp"

#include <algorithm>
#include <set>

using nanos = std::vector<std::chrono::nanoseconds>;

TEST_CASE("retry::fixed: transient failures are retried with the fixed delay", "[retry][fixed]") {
    kv a, b;
    flaky secondary{b};
    dst::manual_clock clock;
    dst::counting_observer observer;
    ds::dual_store store{a, secondary,
                         ds::retry::fixed{.attempts = 3, .delay = 7ms, .clock = clock.timer()},
                         ds::observe::with(observer), ds::discard_secondary_failures{}};
    secondary.fail_next(2, dst::fault_on::writes);

    const auto result = store.put("k", "v");

    CHECK(result.ok());
    CHECK(result.secondary.attempts == 3);
    CHECK(result.primary.attempts == 1);
    CHECK(b.get("k") == "v");
    CHECK(clock.sleeps() == nanos{7ms, 7ms});
    CHECK(observer.retries == 2);
}

TEST_CASE("retry: attempts counts every call, the first included", "[retry]") {
    kv a, b;
    flaky primary{a};
    dst::manual_clock clock;
    ds::dual_store store{primary, b,
                         ds::retry::fixed{.attempts = 3, .delay = 1ms, .clock = clock.timer()},
                         ds::discard_secondary_failures{}};
    primary.fail_always(dst::fault_on::reads);

    CHECK_THROWS_AS(store.get("k"), dst::injected_fault);
    CHECK(primary.injected() == 3);
    CHECK(clock.sleeps().size() == 2);
}

TEST_CASE("retry::exponential without jitter doubles the delay up to the cap",
          "[retry][exponential]") {
    kv a, b;
    flaky primary{a};
    dst::manual_clock clock;
    ds::dual_store store{
        primary, b,
        ds::retry::exponential{.attempts = 6,
                               .backoff = {.base = 10ms, .cap = 50ms, .jitter = false},
                               .clock = clock.timer()},
        ds::discard_secondary_failures{}};
    primary.fail_next(5, dst::fault_on::writes);

    const auto result = store.put("k", "v");

    CHECK(result.primary.attempts == 6);
    CHECK(clock.sleeps() == nanos{10ms, 20ms, 40ms, 50ms, 50ms});
}

TEST_CASE("retry::exponential with full jitter stays within [0, bound] and varies",
          "[retry][exponential]") {
    const ds::retry::exponential policy{.attempts = 10, .backoff = {.base = 10ms, .cap = 80ms}};
    std::set<std::chrono::nanoseconds::rep> seen;
    for (int round = 0; round < 200; ++round) {
        for (unsigned failed = 1; failed <= 6; ++failed) {
            const auto bound = std::min<std::chrono::nanoseconds>(
                80ms, std::chrono::nanoseconds(10ms) * (1 << (failed - 1)));
            const auto d = policy.delay_after(failed);
            REQUIRE(d >= std::chrono::nanoseconds::zero());
            REQUIRE(d <= bound);
            seen.insert(d.count());
        }
    }
    CHECK(seen.size() > 100);
}

TEST_CASE("retry::exponential: a huge attempt count does not overflow the delay",
          "[retry][exponential]") {
    const ds::retry::exponential policy{.backoff = {.base = 1s, .cap = 30s, .jitter = false}};
    CHECK(policy.delay_after(200) == 30s);
    CHECK(policy.delay_after(63) == 30s);
}

TEST_CASE("timer: one manual clock moves the steady and the calendar time together",
          "[retry][clock]") {
    dst::manual_clock clock;
    const ds::timer timer = clock.timer();
    const auto steady = timer.read_clock();
    const auto wall = timer.read_wall();
    timer.wait(3s);
    CHECK(timer.read_clock() - steady == 3s);
    CHECK(timer.read_wall() - wall == 3s);
    CHECK(clock.sleeps() == std::vector<std::chrono::nanoseconds>{3s});
    const ds::timer real{};  // empty members: the real clocks
    CHECK(real.read_wall() > std::chrono::system_clock::time_point{});
}

TEST_CASE("retry: the predicate stops retries for permanent errors", "[retry][predicate]") {
    kv a;
    struct permanent_once_store {
        using key_type = std::string;
        using mapped_type = std::string;
        int calls = 0;
        std::optional<std::string> get(const std::string&) {
            ++calls;
            throw permanent_error("bad request");
        }
        void put(const std::string&, const std::string&) {}
        bool erase(const std::string&) { return false; }
    } primary;
    dst::manual_clock clock;
    ds::dual_store store{primary, a,
                         ds::retry::fixed{.attempts = 5,
                                          .delay = 1ms,
                                          .retry_if =
                                              [](const std::exception& e) {
                                                  return dynamic_cast<const permanent_error*>(&e) ==
                                                         nullptr;
                                              },
                                          .clock = clock.timer()},
                         ds::discard_secondary_failures{}};

    CHECK_THROWS_AS(store.get("k"), permanent_error);
    CHECK(primary.calls == 1);
    CHECK(clock.sleeps().empty());
}

TEST_CASE("retry: max_elapsed stops retrying when the next pause would exceed it",
          "[retry][elapsed]") {
    kv a, b;
    flaky primary{a};
    primary.fail_always(dst::fault_on::writes);
    dst::manual_clock clock;
    ds::dual_store store{
        primary, b,
        ds::retry::fixed{
            .attempts = 100, .delay = 30ms, .max_elapsed = 100ms, .clock = clock.timer()},
        ds::discard_secondary_failures{}};

    CHECK_THROWS_AS(store.put("k", "v"), dst::injected_fault);
    // 0 + 30, 30 + 30, 60 + 30 fit in 100 ms; 90 + 30 does not.
    CHECK(clock.sleeps() == nanos{30ms, 30ms, 30ms});
    CHECK(primary.injected() == 4);
}

TEST_CASE("retry: exhausted retries on the secondary fall through to the failure sink",
          "[retry][sink]") {
    kv a, b;
    flaky secondary{b};
    secondary.fail_always(dst::fault_on::writes);
    sink_record sunk;
    dst::manual_clock clock;
    ds::dual_store store{
        a, secondary, ds::on_secondary_failure{std::ref(sunk)},
        ds::retry::exponential{
            .attempts = 4, .backoff = {.base = 1ms, .cap = 8ms}, .clock = clock.timer()}};

    const auto result = store.put("k", "v");

    CHECK(result.secondary.failed());
    CHECK(result.secondary.attempts == 4);
    CHECK(result.enqueued);
    CHECK(secondary.injected() == 4);
    REQUIRE(sunk.taken().size() == 1);
    CHECK(clock.sleeps().size() == 3);
}

TEST_CASE("retry: exhausted retries under dual_primary fall through to the rollback",
          "[retry][rollback]") {
    kv a, b;
    flaky secondary{b};
    secondary.fail_always(dst::fault_on::writes);
    dst::manual_clock clock;
    ds::dual_store store{a, secondary, ds::write::dual_primary{}, ds::rollback::snapshot{},
                         ds::retry::fixed{.attempts = 2, .delay = 1ms, .clock = clock.timer()}};

    CHECK_THROWS_AS(store.put("k", "v"), ds::rolled_back);
    CHECK(secondary.injected() == 2);
    CHECK_FALSE(a.contains("k"));
}

TEST_CASE("retry::none calls each side exactly once", "[retry][none]") {
    kv a, b;
    flaky secondary{b};
    secondary.fail_next(1, dst::fault_on::writes);
    ds::dual_store store{a, secondary, ds::discard_secondary_failures{}};
    static_assert(std::is_same_v<decltype(store)::retry_policy, ds::retry::none>);
    const auto result = store.put("k", "v");
    CHECK(result.secondary.attempts == 1);
    CHECK(secondary.injected() == 1);
    CHECK_FALSE(b.contains("k"));
}
