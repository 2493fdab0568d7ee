// Partitions, partition views and the partitioned job: every key in exactly
// one partition, a job shared by workers finishes with target = source,
// a dead worker's partition is taken over from its checkpoint, a worker that
// lost its lease writes nothing, and a partitioned reconciliation finds and
// repairs every drifted key; lease tokens stay unique in a forked process.
#include "support.hpp"

#include <dualstore/partition/job.hpp>
#include <dualstore/partition/partition.hpp>
#include <dualstore/partition/work.hpp>
#include <dualstore/scan_range.hpp>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

/// A store of `n` records "k000".."k<n-1>" (and two binary keys).
void fill(kv& store, int n) {
    for (int i = 0; i < n; ++i) store.put(fmt::format("k{:03}", i), fmt::format("v{}", i));
    store.put(std::string("\0bin", 4), "nul");
    store.put("\xff\xfe", "high");
}

std::map<std::string, std::string> contents(kv& store) {
    std::map<std::string, std::string> all;
    for (const auto& [k, v] : ds::scan(store)) all.emplace(k, v);
    return all;
}

/// A memory store whose scans do not count as key-ordered.
struct unordered_kv : kv {
    static constexpr bool scans_in_key_order = false;
};

/// A memory lease lock that a crashed worker cannot release.
struct crashing_lock {
    ds::memory_lease_lock& lock;
    std::optional<ds::lease> try_acquire(std::string_view name, std::chrono::milliseconds d) {
        return lock.try_acquire(name, d);
    }
    std::optional<ds::lease> renew(const ds::lease& held, std::chrono::milliseconds d) {
        return lock.renew(held, d);
    }
    bool release(const ds::lease&) { return false; }
};

/// Work that does `inner`'s steps and throws before the step numbered `die_at`.
template <class Work>
struct dying_work {
    Work& inner;
    int die_at;
    int steps = 0;
    ds::partition_step step(const ds::partition& part, const std::optional<std::string>& cursor) {
        if (++steps == die_at) throw std::runtime_error("killed");
        return inner.step(part, cursor);
    }
};

}  // namespace

TEST_CASE("partitions: split points and hash buckets cover every key exactly once", "[partition]") {
    kv source;
    fill(source, 100);
    for (const auto& parts : {ds::split_at_keys({"k020", "k050", "k051"}), ds::split_by_hash(3),
                              ds::split_at_keys({})}) {
        std::multiset<std::string> seen;
        for (const auto& part : parts) {
            ds::partition_view view(source, part);
            for (const auto& [k, v] : ds::scan(view, 7)) {
                CHECK(part.contains(k));
                seen.insert(k);
            }
        }
        CHECK(seen.size() == 102);
        CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 102);
    }
}

TEST_CASE("partitions: bad splits and a range over an unordered store are clear errors",
          "[partition]") {
    CHECK_THROWS_WITH(ds::split_at_keys({"b", "a"}), Catch::Matchers::Contains("sorted"));
    CHECK_THROWS_WITH(ds::split_at_keys({"a", "a"}), Catch::Matchers::Contains("distinct"));
    CHECK_THROWS_WITH(ds::split_by_hash(0), Catch::Matchers::Contains("at least one"));
    unordered_kv store;
    CHECK_THROWS_WITH(ds::partition_view(store, ds::split_at_keys({"m"})[0]),
                      Catch::Matchers::Contains("split_by_hash"));
    CHECK_NOTHROW(ds::partition_view(store, ds::split_by_hash(2)[1]));
    CHECK(fmt::format("{}", ds::split_at_keys({"m"})[1]) == "(m, -]");
    CHECK(fmt::format("{}", ds::split_by_hash(4)[2]) == "(-, -] #2/4");
}

TEST_CASE("partitioned job: two workers share a backfill, target equals source, tallies add up",
          "[partition][job][concurrency]") {
    kv source, target, state;
    fill(source, 300);
    target.put("k007", "live");  // a live write the backfill keeps
    ds::memory_lease_lock lock;
    ds::partitioned_job job{"copy", ds::split_at_keys({"k050", "k100", "k200"}), lock, state};
    std::vector<ds::worker_report> reports(2);
    std::vector<std::thread> workers;
    for (auto& report : reports) {
        workers.emplace_back([&] {
            ds::backfill_work work{source, target, {.batch_size = 16}};
            report = job.work(work);
        });
    }
    for (auto& w : workers) w.join();
    auto expected = contents(source);
    expected["k007"] = "live";
    CHECK(contents(target) == expected);
    const auto summary = job.summary();
    CHECK(summary.complete());
    CHECK(summary.tally.scanned == 302);
    CHECK(summary.tally.changed == 301);
    CHECK(reports[0].finished + reports[1].finished == 4);
    CHECK(reports[0].tally.scanned + reports[1].tally.scanned == 302);
    CHECK(reports[0].lost + reports[1].lost == 0);

    SECTION("a finished job does nothing more; reset runs it again") {
        ds::backfill_work work{source, target, {.batch_size = 16}};
        CHECK(job.work(work).steps == 0);
        job.reset();
        CHECK(job.summary().done == 0);
        CHECK(job.work(work).finished == 4);
    }
    SECTION("a worker with another plan is refused before it does anything") {
        ds::partitioned_job other{"copy", ds::split_at_keys({"k050"}), lock, state};
        ds::backfill_work work{source, target, {.batch_size = 16}};
        CHECK_THROWS_WITH(other.work(work), Catch::Matchers::Contains("another partition plan"));
    }
}

