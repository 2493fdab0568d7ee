// Work that spans processes, against the live servers scripts/test.sh starts
// (DUALSTORE_PG_DSN, DUALSTORE_REDIS_URL; skipped without them):
// - a partitioned backfill SQLite -> PostgreSQL (8 key ranges) and Redis ->
//   PostgreSQL (8 hash buckets), by 1, 2 and 4 worker processes sharing
//   leases and checkpoints in PostgreSQL: records per second;
// - a partitioned full reconciliation SQLite vs PostgreSQL, same workers;
// - the checksum-bisection diff of two SQLite files with 10 differences,
//   beside the streaming full pass: bytes read and time;
// - a sampled reconciliation at 1% of the same files, the keys scanned or
//   drawn by SQLite itself (key_sampling_store): bytes read and time; the
//   same over Redis, whose sample lists keys with SCAN and reads no value,
//   or is hashed on the server by a Lua script (bytes the server sent).
// Records: DUALSTORE_BENCH_RECORDS (default 20 000; bisection: 10 times as
// many). One iteration each: the work is seconds long.

#include "bench_servers.hpp"

#include <dualstore/adapters/postgresql.hpp>
#include <dualstore/adapters/redis.hpp>
#include <dualstore/adapters/sqlite.hpp>
#include <dualstore/partition/job.hpp>
#include <dualstore/partition/work.hpp>
#include <dualstore/reconcile/bisect.hpp>
#include <dualstore/reconcile/key_sample.hpp>
#include <dualstore/reconcile/kv_reconciler.hpp>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace ds = dualstore;
namespace ad = dualstore::adapters;

namespace {

using bench_servers::env;
using bench_servers::fresh;
using bench_servers::records;

std::vector<std::pair<std::string, std::string>> make_records(std::size_t n) {
    std::vector<std::pair<std::string, std::string>> items;
    items.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        items.emplace_back(
            fmt::format("user:{:08}", i),
            fmt::format("{{\"id\":{},\"name\":\"user {}\",\"plan\":\"pro\"}}", i, i));
    }
    return items;
}

/// Runs `worker()` in `workers` forked processes and waits for them all;
/// false when one failed.
bool run_processes(int workers, const std::function<void()>& worker) {
    std::vector<pid_t> children;
    for (int i = 0; i < workers; ++i) {
        const pid_t child = fork();
        if (child == 0) {
            int status = 0;
            try {
                worker();
            } catch (...) {
                status = 1;
            }
            _exit(status);
        }
        children.push_back(child);
    }
    bool ok = true;
    for (const pid_t child : children) {
        int status = 0;
        ok = waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
             ok;
    }
    return ok;
}

/// A scratch directory removed at the end.
struct scratch {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / fresh("dir");
    scratch() { std::filesystem::create_directories(dir); }
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;
    ~scratch() { std::filesystem::remove_all(dir); }
    [[nodiscard]] std::string file(std::string_view name) const { return (dir / name).string(); }
};

/// The tables of one run of a job: leases and checkpoints in PostgreSQL, and
/// a fresh target.
struct shared_state {
    std::string leases = fresh("lease");
    std::string state = fresh("state");
    std::string target = fresh("target");
};

