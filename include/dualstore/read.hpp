#pragma once
/// \file
/// Read policies: which store answers a read, each with its behaviour.
///
/// A read policy is a type with `using category = read_tag;` and a member
/// `template <class Read> R apply(Read& call)` that runs one read through
/// `call` and returns its answer (`R` spelled from the members below, so the
/// policy's shape can be checked without running it):
/// - `Read::primary_answer` and `Read::secondary_answer`: what each side's
///   read returns;
/// - `call.primary()` and `call.secondary()` read one side; a failure
///   propagates (they may run on two threads at once);
/// - `call.secondary_failed()` reports the secondary failure being handled
///   to the observers;
/// - `call.mismatch(mine, other, context)`, `call.mismatch_ignored(context)`
///   and `call.comparison_failed()` report a shadow comparison's outcome.
///
/// Each side's call is retried, timed and reported the same way whatever the
/// policy.

#include <dualstore/detail/offloaded_call.hpp>
#include <dualstore/detail/sampling.hpp>
#include <dualstore/detail/shadow_compare.hpp>
#include <dualstore/operation.hpp>
#include <dualstore/policy.hpp>
#include <dualstore/thread_pool.hpp>

#include <concepts>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace dualstore::read {

/// Read the primary only (the default). The secondary is never touched.
struct primary {
    using category = read_tag;

    /// Reads the primary.
    template <class Read>
    typename Read::primary_answer apply(Read& call) const {
        return call.primary();
    }
};

/// Read the secondary only; its failures reach the caller.
struct secondary {
    using category = read_tag;

    /// Reads the secondary.
    template <class Read>
    typename Read::secondary_answer apply(Read& call) const {
        return call.secondary();
    }
};

/// Read the primary; when it has no value, read the secondary. A primary
/// failure reaches the caller; a secondary failure is reported to observers
/// and the primary's empty answer is returned.
struct fallback {
    using category = read_tag;

    /// Reads the primary, then the secondary if the primary has no value.
    template <class Read>
    std::remove_cvref_t<typename Read::primary_answer> apply(Read& call) const {
        auto answer = call.primary();
        if (answer) return answer;
        try {
            return decltype(answer)(call.secondary());
        } catch (...) {
            call.secondary_failed();
        }
        return answer;
    }
};

/// No mismatch is a known one: the default of `basic_shadow`.
struct never_ignore {
    /// False: nothing is ignored.
    template <class A, class B>
    constexpr bool operator()(const A&, const B&) const noexcept {
        return false;
    }
};

/// A shadow read's mismatch thrown for `throw_on_mismatch` (tests).
class shadow_mismatch : public error {
public:
    using error::error;
};

/// In what order a shadow comparison runs the two reads.
enum class shadow_order {
    authoritative_first,  ///< the primary, then the secondary, on the calling thread
    random,               ///< both on the calling thread, in a random order per read
    parallel,             ///< the secondary on an executor while the primary reads
};

