#pragma once
/// \file
/// The machinery shared by `dual_store` and `migration`: it holds the
/// policies and runs one operation over two stores passed in per call, so a
/// `migration` can hand it its stores in the roles its current stage gives.
///
/// One write: take the key's lock (the ordering policy), build a
/// `write_call`, let the write policy `apply` it. One read: build a
/// `read_call`, let the read policy `apply` it. Each side's call inside goes
/// through the `side_caller` (retry, observers, failure sink).

#include <dualstore/concepts.hpp>
#include <dualstore/detail/key_locks.hpp>
#include <dualstore/detail/kv_checks.hpp>
#include <dualstore/detail/policy_pack.hpp>
#include <dualstore/detail/read_call.hpp>
#include <dualstore/detail/side_caller.hpp>
#include <dualstore/detail/write_call.hpp>
#include <dualstore/error.hpp>
#include <dualstore/failure_sink.hpp>
#include <dualstore/guard.hpp>
#include <dualstore/key_lock_table.hpp>
#include <dualstore/kv_operations.hpp>
#include <dualstore/observe/printable.hpp>
#include <dualstore/operation.hpp>
#include <dualstore/order.hpp>
#include <dualstore/read.hpp>
#include <dualstore/rollback.hpp>
#include <dualstore/write.hpp>
#include <dualstore/write_result.hpp>

#include <fmt/format.h>

#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>

namespace dualstore::detail {

/// The policies of a dual store (the guard is a type only), and the operations over two stores
/// passed in per call: `P` is the primary (it answers reads and its failures reach the caller), `S`
/// the secondary. Holds no per-call state; under `order::per_key` it holds the key locks.
template <class Config>
class dual_engine {
    using WritePolicy = typename Config::write_policy;
    using ReadPolicy = typename Config::read_policy;
    using RollbackPolicy = typename Config::rollback_policy;
    using SinkPolicy = typename Config::sink_policy;
    using GuardPolicy = typename Config::guard_policy;
    using OrderPolicy = typename Config::order_policy;
    using sides =
        side_caller<typename Config::retry_policy, SinkPolicy, typename Config::observer_policy>;

public:
    /// An engine of the policies among `args`, given in any order (copied
    /// from lvalues, moved from rvalues; arguments of no category, such as a
    /// migration's initial stage, are ignored), defaults for the others.
    template <class... Args>
    requires(!(std::is_same_v<std::remove_cvref_t<Args>, dual_engine> ||
               ...)) explicit dual_engine(Args&&... args)
        : write_(take_policy<write_tag, WritePolicy>(std::forward<Args>(args)...)),
          read_(take_policy<read_tag, ReadPolicy>(std::forward<Args>(args)...)),
          rollback_(take_policy<rollback_tag, RollbackPolicy>(std::forward<Args>(args)...)),
          locks_(take_policy<order_tag, OrderPolicy>(std::forward<Args>(args)...)),
          sides_(std::forward<Args>(args)...) {}

    static constexpr bool append_only_v = std::is_same_v<GuardPolicy, append_only>;

    /// Whether writes take their key's lock: under `order::per_key` when the
    /// write policy can write both sides.
    static constexpr bool ordered_v = std::is_same_v<OrderPolicy, order::per_key> &&
                                      !std::is_same_v<WritePolicy, write::primary_only>;

    static_assert(!std::is_same_v<WritePolicy, write::dual_primary> ||
                      !std::is_same_v<OrderPolicy, order::by_caller>,
                  "dualstore: write::dual_primary needs per-key ordering: its rollback is only "
                  "correct when no other write to the key runs between its snapshot and its "
                  "restore; remove order::by_caller (order::per_key is the default)");
    /// True; stops the build when the policies write both sides best effort
    /// and name no failure sink. Called by the stores' constructors after the
    /// policy pack is validated, so a malformed pack is reported first.
    static constexpr bool failure_sink_chosen() {
        static_assert(!(std::is_same_v<WritePolicy, write::sequential> ||
                        std::is_same_v<WritePolicy, write::parallel>) ||
                          !std::is_same_v<SinkPolicy, no_failure_sink>,
                      "dualstore: this store writes both sides best effort but has no failure "
                      "sink, so a failed secondary write would be lost silently: add "
                      "on_secondary_failure{queue} (or a callable), or "
                      "discard_secondary_failures{} to drop such failures knowingly "
                      "(write_result and observers still report them)");
        return true;
    }