/// Times the job done by `state.range(0)` worker processes per iteration,
/// each calling `worker(shared)` with its own connections; `n` items a run.
template <class Worker>
void time_workers(benchmark::State& state, std::size_t n, const char* rate, Worker worker) {
    for (auto _ : state) {
        const shared_state shared;
        if (!run_processes(static_cast<int>(state.range(0)), [&] { worker(shared); })) {
            return state.SkipWithError("a worker failed");
        }
    }
    state.counters[rate] =
        benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

template <class Work>
void work_in_job(const std::string& dsn, const shared_state& shared,
                 const std::vector<ds::partition>& parts, Work& work) {
    ad::postgresql_store state(dsn, {.table = shared.state});
    ad::postgresql_lease_lock lock(dsn, shared.leases);
    ds::partitioned_job job{"bench", parts, lock, state, {.poll = std::chrono::milliseconds(50)}};
    job.work(work);
}

/// Eight key ranges of about equal size, split on the source's own keys.
std::vector<ds::partition> eight_ranges(ad::sqlite_store& source, std::size_t n) {
    return ds::split_at_keys(source.keys_every({}, (n + 7) / 8, 7));
}

void sqlite_to_postgresql_backfill(benchmark::State& state) {
    const auto dsn = env("DUALSTORE_PG_DSN");
    if (!dsn) return state.SkipWithError("DUALSTORE_PG_DSN is not set");
    const auto n = records();
    const scratch files;
    const auto path = files.file("source.sqlite");
    ad::sqlite_store source(path);
    source.put_many(make_records(n));
    const auto parts = eight_ranges(source, n);
    time_workers(state, n, "records/s", [&](const shared_state& shared) {
        ad::sqlite_store src(path);
        ad::postgresql_store target(*dsn, {.table = shared.target});
        ds::backfill_work copy{src, target, {.batch_size = 500}};
        work_in_job(*dsn, shared, parts, copy);
    });
}

void redis_to_postgresql_backfill(benchmark::State& state) {
    const auto dsn = env("DUALSTORE_PG_DSN");
    const auto url = env("DUALSTORE_REDIS_URL");
    if (!dsn || !url)
        return state.SkipWithError("DUALSTORE_PG_DSN or DUALSTORE_REDIS_URL is not set");
    const auto n = records();
    const auto prefix = fresh("redis") + ":";
    ad::redis_store source(*url, {.key_prefix = prefix});
    source.put_many(make_records(n));
    const auto parts = ds::split_by_hash(8);
    time_workers(state, n, "records/s", [&](const shared_state& shared) {
        ad::redis_store src(*url, {.key_prefix = prefix});
        ad::postgresql_store target(*dsn, {.table = shared.target});
        ds::backfill_work copy{src, target, {.batch_size = 500}};
        work_in_job(*dsn, shared, parts, copy);
    });
    for (const auto& [key, value] : make_records(n)) source.erase(key);
}

void sqlite_postgresql_reconciliation(benchmark::State& state) {
    const auto dsn = env("DUALSTORE_PG_DSN");
    if (!dsn) return state.SkipWithError("DUALSTORE_PG_DSN is not set");
    const auto n = records();
    const scratch files;
    const auto path = files.file("primary.sqlite");
    const auto table = fresh("secondary");
    const auto items = make_records(n);
    ad::sqlite_store primary(path);
    primary.put_many(items);
    ad::postgresql_store secondary(*dsn, {.table = table});
    secondary.put_many(items);
    const auto parts = eight_ranges(primary, n);
    time_workers(state, n, "keys/s", [&](const shared_state& shared) {
        ad::sqlite_store p(path);
        ad::postgresql_store s(*dsn, {.table = table});
        ds::reconcile_work verify{p, s, {.batch_size = 500}};
        work_in_job(*dsn, shared, parts, verify);
    });
}

/// Two SQLite files holding the same 10 x DUALSTORE_BENCH_RECORDS records,
/// removed at the end, and the bytes a full compare of them reads.
struct equal_sqlite_files {
    scratch dir;
    std::size_t n = records() * 10;
    ad::sqlite_store a{dir.file("a.sqlite")}, b{dir.file("b.sqlite")};
    std::uint64_t full_bytes = fill();

private:
    std::uint64_t fill() {
        const auto items = make_records(n);
        a.put_many(items);
        b.put_many(items);
        std::uint64_t bytes = 0;
        for (const auto& [k, v] : items) bytes += 2 * (k.size() + v.size());
        return bytes;
    }
};

/// Two SQLite files of 10 x DUALSTORE_BENCH_RECORDS records with 10
/// differences: the bisection diff (arg 1) or the streaming full pass (arg 0).
void sqlite_bisection_diff(benchmark::State& state) {
    equal_sqlite_files files;
    const std::uint64_t n = files.n, full_bytes = files.full_bytes;
    auto &a = files.a, &b = files.b;
    const auto items = make_records(n);
    for (std::size_t i = 0; i < 10; ++i) b.put(items[i * (n / 10) + 7].first, "changed");
    std::uint64_t found = 0, read = 0;
    for (auto _ : state) {
        found = 0;
        if (state.range(0) == 1) {
            const auto report = ds::bisect_diff(a, b, [&](const ds::sample_result&) { ++found; });
            read = report.bytes_primary + report.bytes_secondary;
        } else {
            ds::kv_reconciler reconciler(a, b, {.batch_size = 1000});
            reconciler.full_pass([&](const ds::sample_result& r) { found += r.in_sync ? 0 : 1; });
            read = full_bytes;
        }
    }
    if (found != 10) return state.SkipWithError("did not find the 10 differences");
    state.counters["records"] = static_cast<double>(n);
    state.counters["bytes_read"] = static_cast<double>(read);
    state.counters["share_of_full_%"] =
        100.0 * static_cast<double>(read) / static_cast<double>(full_bytes);
}

/// A store that counts the bytes of every answer it gives: scan pages, gets
/// and, when `Native`, the key samples its store draws itself (otherwise it
/// hides them, so a reconciler scans it for keys).
template <class Store, bool Native>
struct bytes_counted {
    using key_type = std::string;
    using mapped_type = std::string;
    using cursor_type = typename Store::cursor_type;
    static constexpr bool scans_in_key_order = ds::enable_key_ordered_scan<Store>;
    Store& inner;
    std::uint64_t bytes = 0;
    std::optional<std::string> get(const std::string& k) {
        auto v = inner.get(k);
        bytes += k.size() + (v ? v->size() : 0);
        return v;
    }
    void put(const std::string& k, const std::string& v) { inner.put(k, v); }
    bool erase(const std::string& k) { return inner.erase(k); }
    auto scan(const cursor_type& from, std::size_t limit) {
        auto page = inner.scan(from, limit);
        for (const auto& [k, v] : page.items) bytes += k.size() + v.size();
        return page;
    }
    /// What SQLite sends for a sample it draws in SQL: the sample and the count.
    ds::key_hash_sample sample_keys(std::uint64_t salt, std::size_t n) requires Native {
        auto sample = inner.sample_keys(salt, n);
        bytes += 8;
        for (const auto& [h, k] : sample.smallest) bytes += sizeof h + k.size();
        return sample;
    }
};

/// A sampled reconciliation at 1% of `a` and `b` (which hold the same `n`
/// records of `full_bytes` in all): keys scanned from both stores (`Native`
/// false) or drawn by each store itself, then each sampled key read from
/// both; bytes read (by `sent_bytes()` when given: what the server says it
/// sent; else counted by `bytes_counted`) and their share of a full pass's.
template <bool Native, class Store, class SentBytes>
void sampled_reconciliation(benchmark::State& state, Store& a, Store& b, std::uint64_t n,
                            std::uint64_t full_bytes, SentBytes sent_bytes) {
    std::uint64_t read = 0, checked = 0;
    for (auto _ : state) {
        checked = 0;
        const auto sent_before = sent_bytes();
        bytes_counted<Store, Native> counted_a{a, 0}, counted_b{b, 0};
        ds::kv_reconciler reconciler(counted_a, counted_b, {.batch_size = 1000});
        const auto keys = reconciler.list_sample_keys(ds::reconcile_mode::sampled, n / 100);
        for (const auto& key : keys) checked += reconciler.reconcile(key).in_sync ? 1 : 0;
        read = sent_before ? sent_bytes() - sent_before : counted_a.bytes + counted_b.bytes;
    }
    if (checked != n / 100) return state.SkipWithError("the sample was not all in sync");
    state.counters["records"] = static_cast<double>(n);
    state.counters["bytes_read"] = static_cast<double>(read);
    state.counters["share_of_full_%"] =
        100.0 * static_cast<double>(read) / static_cast<double>(full_bytes);
}

/// Two SQLite files of 10 x DUALSTORE_BENCH_RECORDS records, sampled at 1%:
/// bottom-k drawn in SQL (arg 1) or keys scanned (arg 0).
void sqlite_sampled_reconciliation(benchmark::State& state) {
    equal_sqlite_files files;
    const auto counted = [] { return std::uint64_t{0}; };
    if (state.range(0) == 1) {
        sampled_reconciliation<true>(state, files.a, files.b, files.n, files.full_bytes, counted);
    } else {
        sampled_reconciliation<false>(state, files.a, files.b, files.n, files.full_bytes, counted);
    }
}

/// `total_net_output_bytes` of the Redis server at `url`: every byte it has
/// sent to clients (the `INFO` reply itself included, under 2 kB).
std::uint64_t redis_sent_bytes(const std::string& url) {
    ad::redis_connection connection(url, {});
    const auto r = connection.command({"INFO", "stats"}, "info");
    const std::string_view info(r->str, r->len);
    constexpr std::string_view field = "total_net_output_bytes:";
    const auto at = info.find(field) + field.size();
    return std::stoull(std::string(info.substr(at, info.find('\r', at) - at)));
}

/// Two Redis key prefixes of 10 x DUALSTORE_BENCH_RECORDS records each,
/// sampled at 1%: keys and values scanned (arg 0), keys listed by SCAN and
/// sampled in the client (arg 1, `redis_key_sampling::in_client`), or
/// hashed on the server by the sample script (arg 2, `on_server`). Bytes
/// read: what the server says it sent, beside the records' own bytes.
void redis_sampled_reconciliation(benchmark::State& state) {
    const auto url = env("DUALSTORE_REDIS_URL");
    if (!url) return state.SkipWithError("DUALSTORE_REDIS_URL is not set");
    const auto n = records() * 10;
    const auto items = make_records(n);
    const auto sampling =
        state.range(0) == 2 ? ad::redis_key_sampling::on_server : ad::redis_key_sampling::in_client;
    ad::redis_store a(*url, {.key_prefix = fresh("sample-a") + ":", .key_sampling = sampling});
    ad::redis_store b(*url, {.key_prefix = fresh("sample-b") + ":", .key_sampling = sampling});
    std::uint64_t full_bytes = 0;
    for (std::size_t at = 0; at < n; at += 5000) {
        const std::span chunk(items.data() + at, std::min<std::size_t>(5000, n - at));
        a.put_many(chunk);
        b.put_many(chunk);
    }
    for (const auto& [k, v] : items) full_bytes += 2 * (k.size() + v.size());
    const auto sent = [&] { return redis_sent_bytes(*url); };
    if (state.range(0) == 0) {
        sampled_reconciliation<false>(state, a, b, n, full_bytes, sent);
    } else {
        sampled_reconciliation<true>(state, a, b, n, full_bytes, sent);
    }
    for (const auto& [k, v] : items) {
        a.erase(k);
        b.erase(k);
    }
}

}  // namespace

/// One timed run per argument: the work is seconds long.
void once(benchmark::internal::Benchmark* b) {
    b->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
}
/// The worker counts measured.
void by_workers(benchmark::internal::Benchmark* b) {
    b->Apply(once)->ArgName("workers")->Arg(1)->Arg(2)->Arg(4);
}

BENCHMARK(sqlite_to_postgresql_backfill)->Apply(by_workers);
BENCHMARK(redis_to_postgresql_backfill)->Apply(by_workers);
BENCHMARK(sqlite_postgresql_reconciliation)->Apply(by_workers);
BENCHMARK(sqlite_bisection_diff)->Apply(once)->ArgName("bisect")->Arg(0)->Arg(1);
BENCHMARK(sqlite_sampled_reconciliation)->Apply(once)->ArgName("native")->Arg(0)->Arg(1);
BENCHMARK(redis_sampled_reconciliation)->Apply(once)->ArgName("sampled")->Arg(0)->Arg(1)->Arg(2);

BENCHMARK_MAIN();
