#pragma once
/// \file
/// The comparison of a shadow read: each side's answer or error with its
/// latency, and whether the two agree.

#include <dualstore/error.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <typeinfo>

namespace dualstore::detail {

/// One side's read in a shadow comparison: its answer or its error, and,
/// when `Timed` (an observer wants the mismatch's latencies), how long it
/// took; otherwise the clock is never read and `latency` stays zero.
template <class T, bool Timed = true>
struct side_read {
    std::optional<T> value;
    std::exception_ptr error;
    std::chrono::nanoseconds latency{};

    template <class Fn>
    [[gnu::always_inline]] void run(Fn&& fn) noexcept {
        std::chrono::steady_clock::time_point start;
        if constexpr (Timed) start = std::chrono::steady_clock::now();
        try {
            value.emplace(fn());
        } catch (...) {
            error = std::current_exception();
        }
        if constexpr (Timed) latency = std::chrono::steady_clock::now() - start;
    }
};

/// Whether two failures are the same: the same exception type and message.
inline bool same_failure(const std::exception_ptr& a, const std::exception_ptr& b) noexcept {
    const auto type_of = [](const std::exception_ptr& e) -> const std::type_info* {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            return &typeid(ex);
        } catch (...) {
            return nullptr;
        }
    };
    return type_of(a) == type_of(b) && describe(a) == describe(b);
}

template <class T>
inline constexpr bool is_optional_v = false;
template <class T>
inline constexpr bool is_optional_v<std::optional<T>> = true;

/// Whether `Compare` can judge two shadow answers of types `A` and `B`: it
/// takes the answers themselves or, when both are `std::optional` (what `get`
/// returns), their values. The rule `answers_agree` calls by, which the
/// stores' constructors check for `get` before any read.
template <class Compare, class A, class B>
inline constexpr bool compares_answers_v = [] {
    if constexpr (std::is_invocable_r_v<bool, Compare&, const A&, const B&>) {
        return true;
    } else if constexpr (is_optional_v<A> && is_optional_v<B>) {
        return std::is_invocable_r_v<bool, Compare&, const typename A::value_type&,
                                     const typename B::value_type&>;
    } else {
        return false;
    }
}();

/// Whether two shadow answers agree per `compare`, called with the answers
/// themselves or, when both are `std::optional` (what `get` returns) and
/// `compare` takes their values, with the values: two empty answers agree,
/// one empty answer does not.
template <class Compare, class A, class B>
bool answers_agree(Compare& compare, const A& a, const B& b) {
    if constexpr (std::is_invocable_r_v<bool, Compare&, const A&, const B&>) {
        return std::invoke(compare, a, b);
    } else if constexpr (is_optional_v<A> && is_optional_v<B>) {
        static_assert(std::is_invocable_r_v<bool, Compare&, const typename A::value_type&,
                                            const typename B::value_type&>,
                      "dualstore: read::shadow: the comparator must be callable as "
                      "compare(primary_value, secondary_value) -> bool, or with the two "
                      "std::optional answers of get()");
        if (!a || !b) return !a && !b;
        return std::invoke(compare, *a, *b);
    } else {
        static_assert(is_optional_v<A>,
                      "dualstore: read::shadow: the comparator must be callable as "
                      "compare(primary_answer, secondary_answer) -> bool with the answers of "
                      "the read operation");
        return false;
    }
}

/// Whether two sides' reads agree: both failed the same way, or both
/// answered and `compare` says the answers agree. A throwing `compare`
/// propagates.
template <class Compare, class A, bool TimedA, class B, bool TimedB>
bool reads_agree(Compare& compare, const side_read<A, TimedA>& mine,
                 const side_read<B, TimedB>& other) {
    if (mine.error || other.error) {
        return mine.error && other.error && same_failure(mine.error, other.error);
    }
    return answers_agree(compare, *mine.value, *other.value);
}

}  // namespace dualstore::detail
