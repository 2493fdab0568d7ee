#pragma once
/// \file
/// Rollback policies: how a `write::dual_primary` write undoes the primary
/// when the secondary fails, each with its behaviour.
///
/// A rollback policy is a type with `using category = rollback_tag;` and two
/// members, given the write in flight (see `write.hpp`):
/// - `remember(call)`, called before the primary is written, returns what the
///   restore needs;
/// - `restore(call, prior)` undoes `call.op()` on the primary, through
///   `call.on_primary(kind, op)` (retried and reported like the write's own
///   calls); it throws to report a failed restore.

#include <dualstore/kv_operations.hpp>
#include <dualstore/operation.hpp>
#include <dualstore/policy.hpp>

#include <concepts>
#include <functional>
#include <optional>
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

    /// The key's value on the primary before the write (empty: absent).
    template <class Write>
    std::optional<typename Write::primary_store::mapped_type> remember(Write& call) const {
        static_assert(detail::is_keyed_write_v<typename Write::primary_operation>,
                      "dualstore: rollback::snapshot can only roll back put and erase: a "
                      "generic write(op) does not say which key it changes; use "
                      "rollback::compensate{undo} for generic writes");
        using key_type = typename Write::primary_store::key_type;
        return call.on_primary(operation::get, get_op<key_type>{call.op().key});
    }

    /// Writes the remembered value back, or erases the key if it was absent.
    template <class Write, class Prior>
    void restore(Write& call, const Prior& prior) const {
        using key_type = typename Write::primary_store::key_type;
        using mapped_type = typename Write::primary_store::mapped_type;
        if (prior) {
            call.on_primary(operation::put, put_op<key_type, mapped_type>{call.op().key, *prior});
        } else {
            call.on_primary(operation::erase, erase_op<key_type>{call.op().key});
        }
    }
};

/// What `rollback::compensate` remembers: nothing.
struct nothing_remembered {};

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

    /// Nothing: `undo` needs only the operation.
    template <class Write>
    nothing_remembered remember(Write& /*call*/) {
        static_assert(std::invocable<Undo&, typename Write::primary_store&,
                                     const typename Write::primary_operation&>,
                      "dualstore: rollback::compensate: the undo function cannot undo this "
                      "operation: it must be callable as undo(primary, op)");
        return {};
    }

    /// Calls `undo(primary, op)`.
    template <class Write>
    void restore(Write& call, nothing_remembered /*prior*/) {
        const auto undo_op = [&](typename Write::primary_store& store) {
            std::invoke(undo, store, call.op());
        };
        call.on_primary(operation::write, undo_op);
    }
};

template <class Undo>
compensate(Undo) -> compensate<Undo>;

}  // namespace dualstore::rollback

namespace dualstore {

namespace detail {
/// Stands for the write in flight when a rollback policy's shape is checked.
struct rollback_call_archetype {
    struct store {
        using key_type = int;
        using mapped_type = int;
    };
    using primary_store = store;
    using primary_operation = put_op<int, int>;
};
}  // namespace detail

/// A policy of the rollback category with the behaviour `write::dual_primary`
/// calls (see the top of this header), or `rollback::none`.
template <class P>
concept rollback_strategy = std::same_as<P, rollback::none> ||
    requires(P& policy, detail::rollback_call_archetype& call) {
    { policy.restore(call, policy.remember(call)) } -> std::same_as<void>;
};

}  // namespace dualstore
