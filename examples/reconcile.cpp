// A reconciler harness with a lease lock, breach rules and promotion.
//
// Every night each instance of the service tries to run the sampled
// reconciliation; the lease makes it run once. Drift above 0.1% of the sample
// is a breach; two breaches in a row alert; three clean runs in a row make
// the new store ready to promote. The promotion state survives restarts.

#include <dualstore/kv_lease_lock.hpp>
#include <dualstore/reconcile/harness.hpp>
#include <dualstore/reconcile/kv_reconciler.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <string>

namespace ds = dualstore;
using kv = ds::testing::memory_store<std::string, std::string>;

struct promotion_log {
    void on(const ds::observe::promotion_event& e) {
        fmt::print("  promotion of {}: {} -> {}\n", e.transition.name, e.transition.from, e.transition.to);
    }
};

int main() {
    kv old_store, new_store, shared;  // `shared`: a store every instance sees (leases, state)
    for (int i = 0; i < 5000; ++i) {
        old_store.put(fmt::format("invoice:{:05}", i), "paid");
        new_store.put(fmt::format("invoice:{:05}", i), "paid");
    }
    for (int i = 0; i < 40; ++i) new_store.put(fmt::format("invoice:{:05}", i * 100), "PAID");  // drift

    ds::kv_lease_lock lock{shared};
    ds::kv_reconciler invoices{old_store, new_store, {.name = "invoices"}};
    promotion_log log;
    ds::reconcile_harness harness{shared,
                                  ds::reconcile_options{.fraction = 0.05,
                                                        .rule = {.threshold = 0.001,
                                                                 .breaches_to_alert = 2,
                                                                 .clean_runs_to_promote = 3}},
                                  ds::observe::with(log), invoices};
    harness.guarded_by(lock);

    const auto held = lock.try_acquire("dualstore:reconcile", std::chrono::minutes(5));  // another instance
    fmt::print("night 0: {}\n", harness.run(ds::reconcile_mode::sampled).reason);
    lock.release(*held);

    for (int night = 1; night <= 6; ++night) {
        if (night == 3) {  // the team fixes the drift with a full, repairing pass
            ds::kv_reconciler repair{old_store, new_store, {.name = "invoices-repair", .repair = true}};
            repair.full_pass([](const ds::sample_result&) {});  // every key, in bounded memory
        }
        const auto run = harness.run(ds::reconcile_mode::sampled);
        fmt::print("night {}: {}\n", night, run.reports.at(0));
    }
    return harness.state(0) == ds::promotion_state::ready_to_promote ? EXIT_SUCCESS : EXIT_FAILURE;
}
