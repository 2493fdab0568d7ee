#pragma once
/// \file
/// The events a dual store reports. An observer is any type with an `on(event)`
/// overload for the events it cares about; events it has no overload for are
/// never built. Keys are pointers: null for a generic operation given no key.

#include <dualstore/operation.hpp>

#include <chrono>
#include <exception>

namespace dualstore {

/// The key type of a generic operation called without a key.
struct no_key {};

}  // namespace dualstore

namespace dualstore::observe {

/// One side's operation finished (after its retries).
struct operation_event {
    dualstore::side side;     ///< which store
    dualstore::operation op;  ///< what was done
    bool ok;                  ///< false if it failed after its last attempt
    unsigned attempts;        ///< calls made, the first included
    std::chrono::nanoseconds duration;  ///< from the first call to the end of the last, pauses included
};

/// A side's operation failed and will be tried again after `delay`.
struct retry_event {
    dualstore::side side;            ///< which store
    dualstore::operation op;         ///< what was done
    unsigned attempt;                ///< the attempt that failed (1-based)
    std::chrono::nanoseconds delay;  ///< pause before the next attempt
    std::exception_ptr error;        ///< why it failed
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
    const Key* key;                  ///< the key of the failed write
    dualstore::operation op;         ///< what failed on the secondary
    std::exception_ptr error;        ///< the secondary's error
    std::exception_ptr sink_error;   ///< what the sink threw
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

/// A shadow read returned a different answer from the two sides.
template <class Key, class PrimaryValue, class SecondaryValue = PrimaryValue>
struct mismatch_event {
    const Key* key;                   ///< the key, or null for a keyless generic read
    const PrimaryValue& primary;      ///< what the primary answered (and the caller got)
    const SecondaryValue& secondary;  ///< what the secondary answered
};

/// Where a shadow comparison failed.
enum class shadow_stage {
    secondary_read,  ///< the secondary's read threw
    compare,         ///< the comparator threw
};

/// A shadow comparison could not be made; the caller still got the primary's answer.
template <class Key>
struct shadow_error_event {
    const Key* key;            ///< the key, or null for a keyless generic read
    shadow_stage stage;        ///< what threw
    std::exception_ptr error;  ///< the exception
};

}  // namespace dualstore::observe
