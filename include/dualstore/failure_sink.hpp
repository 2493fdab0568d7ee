#pragma once
/// \file
/// `on_secondary_failure{sink}`: where a secondary write that failed for good
/// (after its retries) is recorded, so it can be repaired later.

#include <dualstore/operation.hpp>
#include <dualstore/policy.hpp>

#include <concepts>
#include <exception>
#include <type_traits>
#include <utility>

namespace dualstore {

/// A callable that can record the failure of a write of key type `Key`:
/// called as `sink(key, operation, std::exception_ptr)`.
template <class Sink, class Key>
concept failure_sink = std::invocable<Sink&, const Key&, operation, std::exception_ptr>;

/// The failure-sink policy: `sink(key, op, error)` is called for every
/// secondary write that failed for good, before the write returns (for
/// `write::parallel` possibly on another thread, so it must be thread-safe).
/// A sink that throws does not fail the write: the error is reported to
/// observers as `observe::sink_error_event`, since that write may be lost.
/// The sink is copied; pass `std::ref(s)` to keep a reference.
template <class Sink>
struct on_secondary_failure {
    using category = failure_sink_tag;
    /// The callable that records a failure.
    Sink sink;
};

template <class Sink>
on_secondary_failure(Sink) -> on_secondary_failure<Sink>;

/// No failure sink (the default): failures go to observers and the write result only.
struct no_failure_sink {
    using category = failure_sink_tag;
};

}  // namespace dualstore
