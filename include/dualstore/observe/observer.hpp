#pragma once
/// \file
/// Observer sets: `observe::with(a, b, ...)` is the policy that makes a dual
/// store report its events to `a`, `b`, ... (held by reference).

#include <dualstore/observe/events.hpp>
#include <dualstore/policy.hpp>

#include <memory>
#include <tuple>

namespace dualstore::observe {

/// Whether `Observer` has a hook for `Event`.
template <class Observer, class Event>
concept observes = requires(Observer& o, const Event& e) {
    o.on(e);
};

/// The observer policy: a set of observers held by reference. Thread-safety
/// of the hooks is the observers' own: a dual store may call them from
/// several threads at once. A hook that throws is ignored.
template <class... Observers>
class observer_set {
public:
    using category = observer_tag;

    /// Refers to `observers...`; they must outlive the set.
    explicit observer_set(Observers&... observers) noexcept
        : observers_(std::addressof(observers)...) {}

    /// Whether some observer has a hook for `Event`: when none does, the
    /// event is never built.
    template <class Event>
    static constexpr bool wants = (observes<Observers, Event> || ...);

    /// Delivers `event` to every observer that has a hook for it.
    template <class Event>
    void notify(const Event& event) const noexcept {
        std::apply([&](auto*... o) { (deliver(*o, event), ...); }, observers_);
    }

private:
    template <class Observer, class Event>
    static void deliver(Observer& o, const Event& event) noexcept {
        if constexpr (observes<Observer, Event>) {
            try {
                o.on(event);
            } catch (...) {  // NOLINT(bugprone-empty-catch): an observer must not break a write
            }
        }
    }

    std::tuple<Observers*...> observers_;
};

/// No observers: the default. Every hook compiles away.
using none = observer_set<>;

/// The observer policy reporting to `observers...` (held by reference).
template <class... Observers>
[[nodiscard]] observer_set<Observers...> with(Observers&... observers) noexcept {
    return observer_set<Observers...>(observers...);
}

}  // namespace dualstore::observe
