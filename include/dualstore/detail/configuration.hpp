#pragma once
/// \file
/// The policy table: every policy category with its default, written once,
/// and `configuration`, the one type every spelling of a policy pack maps
/// onto (the pattern of Boost.Intrusive's `make_list`).

#include <dualstore/detail/policy_pack.hpp>
#include <dualstore/failure_sink.hpp>
#include <dualstore/guard.hpp>
#include <dualstore/observe/observer.hpp>
#include <dualstore/order.hpp>
#include <dualstore/read.hpp>
#include <dualstore/retry.hpp>
#include <dualstore/rollback.hpp>
#include <dualstore/stage.hpp>
#include <dualstore/write.hpp>

namespace dualstore {

/// What a dual store or a migration is configured with: one policy of each
/// category, in this fixed order. Every spelling of a policy pack (any order,
/// defaults named or left out) maps onto one `configuration`, which
/// `dual_store` and `migration` are written against (and derive from, so
/// `store_type::write_policy` names the write policy in effect, and so on).
template <class Write, class Read, class Retry, class Rollback, class Sink, class Observer,
          class Guard, class Order>
struct configuration {
    using write_policy = Write;        ///< which stores a write goes to, and how
    using read_policy = Read;          ///< which store answers a read
    using retry_policy = Retry;        ///< how one side's call is retried
    using rollback_policy = Rollback;  ///< how `write::dual_primary` undoes the primary
    using sink_policy = Sink;          ///< where failed secondary writes go
    using observer_policy = Observer;  ///< who is told what happened
    using guard_policy = Guard;        ///< which writes the data's rules forbid
    using order_policy = Order;        ///< whether writes to one key are ordered
};

namespace detail {

/// Stops the build when a `stage` is among `Ps`, which holds policies only.
template <class... Ps>
struct check_no_stage {
    static_assert((!std::is_same_v<Ps, stage> && ...),
                  "dualstore: migration takes at most one initial stage, right after the two "
                  "stores: migration{old_store, new_store, stage::dual_write, policies...}");
    static constexpr bool value = true;
};

/// Whether `P`, if of category `Tag`, is one of `Known`.
template <class Tag, class P, class... Known>
inline constexpr bool closed_category_member_v =
    !std::is_same_v<typename category_of<P>::type, Tag> || (std::is_same_v<P, Known> || ...);

/// Whether `P`, if of category `Tag`, passes `Check`.
template <class Tag, class P, bool Check>
inline constexpr bool behaves_v = !std::is_same_v<typename category_of<P>::type, Tag> || Check;

template <class P>
inline constexpr bool is_observer_set_v = false;
template <class... Observers>
inline constexpr bool is_observer_set_v<observe::observer_set<Observers...>> = true;

/// Checks that each policy among `Ps` has the behaviour of its category;
/// instantiating it with one that lacks it stops the build with a message
/// that says what the category needs.
template <class... Ps>
struct validate_policy_behaviour {
    static_assert((behaves_v<write_tag, Ps, write_strategy<Ps>> && ...),
                  "dualstore: a write policy needs a member `template <class Write> void "
                  "apply(Write& call) const` that runs one write through the call; see "
                  "<dualstore/write.hpp>");
    static_assert((behaves_v<read_tag, Ps, read_strategy<Ps>> && ...),
                  "dualstore: a read policy needs a member `template <class Read> "
                  "typename Read::primary_answer apply(Read& call)` (or another answer type "
                  "spelled from Read) that runs one read through the call; see "
                  "<dualstore/read.hpp>");
    static_assert((behaves_v<rollback_tag, Ps, rollback_strategy<Ps>> && ...),
                  "dualstore: a rollback policy needs members remember(call) and "
                  "`void restore(call, prior)`; see <dualstore/rollback.hpp>");
    static_assert((behaves_v<retry_tag, Ps, retry_strategy<Ps>> && ...),
                  "dualstore: a retry policy needs attempts, delay_after(failed), max_elapsed, "
                  "retry_if and clock, as retry::fixed has; see <dualstore/retry.hpp>");
    static_assert((behaves_v<failure_sink_tag, Ps, failure_sink_policy<Ps>> && ...),
                  "dualstore: a failure sink policy needs a member `sink`, as "
                  "on_secondary_failure{sink} has");
    static_assert((behaves_v<observer_tag, Ps, is_observer_set_v<Ps>> && ...),
                  "dualstore: observers go in observe::with(observer, ...); a type of the "
                  "observer category of your own is not an observer set");
    static_assert((closed_category_member_v<guard_tag, Ps, no_guard, append_only> && ...),
                  "dualstore: the guard category has two policies, no_guard and append_only; "
                  "a guard of your own would be ignored");
    static constexpr bool value = true;
};

/// Whether `Ps` is a valid policy pack: policies only, at most one per
/// category, each with its category's behaviour. Evaluating it with a bad
/// pack stops the build with one message per problem, in that order.
template <class... Ps>
inline constexpr bool valid_policy_pack_v =
    validate_policies<Ps...>::value&& validate_policy_behaviour<Ps...>::value;

/// The table. Validates `Ps` (one message per problem), then picks the
/// policy of each category or its default. Only the read default differs
/// between a dual store (`read::primary`) and a migration (`read::shadow`,
/// the comparison of its `shadow` and `live` stages).
template <class ReadDefault, class... Ps>
struct make_configuration {
    static_assert(check_no_stage<Ps...>::value && valid_policy_pack_v<Ps...>);
    using type = configuration<select_policy_t<write_tag, write::sequential, Ps...>,
                               select_policy_t<read_tag, ReadDefault, Ps...>,
                               select_policy_t<retry_tag, retry::none, Ps...>,
                               select_policy_t<rollback_tag, rollback::none, Ps...>,
                               select_policy_t<failure_sink_tag, no_failure_sink, Ps...>,
                               select_policy_t<observer_tag, observe::none, Ps...>,
                               select_policy_t<guard_tag, no_guard, Ps...>,
                               select_policy_t<order_tag, order::per_key, Ps...>>;
};

}  // namespace detail

/// The configuration of `dual_store<P, S, Ps...>`.
template <class... Ps>
using store_configuration_t = typename detail::make_configuration<read::primary, Ps...>::type;

/// The configuration of `migration<Old, New, Ps...>`.
template <class... Ps>
using migration_configuration_t = typename detail::make_configuration<read::shadow, Ps...>::type;

namespace detail {

/// A migration's policies: whether they are valid (a message per problem
/// otherwise, a `stage` among them included) and the configuration they make.
template <class... Policies>
struct migration_policies {
    static constexpr bool valid =
        check_no_stage<Policies...>::value && valid_policy_pack_v<Policies...>;
    using configuration = migration_configuration_t<Policies...>;
};

/// A migration's constructor arguments: an optional initial stage (only the
/// first argument is taken as one), then its policies.
template <class... Args>
struct migration_arguments : migration_policies<Args...> {};
template <class... Args>
struct migration_arguments<stage, Args...> : migration_policies<Args...> {};

}  // namespace detail

}  // namespace dualstore
