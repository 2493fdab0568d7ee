// Prints the Prometheus text of a metrics object that has seen every kind of
// event, for `promtool check metrics` (the ctest prometheus.promtool).

#include <dualstore/dualstore.hpp>
#include <dualstore/observe/metrics.hpp>
#include <dualstore/observe/prometheus.hpp>
#include <dualstore/reconcile/harness.hpp>
#include <dualstore/reconcile/kv_reconciler.hpp>
#include <dualstore/testing/faulty.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <fmt/format.h>

#include <string>

int main() {
    namespace ds = dualstore;
    using kv = ds::testing::memory_store<std::string, std::string>;
    kv a, b;
    ds::testing::faulty secondary{b};
    ds::observe::metrics m;
    const auto sink = [](const std::string&, ds::operation, const std::exception_ptr&) {};
    ds::migration store{a, secondary, ds::stage::dual_write, ds::retry::fixed{.attempts = 2, .delay = {}},
                        ds::on_secondary_failure{sink}, ds::observe::with(m)};
    store.put("k", "v");
    secondary.fail_next(3, ds::testing::fault_on::writes);
    store.put("k", "w");
    store.set_stage(ds::stage::shadow);
    std::ignore = store.get("k");
    store.erase("k");
    m.set_queue_depth(1);
    kv state;
    a.put("r", "1");  // one key to reconcile (missing in the secondary)
    ds::kv_reconciler reconciler{a, b, {.name = "sample"}};
    ds::reconcile_harness harness{state, ds::reconcile_options{}, ds::observe::with(m), reconciler};
    harness.run(ds::reconcile_mode::full);
    fmt::print("{}", ds::observe::to_prometheus(m));
}