    /// True; stops the build when the failure sink cannot take the key of a
    /// failed write (`no_key`: nothing to check). Called by the stores'
    /// constructors, so the sink is checked where it is given.
    template <class Key>
    static constexpr bool sink_accepts() {
        return sides::template sink_accepts<Key>();
    }

    static_assert(!std::is_same_v<WritePolicy, write::dual_primary> ||
                      !std::is_same_v<RollbackPolicy, rollback::none>,
                  "dualstore: write::dual_primary needs a rollback policy: add "
                  "rollback::snapshot{} (put/erase) or rollback::compensate{undo}");
    static_assert(std::is_same_v<RollbackPolicy, rollback::none> ||
                      std::is_same_v<WritePolicy, write::dual_primary>,
                  "dualstore: a rollback policy only acts under write::dual_primary; remove it "
                  "or use write::dual_primary");

    /// Checks that `P` and `S` are key-value stores of the same types; the
    /// messages name them as `PRole` and `SRole`.
    template <class P, class S, backend_role PRole = backend_role::primary,
              backend_role SRole = backend_role::secondary>
    static constexpr bool kv_ready() {
        constexpr bool both = require_kv_store<P, PRole>() && require_kv_store<S, SRole>();
        if constexpr (both) {
            static_assert(
                std::is_same_v<typename P::key_type, typename S::key_type> &&
                    std::is_same_v<typename P::mapped_type, typename S::mapped_type>,
                "dualstore: get/put/erase need both backends to have the same key_type and "
                "mapped_type; for backends of different types use write(op)/read(op)");
        }
        return both;
    }

    /// `get` of `key`, read per `ReadWith`: the configured read policy, or a
    /// stateless one (`read::primary`) a migration's stage asks for.
    /// `primary_origin` says which store `p` is, for the events.
    template <class ReadWith, class P, class S>
    std::optional<mapped_type_t<P>> get(P& p, S& s, const key_type_t<P>& key,
                                        migration_store primary_origin = {}) {
        static_assert(kv_ready<P, S>());
        const get_op<key_type_t<P>> op{key};
        return run_read<ReadWith>(p, s, &key, operation::get, op, primary_origin);
    }

    /// `put` of `key`; on both stores when `Both`, else on the primary only.
    template <bool Both, class P, class S>
    write_result put(P& p, S& s, const key_type_t<P>& key, const mapped_type_t<P>& value,
                     const failure_origin& origin = {}) {
        static_assert(kv_ready<P, S>());
        using K = key_type_t<P>;
        using V = mapped_type_t<P>;
        const auto held = lock_key(key);
        const put_op<K, V> put{key, value};
        if constexpr (append_only_v) {
            side_status status;
            if (sides_.call(side::primary, origin.primary_store(), operation::get, p,
                            get_op<K>{key}, status)) {
                throw immutable_violation(fmt::format(
                    "dualstore: append_only: key {} already exists: a put would overwrite it",
                    observe::printable(&key)));
            }
            const insert_op<K, V> insert{key, value};
            return run_write<Both>(p, s, &key, operation::put, origin, insert, put).result;
        } else {
            return run_write<Both>(p, s, &key, operation::put, origin, put, put).result;
        }
    }

