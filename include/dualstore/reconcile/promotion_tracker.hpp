#pragma once
/// \file
/// `promotion_tracker`: the state machine that turns reconciliation runs into
/// "alert" and "ready to promote", persisted so it survives restarts.

#include <dualstore/concepts.hpp>
#include <dualstore/error.hpp>
#include <dualstore/reconcile/promotion_state.hpp>

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dualstore {

/// Tracks one reconciler's runs: any breach resets the clean streak (state
/// `breached`, or `alerting` once `breaches_to_alert` breaches are
/// consecutive); any clean run resets the breach count (state `observing`,
/// or `ready_to_promote` once `clean_runs_to_promote` clean runs are
/// consecutive). The state lives in `Store` (a `kv_store` of strings) under
/// `dualstore:promotion:<name>`: `record` reads it, applies the run and
/// writes it back, so a restarted service resumes it and several instances
/// sharing the store (each with its own tracker) count every run of any of
/// them. Every transition (a change of state) goes to the callback.
///
/// Instances sharing a store must record under one lease (as
/// `reconcile_harness::guarded_by` does): the read-modify-write is not
/// atomic, so two records at the same moment without it may count as one
/// (the last write wins; the stored state stays well-formed). One object is
/// thread-compatible.
template <kv_store Store>
class promotion_tracker {
public:
    /// Called with each transition.
    using on_transition = std::function<void(const promotion_transition&)>;

    /// The tracker of `name` persisted in `store`; resumes a stored state.
    /// Throws `error` when the stored state is corrupt.
    promotion_tracker(Store& store, std::string name, breach_rule rule = {},
                      on_transition notify = {})
        : store_(store), name_(std::move(name)), rule_(rule), notify_(std::move(notify)) {
        current_ = load();
    }

    /// Records one run: reads the stored state (another instance may have
    /// recorded runs since), applies the run and writes the state back;
    /// returns the new state. The transition, if any, is from the stored
    /// state. Throws `error` for a corrupt stored state; when the store
    /// throws, nothing is recorded and the exception propagates.
    promotion_state record(bool breached) {
        const auto before = load();
        auto after = before;
        if (breached) {
            after.clean = 0;
            ++after.breaches;
            after.state = after.breaches >= rule_.breaches_to_alert ? promotion_state::alerting
                                                                    : promotion_state::breached;
        } else {
            after.breaches = 0;
            ++after.clean;
            after.state = after.clean >= rule_.clean_runs_to_promote
                              ? promotion_state::ready_to_promote
                              : promotion_state::observing;
        }
        store_.put(key(), fmt::format("v1 {} {} {}", static_cast<int>(after.state), after.breaches,
                                      after.clean));
        current_ = after;
        if (after.state != before.state && notify_) notify_({name_, before.state, after.state});
        return after.state;
    }

    /// The stored state, read now (other instances may have recorded runs
    /// since this one last did). Throws `error` when it is corrupt; a store
    /// exception propagates.
    [[nodiscard]] promotion_state stored_state() const { return load().state; }

    /// The state as of this object's last `record` or its construction.
    [[nodiscard]] promotion_state state() const noexcept { return current_.state; }
    /// Breaching runs in a row (as of the same moment as `state`).
    [[nodiscard]] unsigned consecutive_breaches() const noexcept { return current_.breaches; }
    /// Clean runs in a row (as of the same moment as `state`).
    [[nodiscard]] unsigned clean_streak() const noexcept { return current_.clean; }

private:
    struct stored {
        promotion_state state = promotion_state::observing;
        unsigned breaches = 0;
        unsigned clean = 0;
    };

    [[nodiscard]] std::string key() const { return "dualstore:promotion:" + name_; }

    /// The stored state; the initial one when nothing is stored.
    stored load() const {
        const auto saved = store_.get(key());
        return saved ? decode(*saved) : stored{};
    }

    stored decode(std::string_view text) const {
        unsigned values[3]{};
        if (!text.starts_with("v1 ")) {
            throw error(fmt::format(
                "dualstore: promotion state of '{}' has an unknown format: {:?}", name_, text));
        }
        text.remove_prefix(3);
        for (auto& v : values) {
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec != std::errc{} || v > 1'000'000) {
                throw error(fmt::format("dualstore: promotion state of '{}' is corrupt", name_));
            }
            text.remove_prefix(static_cast<std::size_t>(end - text.data()));
            if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
        }
        if (values[0] > 3)
            throw error(fmt::format("dualstore: promotion state of '{}' is corrupt", name_));
        return {static_cast<promotion_state>(values[0]), values[1], values[2]};
    }

    Store& store_;
    std::string name_;
    breach_rule rule_;
    on_transition notify_;
    stored current_;
};

}  // namespace dualstore
