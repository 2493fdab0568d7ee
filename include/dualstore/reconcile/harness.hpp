#pragma once
/// \file
/// `reconcile_harness<StateStore, Observers, Reconcilers...>`: runs every
/// reconciler, applies the breach rule, tracks promotion, reports.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/random_bits.hpp>
#include <dualstore/error.hpp>
#include <dualstore/lease_lock.hpp>
#include <dualstore/observe/observer.hpp>
#include <dualstore/observe/progress.hpp>
#include <dualstore/observe/reconcile_events.hpp>
#include <dualstore/reconcile/promotion_tracker.hpp>
#include <dualstore/reconcile/reconciler.hpp>
#include <dualstore/timer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
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
    /// At most this many keys per sampled run (memory bound), and per full
    /// run of a reconciler that cannot stream (no `full_pass`); a
    /// `streaming_reconciler`'s full run checks every key whatever the budget.
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
    /// The clock durations are measured on (`now`).
    timer clock{};
    /// Keys a full run of a `streaming_reconciler` takes from its scans
    /// before it stops at a checkpoint (0: no limit, the whole pass); the
    /// next full run, of this instance or another sharing the state store,
    /// continues from there.
    std::uint64_t full_pass_keys = 0;
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
    /// False when a full pass stopped at its checkpoint (`full_pass_keys`):
    /// the next full run continues it. True for sampled runs.
    bool complete = true;
    /// The last key a full run checked, when it is not complete.
    std::string checkpoint;
};

/// A harness run: every reconciler's report, or skipped with the reason.
struct harness_run {
    bool skipped = false;                   ///< true when the lease is held elsewhere
    std::string reason;                     ///< why it was skipped
    std::vector<reconcile_report> reports;  ///< one per reconciler
    /// Empty when the run's lease was released (or none was taken);
    /// otherwise why releasing it failed: it lapses after `lease_duration`.
    std::string lease_error;
};

/// A harness run stopped because a reconciler or a store threw (a listing
/// or scan that failed, a state store that could not record the promotion
/// state). The run's lease was released before this left `run` (unless
/// releasing failed too; see `lease_released`), so other instances may run
/// at once. The cause is nested: `cause()` returns it and
/// `std::rethrow_if_nested(e)` rethrows it. Failures of single keys are not
/// this: they are counted as errors in the report.
class reconcile_failed : public error, public std::nested_exception {
public:
    /// Must be constructed while the cause is the exception being handled,
    /// so that the nested exception and `cause()` agree.
    reconcile_failed(std::string reconciler, std::exception_ptr cause, bool lease_released,
                     std::string lease_note, std::vector<reconcile_report> completed)
        : error(fmt::format("dualstore: reconciliation '{}' failed: {}; {}", reconciler,
                            describe(cause), lease_note)),
          reconciler_(std::move(reconciler)),
          cause_(std::move(cause)),
          lease_released_(lease_released),
          completed_(std::move(completed)) {}

    /// The name of the reconciler that failed.
    [[nodiscard]] const std::string& reconciler() const noexcept { return reconciler_; }
    /// The exception that stopped the run.
    [[nodiscard]] const std::exception_ptr& cause() const noexcept { return cause_; }
    /// Whether the run's lease was released; false when the run held none
    /// (no `guarded_by`) or releasing it failed (it then lapses on its own).
    [[nodiscard]] bool lease_released() const noexcept { return lease_released_; }
    /// The reports of the reconcilers that ran before the one that failed
    /// (their promotion states were recorded; the failed one's was not).
    [[nodiscard]] const std::vector<reconcile_report>& completed() const noexcept {
        return completed_;
    }

private:
    std::string reconciler_;
    std::exception_ptr cause_;
    bool lease_released_;
    std::vector<reconcile_report> completed_;
};

