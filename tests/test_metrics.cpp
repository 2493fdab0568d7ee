// observe::metrics, its histogram and the Prometheus text.

#include "support.hpp"

#include <dualstore/memory_retry_queue.hpp>
#include <dualstore/observe/metrics.hpp>
#include <dualstore/observe/prometheus.hpp>
#include <dualstore/reconcile/harness.hpp>
#include <dualstore/reconcile/kv_reconciler.hpp>

#include <dualstore/observe/json_log.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {
using ds::observe::outcome_kind;
using ds::operation;
using ds::side;

/// The value of the sample line starting with `series` (name and labels).
double sample(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    }
    FAIL("no sample " << series);
    return -1;
}
}  // namespace

TEST_CASE("metrics: counts outcomes per operation and side", "[metrics]") {
    kv a, b;
    flaky secondary{b};
    dst::manual_clock clock;
    ds::observe::metrics m;
    ds::memory_retry_queue queue;
    ds::dual_store store{a, secondary, ds::read::shadow{},
                         ds::retry::fixed{.attempts = 2, .clock = clock.timer()},
                         ds::on_secondary_failure{queue}, ds::observe::with(m)};
    CHECK_FALSE(m.warm());

    store.put("k", "v");
    CHECK(m.warm());
    REQUIRE(m.cold_latency());
    secondary.fail_always(dst::fault_on::writes);
    store.put("k2", "v");  // secondary: 2 attempts, fails, enqueued
    b.put("k", "other");
    std::ignore = store.get("k");  // mismatch

    CHECK(m.count(operation::put, side::primary, outcome_kind::ok) == 2);
    CHECK(m.count(operation::put, side::secondary, outcome_kind::ok) == 1);
    CHECK(m.count(operation::put, side::secondary, outcome_kind::failed) == 1);
    CHECK(m.count(operation::put, side::secondary, outcome_kind::retried) == 1);
    CHECK(m.count(operation::put, side::secondary, outcome_kind::enqueued) == 1);
    CHECK(m.count(operation::get, side::primary, outcome_kind::ok) == 1);
    CHECK(m.mismatches() == 1);
    CHECK(m.latency(operation::put, side::primary).count() == 2);
    CHECK(m.latency(operation::erase, side::primary).count() == 0);
}

TEST_CASE("metrics: rollbacks, sink errors and stage changes", "[metrics]") {
    kv a, b, q;
    flaky secondary{b};
    ds::observe::metrics m;
    ds::dual_store rolling{a, secondary, ds::write::dual_primary{}, ds::rollback::snapshot{},
                           ds::observe::with(m)};
    secondary.fail_always(dst::fault_on::writes);
    CHECK_THROWS_AS(rolling.put("k", "v"), ds::rolled_back);
    CHECK(m.count(operation::put, side::primary, outcome_kind::rolled_back) == 1);

    const auto throwing_sink = [](const std::string&, ds::operation, std::exception_ptr) {
        throw std::runtime_error("queue down");
    };
    ds::migration staged{a, secondary, ds::stage::dual_write,
                         ds::on_secondary_failure{throwing_sink}, ds::observe::with(m)};
    staged.put("k", "v");
    CHECK(m.sink_errors() == 1);
    CHECK_FALSE(m.current_stage());
    staged.set_stage(ds::stage::shadow);
    CHECK(m.current_stage() == ds::stage::shadow);
    CHECK(m.stage_changes() == 1);
    m.set_queue_depth(42);
    CHECK(m.queue_depth() == 42);
}

