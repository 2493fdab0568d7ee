#pragma once
/// \file
/// The vocabulary of a promotion: the breach rule, the states and a change
/// of state (what `promotion_tracker` keeps and observers are told).

#include <dualstore/detail/named_formatter.hpp>

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace dualstore {

/// When drift is a breach, and how many runs make an alert or a promotion.
struct breach_rule {
    /// A run breaches when drifted / sampled exceeds this ratio (0.1%).
    double threshold = 0.001;
    /// Consecutive breaching runs that raise an alert.
    unsigned breaches_to_alert = 2;
    /// Consecutive clean runs after which the new store is ready to promote.
    unsigned clean_runs_to_promote = 3;
};

/// The states of a promotion.
enum class promotion_state {
    observing,         ///< clean so far, not yet long enough to promote
    breached,          ///< the last run breached, fewer than `breaches_to_alert` in a row
    alerting,          ///< `breaches_to_alert` or more breaching runs in a row
    ready_to_promote,  ///< `clean_runs_to_promote` or more clean runs in a row
};

/// The name of a state ("ready_to_promote").
[[nodiscard]] constexpr std::string_view to_string(promotion_state s) noexcept {
    constexpr std::array<std::string_view, 4> names{"observing", "breached", "alerting",
                                                    "ready_to_promote"};
    return names[static_cast<std::size_t>(s)];
}

/// A change of promotion state.
struct promotion_transition {
    std::string name;      ///< the tracked reconciler
    promotion_state from;  ///< the state before the run
    promotion_state to;    ///< the state after it
};

}  // namespace dualstore

/// Prints a promotion state by name.
template <>
struct fmt::formatter<dualstore::promotion_state>
    : dualstore::detail::named_formatter<dualstore::promotion_state> {};
