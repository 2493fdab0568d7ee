// Retry queues (memory_retry_queue, kv_retry_queue), their encoding, and
// on_secondary_failure{queue} in dual_store and migration.

#include "support.hpp"

#include <dualstore/detail/entry_codec.hpp>
#include <dualstore/kv_retry_queue.hpp>
#include <dualstore/memory_retry_queue.hpp>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using plain_store = scan_only_store;  // kv_retry_queue's unclaimed path
static_assert(ds::scannable_store<plain_store> && !ds::conditional_store<plain_store>);

/// Each queue type under the conformance suite, made fresh.
struct memory_queue_maker {
    using queue = ds::memory_retry_queue;
    std::unique_ptr<queue> make() { return std::make_unique<queue>(); }
};
struct counted_memory_queue_maker {
    using queue = ds::basic_memory_retry_queue<counting_mutex>;
    std::unique_ptr<queue> make() { return std::make_unique<queue>(); }
};
struct kv_queue_maker {
    using queue = ds::kv_retry_queue<kv&>;
    static constexpr bool shared_backing = true;  // each object its own claims token
    kv backing;
    std::unique_ptr<queue> make() { return std::make_unique<queue>(backing, "q:"); }
};
struct plain_queue_maker {
    using queue = ds::kv_retry_queue<plain_store&>;
    static constexpr bool exclusive_claims = false;  // documented: a repair may repeat
    plain_store backing;
    std::unique_ptr<queue> make() { return std::make_unique<queue>(backing, "q:"); }
};

static_assert(!ds::retry_queue<kv>);

}  // namespace

using queue_makers =
    std::tuple<memory_queue_maker, counted_memory_queue_maker, kv_queue_maker, plain_queue_maker>;
#include "conformance/queue_conformance.hpp"

namespace {
using namespace std::string_literals;
using queue_conformance::entry_for;
using queue_conformance::t0;
}  // namespace

TEST_CASE("basic_memory_retry_queue: every call locks the queue's own Mutex", "[retry_queue]") {
    ds::basic_memory_retry_queue<counting_mutex> queue;
    const long before = counting_mutex::locks();
    queue.push(entry_for("k"));
    const auto taken = queue.take(10, t0 + std::chrono::hours(1));
    REQUIRE(taken.size() == 1);
    queue.fail(taken.front(), "down", t0);
    CHECK(queue.size() == 1);
    queue.ack(taken.front());
    CHECK(queue.dead_letters().empty());
    CHECK(counting_mutex::locks() - before == 6);
}

TEST_CASE("entry encoding: binary-safe and versioned", "[retry_queue][codec]") {
    ds::retry_entry e = entry_for("k\0ey\"'\\\n"s);
    e.id = "id-1";
    e.op = ds::operation::erase;
    e.attempts = 7;
    e.last_error = std::string("err\0or", 6) + std::string(1 << 20, 'x');  // 1 MiB
    const auto bytes = ds::detail::encode_entry(e);
    CHECK(ds::detail::decode_entry("id-1", bytes) == e);

    CHECK_THROWS_AS(ds::detail::decode_entry("x", "garbage"), ds::decode_error);
    CHECK_THROWS_WITH(ds::detail::decode_entry("x", "DSQ\x07rest"),
                      Catch::Matchers::Contains("unknown version 7"));
    CHECK_THROWS_WITH(ds::detail::decode_entry("x", bytes.substr(0, bytes.size() - 1)),
                      Catch::Matchers::Contains("truncated"));
    CHECK_THROWS_WITH(ds::detail::decode_entry("x", bytes + "!"),
                      Catch::Matchers::Contains("trailing bytes"));

    e.recorded_stage = ds::stage::live;
    CHECK(ds::detail::decode_entry("id-1", ds::detail::encode_entry(e)) == e);
}

