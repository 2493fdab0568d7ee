#pragma once
/// \file
/// Policy categories. A policy is any type with a member alias `category`
/// naming one of the tags below; `dual_store` takes policies in any order and
/// supplies a default for each category not given.

#include <type_traits>

namespace dualstore {

/// Category of write policies (`write::sequential`, `parallel`, `dual_primary`, `primary_only`).
struct write_tag {};
/// Category of read policies (`read::primary`, `secondary`, `fallback`, `shadow`).
struct read_tag {};
/// Category of retry policies (`retry::none`, `fixed`, `exponential`).
struct retry_tag {};
/// Category of rollback policies (`rollback::none`, `snapshot`, `compensate`).
struct rollback_tag {};
/// Category of the failure sink (`on_secondary_failure`).
struct failure_sink_tag {};
/// Category of observer sets (`observe::with(...)`).
struct observer_tag {};
/// Category of data guards (`no_guard`, `append_only`).
struct guard_tag {};
/// Category of ordering policies (`order::per_key`, `order::by_caller`).
struct order_tag {};

namespace detail {
template <class T>
struct is_known_category
    : std::disjunction<std::is_same<T, write_tag>, std::is_same<T, read_tag>,
                       std::is_same<T, retry_tag>, std::is_same<T, rollback_tag>,
                       std::is_same<T, failure_sink_tag>, std::is_same<T, observer_tag>,
                       std::is_same<T, guard_tag>, std::is_same<T, order_tag>> {};
}  // namespace detail

/// A type usable in a `dual_store` policy pack.
template <class T>
concept policy = requires {
    typename T::category;
}
&&detail::is_known_category<typename T::category>::value;

}  // namespace dualstore
