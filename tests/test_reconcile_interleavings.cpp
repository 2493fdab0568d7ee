// Reconciliation under every bounded interleaving (testing::explore), over
// in-memory stores: a repairing full pass (merging and paging) beside live
// writers, a repair without the key lock as the counter-example, and two
// harness instances sharing a lease and a state store. The scenarios and
// their invariants are in reconcile_scenarios.hpp. Each test prints how many
// schedules it explored (run with -s to see them).

#include "reconcile_scenarios.hpp"

namespace {
using namespace reconcile_scenarios;

const auto memory = [] { return std::make_unique<kv>(); };

}  // namespace

TEST_CASE(
    "reconcile interleavings: a repairing merge pass beside two live writers of one key "
    "never loses a write or puts an older value over a newer one",
    "[interleavings][reconcile][merge]") {
    explore_and_report(
        "merge x 1 key, 2 writers",
        reconcile_scenario(memory, one_key_two_writers, walk::merge, repair_by::store, 1),
        {.preemptions = 2, .faults = 1});
}

TEST_CASE(
    "reconcile interleavings: a repairing paged pass, and passes over two keys, beside "
    "live writers never lose a write or put an older value over a newer one",
    "[interleavings][reconcile][paged]") {
    explore_and_report(
        "paged x 1 key, 2 writers",
        reconcile_scenario(memory, one_key_two_writers, walk::paged, repair_by::store, 1),
        {.preemptions = 1, .faults = 1});
    explore_and_report(
        "merge x 2 keys, 1 writer",
        reconcile_scenario(memory, two_keys_one_writer, walk::merge, repair_by::store, 1),
        {.preemptions = 2, .faults = 1});
    explore_and_report(
        "paged x 2 keys, 1 writer (pages of 2)",
        reconcile_scenario(memory, two_keys_one_writer, walk::paged, repair_by::store, 2),
        {.preemptions = 2, .faults = 1});
}

TEST_CASE(
    "reconcile interleavings: a repair that copies without the key lock puts an older "
    "value over a newer one",
    "[interleavings][reconcile]") {
    const auto unlocked = dst::explore(
        reconcile_scenario(memory, one_key_two_writers, walk::merge, repair_by::raw_copy, 1),
        {.preemptions = 2, .faults = 0, .run_cap_applies = false});
    INFO(unlocked.report());
    CHECK_FALSE(unlocked.ok());
    CHECK_THAT(unlocked.report(), Catch::Matchers::Contains("older value over a newer one"));
    WARN("raw copy: the explorer found the older value at schedule " << unlocked.schedules);
}

TEST_CASE(
    "reconcile interleavings: two harness instances sharing a lease and a state store "
    "exclude each other, count every clean run, and leave no lease held",
    "[interleavings][reconcile][lease]") {
    explore_and_report("two instances, one run each", harness_scenario(memory, {1, 1}),
                       {.preemptions = 3, .faults = 1});
    explore_and_report("two instances, two runs and one", harness_scenario(memory, {2, 1}),
                       {.preemptions = 2, .faults = 1});
}
