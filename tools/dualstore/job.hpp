#pragma once
// A copy shared by any number of `dualstore copy --job` processes on any
// machines: each is a worker of one partitioned_job coordinated through a
// Redis or PostgreSQL server (--coordinate), where the leases, the
// checkpoints and the plan live.
//
// Partitions: key ranges of about equal size when FROM digests key ranges
// (SQLite, PostgreSQL: split keys found on its server, recorded once in the
// coordinator so every worker uses the same), hash buckets otherwise (each
// bucket reads the whole of FROM and keeps its keys).

#include "store_url.hpp"

#include <dualstore/detail/length_prefixed.hpp>
#include <dualstore/partition/job.hpp>
#include <dualstore/partition/work.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dualstore_tool {

/// A worker's share of a job.
struct job_flags {
    std::string name;        ///< the job: every worker of one copy uses the same
    std::string coordinate;  ///< redis://... or postgresql URL of the coordinating server
    std::uint32_t partitions = 16;
    std::chrono::seconds lease{30};
};

/// Opens the coordinator `url` names and returns `use(lock, state)`: a
/// Redis store and its lease lock, or a PostgreSQL table (`#table=T`,
/// default dualstore_jobs) and a lease table beside it.
template <class Use>
auto with_coordinator(std::string_view url, Use&& use) {
    namespace ad = dualstore::adapters;
    const auto u = split_url(url);
    if (u.is_redis()) {
        ad::redis_store state(u.address,
                              {.key_prefix = fragment_option(u.fragment, "prefix", url, "")});
        ad::redis_lease_lock lock(state);
        return use(lock, state);
    }
    if (u.is_postgresql()) {
        const auto table = fragment_option(u.fragment, "table", url, "dualstore_jobs");
        ad::postgresql_store state(u.postgresql_dsn(), {.table = table});
        ad::postgresql_lease_lock lock(u.postgresql_dsn(), table + "_leases");
        return use(lock, state);
    }
    throw usage_error(fmt::format(
        "{:?}: --coordinate needs a Redis (redis://, unix://) or PostgreSQL URL", u.name));
}

/// The split keys of the job: the ones recorded in `state` under `key`, or,
/// for the first worker, `proposed` (which it records). Workers that start
/// while FROM changes thus still share one plan.
template <class State>
std::vector<std::string> shared_splits(State& state, const std::string& key,
                                       const std::vector<std::string>& proposed) {
    std::string encoded = fmt::format("{} ", proposed.size());
    for (const auto& split : proposed) dualstore::detail::put_field(encoded, split);
    state.put_if_absent(key, encoded);
    const auto recorded = state.get(key);
    std::string_view in = recorded ? std::string_view(*recorded) : std::string_view();
    const auto space = in.find(' ');
    std::vector<std::string> splits;
    if (space != std::string_view::npos) {
        const auto count = std::stoul(std::string(in.substr(0, space)));
        in.remove_prefix(space + 1);
        for (std::size_t i = 0; i < count; ++i) {
            std::optional<std::string> field;
            if (!dualstore::detail::take_field(in, field) || !field) break;
            splits.push_back(std::move(*field));
        }
        if (splits.size() == count && in.empty()) return splits;
    }
    throw dualstore::error(fmt::format("job {:?}: unreadable split keys in the coordinator", key));
}

/// Runs one worker of the copy `job` from `from_url` into `to`, with
/// `options`; prints what it did and where the job stands. Returns whether
/// the job is complete with no failed record.
template <class Target>
bool run_copy_job(const job_flags& job, std::string_view from_url, Target& to,
                  const dualstore::backfill_options& options) {
    namespace ds = dualstore;
    return with_coordinator(job.coordinate, [&](auto& lock, auto& state) {
        const auto work_on = [&](auto& from, std::vector<ds::partition> parts) {
            ds::partitioned_job copy{job.name, std::move(parts), lock, state, {.lease = job.lease}};
            ds::backfill_work work{from, to, options};
            const auto mine = copy.work(work);
            const auto all = copy.summary();
            fmt::print(
                "copy job {:?}: this worker: {} partitions finished ({} resumed), {} steps, "
                "scanned {}, written {}, failed {}\n"
                "job: {} of {} partitions done, scanned {}, written {}, failed {}{}\n",
                job.name, mine.finished, mine.resumed, mine.steps, mine.tally.scanned,
                mine.tally.changed, mine.tally.failed, all.done, all.partitions.size(),
                all.tally.scanned, all.tally.changed, all.tally.failed,
                all.complete() ? ", complete" : "");
            return all.complete() && all.tally.failed == 0;
        };
        if (has_range_digests(from_url)) {
            return with_digest_store(from_url, [&](auto& from) {
                const auto records = from.digest({}).count;
                const auto every = std::max<std::uint64_t>(1, records / job.partitions + 1);
                const auto splits =
                    shared_splits(state, fmt::format("dualstore:job:{}/splits", job.name),
                                  from.keys_every({}, every, job.partitions - 1));
                return work_on(from, ds::split_at_keys(splits));
            });
        }
        auto from = open_store(from_url);
        return work_on(from, ds::split_by_hash(job.partitions));
    });
}

}  // namespace dualstore_tool
