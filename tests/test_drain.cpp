// ds::drain: repair by key from the primary's current state.

#include "support.hpp"

#include <dualstore/kv_retry_queue.hpp>
#include <dualstore/memory_retry_queue.hpp>
#include <dualstore/repair/drain.hpp>
#include <dualstore/testing/manual_clock.hpp>

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
        o.clock.wall = [this] { return now; };
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

/// Reports print as "repaired R, still failing F, ..." in failed checks.
template <>
struct Catch::StringMaker<ds::drain_report> {
    static std::string convert(const ds::drain_report& r) { return fmt::format("{}", r); }
};

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
          "repaired 2, still failing 0, dead-lettered 0, skipped 1, refused 0");

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

TEST_CASE("drain: rate bounds entries per second on the clock", "[drain]") {
    kv primary, secondary;
    ds::memory_retry_queue queue;
    dst::manual_clock clock;
    for (int i = 0; i < 6; ++i) {
        primary.put(std::to_string(i), "v");
        enqueue(queue, std::to_string(i), ds::operation::put, clock.wall());
    }
    const auto report =
        ds::drain(queue, primary, secondary, {.batch_size = 2, .rate = 2, .clock = clock.timer()});
    CHECK(report.repaired == 6);
    // The first batch spends the initial burst of 2; then 2 entries per second.
    CHECK(clock.sleeps() ==
          std::vector<std::chrono::nanoseconds>{std::chrono::seconds(1), std::chrono::seconds(1)});
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

namespace {

/// A kv store that runs `after_write` once, after its next put or erase: a
/// live write landing at that moment.
struct hooked_store {
    using key_type = std::string;
    using mapped_type = std::string;
    kv& data;
    std::function<void()> after_write{};

    std::optional<std::string> get(const std::string& k) const { return data.get(k); }
    void put(const std::string& k, const std::string& v) {
        data.put(k, v);
        fire();
    }
    bool erase(const std::string& k) {
        const bool had = data.erase(k);
        fire();
        return had;
    }
    void fire() {
        if (auto hook = std::exchange(after_write, nullptr)) hook();
    }
};

}  // namespace

TEST_CASE(
    "drain: an entry enqueued after its key was repaired in the same run is repaired "
    "again",
    "[drain]") {
    kv primary, b;
    hooked_store secondary{b};
    ds::memory_retry_queue queue;
    test_time time;
    primary.put("k", "v1");
    primary.put("x", "x");
    enqueue(queue, "k", ds::operation::put, time.now);
    enqueue(queue, "x", ds::operation::put, time.now);
    // Right after the drain copies v1, a live write of v2 succeeds on the
    // primary, fails on the secondary and is enqueued: the drain must repair
    // k a second time (it used to acknowledge the entry as "already repaired").
    secondary.after_write = [&] {
        primary.put("k", "v2");
        enqueue(queue, "k", ds::operation::put, time.now);
    };
    const auto report = ds::drain(queue, primary, secondary, time.options(1));
    CHECK(report == ds::drain_report{.repaired = 3});
    CHECK(b.get("k") == "v2");
    CHECK(queue.size() == 0);
}

TEST_CASE("drain: a live write between the repair's read and its write is not undone",
          "[drain][repair]") {
    kv primary, b;
    hooked_store secondary{b};
    ds::memory_retry_queue queue;
    test_time time;
    primary.put("k", "v1");
    enqueue(queue, "k", ds::operation::put, time.now);
    // The repair read v1; a live dual write of v2 lands on both sides before
    // the repair's write of v1 returns. The repair re-reads the primary and
    // corrects, so v2 is not lost on the secondary.
    secondary.after_write = [&] {
        primary.put("k", "v2");
        b.put("k", "v2");
    };
    CHECK(ds::drain(queue, primary, secondary, time.options()).repaired == 1);
    CHECK(b.get("k") == "v2");

    SECTION("a key that changes during every copy is tried again later") {
        int writes = 0;
        std::function<void()> keep_writing = [&] {
            primary.put("k", fmt::format("w{}", ++writes));
            secondary.after_write = keep_writing;
        };
        secondary.after_write = keep_writing;
        CHECK_THROWS_WITH(ds::repair_key(primary, secondary, "k"),
                          Catch::Matchers::Contains("changed during each of 3 copies"));
        CHECK(writes == ds::repair_rounds);
    }
}

TEST_CASE("drain: through a dual_store, a repair holds the key as live writes do",
          "[drain][repair]") {
    kv primary, b;
    hooked_store secondary{b};
    ds::memory_retry_queue queue;
    ds::dual_store store{primary, secondary, ds::on_secondary_failure{queue}};
    test_time time;
    primary.put("k", "v1");
    enqueue(queue, "k", ds::operation::put, time.now);
    // A live write through the store during the repair would wait for the key
    // (from another thread); from the repairing thread it is refused, which
    // shows the lock is held.
    secondary.after_write = [&] { CHECK_THROWS_AS(store.put("k", "v2"), ds::error); };
    CHECK(ds::drain(queue, store, time.options()) == ds::drain_report{.repaired = 1});
    CHECK(b.get("k") == "v1");
}

TEST_CASE(
    "drain: entries record the migration stage, and a drain never copies in a direction "
    "that undoes acknowledged writes",
    "[drain][migration]") {
    kv old_data, new_data;
    flaky old_side{old_data}, new_side{new_data};
    ds::memory_retry_queue queue;
    test_time time;
    ds::migration store{old_side, new_side, ds::stage::shadow, ds::on_secondary_failure{queue}};

    // In shadow the old store is authoritative: the new one fails, the write
    // is acknowledged and queued with its stage.
    new_side.fail_always(dst::fault_on::writes);
    CHECK(store.put("a", "1").enqueued);
    new_side.heal();
    auto entries = queue.take(10, time.now + 1h);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].recorded_stage == ds::stage::shadow);
    queue.fail(entries[0], "", time.now);

    // A two-store drain cannot know the direction: it refuses, and says why.
    auto report = ds::drain(queue, old_data, new_data, time.options(100, 10));
    CHECK(report == ds::drain_report{.still_failing = 1, .refused = 1});
    time.now += 1h;

    // After the flip to live, copying old -> new would be right for "a" but
    // could undo a write acknowledged on the new store since: refused.
    store.set_stage(ds::stage::live);
    CHECK(store.put("b", "2").ok());
    old_side.fail_always(dst::fault_on::writes);
    CHECK(store.put("b", "3").enqueued);  // recorded in live: new authoritative
    old_side.heal();
    report = ds::drain(queue, store, time.options(100, 10));
    CHECK(report == ds::drain_report{.repaired = 1, .still_failing = 1, .refused = 1});
    CHECK(old_data.get("b") == "3");
    CHECK(new_data.get("a") == std::nullopt);
    CHECK_THAT(queue.take(10, time.now + 1h).at(0).last_error,
               Catch::Matchers::Contains("refused to copy from the old store to the new store") &&
                   Catch::Matchers::Contains("stage live"));
    time.now += 2h;

    // Back in shadow, the entry recorded there is repaired from the old store.
    store.set_stage(ds::stage::shadow);
    CHECK(ds::drain(queue, store, time.options(100, 10)) == ds::drain_report{.repaired = 1});
    CHECK(new_data.get("a") == "1");
    CHECK(queue.size() == 0);
}

TEST_CASE(
    "drain: an entry without a recorded stage (DSQ v1) counts as recorded while the old "
    "store was authoritative",
    "[drain][migration]") {
    kv old_data, new_data;
    ds::memory_retry_queue queue;
    test_time time;
    ds::migration store{old_data, new_data, ds::stage::dual_write, ds::on_secondary_failure{queue}};
    old_data.put("k", "v");
    enqueue(queue, "k", ds::operation::put, time.now);
    CHECK(ds::drain(queue, store, time.options(100, 10)).repaired == 1);
    CHECK(new_data.get("k") == "v");

    store.set_stage(ds::stage::rampdown);
    enqueue(queue, "k", ds::operation::put, time.now);
    CHECK(ds::drain(queue, store, time.options()).refused == 1);
}
