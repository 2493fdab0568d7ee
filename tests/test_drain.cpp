// ds::drain: repair by key from the primary's current state.

#include "support.hpp"

#include <dualstore/drain.hpp>
#include <dualstore/kv_retry_queue.hpp>
#include <dualstore/memory_retry_queue.hpp>

#include <fmt/format.h>

#include <string>

namespace {

using namespace std::string_literals;

/// A clock the test moves by hand.
struct test_time {
    ds::queue_clock::time_point now = ds::queue_clock::time_point(std::chrono::seconds(2'000'000'000));
    ds::drain_options options(std::size_t batch = 100, unsigned max_attempts = 3) {
        ds::drain_options o;
        o.batch_size = batch;
        o.max_attempts = max_attempts;
        o.now = [this] { return now; };
        return o;
    }
};

void enqueue(ds::memory_retry_queue& queue, std::string key, ds::operation op,
             ds::queue_clock::time_point at) {
    ds::retry_entry e;
    e.key = std::move(key);
    e.op = op;
    e.first_enqueued = at;
    e.next_attempt = at;
    queue.push(std::move(e));
}

}  // namespace

TEST_CASE("drain: a secondary failure after exhausted retries is enqueued, then repaired",
          "[drain]") {
    for (const bool parallel : {false, true}) {
        DYNAMIC_SECTION((parallel ? "write::parallel" : "write::sequential")) {
            kv primary, b;
            flaky secondary{b};
            ds::memory_retry_queue queue;
            dst::manual_clock clock;
            const auto retry = ds::retry::fixed{.attempts = 2, .clock = clock.timer()};
            const auto sink = ds::on_secondary_failure{queue};
            secondary.fail_always(dst::fault_on::writes);
            if (parallel) {
                ds::dual_store store{primary, secondary, ds::write::parallel{}, retry, sink};
                CHECK(store.put("k", "v").enqueued);
            } else {
                ds::dual_store store{primary, secondary, retry, sink};
                CHECK(store.put("k", "v").enqueued);
            }
            CHECK(b.get("k") == std::nullopt);

            secondary.heal();
            const auto report = ds::drain(queue, primary, secondary);
            CHECK(report == ds::drain_report{.repaired = 1});
            CHECK(b.get("k") == "v");
            CHECK(queue.size() == 0);
        }
    }
}

TEST_CASE("drain: never writes an older value over a newer one, and erases what the primary "
          "erased",
          "[drain]") {
    kv primary, secondary;
    ds::memory_retry_queue queue;
    test_time time;
    // Two failures queued for k (v1 then v2), while the live value is now v3.
    enqueue(queue, "k", ds::operation::put, time.now);
    enqueue(queue, "k", ds::operation::put, time.now);
    primary.put("k", "v3");
    // gone was put, failed on the secondary, then erased on the primary.
    secondary.put("gone", "stale");
    enqueue(queue, "gone", ds::operation::put, time.now);

    const auto report = ds::drain(queue, primary, secondary, time.options());
    CHECK(secondary.get("k") == "v3");
    CHECK(secondary.get("gone") == std::nullopt);
    CHECK(report == ds::drain_report{.repaired = 2, .skipped = 1});
    CHECK(fmt::format("{}", report) ==
          "repaired 2, still failing 0, dead-lettered 0, skipped 1");

    // Replaying is idempotent: the same entries again change nothing.
    enqueue(queue, "k", ds::operation::put, time.now);
    ds::drain(queue, primary, secondary, time.options());
    CHECK(secondary.get("k") == "v3");
}

TEST_CASE("drain: a failing repair backs off, keeps its attempts, and is dead-lettered after "
          "max_attempts",
          "[drain]") {
    kv p, secondary;
    flaky primary{p};
    ds::memory_retry_queue queue;
    test_time time;
    p.put("k", "v");
    enqueue(queue, "k", ds::operation::put, time.now);
    primary.fail_always();  // primary down: nothing to repair from

    auto report = ds::drain(queue, primary, secondary, time.options(100, 3));
    CHECK(report == ds::drain_report{.still_failing = 1});
    CHECK(queue.size() == 1);
    // Not due again until the backoff (1 s after the first failure) has passed.
    CHECK(ds::drain(queue, primary, secondary, time.options(100, 3)) == ds::drain_report{});
    time.now += std::chrono::seconds(1);
    CHECK(ds::drain(queue, primary, secondary, time.options(100, 3)) ==
          ds::drain_report{.still_failing = 1});
    time.now += std::chrono::seconds(2);  // the second pause: 2 s
    CHECK(ds::drain(queue, primary, secondary, time.options(100, 3)) ==
          ds::drain_report{.dead_lettered = 1});
    CHECK(queue.size() == 0);
    const auto dead = queue.dead_letters();
    REQUIRE(dead.size() == 1);
    CHECK_THAT(dead[0].reason, Catch::Matchers::Contains("repair failed 3 times") &&
                                   Catch::Matchers::Contains("injected fault"));
    CHECK(dead[0].entry->attempts == 2);
}

TEST_CASE("drain: batch size and batch count bound one run", "[drain]") {
    kv primary, secondary;
    ds::memory_retry_queue queue;
    test_time time;
    for (int i = 0; i < 10; ++i) {
        primary.put(std::to_string(i), "v");
        enqueue(queue, std::to_string(i), ds::operation::put, time.now);
    }
    auto options = time.options(3);
    options.max_batches = 2;
    CHECK(ds::drain(queue, primary, secondary, options).repaired == 6);
    CHECK(queue.size() == 4);
    CHECK(ds::drain(queue, primary, secondary, time.options(3)).repaired == 4);
}

TEST_CASE("drain: works over a durable kv_retry_queue with binary keys and large values",
          "[drain][binary]") {
    kv primary, secondary, queue_store;
    ds::kv_retry_queue queue{queue_store, "repairs/"};
    const std::string key = "bin\0\"'\\key"s;
    const std::string big(1 << 20, '\0');
    primary.put(key, big);
    ds::retry_entry e;
    e.key = key;
    queue.push(e);
    CHECK(ds::drain(queue, primary, secondary).repaired == 1);
    CHECK(secondary.get(key) == big);
    CHECK(queue.size() == 0);
}