/// Runs reconcilers and judges them. Sampled runs check
/// clamp(ceil(fraction × population), floor, budget) keys, chosen uniformly
/// (the population comes from the reconciler's `population()` when it has
/// one; otherwise every key it lists is checked). Full runs of a
/// `streaming_reconciler` check every key in bounded memory, at most
/// `full_pass_keys` per run: the pass's checkpoint is kept in `StateStore`
/// (under `dualstore:checkpoint:<name>`, when both of the reconciler's stores
/// are resumable), so the next full run of any instance continues it. Other
/// reconcilers' full runs check the keys they list, capped by the budget. A
/// run breaches when drift / sampled exceeds `rule.threshold` (a partial full
/// run is judged on the keys it checked); each reconciler's promotion state is
/// tracked in `StateStore` (see `promotion_tracker`). Observers get
/// `observe::reconcile_run_event`, `drift_event` and `promotion_event`, and
/// a `progress_event` ("reconcile") every 1000 keys checked and at the end of
/// each reconciler's run.
/// With `guarded_by(lock)`, a run first takes a lease so it happens at most
/// once across instances; a run whose lease is held elsewhere is skipped. A
/// run gives its lease back however it ends: a run that throws releases it
/// before the exception (`reconcile_failed`) leaves `run`.
template <kv_store StateStore, class Observers, reconciler... Reconcilers>
class reconcile_harness {
public:
    /// A harness over `reconcilers` (held by reference), its promotion state in `state`.
    reconcile_harness(StateStore& state, reconcile_options options, Observers observers,
                      Reconcilers&... reconcilers)
        : state_(state),
          options_(std::move(options)),
          observers_(std::move(observers)),
          reconcilers_(reconcilers...),
          trackers_{make_tracker(state, std::string(reconcilers.name()))...},
          random_(options_.seed != 0 ? options_.seed : detail::random_bits()) {}

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

    /// Runs every reconciler in `mode`, one after the other, under the lease
    /// when `guarded_by` gave one. Throws `reconcile_failed` (the cause
    /// nested) when a reconciler or a store throws outside single-key checks;
    /// the lease is released first. An exception from taking the lease
    /// propagates as it is (no lease is held then).
    harness_run run(reconcile_mode mode) {
        harness_run result;
        held_lease held{release_};
        if (acquire_) {
            held.grant = acquire_(options_.lease_name, options_.lease_duration);
            if (!held.grant) {
                result.skipped = true;
                result.reason = fmt::format("skipped: the lease '{}' is held by another instance",
                                            options_.lease_name);
                return result;
            }
        }
        std::string_view running;
        try {
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                ((running = std::get<I>(reconcilers_).name(),
                  result.reports.push_back(run_one(std::get<I>(reconcilers_), mode, I))),
                 ...);
            }
            (std::index_sequence_for<Reconcilers...>{});
        } catch (...) {
            const bool had = held.grant.has_value();
            auto failure = held.release();
            const bool released = had && failure.empty();
            auto note = !had       ? std::string("no lease was held")
                        : released ? fmt::format("the lease '{}' was released", options_.lease_name)
                                   : fmt::format(
                                         "the lease '{}' could not be released ({}): it "
                                         "lapses on its own",
                                         options_.lease_name, failure);
            throw reconcile_failed(std::string(running), std::current_exception(), released,
                                   std::move(note), std::move(result.reports));
        }
        result.lease_error = held.release();
        return result;
    }

    /// The promotion state of the `i`-th reconciler, read from the state
    /// store (so it includes runs of other instances sharing it). Throws
    /// `std::out_of_range` for a wrong `i`, `error` for a corrupt state.
    [[nodiscard]] promotion_state state(std::size_t i) const {
        return trackers_.at(i).stored_state();
    }

