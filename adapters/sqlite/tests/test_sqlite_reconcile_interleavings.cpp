// Reconciliation under bounded interleavings over SQLite (in-memory
// databases, one per store): the scenarios of tests/reconcile_scenarios.hpp,
// a repairing full pass beside live writers and two harness instances
// sharing a lease and a state store, with smaller bounds than the in-memory
// suites. Each test prints how many schedules it explored (-s).

#include "reconcile_scenarios.hpp"

#include <dualstore/adapters/sqlite.hpp>

namespace {
using namespace reconcile_scenarios;

const auto sqlite = [] { return std::make_unique<ds::adapters::sqlite_store>(":memory:"); };

}  // namespace

TEST_CASE(
    "sqlite reconcile interleavings: a repairing full pass beside live writers never "
    "loses a write or puts an older value over a newer one",
    "[interleavings][reconcile][sqlite]") {
    explore_and_report(
        "sqlite: merge x 1 key, 2 writers",
        reconcile_scenario(sqlite, one_key_two_writers, walk::merge, repair_by::store, 1),
        {.preemptions = 1, .faults = 1});
    explore_and_report(
        "sqlite: paged x 2 keys, 1 writer",
        reconcile_scenario(sqlite, two_keys_one_writer, walk::paged, repair_by::store, 2),
        {.preemptions = 2, .faults = 1});
}

TEST_CASE(
    "sqlite reconcile interleavings: two harness instances sharing a lease and a state "
    "store in SQLite exclude each other, count every clean run, and leave no lease held",
    "[interleavings][reconcile][lease][sqlite]") {
    explore_and_report("sqlite: two instances, one run each", harness_scenario(sqlite, {1, 1}),
                       {.preemptions = 2, .faults = 1});
    explore_and_report("sqlite: two instances, two runs and one", harness_scenario(sqlite, {2, 1}),
                       {.preemptions = 1, .faults = 1});
}
