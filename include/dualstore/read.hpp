#pragma once
/// \file
/// Read policies: which store answers a read.

#include <dualstore/policy.hpp>
#include <dualstore/thread_pool.hpp>

#include <functional>
#include <utility>

namespace dualstore::read {

/// Read the primary only (the default). The secondary is never touched.
struct primary {
    using category = read_tag;
};

/// Read the secondary only; its failures reach the caller.
struct secondary {
    using category = read_tag;
};

/// Read the primary; when it has no value, read the secondary. A primary
/// failure reaches the caller; a secondary failure is reported to observers
/// and the primary's empty answer is returned.
struct fallback {
    using category = read_tag;
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
template <class Compare>
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

    /// The same policy with another comparator.
    template <class OtherCompare>
    [[nodiscard]] basic_shadow<OtherCompare> compared_by(OtherCompare other) const {
        return {sample, report, order, executor, std::move(other)};
    }
};

/// Shadow reads compared with `==`. For another comparator:
/// `read::shadow{.sample = 0.1}.compared_by(fn)`.
using shadow = basic_shadow<std::equal_to<>>;

}  // namespace dualstore::read