private:
    /// The lease of a run, released at the latest when the run's scope ends.
    struct held_lease {
        const std::function<bool(const lease&)>& release_fn;
        std::optional<lease> grant;

        explicit held_lease(const std::function<bool(const lease&)>& fn) : release_fn(fn) {}
        held_lease(const held_lease&) = delete;
        held_lease& operator=(const held_lease&) = delete;
        ~held_lease() { release(); }

        /// Releases the lease if one is held; empty on success (or when none
        /// was held), the reason otherwise. Never throws.
        std::string release() noexcept try {
            if (!grant) return {};
            const auto taken = std::exchange(grant, std::nullopt);
            return release_fn(*taken) ? std::string()
                                      : std::string("it was no longer held: it had lapsed");
        } catch (...) {
            return describe(std::current_exception());
        }
    };

    promotion_tracker<StateStore> make_tracker(StateStore& state, std::string name) {
        return promotion_tracker<StateStore>(
            state, std::move(name), options_.rule,
            [this](const promotion_transition& t) { notify(observe::promotion_event{t}); });
    }

    template <class Event>
    void notify(const Event& e) const noexcept {
        if constexpr (Observers::template wants<Event>) observers_.notify(e);
    }

    std::chrono::steady_clock::time_point now() const { return options_.clock.read_clock(); }

    /// Keys checked between two `progress_event`s of a run.
    static constexpr std::size_t progress_every = 1000;

    void tell_progress(const reconcile_report& report, std::chrono::steady_clock::time_point start,
                       bool finished) const noexcept {
        if constexpr (Observers::template wants<observe::progress_event>) {
            notify(observe::progress_event{.task = "reconcile",
                                           .done = report.sampled,
                                           .changed = report.drifted,
                                           .changed_as = "drifted",
                                           .failed = report.errors,
                                           .elapsed = now() - start,
                                           .finished = finished});
        }
    }

    template <class R>
    reconcile_report run_one(R& r, reconcile_mode mode, std::size_t index) {
        const auto start = now();
        reconcile_report report;
        report.name = std::string(r.name());
        report.mode = mode;
        const auto tally = [&](const sample_result& verdict) {
            if (++report.sampled % progress_every == 0) tell_progress(report, start, false);
            if (verdict.reason == drift_reason::error) {
                ++report.errors;
                return;
            }
            if (verdict.in_sync) return;
            ++report.drifted;
            report.repaired += verdict.repaired ? 1 : 0;
            notify(observe::drift_event{report.name, verdict});
            if (report.drift.size() < options_.drift_kept) report.drift.push_back(verdict);
        };
        if constexpr (streaming_reconciler<R>) {
            if (mode == reconcile_mode::full) {
                full_run(r, report, tally);
            } else {
                listed_run(r, mode, tally);
            }
        } else {
            listed_run(r, mode, tally);
        }
        report.ratio = report.sampled == 0 ? 0.0
                                           : static_cast<double>(report.drifted) /
                                                 static_cast<double>(report.sampled);
        report.breach = report.ratio > options_.rule.threshold;
        report.state = trackers_[index].record(report.breach);
        report.duration = now() - start;
        tell_progress(report, start, true);
        notify(observe::reconcile_run_event{report.name, mode, report.sampled, report.drifted,
                                            report.errors, report.breach, report.duration});
        return report;
    }

    /// Checks the keys `r` lists (a sampled run, or a full run of a
    /// reconciler that cannot stream).
    template <class R, class Tally>
    void listed_run(R& r, reconcile_mode mode, Tally& tally) {
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
            tally(verdict);
        }
    }

    /// A full run of a streaming reconciler, from the checkpoint in the state
    /// store when its checkpoint can be saved as bytes.
    template <class R, class Tally>
    void full_run(R& r, reconcile_report& report, Tally& tally) {
        constexpr bool saves = requires(std::string_view bytes) {
            { r.checkpoint() } -> std::same_as<std::optional<std::string>>;
            r.resume_full_pass(bytes);
            r.restart_full_pass();
        };
        const auto key = "dualstore:checkpoint:" + report.name;
        if constexpr (saves) {
            if (const auto saved = state_.get(key)) {
                r.resume_full_pass(*saved);
            } else {
                r.restart_full_pass();
            }
        }
        const auto pass = r.full_pass(tally, options_.full_pass_keys);
        report.complete = pass.complete;
        if (!pass.complete) report.checkpoint = pass.last_key;
        if constexpr (saves) {
            if (pass.complete) {
                state_.erase(key);
            } else if (const auto bytes = r.checkpoint()) {
                state_.put(key, *bytes);
            }
        }
    }

    StateStore& state_;
    reconcile_options options_;
    Observers observers_;
    std::tuple<Reconcilers&...> reconcilers_;
    std::vector<promotion_tracker<StateStore>> trackers_;
    detail::splitmix64_engine random_;
    std::function<std::optional<lease>(std::string_view, std::chrono::milliseconds)> acquire_;
    std::function<bool(const lease&)> release_;
};

template <class StateStore, class Observers, class... Reconcilers>
reconcile_harness(StateStore&, reconcile_options, Observers, Reconcilers&...)
    -> reconcile_harness<StateStore, Observers, Reconcilers...>;

}  // namespace dualstore

/// Prints "<name>: sampled S, drifted D (R%), errors E, breach yes/no, <state>, <ms> ms",
/// then ", pass continues next run" for a full run that stopped at its checkpoint.
template <>
struct fmt::formatter<dualstore::reconcile_report> : fmt::formatter<std::string_view> {
    template <class Context>
    auto format(const dualstore::reconcile_report& r, Context& ctx) const {
        return fmt::format_to(
            ctx.out(),
            "{}: sampled {}, drifted {} ({:.3f}%), errors {}, breach {}, {}, {:.1f} ms{}", r.name,
            r.sampled, r.drifted, r.ratio * 100, r.errors, r.breach ? "yes" : "no", r.state,
            static_cast<double>(r.duration.count()) / 1e6,
            r.complete ? "" : ", pass continues next run");
    }
};