TEST_CASE("latency histogram: buckets, sum and percentiles", "[metrics][histogram]") {
    ds::observe::latency_histogram h;
    CHECK(h.percentile(0.5) == std::chrono::nanoseconds::zero());
    for (int i = 0; i < 90; ++i) h.record(std::chrono::microseconds(3));    // bucket (2.5, 5] µs
    for (int i = 0; i < 10; ++i) h.record(std::chrono::milliseconds(20));   // bucket (10, 25] ms
    CHECK(h.count() == 100);
    CHECK(h.sum() == 90 * std::chrono::microseconds(3) + 10 * std::chrono::milliseconds(20));
    const auto p50 = h.percentile(0.50);
    CHECK(p50 > std::chrono::nanoseconds(2'500));
    CHECK(p50 <= std::chrono::nanoseconds(5'000));
    const auto p95 = h.percentile(0.95);
    CHECK(p95 > std::chrono::milliseconds(10));
    CHECK(p95 <= std::chrono::milliseconds(25));
    CHECK(h.percentile(0.99) <= std::chrono::milliseconds(25));
    h.record(std::chrono::seconds(60));  // beyond every bound
    CHECK(h.bucket(ds::observe::latency_histogram::bounds.size()) == 1);
    CHECK(h.percentile(1.0) == std::chrono::seconds(10));
}

TEST_CASE("metrics concurrency: counts from many threads add up", "[metrics][concurrency]") {
    kv a, b;
    ds::observe::metrics m;
    ds::dual_store store{a, b, ds::write::parallel{}, ds::observe::with(m),
                         ds::discard_secondary_failures{}};
    constexpr int threads = 4;
    constexpr int puts = 500;
    {
        std::vector<std::jthread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                for (int i = 0; i < puts; ++i) store.put(fmt::format("{}-{}", t, i), "v");
            });
        }
    }
    CHECK(m.count(operation::put, side::primary, outcome_kind::ok) == threads * puts);
    CHECK(m.count(operation::put, side::secondary, outcome_kind::ok) == threads * puts);
    CHECK(m.latency(operation::put, side::secondary).count() == threads * puts);
}

TEST_CASE("to_prometheus: counters, cumulative histogram buckets and gauges", "[metrics][prometheus]") {
    kv a, b;
    ds::observe::metrics m;
    ds::migration store{a, b, ds::stage::dual_write, ds::observe::with(m),
                        ds::discard_secondary_failures{}};
    for (int i = 0; i < 5; ++i) store.put(std::to_string(i), "v");
    store.set_stage(ds::stage::shadow);
    m.set_queue_depth(3);
    const auto text = ds::observe::to_prometheus(m);

    CHECK_THAT(text, Catch::Matchers::Contains("# TYPE dualstore_operations_total counter\n"));
    CHECK_THAT(text, Catch::Matchers::Contains(
                         "# TYPE dualstore_operation_duration_seconds histogram\n"));
    CHECK(sample(text, R"(dualstore_operations_total{operation="put",side="primary",outcome="ok"})") == 5);
    CHECK(sample(text, R"(dualstore_operation_duration_seconds_bucket{operation="put",side="secondary",le="+Inf"})") == 5);
    CHECK(sample(text, R"(dualstore_operation_duration_seconds_count{operation="put",side="secondary"})") == 5);
    CHECK(sample(text, R"(dualstore_operation_duration_seconds_bucket{operation="put",side="secondary",le="10"})") == 5);
    CHECK(sample(text, "dualstore_retry_queue_depth") == 3);
    CHECK(sample(text, R"(dualstore_migration_stage{stage="shadow"})") == 1);
    CHECK(sample(text, R"(dualstore_migration_stage{stage="off"})") == 0);
    CHECK(sample(text, "dualstore_warm") == 1);
    // Buckets are cumulative: never decreasing.
    std::istringstream in(text);
    std::string line;
    double previous = 0;
    while (std::getline(in, line)) {
        if (!line.starts_with(R"(dualstore_operation_duration_seconds_bucket{operation="put",side="primary")")) continue;
        const double value = std::stod(line.substr(line.rfind(' ') + 1));
        CHECK(value >= previous);
        previous = value;
    }
    // Operations never used are left out.
    CHECK_THAT(text, !Catch::Matchers::Contains(R"(operation="erase")"));
}

TEST_CASE("metrics: the reconciliation signals: samples, drift, breaches, promotions, duration",
          "[metrics][reconcile]") {
    kv a, b, state;
    for (int i = 0; i < 100; ++i) {
        a.put(std::to_string(i), "v");
        b.put(std::to_string(i), "v");
    }
    b.put("7", "drift");
    ds::observe::metrics m;
    ds::kv_reconciler r{a, b, {.name = "orders"}};
    ds::reconcile_harness h{state, ds::reconcile_options{.rule = {.clean_runs_to_promote = 1}},
                            ds::observe::with(m), r};
    h.run(ds::reconcile_mode::full);  // breach
    b.put("7", "v");
    h.run(ds::reconcile_mode::full);  // clean: ready to promote
    CHECK(m.reconcile_samples() == 200);
    CHECK(m.reconcile_drift() == 1);
    CHECK(m.reconcile_breaches() == 1);
    CHECK(m.promotions() == 1);
    CHECK(m.reconcile_duration().count() == 2);
    const auto text = ds::observe::to_prometheus(m);
    CHECK(sample(text, "dualstore_reconcile_samples_total") == 200);
    CHECK(sample(text, "dualstore_promotions_total") == 1);
    CHECK(sample(text, R"(dualstore_reconcile_duration_seconds_bucket{le="+Inf"})") == 2);
    CHECK(sample(text, "dualstore_reconcile_duration_seconds_count") == 2);
}

TEST_CASE("metrics: per origin, the old and the new store stay apart across the live flip",
          "[metrics][origin]") {
    kv old_kv, new_kv;
    flaky new_store{new_kv};
    dst::manual_clock clock;
    ds::observe::metrics m;
    std::vector<std::string> lines;
    ds::observe::json_log json{[&](std::string_view line) { lines.emplace_back(line); },
                               {},
                               ds::observe::json_log::operations::every};
    ds::migration store{old_kv,
                        new_store,
                        ds::stage::dual_write,
                        ds::retry::fixed{.attempts = 2, .clock = clock.timer()},
                        ds::discard_secondary_failures{},
                        ds::observe::with(m, json)};
    using ds::migration_store;
    store.put("a", "1");  // old primary, new secondary
    store.set_stage(ds::stage::live);
    store.put("b", "2");  // new primary, old secondary
    store.put("c", "3");
    std::ignore = store.get("b");  // new primary; old read as the shadow
    new_store.fail_always(dst::fault_on::writes);
    CHECK_THROWS(store.put("d", "4"));  // new primary: retried once, then failed

    // By role the flip mixes the stores; by origin it does not.
    CHECK(m.count(operation::put, side::primary, outcome_kind::ok) == 3);
    CHECK(m.count(operation::put, migration_store::old_store, outcome_kind::ok) == 3);
    CHECK(m.count(operation::put, migration_store::new_store, outcome_kind::ok) == 3);
    CHECK(m.latency(operation::put, migration_store::new_store).count() == 4);  // "d" too
    CHECK(m.count(operation::get, migration_store::new_store, outcome_kind::ok) == 1);
    CHECK(m.latency(operation::get, migration_store::old_store).count() == 1);
    CHECK(m.count(operation::put, migration_store::new_store, outcome_kind::retried) == 1);
    CHECK(m.count(operation::put, migration_store::new_store, outcome_kind::failed) == 1);
    CHECK(m.count(operation::put, migration_store::old_store, outcome_kind::retried) == 0);
    CHECK(m.count(operation::put, side::primary, outcome_kind::failed) == 1);

    const auto text = ds::observe::to_prometheus(m);
    CHECK(
        sample(text,
               R"(dualstore_origin_operations_total{operation="put",origin="new",outcome="ok"})") ==
        3);
    CHECK(
        sample(
            text,
            R"(dualstore_origin_operations_total{operation="put",origin="new",outcome="retried"})") ==
        1);
    CHECK(
        sample(
            text,
            R"(dualstore_origin_operation_duration_seconds_count{operation="get",origin="old"})") ==
        1);
    CHECK_THAT(text,
               Catch::Matchers::Contains("# TYPE dualstore_origin_operations_total counter\n"));

    // The log names both: the first put's primary was old, the later ones' new.
    REQUIRE(lines.size() >= 2);
    CHECK_THAT(lines[0],
               Catch::Matchers::Contains(R"("op":"put","side":"primary","origin":"old")"));
    CHECK_THAT(lines[1],
               Catch::Matchers::Contains(R"("op":"put","side":"secondary","origin":"new")"));
    const auto retry = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
        return l.find(R"("event":"retry")") != std::string::npos;
    });
    REQUIRE(retry != lines.end());
    CHECK_THAT(*retry, Catch::Matchers::Contains(R"("op":"put","side":"primary","origin":"new")"));
}

TEST_CASE("metrics: in a dual_store the primary is the old store", "[metrics][origin]") {
    kv a, b;
    ds::observe::metrics m;
    ds::dual_store store{a, b, ds::discard_secondary_failures{}, ds::observe::with(m)};
    store.put("k", "v");
    std::ignore = store.get("k");
    CHECK(m.count(operation::put, ds::migration_store::old_store, outcome_kind::ok) == 1);
    CHECK(m.count(operation::put, ds::migration_store::new_store, outcome_kind::ok) == 1);
    CHECK(m.count(operation::get, ds::migration_store::old_store, outcome_kind::ok) == 1);
    CHECK(m.count(operation::get, ds::migration_store::new_store, outcome_kind::ok) == 0);
}
