#pragma once
/// \file
/// Rollback policies: how a `write::dual_primary` write undoes the primary
/// when the secondary fails.

#include <dualstore/policy.hpp>

#include <utility>

namespace dualstore::rollback {

/// No rollback (the default). `write::dual_primary` refuses it.
struct none {
    using category = rollback_tag;
};

/// Before a `put` or `erase`, read the primary's prior state of the key
/// (value or absence); to roll back, write that value back or erase the key.
/// Works for `put`/`erase` only: a generic `write(op)` does not say which key
/// it changes, so with this policy it does not compile.
struct snapshot {
    using category = rollback_tag;
};

/// The user's inverse: to roll back, call `undo(primary, op)` with the
/// primary store and the operation that was applied. `op` is a
/// `dualstore::put_op`/`erase_op` for `put`/`erase`, or the callable given to
/// `write(op)`; give an overload set (see `dualstore::overloaded`) to undo
/// several kinds of operation.
template <class Undo>
struct compensate {
    using category = rollback_tag;
    /// Called as `undo(primary, op)`; throws to report a failed restore.
    Undo undo;
};

template <class Undo>
compensate(Undo) -> compensate<Undo>;

}  // namespace dualstore::rollback
