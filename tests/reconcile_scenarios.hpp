#pragma once
// The reconciliation scenarios the schedule explorer runs, over any backend
// a factory makes (in-memory stores in tests/test_reconcile_interleavings.cpp,
// SQLite in adapters/sqlite/tests).
//
// (a) reconcile_scenario: live writers put and erase one or two keys through
//     a dual_store (write::sequential, a queue as failure sink) while a
//     kv_reconciler runs a full pass with repair through the store's own
//     repair (repair_with), and any one secondary call may fail. After every
//     schedule: no acknowledged write is lost, the secondary never received
//     an older value over a newer one (each of its writes left the key as the
//     primary held it at that moment), and after the final drain and a
//     repairing pass the stores hold the same data and a check finds no drift.
// (b) harness_scenario: two reconcile_harness instances share a
//     kv_lease_lock and a state store and run at the same time; any one scan
//     of the reconciled primary may fail, which makes that run throw. After
//     every schedule: at most one instance was inside a run at any step, the
//     stored clean streak counts every run that finished, and no lease is
//     left held.

#include "interleaving_support.hpp"

#include <dualstore/kv_lease_lock.hpp>
#include <dualstore/reconcile/harness.hpp>
#include <dualstore/reconcile/kv_reconciler.hpp>

#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace reconcile_scenarios {

/// A read-only-looking view of a store that claims nothing about its scan
/// order, so a full pass over it pages instead of merging.
template <class S>
struct unordered_view {
    using key_type = std::string;
    using mapped_type = std::string;
    using cursor_type = typename S::cursor_type;
    S& inner;
    std::optional<std::string> get(const std::string& k) { return inner.get(k); }
    void put(const std::string& k, const std::string& v) { inner.put(k, v); }
    bool erase(const std::string& k) { return inner.erase(k); }
    auto scan(const cursor_type& c, std::size_t n) { return inner.scan(c, n); }
};

/// Which way a full pass walks the stores.
enum class walk { merge, paged };

/// How the reconciler repairs.
enum class repair_by {
    store,     ///< `store.repair(k)`: under the key lock, as live writes
    raw_copy,  ///< reads the primary and writes the secondary, no lock (wrong)
};

const std::vector<script> two_keys_one_writer{{{"a", "1"}, {"b", "1"}, {"a", std::nullopt}}};

/// Scenario (a) over two stores `make()` returns (a `std::unique_ptr`).
template <class Make>
auto reconcile_scenario(Make make, std::vector<script> scripts, walk how, repair_by repair,
                        std::size_t page_size) {
    return [=](dst::schedule& s) {
        auto a_data = make();
        auto b_data = make();
        using backend = std::remove_cvref_t<decltype(*a_data)>;
        recorded<backend> a{*a_data}, b{*b_data};
        b.leader = &a;
        ds::memory_retry_queue queue;
        auto primary = s.wrap(a, "primary");
        auto secondary = s.wrap(b, "secondary", dst::faults::injectable);
        ds::dual_store store{primary, secondary, ds::write::sequential{},
                             ds::on_secondary_failure{queue}};
        ack_log acks;
        auto actors = writers(store, acks, scripts);

        ds::kv_reconciler_options options{.repair = true, .batch_size = page_size};
        if (repair == repair_by::store) {
            options.repair_with = [&](const std::string& k) { return store.repair(k); };
        } else {
            options.repair_with = [&](const std::string& k) {
                const auto value = primary.get(k);
                if (!value) {
                    secondary.erase(k);
                    return ds::repair_action::erased;
                }
                secondary.put(k, *value);
                return ds::repair_action::wrote;
            };
        }
        unordered_view<decltype(primary)> primary_view{primary};
        unordered_view<decltype(secondary)> secondary_view{secondary};
        ds::kv_reconciler merging{primary, secondary, options};
        ds::kv_reconciler paging{primary_view, secondary_view, options};
        static_assert(decltype(merging)::merges && !decltype(paging)::merges);
        // A scan that fails stops the pass; the second call resumes it from
        // the checkpoint.
        actors.push_back({"reconcile", [&] {
                              const auto ignore = [](const ds::sample_result&) {};
                              for (int attempt = 0; attempt < 2; ++attempt) {
                                  try {
                                      const auto pass = how == walk::merge
                                                            ? merging.full_pass(ignore)
                                                            : paging.full_pass(ignore);
                                      if (pass.complete) return;
                                  } catch (const ds::error&) {  // an injected scan failure
                                  }
                              }
                          }});
        s.run(std::move(actors));

        require_acknowledged(s, a, acks, keys_of(scripts));
        require_never_older(s, b);
        ds::drain(queue, store, an_hour_later());
        // A repair that failed on an injected fault is not queued: the next
        // pass repairs it. Then no drift is left, and a check finds none.
        ds::kv_reconciler final_repair{a, b, {.repair = true}};
        final_repair.full_pass([](const ds::sample_result&) {});
        require_same_data(s, a, b);
        ds::kv_reconciler check{a, b};
        const auto pass = check.full_pass([&](const ds::sample_result& v) {
            s.require(v.in_sync, fmt::format("drift left on key {}: {}", v.key, v.reason));
        });
        s.require(pass.complete, "the final check did not finish");
    };
}

