#pragma once
// The conformance suite every retry queue passes: memory, kv (over a store),
// PostgreSQL (SKIP LOCKED), Redis Streams alike: the operations, batches, a
// binary entry, two drainers racing, a drainer killed mid-batch, and a drain
// that repairs through the queue.
//
// A test file defines makers and a tuple of them, then includes this file:
//
//   struct pg_queue_maker {
//       using queue = ds::adapters::postgresql_retry_queue;
//       static constexpr bool shared_backing = true;  // see below
//       std::unique_ptr<queue> make();  // a queue object over this maker's backing
//   };
//   using queue_makers = std::tuple<pg_queue_maker>;
//   #include "conformance/queue_conformance.hpp"
//
// Each maker starts empty; claims lapse after five minutes. shared_backing:
// whether two `make()` calls give two queue objects over one backing (as two
// processes share a durable queue); otherwise the drainers share one object.
// exclusive_claims (optional, default true): false for a queue whose claims
// are not atomic (kv_retry_queue over a store without put_if_absent), where
// two drainers may both take an entry: then each entry is taken at least once.
// store_undecodable(id, bytes) (optional): writes an entry `id` due now
// whose stored bytes are `bytes`, around the queue (as a corrupted or
// foreign row would be).
// await_claim_lapse() (optional): for a queue whose claims lapse by the
// server's clock rather than the caller's `now` (Redis Streams' idle time),
// waits until a claim taken now has lapsed; the suite then checks the
// take-over without moving `now` forward first.

#include "../support.hpp"

#include <dualstore/retry_queue.hpp>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace queue_conformance {

using namespace std::string_literals;

inline const auto t0 = ds::queue_clock::time_point(std::chrono::seconds(1'800'000'000));

/// An entry for `key`, due at `due`.
inline ds::retry_entry entry_for(std::string key, ds::queue_clock::time_point due = t0) {
    ds::retry_entry e;
    e.key = std::move(key);
    e.op = ds::operation::put;
    e.first_enqueued = due;
    e.next_attempt = due;
    e.last_error = "secondary down";
    return e;
}

/// Whether a maker's queue hands each entry to one drainer at a time.
template <class Maker>
inline constexpr bool exclusive_claims = !requires {
    requires !Maker::exclusive_claims;
};

/// The queue object each of two drainers uses: its own over the shared
/// backing, or the one both share.
template <class Maker>
auto drainer_queues(Maker& maker) {
    std::vector<std::shared_ptr<typename Maker::queue>> queues;
    queues.emplace_back(maker.make());
    if constexpr (requires { requires Maker::shared_backing; }) {
        queues.emplace_back(maker.make());
    } else {
        queues.push_back(queues.front());
    }
    return queues;
}

}  // namespace queue_conformance

TEMPLATE_LIST_TEST_CASE(
    "queue conformance: push, take due entries, ack, fail with a due time, dead-letter",
    "[queue_conformance]", queue_makers) {
    using namespace queue_conformance;
    static_assert(ds::retry_queue<typename TestType::queue>);
    TestType maker;
    auto queue = maker.make();
    queue->push(entry_for("a"));
    queue->push(entry_for("b", t0 + std::chrono::minutes(1)));  // not due yet
    queue->push(entry_for("c"));
    CHECK(queue->size() == 3);

    auto taken = queue->take(10, t0);
    REQUIRE(taken.size() == 2);
    CHECK(std::set<std::string>{taken[0].key, taken[1].key} == std::set<std::string>{"a", "c"});
    CHECK_FALSE(taken[0].id.empty());
    CHECK(taken[0].last_error == "secondary down");
    CHECK(queue->take(10, t0).empty());  // claimed entries are not handed out twice

    const auto& a = taken[0].key == "a" ? taken[0] : taken[1];
    const auto& c = taken[0].key == "a" ? taken[1] : taken[0];
    queue->ack(a);
    queue->fail(c, "still down", t0 + std::chrono::seconds(30));
    CHECK(queue->size() == 2);
    CHECK(queue->take(10, t0 + std::chrono::seconds(10)).empty());  // c not due yet

    taken = queue->take(10, t0 + std::chrono::minutes(1));  // b and the failed c
    REQUIRE(taken.size() == 2);
    for (const auto& e : taken) {
        if (e.key == "c") {
            CHECK(e.attempts == 1);
            CHECK(e.last_error == "still down");
        }
    }
    queue->dead_letter(taken[0], "gave up");
    CHECK(queue->size() == 1);
    const auto dead = queue->dead_letters();
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].reason == "gave up");
    REQUIRE(dead[0].entry);
    CHECK(dead[0].entry->key == taken[0].key);
}

TEMPLATE_LIST_TEST_CASE("queue conformance: take honours its batch size and the entry's order",
                        "[queue_conformance]", queue_makers) {
    using namespace queue_conformance;
    TestType maker;
    auto queue = maker.make();
    for (int i = 0; i < 25; ++i) queue->push(entry_for(fmt::format("{:02}", i)));
    std::vector<std::string> keys;
    for (const auto size : {10U, 10U, 5U}) {
        const auto batch = queue->take(10, t0);
        CHECK(batch.size() == size);
        for (const auto& e : batch) keys.push_back(e.key);
    }
    CHECK(queue->take(10, t0).empty());
    CHECK(std::set<std::string>(keys.begin(), keys.end()).size() == 25);
}

