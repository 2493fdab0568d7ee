#pragma once
/// \file
/// One read in flight, as a read policy sees it.

#include <dualstore/detail/shadow_compare.hpp>
#include <dualstore/observe/events.hpp>
#include <dualstore/operation.hpp>
#include <dualstore/write_result.hpp>

#include <exception>
#include <string_view>
#include <type_traits>

namespace dualstore::detail {

/// One read in flight: `op` over the primary and, if the read policy asks,
/// the secondary, of `key` (null for a keyless read). A read policy's
/// `apply(call)` runs it through the members below; each side's call is
/// retried, timed and reported by `Caller` (a `side_caller`). Each member
/// keeps its own state, so `primary()` and `secondary()` may run on two
/// threads at once.
template <class Caller, class P, class S, class Key, class Op>
class read_call {
public:
    /// What the primary's read returns.
    using primary_answer = std::invoke_result_t<const Op&, P&>;
    /// What the secondary's read returns.
    using secondary_answer = std::invoke_result_t<const Op&, S&>;
    /// Whether an observer wants a mismatch's latencies, so the two sides'
    /// reads of a comparison are timed.
    static constexpr bool times_sides =
        Caller::template wants<observe::mismatch_event<Key, std::remove_cvref_t<primary_answer>,
                                                       std::remove_cvref_t<secondary_answer>>>;

    /// `primary_origin` is which store `p` is (old or new), for the events.
    read_call(Caller& caller, P& p, S& s, const Key* key, operation kind, const Op& op,
              migration_store primary_origin) noexcept
        : caller_(caller),
          p_(p),
          s_(s),
          key_(key),
          kind_(kind),
          primary_origin_(primary_origin),
          op_(op) {}

    /// Reads the primary; its failure propagates.
    [[gnu::always_inline]] primary_answer primary() {
        side_status status;
        return caller_.call(side::primary, primary_origin_, kind_, p_, op_, status);
    }

    /// Reads the secondary; its failure propagates.
    [[gnu::always_inline]] secondary_answer secondary() {
        side_status status;
        return caller_.call(side::secondary, other_store(primary_origin_), kind_, s_, op_, status);
    }

    /// Reports the secondary's failure being handled to the observers, as a
    /// failure not sent to the sink.
    void secondary_failed() noexcept {
        caller_.notify(
            observe::secondary_failure_event<Key>{key_, kind_, std::current_exception(), false});
    }

    /// Reports the two sides' differing reads as an `observe::mismatch_event`.
    template <class A, class B>
    void mismatch(side_outcome<A> mine, side_outcome<B> other, std::string_view context) noexcept {
        const auto error_of = [](const std::exception_ptr* error) {
            return error ? *error : std::exception_ptr{};
        };
        caller_.notify(observe::mismatch_event<Key, A, B>{
            key_, mine.value, other.value, error_of(mine.error), error_of(other.error),
            mine.latency, other.latency, context});
    }

    /// Reports a mismatch the policy accepts as known
    /// (`observe::ignored_mismatch_event`).
    void mismatch_ignored(std::string_view context) noexcept {
        caller_.notify(observe::ignored_mismatch_event<Key>{key_, context});
    }

    /// Reports that comparing the two sides' reads threw (the exception
    /// being handled) as an `observe::shadow_error_event`.
    void comparison_failed() noexcept {
        caller_.notify(observe::shadow_error_event<Key>{key_, std::current_exception()});
    }

private:
    Caller& caller_;
    P& p_;
    S& s_;
    const Key* key_;
    operation kind_;
    migration_store primary_origin_;
    const Op& op_;
};

}  // namespace dualstore::detail