TEST_CASE("partitioned job: a dead worker's partition is taken over from its checkpoint",
          "[partition][job]") {
    dst::manual_clock clock;
    kv source, target, state;
    fill(source, 100);
    ds::memory_lease_lock lock{[&] { return clock.wall(); }};
    const ds::partitioned_job_options options{.lease = 10s, .poll = 1s, .clock = clock.timer()};
    const auto parts = ds::split_at_keys({"k050"});

    // The first worker dies (without releasing its lease) before its third
    // step of the first partition: two pages of 10 are checkpointed.
    crashing_lock no_release{lock};
    ds::partitioned_job victim{"copy", parts, no_release, state, options};
    ds::backfill_work copy{source, target, {.batch_size = 10}};
    dying_work<ds::backfill_work<kv, kv>> dying{copy, 3};
    CHECK_THROWS_WITH(victim.work(dying), "killed");
    const auto left = victim.summary();
    CHECK(left.partitions[0].tally.scanned == 20);
    CHECK(left.partitions[0].cursor);
    CHECK_FALSE(left.partitions[0].done);

    // The survivor does the free partition, waits for the lease to lapse,
    // then continues the dead worker's partition where it stopped.
    ds::partitioned_job survivor{"copy", parts, lock, state, options};
    const auto report = survivor.work(copy);
    CHECK(report.resumed == 1);
    CHECK(report.finished == 2);
    CHECK_FALSE(clock.sleeps().empty());
    CHECK(contents(target) == contents(source));
    const auto summary = survivor.summary();
    CHECK(summary.complete());
    CHECK(summary.tally.scanned == 102);  // no record scanned twice past the checkpoint
}

TEST_CASE("partitioned job: a worker renews its lease, and one that lost it writes nothing",
          "[partition][job]") {
    dst::manual_clock clock;
    kv source, target, state;
    fill(source, 60);
    ds::memory_lease_lock lock{[&] { return clock.wall(); }};
    const ds::partitioned_job_options options{.lease = 10s, .poll = 1s, .clock = clock.timer()};
    ds::partitioned_job job{"copy", ds::split_at_keys({}), lock, state, options};
    ds::backfill_work copy{source, target, {.batch_size = 5}};

    SECTION("each step takes 3 s of a 10 s lease: renewed, never lost") {
        struct slow {
            ds::backfill_work<kv, kv>& inner;
            dst::manual_clock& clock;
            ds::partition_step step(const ds::partition& p, const std::optional<std::string>& c) {
                clock.advance(3s);
                return inner.step(p, c);
            }
        } work{copy, clock};
        const auto report = job.work(work);
        CHECK(report.lost == 0);
        CHECK(report.steps == 13);
        CHECK(clock.sleeps().empty());
    }
    SECTION("a pause past the lease lets another holder in; the paused step is not written") {
        struct paused {
            ds::backfill_work<kv, kv>& inner;
            dst::manual_clock& clock;
            ds::memory_lease_lock& lock;
            int steps = 0;
            ds::partition_step step(const ds::partition& p, const std::optional<std::string>& c) {
                if (++steps == 3) {
                    clock.advance(11s);  // the lease lapsed; someone takes it
                    REQUIRE(lock.try_acquire("copy/0", 5s));
                }
                return inner.step(p, c);
            }
        } work{copy, clock, lock};
        const auto report = job.work(work);
        CHECK(report.lost == 1);
        CHECK(report.resumed == 1);  // came back after the other lease lapsed
        CHECK(contents(target) == contents(source));
        CHECK(job.summary().tally.scanned == 62);  // the lost step was done again, counted once
    }
}

TEST_CASE("partitioned job: an exception releases the lease and keeps the checkpoint",
          "[partition][job]") {
    kv source, target, state;
    fill(source, 40);
    ds::memory_lease_lock lock;
    ds::partitioned_job job{"copy", ds::split_at_keys({}), lock, state};
    ds::backfill_work copy{source, target, {.batch_size = 10}};
    dying_work<ds::backfill_work<kv, kv>> dying{copy, 2};
    CHECK_THROWS_WITH(job.work(dying), "killed");
    CHECK(lock.try_acquire("copy/0", 1s));  // released
    CHECK(job.summary().tally.scanned == 10);
}