/// Read both, return the primary's answer, compare the two with `compare`
/// and report mismatches to observers as `observe::mismatch_event` (key,
/// both answers or errors, both latencies).
///
/// Errors are compared too: both sides failing with the same exception type
/// and message is a match; one side failing is a mismatch carrying the
/// error. A primary failure still reaches the caller, after the comparison;
/// a secondary failure or a throwing comparator never does (the comparator
/// is reported as `observe::shadow_error_event`). The comparison finishes
/// before the read returns, in every order.
///
/// As in GitHub's Scientist: `run_if` decides per read whether to compare,
/// `ignoring(fn)` accepts known mismatches (reported as
/// `observe::ignored_mismatch_event`, not as mismatches), `context` names the
/// comparison in every event, and `throw_on_mismatch` (for tests) makes a
/// mismatch throw `shadow_mismatch` from the read.
template <class Compare, class Ignore = never_ignore>
struct basic_shadow {
    using category = read_tag;
    /// Fraction of reads compared (the check rate), in [0, 1]; 0 means the
    /// secondary is never read.
    double sample = 1.0;
    /// Fraction of the mismatches found that are reported (the report rate),
    /// in [0, 1]: lowers the event volume without lowering the check rate.
    double report = 1.0;
    /// The order of the two reads.
    shadow_order order = shadow_order::authoritative_first;
    /// The executor of `shadow_order::parallel` (the default pool if unset).
    executor_ref executor{};
    /// `compare(primary_answer, secondary_answer)`: true when they agree.
    Compare compare{};
    /// Per read, after the sampling: compare only when this says true
    /// (empty: always). Scientist's `run_if`.
    std::function<bool()> run_if{};
    /// Carried in every mismatch event (which comparison, which caller).
    std::string context{};
    /// For tests: a mismatch (even one the report rate leaves out) throws
    /// `shadow_mismatch` from the read, after it is reported. Scientist's
    /// `raise_on_mismatches`.
    bool throw_on_mismatch = false;
    /// `ignore(primary_answer, secondary_answer)` (or the two values): true
    /// for a mismatch that is known and accepted. Set with `ignoring(fn)`.
    Ignore ignore{};

    /// The same policy with another comparator.
    template <class OtherCompare>
    [[nodiscard]] basic_shadow<OtherCompare, Ignore> compared_by(OtherCompare other) const {
        return {
            sample, report, order, executor, std::move(other), run_if, context, throw_on_mismatch,
            ignore};
    }

    /// The same policy accepting the mismatches `fn(primary, secondary)`
    /// says are known (called with the answers or, for `get`, the values;
    /// only when both sides answered). Scientist's `ignore`.
    template <class Fn>
    [[nodiscard]] basic_shadow<Compare, Fn> ignoring(Fn fn) const {
        return {sample,       report, order, executor, compare, run_if, context, throw_on_mismatch,
                std::move(fn)};
    }

    /// Reads both sides in `order` (a sampled read only), compares them, and
    /// returns the primary's answer (or rethrows its failure) after the
    /// comparison.
    template <class Read>
    detail::primary_answer_t<Read> apply(Read& call) {
        if (!detail::sampled(sample) || (run_if && !run_if())) return call.primary();
        if (order == shadow_order::parallel ||
            (order == shadow_order::random && detail::sampled(0.5))) {
            return read_both_then_compare(call);
        }
        return compare_after_primary(call);
    }

private:
    /// The primary first, then the secondary (the default order): the
    /// primary's answer is built where it is returned from, never moved
    /// through a holder.
    template <class Read>
    detail::primary_answer_t<Read> compare_after_primary(Read& call) {
        detail::lap_timer<detail::times_sides_v<Read>> timer;
        detail::primary_answer_t<Read> answer = primary_or_compare_failure(call, timer);
        const auto latency = timer.lap();
        detail::side_read<detail::secondary_answer_t<Read>, detail::times_sides_v<Read>> other;
        other.run([&] { return call.secondary(); });
        conclude(call,
                 detail::side_outcome<detail::primary_answer_t<Read>>{&answer, nullptr, latency},
                 other.outcome());
        return answer;
    }

    /// The primary's answer; if the primary fails, compares its failure with
    /// the secondary's read and rethrows it.
    template <class Read>
    detail::primary_answer_t<Read> primary_or_compare_failure(
        Read& call, detail::lap_timer<detail::times_sides_v<Read>>& timer) {
        try {
            return call.primary();
        } catch (...) {
            const std::exception_ptr error = std::current_exception();
            const auto latency = timer.lap();
            detail::side_read<detail::secondary_answer_t<Read>, detail::times_sides_v<Read>> other;
            other.run([&] { return call.secondary(); });
            conclude(call,
                     detail::side_outcome<detail::primary_answer_t<Read>>{nullptr, &error, latency},
                     other.outcome());
            std::rethrow_exception(error);
        }
    }