TEST_CASE("entry encoding: entries of version 1 (no recorded stage) still decode",
          "[retry_queue][codec]") {
    // Bytes written by dualstore 0.1 (DSQ v1): erase of "k\0y", 3 attempts,
    // enqueued at 1 s and due at 2 s after the epoch, last error "boom".
    const auto v1 = "DSQ\x01\x02"s + "\x03\x00\x00\x00"s + "\x00\xca\x9a\x3b\x00\x00\x00\x00"s +
                    "\x00\x94\x35\x77\x00\x00\x00\x00"s + "\x03\x00\x00\x00"s + "k\0y"s +
                    "\x04\x00\x00\x00"s + "boom";
    const auto e = ds::detail::decode_entry("id-1", v1);
    CHECK(e.op == ds::operation::erase);
    CHECK(e.attempts == 3);
    CHECK(e.first_enqueued == ds::queue_clock::time_point(std::chrono::seconds(1)));
    CHECK(e.next_attempt == ds::queue_clock::time_point(std::chrono::seconds(2)));
    CHECK(e.key == "k\0y"s);
    CHECK(e.last_error == "boom");
    CHECK_FALSE(e.recorded_stage.has_value());

    auto bad_stage = ds::detail::encode_entry(e);
    bad_stage[5] = '\x09';
    CHECK_THROWS_WITH(ds::detail::decode_entry("x", bad_stage),
                      Catch::Matchers::Contains("unknown stage 9"));
}

TEST_CASE("kv_retry_queue: an undecodable entry is dead-lettered with the reason, never thrown",
          "[retry_queue]") {
    kv backing;
    ds::kv_retry_queue queue{backing, "q:"};
    queue.push(entry_for("good"));
    backing.put("q:e:0000-corrupt", "not an entry\0"s);

    std::vector<ds::retry_entry> taken;
    REQUIRE_NOTHROW(taken = queue.take(10, t0));
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].key == "good");
    CHECK(queue.size() == 1);
    const auto dead = queue.dead_letters();
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].id == "0000-corrupt");
    CHECK_FALSE(dead[0].entry);
    CHECK_THAT(dead[0].reason, Catch::Matchers::Contains("no DSQ header"));
    CHECK(dead[0].raw == "not an entry\0"s);
}

TEST_CASE("kv_retry_queue: survives its process: a new queue object over the same store sees the "
          "entries",
          "[retry_queue]") {
    kv backing;
    {
        ds::kv_retry_queue first{backing, "q:"};
        first.push(entry_for("k"));
    }
    ds::kv_retry_queue second{backing, "q:"};
    CHECK(second.size() == 1);
    CHECK(second.take(1, t0).at(0).key == "k");
}

TEST_CASE("on_secondary_failure{queue} holds a reference and enqueues failed secondary writes",
          "[retry_queue][sink]") {
    kv a, b;
    flaky secondary{b};
    ds::memory_retry_queue queue;
    ds::dual_store store{a, secondary, ds::on_secondary_failure{queue}};
    static_assert(std::is_same_v<decltype(store)::sink_policy,
                                 ds::on_secondary_failure<ds::queue_sink<ds::memory_retry_queue>>>);

    secondary.fail_always(dst::fault_on::writes);
    const auto result = store.put("k\0ey"s, "v");
    CHECK(result.enqueued);
    store.erase("k2");
    REQUIRE(queue.size() == 2);  // the queue we own got the entries: no copy
    auto taken = queue.take(10, ds::queue_clock::now());
    REQUIRE(taken.size() == 2);
    CHECK(taken[0].key == "k\0ey"s);
    CHECK(taken[0].op == ds::operation::put);
    CHECK_THAT(taken[0].last_error, Catch::Matchers::Contains("injected fault"));
    CHECK(taken[1].op == ds::operation::erase);
}

TEST_CASE("on_secondary_failure{queue}: a failing enqueue is reported loudly and the result says "
          "not enqueued",
          "[retry_queue][sink]") {
    kv a, b, queue_backing;
    flaky secondary{b};
    flaky queue_store{queue_backing};
    ds::kv_retry_queue queue{queue_store, "q:"};
    dst::counting_observer observer;
    ds::migration store{a, secondary, ds::stage::dual_write, ds::on_secondary_failure{queue},
                        ds::observe::with(observer)};

    secondary.fail_always(dst::fault_on::writes);
    queue_store.fail_always();
    const auto result = store.put("k", "v");
    CHECK(result.primary.ok());
    CHECK_FALSE(result.enqueued);
    CHECK(observer.sink_errors == 1);
}
