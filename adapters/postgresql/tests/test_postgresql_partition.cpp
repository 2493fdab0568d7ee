// A partitioned backfill shared by worker processes through the live
// PostgreSQL server: leases in a postgresql_lease_lock, checkpoints in a
// PostgreSQL table. One worker is SIGKILLed mid-partition; the others take
// its partition over once its lease lapses and finish from its checkpoint.

#include "conformance/lease_renewal.hpp"
#include "server.hpp"
#include "support.hpp"
#include "worker_processes.hpp"

#include <dualstore/adapters/postgresql.hpp>
#include <dualstore/partition/job.hpp>
#include <dualstore/partition/work.hpp>
#include <dualstore/scan_range.hpp>

#include <csignal>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

using postgresql = ds::adapters::postgresql_store;

/// The tables of one job: source, target, leases and the job's state.
struct job_tables {
    std::string source = postgresql_server::fresh_table("src");
    std::string target = postgresql_server::fresh_table("dst");
    std::string leases = postgresql_server::fresh_table("lease");
    std::string state = postgresql_server::fresh_table("state");
};

std::map<std::string, std::string> contents(postgresql& store) {
    std::map<std::string, std::string> all;
    for (const auto& [k, v] : ds::scan(store)) all.emplace(k, v);
    return all;
}

/// Eight key ranges of 250 keys each over "key00000".."key01999".
std::vector<ds::partition> eight_ranges() {
    std::vector<std::string> splits;
    for (int i = 1; i < 8; ++i) splits.push_back(fmt::format("key{:05}", i * 250 - 1));
    return ds::split_at_keys(splits);
}

/// Runs one worker of the job in this process, with its own connections;
/// with `die_at`, the process SIGKILLs itself as its step `die_at` begins.
void run_worker(const job_tables& tables, std::optional<int> die_at) {
    const auto dsn = postgresql_server::dsn();
    postgresql source(dsn, {.table = tables.source});
    postgresql target(dsn, {.table = tables.target});
    postgresql state(dsn, {.table = tables.state});
    ds::adapters::postgresql_lease_lock lock(dsn, tables.leases);
    ds::partitioned_job job{
        "copy",
        eight_ranges(),
        lock,
        state,
        {.lease = std::chrono::seconds(2), .poll = std::chrono::milliseconds(100)}};
    ds::backfill_work copy{source, target, {.batch_size = 50}};
    struct killable {
        decltype(copy)& inner;
        std::optional<int> die_at;
        int steps = 0;
        ds::partition_step step(const ds::partition& p, const std::optional<std::string>& c) {
            if (die_at && ++steps == *die_at) ::raise(SIGKILL);
            return inner.step(p, c);
        }
    } work{copy, die_at};
    job.work(work);
}

}  // namespace

TEST_CASE(
    "postgresql partitioned backfill: four worker processes, one SIGKILLed mid-partition: the "
    "job completes from its checkpoint, target equals source",
    "[postgresql][partition][processes]") {
    const job_tables tables;
    const auto dsn = postgresql_server::dsn();
    postgresql source(dsn, {.table = tables.source});
    std::vector<std::pair<std::string, std::string>> records;
    for (int i = 0; i < 2000; ++i) {
        records.emplace_back(fmt::format("key{:05}", i), fmt::format("value {}", i));
    }
    records.emplace_back(std::string("\0bin", 4), std::string("\0\xff", 2));
    source.put_many(records);
    postgresql target(dsn, {.table = tables.target});
    target.put("key00007", "live");  // a live write the backfill keeps

    // The victim works alone first and dies as its third step begins: two
    // steps of its first partition are checkpointed, its lease is held.
    // Three workers then finish the job.
    worker_processes::victim_then_survivors([&] { run_worker(tables, 3); },
                                            [&] { run_worker(tables, std::nullopt); }, 3);

    auto expected = contents(source);
    expected["key00007"] = "live";
    CHECK(contents(target) == expected);
    postgresql state(dsn, {.table = tables.state});
    ds::adapters::postgresql_lease_lock lock(dsn, tables.leases);
    ds::partitioned_job job{"copy", eight_ranges(), lock, state};
    const auto summary = job.summary();
    CHECK(summary.complete());
    // Every record counted once: the victim's partition went on from its
    // checkpoint, not from its start.
    CHECK(summary.tally.scanned == 2001);
    CHECK(summary.tally.changed == 2000);
}

TEST_CASE("postgresql: lease renewal: only the holder renews, a lapsed and taken lease is lost",
          "[postgresql][lease][partition]") {
    ds::adapters::postgresql_lease_lock lock(postgresql_server::dsn(),
                                             postgresql_server::fresh_table("lease"));
    lease_renewal::check(lock);
}