    /// The parallel order, and the secondary-first half of the random one:
    /// both sides' reads kept, then compared.
    template <class Read>
    detail::primary_answer_t<Read> read_both_then_compare(Read& call) {
        detail::side_read<detail::primary_answer_t<Read>, detail::times_sides_v<Read>> mine;
        detail::side_read<detail::secondary_answer_t<Read>, detail::times_sides_v<Read>> other;
        const auto read_primary = [&]() noexcept { mine.run([&] { return call.primary(); }); };
        auto read_secondary = [&]() noexcept { other.run([&] { return call.secondary(); }); };
        if (order == shadow_order::parallel) {
            const detail::offloaded_call pending(executor, read_secondary);
            read_primary();
        } else {
            read_secondary();
            read_primary();
        }
        conclude(call, mine.outcome(), other.outcome());
        if (mine.error) std::rethrow_exception(mine.error);
        return std::move(*mine.value);
    }

    /// Compares the two sides' outcomes and reports what it finds; throws
    /// `shadow_mismatch` for a mismatch under `throw_on_mismatch`.
    template <class Read, class A, class B>
    void conclude(Read& call, detail::side_outcome<A> mine, detail::side_outcome<B> other) {
        bool mismatched = false;
        try {
            if (!detail::reads_agree(compare, mine, other)) {
                if (is_ignored(mine, other)) {
                    call.mismatch_ignored(context);
                } else {
                    mismatched = true;
                    if (detail::sampled(report)) call.mismatch(mine, other, context);
                }
            }
        } catch (...) {
            call.comparison_failed();
        }
        if (mismatched && throw_on_mismatch) {
            throw shadow_mismatch(context.empty()
                                      ? std::string("dualstore: read::shadow: the two stores "
                                                    "disagree (throw_on_mismatch)")
                                      : "dualstore: read::shadow: the two stores disagree in " +
                                            context + " (throw_on_mismatch)");
        }
    }

    /// Whether `ignore` accepts this mismatch (only when both sides answered).
    template <class A, class B>
    bool is_ignored(detail::side_outcome<A> mine, detail::side_outcome<B> other) {
        if constexpr (std::is_same_v<Ignore, never_ignore>) {
            return false;
        } else {
            return mine.value && other.value &&
                   detail::answers_agree(ignore, *mine.value, *other.value);
        }
    }
};

/// Shadow reads compared with `==`. For another comparator:
/// `read::shadow{.sample = 0.1}.compared_by(fn)`.
using shadow = basic_shadow<std::equal_to<>>;

}  // namespace dualstore::read

namespace dualstore {

namespace detail {
/// Stands for the read in flight when a policy's shape is checked.
struct read_call_archetype {
    using primary_answer = int;
    using secondary_answer = int;
};

template <class Policy>
inline constexpr bool is_shadow_v = false;
template <class Compare, class Ignore>
inline constexpr bool is_shadow_v<read::basic_shadow<Compare, Ignore>> = true;

/// True; stops the build, where the store is built, when `ReadPolicy` is a
/// shadow policy whose comparator cannot compare two answers of `get` over
/// values of type `Value` (`no_key`: a backend without `get`, nothing to check).
template <class ReadPolicy, class Value>
constexpr bool shadow_compares() {
    if constexpr (is_shadow_v<ReadPolicy> && !std::is_same_v<Value, no_key>) {
        static_assert(
            detail::compares_answers_v<decltype(ReadPolicy::compare), std::optional<Value>,
                                       std::optional<Value>>,
            "dualstore: read::shadow: the comparator given to compared_by must be callable as "
            "compare(const V& primary_value, const V& secondary_value) -> bool, V the stores' "
            "mapped_type, or with the two std::optional<V> answers of get()");
    }
    return true;
}
}  // namespace detail

/// A policy of the read category with the behaviour the engine calls:
/// `policy.apply(call)` (see the top of this header).
template <class P>
concept read_strategy = requires(P& policy, detail::read_call_archetype& call) {
    policy.apply(call);
};

}  // namespace dualstore
