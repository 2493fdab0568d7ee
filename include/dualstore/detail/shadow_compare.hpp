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

/// What a read in flight (a `read_call`) answers from the primary.
template <class Read>
using primary_answer_t = std::remove_cvref_t<typename Read::primary_answer>;
/// What a read in flight answers from the secondary.
template <class Read>
using secondary_answer_t = std::remove_cvref_t<typename Read::secondary_answer>;
/// Whether an observer wants a read in flight's two latencies.
template <class Read>
inline constexpr bool times_sides_v = requires {
    requires Read::times_sides;
};

/// A stopwatch that runs only when `Timed` (an observer wants a mismatch's
/// latencies): `lap()` is the time since the start or the previous lap.
/// Without `Timed` it reads no clock and every lap is zero.
template <bool Timed>
class lap_timer {
public:
    [[gnu::always_inline]] lap_timer() noexcept {
        if constexpr (Timed) last_ = std::chrono::steady_clock::now();
    }

    [[gnu::always_inline]] std::chrono::nanoseconds lap() noexcept {
        if constexpr (Timed) {
            const auto now = std::chrono::steady_clock::now();
            const auto elapsed = now - last_;
            last_ = now;
            return elapsed;
        } else {
            return {};
        }
    }

private:
    std::chrono::steady_clock::time_point last_{};
};

/// One side's outcome as a comparison judges it, without owning it: its
/// answer (null if it failed), its error (null if it answered) and how long
/// it took (zero unless timed).
template <class T>
struct side_outcome {
    const T* value = nullptr;
    const std::exception_ptr* error = nullptr;
    std::chrono::nanoseconds latency{};
};

/// One side's read in a shadow comparison, kept until both sides are read:
/// its answer or its error, and, when `Timed`, how long it took.
template <class T, bool Timed = true>
struct side_read {
    std::optional<T> value;
    std::exception_ptr error;
    std::chrono::nanoseconds latency{};

    template <class Fn>
    [[gnu::always_inline]] void run(Fn&& fn) noexcept {
        lap_timer<Timed> timer;
        try {
            value.emplace(fn());
        } catch (...) {
            error = std::current_exception();
        }
        latency = timer.lap();
    }

    /// This read as the comparison sees it.
    side_outcome<T> outcome() const noexcept {
        return {value ? &*value : nullptr, error ? &error : nullptr, latency};
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
template <class Compare, class A, class B>
bool reads_agree(Compare& compare, side_outcome<A> mine, side_outcome<B> other) {
    if (mine.error || other.error) {
        return mine.error && other.error && same_failure(*mine.error, *other.error);
    }
    return answers_agree(compare, *mine.value, *other.value);
}

}  // namespace dualstore::detail