TEMPLATE_LIST_TEST_CASE(
    "queue conformance: an entry round-trips whole, binary key, stage and times included",
    "[queue_conformance]", queue_makers) {
    using namespace queue_conformance;
    TestType maker;
    auto queue = maker.make();
    auto e = entry_for("nul\0key\xff'\""s);
    e.op = ds::operation::erase;
    e.recorded_stage = ds::stage::live;
    e.attempts = 3;
    e.first_enqueued = t0 - std::chrono::hours(1);
    e.last_error = "é \0 error"s;
    queue->push(e);
    auto taken = queue->take(1, t0);
    REQUIRE(taken.size() == 1);
    e.id = taken[0].id;
    CHECK(taken[0] == e);
}

TEMPLATE_LIST_TEST_CASE(
    "queue conformance: two drainers racing take each entry once, and a drainer killed "
    "mid-batch gives its entries back when its claim lapses",
    "[queue_conformance][concurrency]", queue_makers) {
    using namespace queue_conformance;
    TestType maker;
    auto queues = drainer_queues(maker);
    constexpr int entries = 120;
    for (int i = 0; i < entries; ++i) queues[0]->push(entry_for(fmt::format("{:03}", i)));

    // Killed mid-batch: takes five and never acknowledges them.
    const auto lost = queues[1]->take(5, t0);
    REQUIRE(lost.size() == 5);

    std::vector<std::string> taken[2];
    {
        std::vector<std::jthread> drainers;
        for (int d = 0; d < 2; ++d) {
            drainers.emplace_back([&, d] {
                for (;;) {
                    const auto batch = queues[static_cast<std::size_t>(d)]->take(7, t0);
                    if (batch.empty()) break;
                    for (const auto& e : batch) {
                        taken[d].push_back(e.key);
                        queues[static_cast<std::size_t>(d)]->ack(e);
                    }
                }
            });
        }
    }
    std::multiset<std::string> all(taken[0].begin(), taken[0].end());
    all.insert(taken[1].begin(), taken[1].end());
    CHECK(std::set<std::string>(all.begin(), all.end()).size() == entries - 5);
    if constexpr (exclusive_claims<TestType>) CHECK(all.size() == entries - 5);  // none twice
    CHECK(queues[0]->size() == 5);

    // The killed drainer's claim lapses: its five come back, once.
    if constexpr (requires { maker.await_claim_lapse(); }) {
        maker.await_claim_lapse();
    } else {
        CHECK(queues[0]->take(10, t0 + std::chrono::minutes(1)).empty());
    }
    const auto back = queues[0]->take(10, t0 + std::chrono::minutes(6));
    REQUIRE(back.size() == 5);
    for (std::size_t i = 0; i < back.size(); ++i) {
        CHECK_FALSE(all.contains(back[i].key));
        queues[0]->ack(back[i]);
    }
    CHECK(queues[0]->size() == 0);
}

TEMPLATE_LIST_TEST_CASE(
    "queue conformance: failed secondary writes and erases go through it and a drain repairs "
    "them, equal at the end",
    "[queue_conformance][drain]", queue_makers) {
    TestType maker;
    auto queue = maker.make();
    kv primary, inner;
    dst::faulty secondary{inner};
    ds::dual_store store{primary, secondary, ds::on_secondary_failure{*queue}};
    secondary.fail_always(dst::fault_on::writes);
    for (int i = 0; i < 20; ++i) CHECK(store.put(fmt::format("k{:02}", i), "v").enqueued);
    CHECK(store.erase("k03").enqueued);
    CHECK(queue->size() == 21);

    secondary.heal();
    const auto report = ds::drain(*queue, store);
    CHECK(report.repaired + report.skipped == 21);  // k03's two entries: one repair
    CHECK(report.still_failing == 0);
    CHECK(queue->size() == 0);
    CHECK(inner.snapshot() == primary.snapshot());
}

TEMPLATE_LIST_TEST_CASE(
    "queue conformance: an entry that does not decode is dead-lettered with the reason, its "
    "bytes kept",
    "[queue_conformance]", queue_makers) {
    using namespace queue_conformance;
    TestType maker;
    auto queue = maker.make();
    if constexpr (requires { maker.store_undecodable(std::string(), std::string()); }) {
        queue->push(entry_for("good"));
        maker.store_undecodable("0bad", std::string("\0\xff", 2));
        const auto taken = queue->take(10, t0);
        REQUIRE(taken.size() == 1);
        CHECK(taken[0].key == "good");
        const auto dead = queue->dead_letters();
        REQUIRE(dead.size() == 1);
        CHECK(dead[0].id == "0bad");
        CHECK_FALSE(dead[0].entry);
        CHECK(dead[0].raw == std::string("\0\xff", 2));
        CHECK_THAT(dead[0].reason, Catch::Matchers::Contains("DSQ"));
        CHECK(queue->size() == 1);  // "good", handed out, not yet acknowledged
    } else {
        SUCCEED("this maker cannot write around its queue");
    }
}
