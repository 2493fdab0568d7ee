#pragma once
/// \file
/// `on_secondary_failure{sink}`: where a secondary write that failed for good
/// (after its retries) is recorded, so it can be repaired later.

#include <dualstore/operation.hpp>
#include <dualstore/policy.hpp>
#include <dualstore/retry_queue.hpp>
#include <dualstore/stage.hpp>

#include <concepts>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace dualstore {

/// Where a failed write ran: the stage of the `migration` that wrote (empty
/// for a `dual_store`), which says which store was authoritative. A sink
/// callable with it as a fourth argument gets it; `queue_sink` records it
/// in the entry, so `drain` knows which way to repair.
struct failure_origin {
    /// The migration's stage during the write; empty for a `dual_store`.
    std::optional<stage> migration_stage;

    /// Which store was the primary: the stage's authoritative store, or the
    /// old one (the first given) for a `dual_store`.
    [[nodiscard]] constexpr migration_store primary_store() const noexcept {
        return migration_stage ? authoritative_store(*migration_stage) : migration_store::old_store;
    }
};

/// A callable that can record the failure of a write of key type `Key`:
/// called as `sink(key, operation, std::exception_ptr)`, or with a
/// `failure_origin` as a fourth argument when it accepts one.
template <class Sink, class Key>
concept failure_sink = std::invocable<Sink&, const Key&, operation, std::exception_ptr>;

/// The failure-sink policy: `sink(key, op, error)` is called for every
/// secondary write that failed for good, before the write returns (for
/// `write::parallel` possibly on another thread, so it must be thread-safe).
/// A sink that throws does not fail the write: the error is reported to
/// observers as `observe::sink_error_event`, since that write may be lost.
/// A callable sink is copied (pass `std::ref(s)` to keep a reference); a
/// retry queue is held by reference and gets an entry (`queue_sink`).
template <class Sink>
struct on_secondary_failure {
    using category = failure_sink_tag;
    /// The callable that records a failure.
    Sink sink;
};

/// The failure sink that enqueues: holds a reference to the queue (never a
/// copy, which would lose entries). Throws what the queue's `push` throws,
/// which the store reports as `observe::sink_error_event` (the write may then
/// be lost: alert on it).
template <retry_queue Q>
class queue_sink {
public:
    /// Enqueues into `queue`, which must outlive the sink.
    queue_sink(Q& queue) noexcept : queue_(&queue) {}  // NOLINT(google-explicit-constructor)

    /// Enqueues a failed write of `key`, recording the stage it ran in.
    template <class Key>
    void operator()(const Key& key, operation op, const std::exception_ptr& error,
                    const failure_origin& origin = {}) const {
        retry_entry entry;
        entry.key = detail::key_bytes(key);
        entry.op = op;
        entry.recorded_stage = origin.migration_stage;
        entry.first_enqueued = queue_clock::now();
        entry.next_attempt = entry.first_enqueued;
        entry.last_error = describe(error);
        queue_->push(std::move(entry));
    }

    /// The queue.
    [[nodiscard]] Q& queue() const noexcept { return *queue_; }

private:
    Q* queue_;
};

/// `on_secondary_failure{queue}` with an lvalue queue enqueues into it.
template <retry_queue Q>
on_secondary_failure(Q&) -> on_secondary_failure<queue_sink<Q>>;

/// `on_secondary_failure{callable}` holds a copy of the callable.
template <class Sink>
requires(!retry_queue<Sink>) on_secondary_failure(Sink)
->on_secondary_failure<Sink>;

/// No failure sink given (the default). Accepted only where no secondary
/// failure can be lost silently: `write::primary_only`, or
/// `write::dual_primary`, which throws. A store that writes both sides best
/// effort (`write::sequential`, `write::parallel`, and every `migration`
/// with them) does not compile with it: give `on_secondary_failure{...}` or
/// `discard_secondary_failures{}`.
struct no_failure_sink {
    using category = failure_sink_tag;
};

/// The explicit opt-out from a failure sink: a secondary write that failed
/// for good is recorded nowhere for repair, and the secondary stays behind
/// until a reconciliation with repair finds the key. The failure is still in
/// the `write_result` and reported to observers
/// (`observe::secondary_failure_event` with `enqueued == false`): count them
/// and alert.
struct discard_secondary_failures {
    using category = failure_sink_tag;
};

/// A policy of the failure sink category: `no_failure_sink`,
/// `discard_secondary_failures`, or a type with a member `sink` (what
/// `on_secondary_failure` holds).
template <class P>
concept failure_sink_policy = std::same_as<P, no_failure_sink> ||
    std::same_as<P, discard_secondary_failures> || requires(P& policy) {
    policy.sink;
};

}  // namespace dualstore
