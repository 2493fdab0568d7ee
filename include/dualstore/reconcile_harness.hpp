#pragma once
/// \file
/// `reconcile_harness<StateStore, Observers, Reconcilers...>`: runs every
/// reconciler, applies the breach rule, tracks promotion, reports.

#include <dualstore/concepts.hpp>
#include <dualstore/error.hpp>
#include <dualstore/lease_lock.hpp>
#include <dualstore/observe/observer.hpp>
#include <dualstore/observe/reconcile_events.hpp>
#include <dualstore/promotion_tracker.hpp>
#include <dualstore/reconciler.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace dualstore {

/// How a harness samples and judges.
struct reconcile_options {
    /// Fraction of the population checked in a sampled run (1%).
    double fraction = 0.01;
    /// At least this many keys per sampled run (when the population has them).
    std::size_t floor = 20;
    /// At most this many keys per run, sampled or full (memory bound).
    std::size_t budget = 100'000;
    /// When drift is a breach; alert and promotion streaks.
    breach_rule rule{};
    /// Drifted keys kept in each report (the rest are counted).
    std::size_t drift_kept = 100;
    /// Name and duration of the lease taken for a run (`guarded_by`).
    std::string lease_name = "dualstore:reconcile";
    /// \copydoc lease_name
    std::chrono::milliseconds lease_duration = std::chrono::minutes(30);
    /// Seed of the sample shuffle (0: random).
    std::uint64_t seed = 0;
    /// The clock durations are measured on; empty means `steady_clock::now`.
    std::function<std::chrono::steady_clock::time_point()> clock{};
};

/// One reconciler's run.
struct reconcile_report {
    std::string name;                     ///< the reconciler
    reconcile_mode mode{};                ///< sampled or full
    std::size_t sampled = 0;              ///< keys checked
    std::size_t drifted = 0;              ///< keys out of sync
    std::size_t errors = 0;               ///< checks that failed
    std::size_t repaired = 0;             ///< drifted keys repaired
    double ratio = 0;                     ///< drifted / sampled
    bool breach = false;                  ///< ratio above the rule's threshold
    promotion_state state{};              ///< the promotion state after the run
    std::chrono::nanoseconds duration{};  ///< the run's length
    std::vector<sample_result> drift;     ///< the first drifted keys
};

/// A harness run: every reconciler's report, or skipped with the reason.
struct harness_run {
    bool skipped = false;                   ///< true when the lease is held elsewhere
    std::string reason;                     ///< why it was skipped
    std::vector<reconcile_report> reports;  ///< one per reconciler
};

/// Runs reconcilers and judges them. Sampled runs check
/// clamp(ceil(fraction × population), floor, budget) keys, chosen uniformly
/// (the population comes from the reconciler's `population()` when it has
/// one; otherwise every key it lists is checked). A run breaches when drift
/// / sampled exceeds `rule.threshold`; each reconciler's promotion state is
/// tracked in `StateStore` (see `promotion_tracker`). Observers get
/// `observe::reconcile_run_event`, `drift_event` and `promotion_event`.
/// With `guarded_by(lock)`, a run first takes a lease so it happens at most
/// once across instances; a run whose lease is held elsewhere is skipped.
template <kv_store StateStore, class Observers, reconciler... Reconcilers>
class reconcile_harness {
public:
    /// A harness over `reconcilers` (held by reference), its promotion state in `state`.
    reconcile_harness(StateStore& state, reconcile_options options, Observers observers,
                      Reconcilers&... reconcilers)
        : options_(std::move(options)),
          observers_(std::move(observers)),
          reconcilers_(reconcilers...),
          trackers_{make_tracker(state, std::string(reconcilers.name()))...},
          random_(options_.seed != 0 ? options_.seed : std::random_device{}()) {}

    reconcile_harness(const reconcile_harness&) = delete;  // trackers report to this object
    reconcile_harness& operator=(const reconcile_harness&) = delete;

    /// Takes `lock`'s lease (`options.lease_name`) for every run. The lock
    /// must outlive the harness.
    template <lease_lock Lock>
    reconcile_harness& guarded_by(Lock& lock) {
        acquire_ = [&lock](std::string_view name, std::chrono::milliseconds d) {
            return lock.try_acquire(name, d);
        };
        release_ = [&lock](const lease& l) { return lock.release(l); };
        return *this;
    }