TEST_CASE("partitioned job: corrupt state is a clear error", "[partition][job]") {
    kv source, target, state;
    ds::memory_lease_lock lock;
    ds::partitioned_job job{"copy", ds::split_at_keys({}), lock, state};
    state.put("dualstore:job:copy/0", "garbage");
    CHECK_THROWS_WITH(job.summary(), Catch::Matchers::Contains("partition 0 is not one"));
    CHECK_THROWS_WITH(ds::partitioned_job("x", {}, lock, state),
                      Catch::Matchers::Contains("no partitions"));
    CHECK_THROWS_WITH(ds::backfill_work(source, target, {.dry_run = true}),
                      Catch::Matchers::Contains("dry run"));
}

TEST_CASE("partitioned job: hash partitions over a store that does not scan in order",
          "[partition][job]") {
    unordered_kv source;
    kv target, state;
    fill(source, 50);
    ds::memory_lease_lock lock;
    ds::partitioned_job job{"copy", ds::split_by_hash(3), lock, state};
    ds::backfill_work copy{source, target, {.batch_size = 8}};
    CHECK(job.work(copy).finished == 3);
    CHECK(contents(target) == contents(source));
    CHECK(job.summary().tally.scanned == 52);
}

TEST_CASE("partitioned reconciliation: finds every drifted key and repairs it, across partitions",
          "[partition][job][reconcile]") {
    kv primary, secondary, state;
    fill(primary, 80);
    fill(secondary, 80);
    secondary.erase("k010");            // missing in the secondary
    secondary.put("k049", "stale");     // differs, at a partition's end
    secondary.put("k050x", "extra");    // only in the secondary
    secondary.put("\xff\xff", "tail");  // only in the secondary, in the last partition
    ds::memory_lease_lock lock;
    ds::partitioned_job job{"verify", ds::split_at_keys({"k049", "k060"}), lock, state};
    std::vector<std::string> drifted;
    ds::reconcile_work verify{
        primary, secondary, {.repair = true, .batch_size = 7}, [&](const ds::sample_result& r) {
            if (!r.in_sync) drifted.push_back(r.key);
        }};
    const auto report = job.work(verify);
    CHECK(report.finished == 3);
    CHECK(drifted.size() == 4);
    CHECK(job.summary().tally.changed == 4);
    CHECK(job.summary().tally.scanned == 84);
    CHECK(contents(secondary) == contents(primary));
}

TEMPLATE_TEST_CASE("lease renewal: only the holder renews, and a renewal moves the lapse",
                   "[lease][partition]", ds::memory_lease_lock, ds::kv_lease_lock<kv>) {
    dst::manual_clock clock;
    kv backing;
    auto lock = [&] {
        if constexpr (std::is_same_v<TestType, ds::memory_lease_lock>) {
            return ds::memory_lease_lock{[&] { return clock.wall(); }};
        } else {
            return ds::kv_lease_lock<kv>{backing, "lease:", [&] { return clock.wall(); }};
        }
    }();
    static_assert(ds::renewable_lease_lock<TestType>);
    const auto held = lock.try_acquire("job", 10s);
    REQUIRE(held);
    clock.advance(8s);
    const auto renewed = lock.renew(*held, 10s);
    REQUIRE(renewed);
    CHECK(renewed->token == held->token);
    CHECK(renewed->expires_at == clock.wall() + 10s);
    clock.advance(8s);  // past the first lapse, before the renewed one
    CHECK_FALSE(lock.try_acquire("job", 10s));
    clock.advance(3s);
    const auto other = lock.try_acquire("job", 10s);
    REQUIRE(other);
    CHECK_FALSE(lock.renew(*held, 10s));  // taken over: the old holder cannot renew
    CHECK(lock.renew(*other, 10s));
}

TEST_CASE("lease tokens: new per grant, and new in a process forked after a draw",
          "[lease][partition]") {
    const auto first = ds::detail::new_lease_token();
    CHECK(first.size() == 32);
    CHECK(ds::detail::new_lease_token() != first);
    // A forked child starts with a copy of this thread's generator.
    std::array<int, 2> fds{};
    REQUIRE(pipe(fds.data()) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const auto token = ds::detail::new_lease_token();
        const auto written = write(fds[1], token.data(), token.size());
        _exit(written == static_cast<ssize_t>(token.size()) ? 0 : 1);
    }
    close(fds[1]);
    const auto mine = ds::detail::new_lease_token();
    std::string theirs(32, '\0');
    const auto got = read(fds[0], theirs.data(), theirs.size());
    close(fds[0]);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(got == 32);
    CHECK(theirs != mine);
}
