// redis_stream_retry_queue against the live server: the queue conformance
// suite (two drainers as two consumers of one group, a drainer killed
// mid-batch whose entries XAUTOCLAIM takes over), claims that lapse by the
// server's clock only, a late fail after a take-over, the native structures
// an operator inspects, errors without the password.

#include "server.hpp"
#include "support.hpp"

#include <dualstore/adapters/redis.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <tuple>

namespace {
using queue_type = ds::adapters::redis_stream_retry_queue;
using options = ds::adapters::redis_stream_queue_options;

static_assert(ds::retry_queue<queue_type>);

/// Queue objects (consumers) over one stream, each on its own connection.
struct redis_stream_queue_maker {
    using queue = queue_type;
    static constexpr bool shared_backing = true;
    static constexpr auto claim_timeout = std::chrono::seconds(2);
    std::string name = "{" + redis_server::fresh_prefix() + "retry}";
    std::unique_ptr<queue> make(std::chrono::milliseconds timeout = claim_timeout) {
        return std::make_unique<queue>(redis_server::url(),
                                       options{.name = name, .claim_timeout = timeout});
    }
    void store_undecodable(const std::string& id, const std::string& bytes) const {
        ds::adapters::redis_connection raw(redis_server::url(), {});
        raw.command({"ZADD", name + ":delayed", "0", id}, "zadd");
        raw.command({"HSET", name + ":held", id, bytes}, "hset");
    }
    /// Claims lapse by the server's clock: wait them out.
    static void await_claim_lapse() {
        std::this_thread::sleep_for(claim_timeout + std::chrono::milliseconds(200));
    }
};

/// A plain connection to look at the queue's keys as an operator would.
ds::adapters::redis_connection operator_connection() {
    return ds::adapters::redis_connection(redis_server::url(), {});
}

std::string text(const redisReply& r) {
    return {r.str, r.len};
}
}  // namespace

using queue_makers = std::tuple<redis_stream_queue_maker>;
#include "conformance/queue_conformance.hpp"

using queue_conformance::entry_for;
using queue_conformance::t0;

TEST_CASE(
    "redis stream queue: a claim lapses by the server's clock, not the caller's: a drainer whose "
    "clock runs an hour ahead takes nothing held",
    "[redis][queue]") {
    redis_stream_queue_maker maker;
    auto first = maker.make(std::chrono::minutes(1));
    auto second = maker.make(std::chrono::minutes(1));
    first->push(entry_for("a"));
    REQUIRE(first->take(10, t0).size() == 1);
    CHECK(second->take(10, t0 + std::chrono::hours(1)).empty());
    CHECK(first->size() == 1);
}

TEST_CASE(
    "redis stream queue: an entry taken over and acknowledged stays gone when its first drainer "
    "fails it late",
    "[redis][queue]") {
    redis_stream_queue_maker maker;
    auto slow = maker.make(std::chrono::milliseconds(300));
    auto fast = maker.make(std::chrono::milliseconds(300));
    slow->push(entry_for("a"));
    const auto held = slow->take(1, t0);
    REQUIRE(held.size() == 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    const auto taken_over = fast->take(1, t0);
    REQUIRE(taken_over.size() == 1);
    CHECK(taken_over[0] == held[0]);
    fast->ack(taken_over[0]);
    slow->fail(held[0], "late", t0);
    CHECK(slow->size() == 0);
    CHECK(fast->take(10, t0 + std::chrono::hours(1)).empty());
}

TEST_CASE(
    "redis stream queue: the state is Redis's own: the group's pending list names the holder, "
    "acknowledged entries leave the stream, dead letters are a stream",
    "[redis][queue]") {
    redis_stream_queue_maker maker;
    auto queue = maker.make();
    auto raw = operator_connection();
    queue->push(entry_for("a"));
    queue->push(entry_for("b", t0 + std::chrono::minutes(1)));
    CHECK(raw.command({"ZCARD", maker.name + ":delayed"}, "zcard")->integer == 2);

    const auto taken = queue->take(10, t0);
    REQUIRE(taken.size() == 1);
    const auto pending = raw.command({"XPENDING", maker.name, "drainers"}, "xpending");
    REQUIRE(pending->elements == 4);
    CHECK(pending->element[0]->integer == 1);  // one entry handed out
    REQUIRE(pending->element[3]->elements == 1);
    CHECK(text(*pending->element[3]->element[0]->element[0]) == queue->consumer());

    queue->ack(taken[0]);
    CHECK(raw.command({"XLEN", maker.name}, "xlen")->integer == 0);
    CHECK(raw.command({"XPENDING", maker.name, "drainers"}, "xpending")->element[0]->integer == 0);
    CHECK(queue->size() == 1);  // b, not yet due

    queue->dead_letter(entry_for("c"), "gave up");
    const auto dead = raw.command({"XRANGE", maker.name + ":dead", "-", "+"}, "xrange");
    REQUIRE(dead->elements == 1);
    const auto& fields = *dead->element[0]->element[1];
    REQUIRE(fields.elements >= 4);
    CHECK(text(*fields.element[2]) == "reason");
    CHECK(text(*fields.element[3]) == "gave up");
}

TEST_CASE(
    "redis stream queue: a consumer that holds nothing leaves the group when destroyed, one that "
    "holds entries stays for XAUTOCLAIM",
    "[redis][queue]") {
    redis_stream_queue_maker maker;
    auto raw = operator_connection();
    const auto consumers = [&] {
        return raw.command({"XINFO", "CONSUMERS", maker.name, "drainers"}, "xinfo")->elements;
    };
    auto holder = maker.make();
    holder->push(entry_for("a"));
    REQUIRE(holder->take(1, t0).size() == 1);
    {
        auto idle = maker.make();
        idle->push(entry_for("b"));
        const auto taken = idle->take(1, t0);
        REQUIRE(taken.size() == 1);
        idle->ack(taken[0]);
        CHECK(consumers() == 2);
    }
    CHECK(consumers() == 1);
    holder.reset();
    CHECK(consumers() == 1);
    auto heir = maker.make(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(heir->take(1, t0).size() == 1);
}

TEST_CASE("redis stream queue: a server that refuses names the cause, never the password",
          "[redis][queue][errors]") {
    CHECK_THROWS_WITH(
        queue_type("redis://:s3cret@127.0.0.1:1",
                   options{.connection = {.connect_timeout = std::chrono::seconds(2)}}),
        !Catch::Matchers::Contains("s3cret") && Catch::Matchers::Contains("redis"));
}
