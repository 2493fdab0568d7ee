// Repair beside live writes under every bounded interleaving
// (testing::explore), over in-memory stores and a memory_retry_queue: the
// drain beside writers through a dual_store (each write policy) or a
// migration, two drainers, a drain of two raw stores as another process
// would run it, one or two backfills beside writers in every conflict mode
// (and one of records with a time to live), and two drainers beside a stage
// change from shadow to live. The scenarios
// and their invariants are in repair_scenarios.hpp. Each test prints how
// many schedules it explored (-s).

#include "repair_scenarios.hpp"

namespace {
using namespace repair_scenarios;

// The explored stores take a backfill's batched paths (put_many, put_many_if_absent).
static_assert(ds::conditional_batch_store<dst::explored_store<recorded<kv>&>>);
// And they have change stamps, so a page's copy can be confirmed by one.
static_assert(ds::change_stamped_store<dst::explored_store<recorded<kv>&>>);

const backend memory{[] { return std::make_unique<kv>(); },
                     [] { return std::make_shared<ds::memory_retry_queue>(); }};

}  // namespace

TEST_CASE(
    "repair interleavings: a drain beside live writers never loses, resurrects or rolls "
    "back a write",
    "[interleavings][drain]") {
    const dst::explore_options bound{.preemptions = 2, .faults = 1};
    explore_and_report("sequential x drain", dual_store_drain_scenario(memory, sequential, 1),
                       bound);
    explore_and_report("dual_primary x drain", dual_store_drain_scenario(memory, dual_primary, 1),
                       bound);
    // write::parallel may write the secondary before the primary, so its
    // own writes are not checked against the leader; the final state is.
    explore_and_report("parallel x drain", dual_store_drain_scenario(memory, parallel, 1, false),
                       {.preemptions = 0, .faults = 1});
}

TEST_CASE("repair interleavings: two drainers beside a live writer", "[interleavings][drain]") {
    explore_and_report("sequential x two drainers",
                       dual_store_drain_scenario(memory, sequential, 2),
                       {.preemptions = 1, .faults = 1});
}

TEST_CASE(
    "repair interleavings: a drain of two raw stores (another process's writes) ends "
    "equal, and only the key lock keeps an older value from landing at all",
    "[interleavings][drain]") {
    const auto scenario = [](bool strict) {
        return dual_store_drain_scenario(memory, sequential, 1, strict, drain_through::raw_stores);
    };
    explore_and_report("raw drain: converges", scenario(false), {.preemptions = 2, .faults = 1});
    // Without the lock, the repair's copy can land between a live write's
    // two sides; repair_key's re-read corrects it, but it did land.
    const auto unlocked =
        dst::explore(scenario(true), {.preemptions = 2, .faults = 1, .run_cap_applies = false});
    INFO(unlocked.report());
    CHECK_FALSE(unlocked.ok());
    CHECK_THAT(unlocked.report(), Catch::Matchers::Contains("older value over a newer one"));
}

TEST_CASE(
    "repair interleavings: a migration's drain beside live writers in each stage that "
    "writes both",
    "[interleavings][drain][migration]") {
    for (const auto stage : {ds::stage::dual_write, ds::stage::live}) {
        explore_and_report(fmt::format("migration in {} x drain", stage).c_str(),
                           migration_drain_scenario(memory, stage),
                           {.preemptions = 2, .faults = 1});
    }
}

TEST_CASE(
    "repair interleavings: a backfill beside a live writer never resurrects a key or "
    "leaves an older value, in every conflict mode",
    "[interleavings][backfill]") {
    explore_backfills(memory, "", 1, {.preemptions = 2});
}

TEST_CASE(
    "repair interleavings: backfills of records an hour from expiry, confirmed by the change "
    "stamp, alone, two at once and partitioned, beside live writers never lose a write, "
    "resurrect a key or leave an older value",
    "[interleavings][backfill][expiry]") {
    // The source's records expire (far away): each is copied alone with its
    // time to live, and its copy is confirmed by the source's change stamp.
    static_assert(ds::conditional_expiring_store<dst::explored_store<recorded<kv, true>&>>);
    struct shape {
        int backfills;
        bool partitioned;
        dst::explore_options bound;
    };
    const auto pages = page_confirmation::change_stamp;
    for (const auto& [backfills, partitioned, bound] :
         {shape{1, false, {.preemptions = 2}}, shape{2, false, {.preemptions = 1}},
          shape{1, true, {.preemptions = 2}}, shape{2, true, {.preemptions = 1}}}) {
        for (const auto rule : {ds::conflict_rule::overwrite, ds::conflict_rule::keep_target}) {
            explore_and_report(
                fmt::format("expiring records, {}",
                            backfill_name(rule, false, backfills, pages, partitioned))
                    .c_str(),
                backfill_scenario<true>(memory, rule, false, backfills, pages, partitioned), bound);
        }
    }
}

TEST_CASE(
    "repair interleavings: two backfills at once beside live writers never lose a write, "
    "resurrect a key or leave an older value",
    "[interleavings][backfill][two]") {
    explore_backfills(memory, "", 2, {.preemptions = 1});
}

TEST_CASE(
    "repair interleavings: a backfill partitioned in two, by one worker or two, beside live "
    "writers never loses a write, resurrects a key or leaves an older value",
    "[interleavings][backfill][partition]") {
    explore_backfills(memory, "", 1, {.preemptions = 2}, true);
    explore_backfills(memory, "", 2, {.preemptions = 1}, true);
}

TEST_CASE(
    "repair interleavings: two drainers beside a writer and a stage change from shadow to "
    "live refuse the entries of the old authority, and the operator's procedure ends equal",
    "[interleavings][drain][migration][flip]") {
    explore_stage_flips(memory, "");
}
