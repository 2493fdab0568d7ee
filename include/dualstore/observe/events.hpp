#pragma once
/// \file
/// The events a dual store reports. An observer is any type with an `on(event)`
/// overload for the events it cares about; events it has no overload for are
/// never built. Keys are pointers: null for a generic operation given no key.

#include <dualstore/operation.hpp>
#include <dualstore/stage.hpp>

#include <chrono>
#include <exception>
#include <string_view>

namespace dualstore::observe {

/// One side's operation finished (after its retries).
/// `side` is the store's role in the call (the primary answers), `origin`
/// which store it is (old or new, whatever the stage; in a `dual_store` the
/// primary is the old one): after a migration's `live` flip the primary is
/// the new store, so latency per origin stays comparable across the flip.
struct operation_event {
    dualstore::side side;     ///< which store, by role
    dualstore::operation op;  ///< what was done
    bool ok;                  ///< false if it failed after its last attempt
    unsigned attempts;        ///< calls made, the first included
    std::chrono::nanoseconds
        duration;  ///< from the first call to the end of the last, pauses included
    dualstore::migration_store origin;  ///< which store, old or new
};

/// A side's operation failed and will be tried again after `delay`.
struct retry_event {
    dualstore::side side;            ///< which store, by role
    dualstore::operation op;         ///< what was done
    unsigned attempt;                ///< the attempt that failed (1-based)
    std::chrono::nanoseconds delay;  ///< pause before the next attempt
    std::exception_ptr error;        ///< why it failed
    dualstore::migration_store origin;  ///< which store, old or new
};

/// A secondary operation failed for good; the caller was not told.
template <class Key>
struct secondary_failure_event {
    const Key* key;            ///< the key, or null for a keyless generic operation
    dualstore::operation op;   ///< what failed
    std::exception_ptr error;  ///< the last error
    bool sunk;                 ///< whether the failure sink took it
};

/// The failure sink itself threw: the failed secondary write was not
/// recorded and may be lost unless a reconciler finds it. Alert on this.
template <class Key>
struct sink_error_event {
    const Key* key;                 ///< the key of the failed write
    dualstore::operation op;        ///< what failed on the secondary
    std::exception_ptr error;       ///< the secondary's error
    std::exception_ptr sink_error;  ///< what the sink threw
};

/// A `write::dual_primary` write was rolled back on the primary (or the
/// restore failed: `restore_error` is then set).
template <class Key>
struct rollback_event {
    const Key* key;                    ///< the key, or null for a keyless generic write
    dualstore::operation op;           ///< the write that was undone
    std::exception_ptr cause;          ///< the secondary's failure
    std::exception_ptr restore_error;  ///< null when the primary was restored

    /// Whether the primary was restored.
    [[nodiscard]] bool restored() const noexcept { return restore_error == nullptr; }
};

/// A shadow comparison found the two sides disagreeing: different answers,
/// or one side failing (or both failing differently).
template <class Key, class PrimaryValue, class SecondaryValue = PrimaryValue>
struct mismatch_event {
    const Key* key;                            ///< the key, or null for a keyless generic read
    const PrimaryValue* primary;               ///< the primary's answer; null when it failed
    const SecondaryValue* secondary;           ///< the secondary's answer; null when it failed
    std::exception_ptr primary_error;          ///< why the primary failed, if it did
    std::exception_ptr secondary_error;        ///< why the secondary failed, if it did
    std::chrono::nanoseconds primary_latency;  ///< the primary read's duration, retries included
    std::chrono::nanoseconds
        secondary_latency;  ///< the secondary read's duration, retries included
    std::string_view context{};  ///< the shadow policy's `context` (empty when none)
};

/// A shadow comparison found a mismatch that the policy's `ignoring(fn)`
/// accepts as known: counted, not reported as a mismatch.
template <class Key>
struct ignored_mismatch_event {
    const Key* key;            ///< the key, or null for a keyless generic read
    std::string_view context;  ///< the shadow policy's `context` (empty when none)
};

/// A shadow comparator threw; the caller still got the primary's answer.
template <class Key>
struct shadow_error_event {
    const Key* key;            ///< the key, or null for a keyless generic read
    std::exception_ptr error;  ///< what the comparator threw
};

/// A `migration` moved from one stage to another. Reported after the change
/// took effect: every operation begun under `from` has finished.
struct stage_change_event {
    dualstore::stage from;  ///< the stage before
    dualstore::stage to;    ///< the stage after
};

}  // namespace dualstore::observe
