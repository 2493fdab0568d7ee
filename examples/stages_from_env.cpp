// Runtime stages driven by an environment variable.
//
// An operator sets ORDERS_MIGRATION_STAGE (off, dual_write, shadow, live,
// rampdown, complete) and the service picks it up without a rebuild. Here the
// program plays the operator too: it walks the stages one by one, as the
// variable would change, and prints which store each operation touched.
//
// Run: ORDERS_MIGRATION_STAGE=shadow ./stages_from_env
// An unknown stage is an error that lists the accepted names (exit status 2).

#include <dualstore/dualstore.hpp>
#include <dualstore/testing/counting_observer.hpp>
#include <dualstore/testing/memory_store.hpp>
#include <dualstore/testing/recording_store.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <tuple>

namespace ds = dualstore;
using kv = ds::testing::memory_store<std::string, std::string>;

int main() {
    constexpr const char* variable = "ORDERS_MIGRATION_STAGE";
    ds::stage initial{};
    try {
        initial = ds::stage_from_env(variable, ds::stage::off);
    } catch (const ds::invalid_stage& e) {
        fmt::print(stderr, "{}\n", e.what());
        return 2;
    }

    kv old_data, new_data;
    ds::testing::call_log log;
    ds::testing::recording_store old_store{old_data, log, "old"};
    ds::testing::recording_store new_store{new_data, log, "new"};
    ds::testing::counting_observer observer;
    ds::memory_retry_queue failed_writes;  // where a failed write to the other store waits for drain
    ds::migration orders{old_store, new_store, initial, ds::observe::with(observer),
                         ds::on_secondary_failure{failed_writes}};
    fmt::print("starting in stage {} (from {})\n", orders.current_stage(), variable);

    int order = 0;
    for (const auto stage : ds::all_stages) {
        if (stage < initial) continue;
        orders.set_stage(stage);
        const auto key = fmt::format("order:{}", ++order);
        log.clear();
        orders.put(key, "2 x widget");
        const auto value = orders.get(key);
        std::string touched;
        for (const auto& call : log.entries()) touched += fmt::format(" {}", call);
        fmt::print("{:<10} put+get {} -> {}; calls:{}\n", stage, key, value.value_or("<none>"),
                   touched);
        // order:1 was written in stage off, so only the old store has it (the
        // backfill's job): the shadow and live stages' comparisons find it.
        std::ignore = orders.get("order:1");
    }
    fmt::print("shadow mismatches found: {}\n", observer.mismatches.load());
    fmt::print("failed writes waiting for repair: {}\n", failed_writes.size());
    for (const auto& line : observer.mismatch_log()) fmt::print("  {}\n", line);
    return EXIT_SUCCESS;
}
