// Retry queues against the live servers scripts/test.sh starts
// (DUALSTORE_REDIS_URL, DUALSTORE_PG_DSN; skipped without them): push n
// entries one by one, then take them in batches of 100 and acknowledge each,
// entries per second for the whole cycle:
// - a hand-written Redis Streams loop (XADD; XREADGROUP COUNT 100; XACK and
//   XDEL in one round trip), the floor for
// - redis_stream_retry_queue (one Lua script per call),
// - kv_retry_queue over a redis_store (claims by SET NX),
// - postgresql_retry_queue (FOR UPDATE SKIP LOCKED).
// Entries: DUALSTORE_BENCH_RECORDS / 4 (default 5 000).

#include "bench_servers.hpp"

#include <dualstore/adapters/postgresql.hpp>
#include <dualstore/adapters/redis.hpp>
#include <dualstore/kv_retry_queue.hpp>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

namespace ds = dualstore;
namespace ad = dualstore::adapters;

namespace {

using bench_servers::env;
using bench_servers::fresh;

std::size_t entries() {
    return bench_servers::records() / 4;
}

ds::retry_entry entry_for(std::size_t i) {
    ds::retry_entry e;
    e.key = fmt::format("user:{:08}", i);
    e.last_error = "secondary down";
    return e;
}

/// Pushes `n` entries into `queue`, then takes and acknowledges them all.
template <class Queue>
bool cycle(Queue& queue, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) queue.push(entry_for(i));
    std::size_t done = 0;
    for (auto batch = queue.take(100, ds::queue_clock::now()); !batch.empty();
         batch = queue.take(100, ds::queue_clock::now())) {
        for (const auto& e : batch) queue.ack(e);
        done += batch.size();
    }
    return done == n && queue.size() == 0;
}

/// The same cycle written by hand on Redis Streams.
bool hand_written_streams(ad::redis_connection& redis, std::size_t n) {
    const auto stream = fresh("stream");
    redis.command({"XGROUP", "CREATE", stream, "g", "0", "MKSTREAM"}, "create");
    for (std::size_t i = 0; i < n; ++i) {
        const auto body = ds::detail::encode_entry(entry_for(i));
        redis.command({"XADD", stream, "*", "body", body}, "xadd");
    }
    std::size_t done = 0;
    for (;;) {
        const auto r = redis.command(
            {"XREADGROUP", "GROUP", "g", "c", "COUNT", "100", "STREAMS", stream, ">"}, "read");
        if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) break;
        const auto& messages = *r->element[0]->element[1];
        if (messages.elements == 0) break;
        for (std::size_t i = 0; i < messages.elements; ++i) {
            const std::string id(messages.element[i]->element[0]->str,
                                 messages.element[i]->element[0]->len);
            (void)ds::detail::decode_entry(
                id, std::string_view(messages.element[i]->element[1]->element[1]->str,
                                     messages.element[i]->element[1]->element[1]->len));
            redis.pipeline({{"XACK", stream, "g", id}, {"XDEL", stream, id}}, "ack");
        }
        done += messages.elements;
    }
    redis.command({"DEL", stream}, "drop");
    return done == n;
}

void redis_queue_cycle(benchmark::State& state) {
    const auto url = env("DUALSTORE_REDIS_URL");
    if (!url) return state.SkipWithError("DUALSTORE_REDIS_URL is not set");
    const auto n = entries();
    for (auto _ : state) {
        bool ok = false;
        switch (state.range(0)) {
            case 0: {
                ad::redis_connection redis(*url, {});
                ok = hand_written_streams(redis, n);
                break;
            }
            case 1: {
                ad::redis_stream_retry_queue queue(*url, {.name = "{" + fresh("retry") + "}"});
                ok = cycle(queue, n);
                break;
            }
            default: {
                ad::redis_store store(*url, {.key_prefix = fresh("kvq") + ":"});
                ds::kv_retry_queue queue(store);
                ok = cycle(queue, n);
                break;
            }
        }
        if (!ok) return state.SkipWithError("the queue lost or kept entries");
    }
    state.counters["entries/s"] =
        benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

void postgresql_queue_cycle(benchmark::State& state) {
    const auto dsn = env("DUALSTORE_PG_DSN");
    if (!dsn) return state.SkipWithError("DUALSTORE_PG_DSN is not set");
    const auto n = entries();
    for (auto _ : state) {
        ad::postgresql_retry_queue queue(*dsn, {.table = fresh("queue")});
        if (!cycle(queue, n)) return state.SkipWithError("the queue lost or kept entries");
    }
    state.counters["entries/s"] =
        benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

/// One timed run each: the work is seconds long.
void once(benchmark::internal::Benchmark* b) {
    b->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
}

// 0: hand-written Redis Streams, 1: redis_stream_retry_queue, 2: kv_retry_queue on Redis.
BENCHMARK(redis_queue_cycle)->Apply(once)->ArgName("queue")->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(postgresql_queue_cycle)->Apply(once);

BENCHMARK_MAIN();