    /// `erase` of `key`; on both stores when `Both`, else on the primary only.
    template <bool Both, class P, class S>
    erase_result erase(P& p, S& s, const key_type_t<P>& key, const failure_origin& origin = {}) {
        static_assert(kv_ready<P, S>());
        static_assert(!append_only_v,
                      "dualstore: erase is not allowed under append_only: the data is "
                      "immutable; remove append_only from the policies to erase");
        const auto held = lock_key(key);
        const erase_op<key_type_t<P>> op{key};
        auto done = run_write<Both>(p, s, &key, operation::erase, origin, op, op);
        erase_result result{done.result};
        result.existed = done.primary.value.value_or(false);
        return result;
    }

    /// A generic write; `key` may be null (a keyless write).
    template <bool Both, class P, class S, class Key, class Op>
    write_result write(P& p, S& s, const Key* key, const Op& op,
                       const failure_origin& origin = {}) {
        static_assert(!append_only_v,
                      "dualstore: a generic write(op) is not allowed under append_only: it "
                      "could overwrite or erase immutable data; use put");
        key_lock_table::lock held;
        if constexpr (!std::is_same_v<Key, no_key>) held = lock_key(*key);
        return run_write<Both>(p, s, key, operation::write, origin, op, op).result;
    }

    /// A generic read per `ReadWith` (see `get`); `key` may be null.
    template <class ReadWith, class P, class S, class Key, class Op>
    decltype(auto) read(P& p, S& s, const Key* key, const Op& op,
                        migration_store primary_origin = {}) {
        return run_read<ReadWith>(p, s, key, operation::read, op, primary_origin);
    }

    /// Holds `key` as this engine's writes do (an empty lock when writes are
    /// not ordered), so a repair can run ordered with them.
    template <class Key>
    [[nodiscard]] key_lock_table::lock lock_key(const Key& key) {
        if constexpr (ordered_v) {
            return locks_.acquire(key);
        } else {
            return {};
        }
    }

    /// Reports `event` to the observers that want it.
    template <class Event>
    void notify(const Event& event) const noexcept {
        sides_.notify(event);
    }

private:
    template <class Op, class P, class S>
    static constexpr void require_callable() {
        static_assert(std::invocable<const Op&, P&> && std::invocable<const Op&, S&>,
                      "dualstore: the operation must be callable as op(primary) and "
                      "op(secondary); for backends of different types pass "
                      "dualstore::overloaded{...}");
    }

    /// Runs `primary_op` on the primary and, when `Both`, `secondary_op` on
    /// the secondary, per the write policy.
    template <bool Both, class P, class S, class Key, class PrimaryOp, class SecondaryOp>
    auto run_write(P& p, S& s, const Key* key, operation kind, const failure_origin& origin,
                   const PrimaryOp& primary_op, const SecondaryOp& secondary_op) {
        require_callable<SecondaryOp, P, S>();
        write_call<sides, RollbackPolicy, P, S, Key, PrimaryOp, SecondaryOp> call(
            sides_, rollback_, p, s, key, kind, origin, primary_op, secondary_op);
        if constexpr (Both) {
            write_.apply(call);
        } else {
            write::primary_only{}.apply(call);
        }
        return std::move(call).finish();
    }

    /// Runs `op` per the read policy `ReadWith`.
    template <class ReadWith, class P, class S, class Key, class Op>
    decltype(auto) run_read(P& p, S& s, const Key* key, operation kind, const Op& op,
                            migration_store primary_origin) {
        require_callable<Op, P, S>();
        read_call<sides, P, S, Key, Op> call(sides_, p, s, key, kind, op, primary_origin);
        if constexpr (std::is_same_v<ReadWith, ReadPolicy>) {
            return read_.apply(call);
        } else {
            static_assert(std::is_empty_v<ReadWith>,
                          "dualstore: a read policy other than the configured one must be "
                          "stateless");
            return ReadWith{}.apply(call);
        }
    }

    [[no_unique_address]] WritePolicy write_;
    [[no_unique_address]] ReadPolicy read_;
    [[no_unique_address]] RollbackPolicy rollback_;
    [[no_unique_address]] key_locks<OrderPolicy> locks_;
    sides sides_;
};

}  // namespace dualstore::detail
