// A partitioned backfill shared by worker processes through the live Redis
// server alone: source and target are Redis stores (hash partitions: SCAN has
// no key order), leases in a redis_lease_lock, checkpoints in a Redis store.
// One worker is SIGKILLed mid-partition; the others take its partition over
// once its lease lapses and go on from its checkpoint: every step of every
// partition, named by the cursor it starts from, runs once.

#include "server.hpp"
#include "support.hpp"
#include "worker_processes.hpp"

#include <dualstore/adapters/redis.hpp>
#include <dualstore/partition/job.hpp>
#include <dualstore/partition/work.hpp>
#include <dualstore/scan_range.hpp>

#include <algorithm>
#include <csignal>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using redis = ds::adapters::redis_store;

/// The key prefixes of one job: source, target, leases, state, and the log
/// of steps taken.
struct job_prefixes {
    std::string source = redis_server::fresh_prefix();
    std::string target = redis_server::fresh_prefix();
    std::string leases = redis_server::fresh_prefix();
    std::string state = redis_server::fresh_prefix();
    std::string steps = redis_server::fresh_prefix() + "steps";
};

std::unique_ptr<redis> store_at(const std::string& prefix) {
    return std::make_unique<redis>(redis_server::url(),
                                   ds::adapters::redis_options{.key_prefix = prefix});
}

std::map<std::string, std::string> contents(redis& store) {
    std::map<std::string, std::string> all;
    for (const auto& [k, v] : ds::scan(store)) all.emplace(k, v);
    return all;
}

/// Runs one worker of the job in this process, with its own connections;
/// with `die_at`, the process SIGKILLs itself as its step `die_at` begins.
/// Every step that returns is logged with its partition and the cursor it
/// started from.
void run_worker(const job_prefixes& prefixes, std::optional<int> die_at) {
    auto source = store_at(prefixes.source);
    auto target = store_at(prefixes.target);
    auto state = store_at(prefixes.state);
    ds::adapters::redis_lease_lock lock(*state, prefixes.leases);
    ds::partitioned_job job{
        "copy",
        ds::split_by_hash(4),
        lock,
        *state,
        {.lease = std::chrono::seconds(2), .poll = std::chrono::milliseconds(100)}};
    ds::backfill_work copy{*source, *target, {.batch_size = 50}};
    struct logged_killable {
        decltype(copy)& inner;
        ds::adapters::redis_connection& log;
        const std::string& log_key;
        std::optional<int> die_at;
        int steps = 0;
        ds::partition_step step(const ds::partition& p, const std::optional<std::string>& c) {
            if (die_at && ++steps == *die_at) ::raise(SIGKILL);
            auto result = inner.step(p, c);
            const auto entry = fmt::format("{}|{}", p.bucket, c ? "@" + *c : std::string("start"));
            log.command({"RPUSH", log_key, entry}, "log a step");
            return result;
        }
    } work{copy, state->connection(), prefixes.steps, die_at};
    job.work(work);
}

}  // namespace

TEST_CASE(
    "redis partitioned backfill: four worker processes coordinated through Redis, one SIGKILLed "
    "mid-partition: the job completes from its checkpoint, no step runs twice, target equals "
    "source",
    "[redis][partition][processes]") {
    const job_prefixes prefixes;
    auto source = store_at(prefixes.source);
    std::vector<std::pair<std::string, std::string>> records;
    for (int i = 0; i < 1000; ++i) {
        records.emplace_back(fmt::format("key{:05}", i), fmt::format("value {}", i));
    }
    records.emplace_back(std::string("\0bin", 4), std::string("\0\xff", 2));
    source->put_many(records);
    auto target = store_at(prefixes.target);
    target->put("key00007", "live");  // a live write the backfill keeps

    // The victim works alone first and dies as its third step begins: two
    // steps of its first partition are checkpointed, its lease is held.
    // Three workers then finish the job.
    worker_processes::victim_then_survivors([&] { run_worker(prefixes, 3); },
                                            [&] { run_worker(prefixes, std::nullopt); }, 3);

    auto expected = contents(*source);
    expected["key00007"] = "live";
    CHECK(contents(*target) == expected);

    auto state = store_at(prefixes.state);
    ds::adapters::redis_lease_lock lock(*state, prefixes.leases);
    ds::partitioned_job job{"copy", ds::split_by_hash(4), lock, *state};
    const auto summary = job.summary();
    CHECK(summary.complete());
    CHECK(summary.tally.scanned >= 1001);  // SCAN may return a key twice during a rehash

    // The log: every (partition, starting cursor) once, so the victim's
    // partition went on from its checkpoint, not from its start.
    const auto log = state->connection().command({"LRANGE", prefixes.steps, "0", "-1"}, "log");
    std::vector<std::string> steps;
    for (std::size_t i = 0; i < log->elements; ++i) {
        steps.emplace_back(log->element[i]->str, log->element[i]->len);
    }
    CHECK(std::set<std::string>(steps.begin(), steps.end()).size() == steps.size());
    CHECK(std::count_if(steps.begin(), steps.end(),
                        [](const std::string& s) { return s.ends_with("|start"); }) == 4);
}
