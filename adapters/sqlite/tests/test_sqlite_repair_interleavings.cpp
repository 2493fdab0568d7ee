// Repair beside live writes under bounded interleavings over SQLite
// (in-memory databases, one per store) with the retry queue kept in SQLite
// too (kv_retry_queue): the scenarios of tests/repair_scenarios.hpp, a drain
// beside writers through a dual_store or a migration, two drainers, one or
// two backfills beside writers in every conflict mode, and two drainers
// beside a stage change from shadow to live, with bounds that keep each
// suite to a few seconds. Each test prints how many schedules it
// explored (-s).

#include "repair_scenarios.hpp"

#include <dualstore/adapters/sqlite.hpp>

namespace {
using namespace repair_scenarios;

const auto sqlite = [] { return std::make_unique<ds::adapters::sqlite_store>(":memory:"); };
const backend sqlite_backend{sqlite, kv_queue_in(sqlite)};

}  // namespace

TEST_CASE(
    "sqlite repair interleavings: a drain beside live writers, and two drainers, never "
    "lose, resurrect or roll back a write",
    "[interleavings][drain][sqlite]") {
    explore_and_report("sqlite: sequential x drain",
                       dual_store_drain_scenario(sqlite_backend, sequential, 1),
                       {.preemptions = 2, .faults = 1});
    explore_and_report("sqlite: sequential x two drainers",
                       dual_store_drain_scenario(sqlite_backend, sequential, 2),
                       {.preemptions = 1, .faults = 1});
}

TEST_CASE(
    "sqlite repair interleavings: a migration's drain beside live writers in each stage "
    "that writes both",
    "[interleavings][drain][migration][sqlite]") {
    for (const auto stage : {ds::stage::dual_write, ds::stage::live}) {
        explore_and_report(fmt::format("sqlite: migration in {} x drain", stage).c_str(),
                           migration_drain_scenario(sqlite_backend, stage),
                           {.preemptions = 2, .faults = 1});
    }
}

TEST_CASE(
    "sqlite repair interleavings: a backfill beside a live writer never resurrects a key "
    "or leaves an older value, in every conflict mode",
    "[interleavings][backfill][sqlite]") {
    explore_backfills(sqlite_backend, "sqlite: ", 1, {.preemptions = 1});
}

TEST_CASE(
    "sqlite repair interleavings: two backfills at once beside a live writer never lose a "
    "write, resurrect a key or leave an older value",
    "[interleavings][backfill][two][sqlite]") {
    explore_backfills(sqlite_backend, "sqlite: ", 2, {.preemptions = 1});
}

TEST_CASE(
    "sqlite repair interleavings: two drainers beside a writer and a stage change from "
    "shadow to live refuse the entries of the old authority, and the operator's procedure "
    "ends equal",
    "[interleavings][drain][migration][flip][sqlite]") {
    explore_stage_flips(sqlite_backend, "sqlite: ");
}
