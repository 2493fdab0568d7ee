#pragma once
/// \file
/// `progress_event`: where a long task (a backfill, a drain, a full
/// reconciliation) stands, sent to ordinary observers after each batch and
/// once at the end; `progress_observers`: how a task's options hold them
/// (`options.observers = observe::with(bar, metrics)`).

#include <dualstore/observe/observer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace dualstore::observe {

/// Where a long task stands. Every count is since the start of this run.
struct progress_event {
    /// The task: "backfill", "drain" or "reconcile".
    std::string_view task{};
    /// Items worked through: records scanned, queue entries taken, keys checked.
    std::size_t done = 0;
    /// Of those, the ones that changed a store: records written, keys repaired.
    std::size_t changed = 0;
    /// What `changed` counts, in a display's words: "written", "repaired".
    std::string_view changed_as = "changed";
    /// Of those, the ones left alone on purpose: records present, expired or
    /// filtered out; entries another entry's repair covered.
    std::size_t skipped = 0;
    /// Of those, the ones that failed (a failed write, a failed repair, a
    /// failed check).
    std::size_t failed = 0;
    /// The expected number of items, when known.
    std::optional<std::size_t> total{};
    /// Time since the start of this run.
    std::chrono::nanoseconds elapsed{};
    /// True for the last event of the run.
    bool finished = false;

    /// Items per second.
    [[nodiscard]] double rate() const noexcept {
        const double s = std::chrono::duration<double>(elapsed).count();
        return s > 0 ? static_cast<double>(done) / s : 0.0;
    }
    /// Time left at the current rate, when the total is known (and not
    /// passed already, which shows it was a guess).
    [[nodiscard]] std::optional<std::chrono::nanoseconds> eta() const noexcept {
        if (!total || *total < done || rate() <= 0) return std::nullopt;
        const auto left = *total - done;
        return std::chrono::nanoseconds(
            static_cast<std::int64_t>(static_cast<double>(left) / rate() * 1e9));
    }
};

/// The observers of a long task, as its options hold them: built from
/// `observe::with(a, b, ...)` (held by reference, as there), each of them
/// given the `progress_event`s it has a hook for. Empty: nobody is told.
/// Cost: one indirect call per batch.
class progress_observers {
public:
    /// Nobody is told.
    progress_observers() = default;

    /// Tells the observers of `set` (which must outlive the task).
    template <class... Observers>
    progress_observers(
        const observer_set<Observers...>& set)  // NOLINT(google-explicit-constructor)
    {
        if constexpr (observer_set<Observers...>::template wants<progress_event>)
            notify_ = [set](const progress_event& e) { set.notify(e); };
    }

    /// Whether anybody is told: a task builds no event otherwise.
    [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(notify_); }

    /// Gives `event` to every observer with a hook for it.
    void notify(const progress_event& event) const noexcept {
        if (notify_) notify_(event);
    }

private:
    std::function<void(const progress_event&)> notify_;
};

}  // namespace dualstore::observe
