// Repair beside live writes under bounded interleavings over SQLite
// (in-memory databases, one per store) with the retry queue kept in SQLite
// too (kv_retry_queue): the scenarios of tests/repair_scenarios.hpp, a drain
// beside writers through a dual_store or a migration, two drainers, and a
// backfill beside a writer in every conflict mode, with bounds that keep
// each suite to a few seconds. Each test prints how many schedules it
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
    for (const auto rule : all_rules) {
        for (const bool locked : {true, false}) {
            explore_and_report(("sqlite: " + backfill_name(rule, locked)).c_str(),
                               backfill_scenario(sqlite_backend, rule, locked), {.preemptions = 1});
        }
    }
}