    /// Runs every reconciler in `mode`.
    harness_run run(reconcile_mode mode) {
        harness_run result;
        std::optional<lease> held;
        if (acquire_) {
            held = acquire_(options_.lease_name, options_.lease_duration);
            if (!held) {
                result.skipped = true;
                result.reason = fmt::format("skipped: the lease '{}' is held by another instance",
                                            options_.lease_name);
                return result;
            }
        }
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (result.reports.push_back(run_one(std::get<I>(reconcilers_), mode, I)), ...);
        }
        (std::index_sequence_for<Reconcilers...>{});
        if (held) release_(*held);
        return result;
    }

    /// The promotion state of the `i`-th reconciler, read from the state
    /// store (so it includes runs of other instances sharing it). Throws
    /// `std::out_of_range` for a wrong `i`, `error` for a corrupt state.
    [[nodiscard]] promotion_state state(std::size_t i) const {
        return trackers_.at(i).stored_state();
    }

private:
    promotion_tracker<StateStore> make_tracker(StateStore& state, std::string name) {
        return promotion_tracker<StateStore>(
            state, std::move(name), options_.rule,
            [this](const promotion_transition& t) { notify(observe::promotion_event{t}); });
    }

    template <class Event>
    void notify(const Event& e) const noexcept {
        if constexpr (Observers::template wants<Event>) observers_.notify(e);
    }

    std::chrono::steady_clock::time_point now() const {
        return options_.clock ? options_.clock() : std::chrono::steady_clock::now();
    }

    template <class R>
    reconcile_report run_one(R& r, reconcile_mode mode, std::size_t index) {
        const auto start = now();
        reconcile_report report;
        report.name = std::string(r.name());
        report.mode = mode;
        auto keys = r.list_sample_keys(mode, options_.budget);
        if constexpr (requires { r.population(); }) {
            if (mode == reconcile_mode::sampled) {
                const auto wanted = static_cast<std::size_t>(
                    std::ceil(options_.fraction * static_cast<double>(r.population())));
                const auto n = std::min(std::max(wanted, options_.floor), options_.budget);
                std::shuffle(keys.begin(), keys.end(), random_);
                if (keys.size() > n) keys.resize(n);
            }
        }
        for (const auto& key : keys) {
            sample_result verdict;
            try {
                verdict = r.reconcile(key);
            } catch (...) {
                verdict = {key, false, drift_reason::error, describe(std::current_exception()),
                           false};
            }
            ++report.sampled;
            if (verdict.reason == drift_reason::error) {
                ++report.errors;
                continue;
            }
            if (verdict.in_sync) continue;
            ++report.drifted;
            report.repaired += verdict.repaired ? 1 : 0;
            notify(observe::drift_event{report.name, verdict});
            if (report.drift.size() < options_.drift_kept)
                report.drift.push_back(std::move(verdict));
        }
        report.ratio = report.sampled == 0 ? 0.0
                                           : static_cast<double>(report.drifted) /
                                                 static_cast<double>(report.sampled);
        report.breach = report.ratio > options_.rule.threshold;
        report.state = trackers_[index].record(report.breach);
        report.duration = now() - start;
        notify(observe::reconcile_run_event{report.name, mode, report.sampled, report.drifted,
                                            report.errors, report.breach, report.duration});
        return report;
    }

    reconcile_options options_;
    Observers observers_;
    std::tuple<Reconcilers&...> reconcilers_;
    std::vector<promotion_tracker<StateStore>> trackers_;
    std::mt19937_64 random_;
    std::function<std::optional<lease>(std::string_view, std::chrono::milliseconds)> acquire_;
    std::function<bool(const lease&)> release_;
};

template <class StateStore, class Observers, class... Reconcilers>
reconcile_harness(StateStore&, reconcile_options, Observers, Reconcilers&...)
    -> reconcile_harness<StateStore, Observers, Reconcilers...>;

}  // namespace dualstore

/// Prints "<name>: sampled S, drifted D (R%), errors E, breach yes/no, <state>, <ms> ms".
template <>
struct fmt::formatter<dualstore::reconcile_report> : fmt::formatter<std::string_view> {
    template <class Context>
    auto format(const dualstore::reconcile_report& r, Context& ctx) const {
        return fmt::format_to(
            ctx.out(), "{}: sampled {}, drifted {} ({:.3f}%), errors {}, breach {}, {}, {:.1f} ms",
            r.name, r.sampled, r.drifted, r.ratio * 100, r.errors, r.breach ? "yes" : "no", r.state,
            static_cast<double>(r.duration.count()) / 1e6);
    }
};