/// A reconciler that says when a harness run of it is under way: from its
/// listing until the harness reports the run (`finished`), or its listing throws.
template <class Inner>
struct probe {
    Inner& inner;
    int& inside;  // runs under way, all instances together
    int& most;    // the most at once
    bool active = false;

    std::string_view name() const { return inner.name(); }
    std::vector<std::string> list_sample_keys(ds::reconcile_mode m, std::size_t budget) {
        active = true;
        most = std::max(most, ++inside);
        try {
            return inner.list_sample_keys(m, budget);
        } catch (...) {
            finished();
            throw;
        }
    }
    ds::sample_result reconcile(const std::string& key) { return inner.reconcile(key); }
    std::uint64_t population() const { return inner.population(); }
    void finished() {
        if (std::exchange(active, false)) --inside;
    }
};

/// Ends a probe's run when its harness reports it.
template <class Probe>
struct run_end {
    Probe& p;
    void on(const ds::observe::reconcile_run_event&) { p.finished(); }
};

/// Scenario (b): two harness instances over one state store and one lease,
/// the i-th running `runs[i]` sampled runs; stores from `make()`.
template <class Make>
auto harness_scenario(Make make, std::array<int, 2> runs) {
    return [=](dst::schedule& s) {
        auto p_data = make();
        auto s_data = make();
        auto state_data = make();
        for (const auto* key : {"x", "y"}) {
            p_data->put(key, "v");
            s_data->put(key, "v");
        }
        auto primary = s.wrap(*p_data, "primary", dst::faults::injectable);
        auto secondary = s.wrap(*s_data, "secondary");
        auto state = s.wrap(*state_data, "state");
        const auto fixed = std::chrono::system_clock::time_point(std::chrono::hours(500'000));
        ds::kv_lease_lock lock{state, "lease:", [=] { return fixed; }};
        const ds::reconcile_options options{
            .floor = 2,
            .rule = {.clean_runs_to_promote = 10},
            .seed = 1,
            .clock = {.now = [] { return std::chrono::steady_clock::time_point{}; }}};
        int inside = 0, most = 0;
        int finished_runs = 0;
        using reconciler = ds::kv_reconciler<decltype(primary), decltype(secondary)>;
        reconciler r1{primary, secondary, {.name = "orders", .seed = 1}};
        reconciler r2{primary, secondary, {.name = "orders", .seed = 2}};
        probe<reconciler> p1{r1, inside, most}, p2{r2, inside, most};
        run_end<probe<reconciler>> end1{p1}, end2{p2};
        ds::reconcile_harness h1{state, options, ds::observe::with(end1), p1};
        ds::reconcile_harness h2{state, options, ds::observe::with(end2), p2};
        h1.guarded_by(lock);
        h2.guarded_by(lock);
        const auto instance = [&](auto& h, int n) {
            return [&h, &finished_runs, n] {
                for (int i = 0; i < n; ++i) {
                    try {
                        const auto run = h.run(ds::reconcile_mode::sampled);
                        if (!run.skipped) ++finished_runs;
                    } catch (const ds::reconcile_failed& e) {
                        if (!e.lease_released()) throw;  // fails the schedule
                    }
                }
            };
        };
        s.check_each_step([&] { s.require(inside <= 1, "two instances inside a run at once"); });
        s.run({{"h1", instance(h1, runs[0])}, {"h2", instance(h2, runs[1])}});

        s.require(most <= 1, "two instances inside a run at once");
        const ds::promotion_tracker tracker{*state_data, "orders", options.rule};
        s.require(tracker.clean_streak() == static_cast<unsigned>(finished_runs),
                  fmt::format("the stored clean streak is {}, {} runs finished clean",
                              tracker.clean_streak(), finished_runs));
        ds::kv_lease_lock after{*state_data, "lease:", [=] { return fixed; }};
        s.require(after.try_acquire(options.lease_name, 1min).has_value(),
                  "a lease is left held after every run ended");
    };
}

}  // namespace reconcile_scenarios
