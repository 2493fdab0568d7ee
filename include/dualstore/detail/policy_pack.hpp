#pragma once
/// \file
/// Finds the policy of each category in a pack, supplies defaults, and rejects
/// duplicates and strangers with readable diagnostics.

#include <dualstore/policy.hpp>

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace dualstore::detail {

template <class P>
struct category_of {
    using type = void;
};
template <policy P>
struct category_of<P> {
    using type = typename P::category;
};

/// How many policies of category `Tag` the pack holds.
template <class Tag, class... Ps>
inline constexpr std::size_t count_of_v =
    (std::size_t{0} + ... + std::size_t{std::is_same_v<typename category_of<Ps>::type, Tag>});

template <class Tag, class Default, class... Ps>
struct select_policy {
    using type = Default;
};
template <class Tag, class Default, class P, class... Ps>
struct select_policy<Tag, Default, P, Ps...>
    : std::conditional_t<std::is_same_v<typename category_of<P>::type, Tag>, std::type_identity<P>,
                         select_policy<Tag, Default, Ps...>> {};

/// The policy of category `Tag` in `Ps...`, or `Default`.
template <class Tag, class Default, class... Ps>
using select_policy_t = typename select_policy<Tag, Default, Ps...>::type;

/// The index of the first of `Ps` of category `Tag`; `sizeof...(Ps)` when none is.
template <class Tag, class... Ps>
inline constexpr std::size_t index_of_category_v = [] {
    constexpr bool matches[] = {std::is_same_v<typename category_of<Ps>::type, Tag>..., true};
    std::size_t at = 0;
    while (!matches[at]) ++at;
    return at;
}();

/// The argument of category `Tag` (copied from an lvalue, moved from an
/// rvalue) as a `Result`, or a value-initialised `Result` when none is given.
/// An argument of the category but another type than `Result` stops the
/// build with a message saying so.
template <class Tag, class Result, class... Args>
constexpr Result take_policy(Args&&... args) {
    constexpr std::size_t at = index_of_category_v<Tag, std::remove_cvref_t<Args>...>;
    if constexpr (at == sizeof...(Args)) {
        return Result{};
    } else {
        using given = std::remove_cvref_t<std::tuple_element_t<at, std::tuple<Args...>>>;
        static_assert(std::is_same_v<given, Result>,
                      "dualstore: a policy argument is not the policy the store's type names for "
                      "its category; let the constructor deduce the type (no template "
                      "arguments), or pass the policy the type names");
        return std::get<at>(std::forward_as_tuple(std::forward<Args>(args)...));
    }
}

/// Checks that a pack holds at most one policy per category; instantiating
/// it with a duplicate stops the build with one message that names it.
/// Arguments that are not policies are ignored here.
template <class... Ps>
struct validate_policy_counts {
    static_assert(count_of_v<write_tag, Ps...> <= 1,
                  "dualstore: more than one write policy given; choose one of write::sequential, "
                  "write::parallel, write::dual_primary, write::primary_only");
    static_assert(count_of_v<read_tag, Ps...> <= 1,
                  "dualstore: more than one read policy given; choose one of read::primary, "
                  "read::secondary, read::fallback, read::shadow");
    static_assert(count_of_v<retry_tag, Ps...> <= 1,
                  "dualstore: more than one retry policy given; choose one of retry::none, "
                  "retry::fixed, retry::exponential");
    static_assert(count_of_v<rollback_tag, Ps...> <= 1,
                  "dualstore: more than one rollback policy given; choose one of rollback::none, "
                  "rollback::snapshot, rollback::compensate");
    static_assert(count_of_v<failure_sink_tag, Ps...> <= 1,
                  "dualstore: more than one on_secondary_failure given; combine the sinks in one "
                  "callable");
    static_assert(count_of_v<observer_tag, Ps...> <= 1,
                  "dualstore: more than one observer set given; pass all observers to one "
                  "observe::with(...)");
    static_assert(count_of_v<guard_tag, Ps...> <= 1,
                  "dualstore: more than one guard given; choose one of no_guard, append_only");
    static_assert(count_of_v<order_tag, Ps...> <= 1,
                  "dualstore: more than one ordering policy given; choose one of order::per_key, "
                  "order::by_caller");
    static constexpr bool value = true;
};

/// Validates a policy pack; instantiating it with a bad pack stops the build
/// with one message that names the problem.
template <class... Ps>
struct validate_policies {
    static_assert(
        (policy<Ps> && ...),
        "dualstore: an argument of dual_store or migration is not a policy: a policy needs a "
        "member alias `category` naming a dualstore category tag (write_tag, read_tag, "
        "retry_tag, rollback_tag, failure_sink_tag, observer_tag, guard_tag or order_tag). "
        "Observers go in observe::with(observer, ...); a failure sink in "
        "on_secondary_failure{sink}");
    static constexpr bool value = validate_policy_counts<Ps...>::value;
};

}  // namespace dualstore::detail
