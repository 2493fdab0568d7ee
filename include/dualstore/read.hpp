#pragma once
/// \file
/// Read policies: which store answers a read.

#include <dualstore/policy.hpp>

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

/// Read both, return the primary's answer, compare the two with `compare`
/// and report mismatches to observers. Only a `sample` fraction of reads is
/// shadowed (1 = all, 0 = none: the secondary is then never read). The
/// comparison runs before the read returns. Neither a secondary failure nor
/// a throwing comparator reaches the caller: both are reported as
/// `observe::shadow_error_event`.
template <class Compare>
struct basic_shadow {
    using category = read_tag;
    /// Fraction of reads that are shadowed, in [0, 1].
    double sample = 1.0;
    /// `compare(primary_answer, secondary_answer)`: true when they agree.
    Compare compare{};

    /// The same policy with another comparator.
    template <class OtherCompare>
    [[nodiscard]] basic_shadow<OtherCompare> compared_by(OtherCompare other) const {
        return {sample, std::move(other)};
    }
};

/// Shadow reads compared with `==`. For another comparator:
/// `read::shadow{.sample = 0.1}.compared_by(fn)`.
using shadow = basic_shadow<std::equal_to<>>;

}  // namespace dualstore::read
