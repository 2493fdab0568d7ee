#pragma once
/// \file
/// `migration<Old, New, Policies...>`: a dual store whose roles change at run
/// time, stage by stage, from the old store alone to the new store alone.

#include <dualstore/detail/configuration.hpp>
#include <dualstore/detail/dual_engine.hpp>
#include <dualstore/detail/holder.hpp>
#include <dualstore/detail/kv_checks.hpp>
#include <dualstore/detail/stage_gate.hpp>
#include <dualstore/observe/events.hpp>
#include <dualstore/repair/repair_key.hpp>
#include <dualstore/stage.hpp>

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

namespace dualstore {

/// A store that migrates from `Old` to `New` in the stages of `stage`:
///
/// | stage        | writes             | reads                                   |
/// |--------------|--------------------|-----------------------------------------|
/// | `off`        | old                | old                                     |
/// | `dual_write` | old, then new      | old                                     |
/// | `shadow`     | old, then new      | both; returns old, compares             |
/// | `live`       | new, then old      | both; returns new, compares             |
/// | `rampdown`   | new, then old      | new                                     |
/// | `complete`   | new                | new                                     |
///
/// In each stage the store that answers reads is the *primary* for the
/// policies and in observer events (`side::primary`): its failures reach the
/// caller, the other side's go to the failure sink. The write policy
/// (`sequential` by default, `parallel`, or `dual_primary` with a rollback
/// policy) applies where both stores are written; "then" above is the
/// sequential order. The retry, rollback, failure-sink, observer and guard
/// policies apply in every stage. A `read::shadow` policy configures the
/// comparison in `shadow` and `live` (by default every read is compared).
///
/// `set_stage` may be called while other threads use the store. Each
/// operation runs entirely under the stage it began in, and `set_stage`
/// returns only when every operation begun under the previous stage has
/// finished, so no acknowledged write is half-applied by a change. Operations
/// that begin while a change waits for them wait in turn, so operations of
/// two stages never overlap; writes to one key are ordered within a stage
/// (`order::per_key`). Backends
/// are held by reference (lvalues) or owned (rvalues), as in `dual_store`.
///
/// As for `dual_store`, the migration itself is `migration<Old, New,
/// configuration<...>>`, one type per configuration, which the constructor
/// deduces and `migration_t<Old, New, Policies...>` names; a migration spelled
/// with a policy pack derives from it.
template <class Old, class New, class... Policies>
class migration;

/// The one type of a migration from `Old` to `New` with `Policies` in any order.
template <class Old, class New, class... Policies>
using migration_t = migration<Old, New, migration_configuration_t<Policies...>>;

/// The migration of one configuration (see above). It derives from the
/// configuration, so `write_policy`, `read_policy`, ... name the policies in
/// effect.
template <class Old, class New, class... ConfiguredPolicies>
class migration<Old, New, configuration<ConfiguredPolicies...>>
    : public configuration<ConfiguredPolicies...> {
    using Config = configuration<ConfiguredPolicies...>;
    using engine = detail::dual_engine<Config>;

public:
    /// The policies in effect, one of each category.
    using configuration_type = Config;
    /// The old backend's type.
    using old_store = std::remove_reference_t<Old>;
    /// The new backend's type.
    using new_store = std::remove_reference_t<New>;
    /// The key type of `get`/`put`/`erase` (`no_key` for other backends).
    using key_type = typename detail::kv_types<old_store>::key_type;
    /// The value type of `get`/`put` (`no_key` for other backends).
    using mapped_type = typename detail::kv_types<old_store>::mapped_type;

    static_assert(!std::is_same_v<typename Config::write_policy, write::primary_only>,
                  "dualstore: migration: the stage decides which stores are written; remove "
                  "write::primary_only (use stage::off or stage::complete for one store)");
    static_assert(detail::is_shadow_v<typename Config::read_policy>,
                  "dualstore: migration: the stage decides which store answers reads; the only "
                  "read policy it takes is read::shadow{...}, to configure the comparison of "
                  "the shadow and live stages");

    /// A migration over `old_backend` and `new_backend` with the given
    /// policies in any order (copied from lvalues, moved from rvalues),
    /// optionally preceded by the initial `stage` (`stage::off` when there is
    /// none). The arguments are checked before anything is built.
    template <class OldArg, class NewArg, class... Args>
    requires(detail::migration_arguments<std::remove_cvref_t<Args>...>::valid&&
                 engine::failure_sink_chosen() &&
             engine::template sink_accepts<key_type>() &&
             detail::shadow_compares<typename Config::read_policy, mapped_type>())
        migration(OldArg&& old_backend, NewArg&& new_backend, Args&&... args)
        : old_(std::in_place, std::forward<OldArg>(old_backend)),
          new_(std::in_place, std::forward<NewArg>(new_backend)),
          engine_(std::forward<Args>(args)...),
          gate_(initial_stage(args...)) {}

    /// The old backend.
    [[nodiscard]] old_store& old_side() noexcept { return old_.get(); }
    /// The new backend.
    [[nodiscard]] new_store& new_side() noexcept { return new_.get(); }

    /// The current stage.
    [[nodiscard]] stage current_stage() const noexcept { return gate_.current(); }

    /// Moves to stage `to` (any stage, forward or back) and returns the
    /// previous one, after every operation begun under it has finished; then
    /// reports `observe::stage_change_event` when the stage changed. Must not
    /// be called from inside an operation of this store (throws `error`).
    stage set_stage(stage to) {
        const stage from = gate_.change(to);
        if (from != to) engine_.notify(observe::stage_change_event{from, to});
        return from;
    }

    /// Reads `key` from the stage's primary (comparing with the other store
    /// in `shadow` and `live`).
    [[nodiscard]] std::optional<mapped_type> get(const key_type& key) {
        static_assert(kv_ready);
        return staged_read(
            [&]<class ReadWith>(auto& primary, auto& secondary, migration_store primary_origin) {
                return engine_.template get<ReadWith>(primary, secondary, key, primary_origin);
            });
    }

    /// Writes `value` under `key` to the stores of the current stage.
    write_result put(const key_type& key, const mapped_type& value) {
        static_assert(kv_ready);
        return staged_write(
            [&]<bool Both>(auto& primary, auto& secondary, const failure_origin& origin) {
                return engine_.template put<Both>(primary, secondary, key, value, origin);
            });
    }

    /// Erases `key` from the stores of the current stage; converts to
    /// whether the stage's primary had it.
    erase_result erase(const key_type& key) {
        static_assert(kv_ready);
        return staged_write(
            [&]<bool Both>(auto& primary, auto& secondary, const failure_origin& origin) {
                return engine_.template erase<Both>(primary, secondary, key, origin);
            });
    }

    /// Runs `op(store)` on the stores of the current stage (see `dual_store::write`).
    template <class Op>
    write_result write(Op&& op) {
        return write_keyed(static_cast<const no_key*>(nullptr), op);
    }

    /// As `write(op)`, naming the key changed so a failure reaches the sink.
    template <class Key, class Op>
    write_result write(const Key& key, Op&& op) {
        return write_keyed(&key, op);
    }

    /// Runs `op(store)` on the stage's primary (and compares in `shadow` and
    /// `live`). `op` must return the same type from both stores.
    template <class Op>
    decltype(auto) read(Op&& op) {
        return read_keyed(static_cast<const no_key*>(nullptr), op);
    }

    /// As `read(op)`, naming the key read, for observer events.
    template <class Key, class Op>
    decltype(auto) read(const Key& key, Op&& op) {
        return read_keyed(&key, op);
    }

    /// Holds `key` as a write through this store does (in every stage) until
    /// the lock is destroyed; see `dual_store::lock_key`.
    template <class Key>
    [[nodiscard]] key_lock_table::lock lock_key(const Key& key) {
        return engine_.lock_key(key);
    }

    /// Makes the other store's state of `key` equal the authoritative
    /// store's (`authoritative_store(current_stage())`: the old store through
    /// `shadow`, the new one from `live`), as `repair_key` does, while holding
    /// the key as live writes do and within the current stage, so no live
    /// write to the key interleaves and the roles cannot flip meanwhile.
    repair_action repair(const key_type& key) {
        static_assert(kv_ready);
        return repair_in_stage(key, nullptr);
    }

    /// As `repair(key)`, copying from `from`, which must be authoritative
    /// now: otherwise the copy would undo writes acknowledged on the other
    /// store, and `repair_refused` is thrown with nothing written. `drain`
    /// passes the store that was authoritative when the failure was recorded.
    repair_action repair(const key_type& key, migration_store from) {
        static_assert(kv_ready);
        return repair_in_stage(key, &from);
    }

private:
    repair_action repair_in_stage(const key_type& key, const migration_store* from) {
        return staged_write(
            [&]<bool>(auto& primary, auto& secondary, const failure_origin& origin) {
                const stage now = *origin.migration_stage;
                if (from != nullptr && *from != authoritative_store(now)) {
                    throw repair_refused(fmt::format(
                        "dualstore: migration::repair: refused to copy from the {} to the {}: the "
                        "{} is authoritative in stage {}, so the copy would undo writes "
                        "acknowledged on it. Set the stage back to one where the {} is "
                        "authoritative to repair this key",
                        to_string(*from), to_string(authoritative_store(now)),
                        to_string(authoritative_store(now)), now, to_string(*from)));
                }
                const auto held = engine_.lock_key(key);
                return repair_key(primary, secondary, key);
            });
    }

    template <class... Args>
    static constexpr stage initial_stage(const Args&... args) noexcept {
        stage initial = stage::off;
        (
            [&] {
                if constexpr (std::is_same_v<Args, stage>) initial = args;
            }(),
            ...);
        return initial;
    }

    static constexpr bool kv_ready =
        engine::template kv_ready<old_store, new_store, detail::backend_role::old_store,
                                  detail::backend_role::new_store>();

    /// Runs `fn.template operator()<Both>(primary, secondary, origin)` with
    /// the roles of the stage in effect, which cannot change until it
    /// returns: the authoritative store first, `Both` when the stage writes
    /// both stores; `origin` names the stage. Four branches, one per pair of
    /// roles and `Both`.
    template <class Fn>
    decltype(auto) staged_write(Fn&& fn) {
        const auto pass = gate_.enter();
        const stage now = pass.stage();
        const failure_origin origin{now};
        const bool both = now != stage::off && now != stage::complete;
        if (authoritative_store(now) == migration_store::new_store) {
            if (both) return fn.template operator()<true>(new_side(), old_side(), origin);
            return fn.template operator()<false>(new_side(), old_side(), origin);
        }
        if (both) return fn.template operator()<true>(old_side(), new_side(), origin);
        return fn.template operator()<false>(old_side(), new_side(), origin);
    }

    /// Runs `fn.template operator()<ReadWith>(primary, secondary,
    /// primary_origin)` with the roles of the stage in effect: the
    /// authoritative store first (`primary_origin` says which it is), and
    /// `ReadWith` the shadow policy in `shadow` and `live`, `read::primary`
    /// otherwise. Four branches.
    template <class Fn>
    decltype(auto) staged_read(Fn&& fn) {
        using shadow = typename Config::read_policy;
        constexpr auto old_first = migration_store::old_store;
        constexpr auto new_first = migration_store::new_store;
        const auto pass = gate_.enter();
        const stage now = pass.stage();
        const bool shadowed = now == stage::shadow || now == stage::live;
        if (authoritative_store(now) == new_first) {
            if (shadowed) return fn.template operator()<shadow>(new_side(), old_side(), new_first);
            return fn.template operator()<read::primary>(new_side(), old_side(), new_first);
        }
        if (shadowed) return fn.template operator()<shadow>(old_side(), new_side(), old_first);
        return fn.template operator()<read::primary>(old_side(), new_side(), old_first);
    }

    template <class Key, class Op>
    write_result write_keyed(const Key* key, const Op& op) {
        return staged_write(
            [&]<bool Both>(auto& primary, auto& secondary, const failure_origin& origin) {
                return engine_.template write<Both>(primary, secondary, key, op, origin);
            });
    }

    template <class Key, class Op>
    decltype(auto) read_keyed(const Key* key, const Op& op) {
        using from_old = std::invoke_result_t<const Op&, old_store&>;
        using from_new = std::invoke_result_t<const Op&, new_store&>;
        static_assert(std::is_same_v<std::remove_cvref_t<from_old>, std::remove_cvref_t<from_new>>,
                      "dualstore: migration::read: the operation must return the same type from "
                      "the old and the new store, since either may answer");
        return staged_read(
            [&]<class ReadWith>(auto& primary, auto& secondary,
                                migration_store primary_origin) -> std::remove_cvref_t<from_old> {
                return engine_.template read<ReadWith>(primary, secondary, key, op, primary_origin);
            });
    }

    detail::holder<Old> old_;
    detail::holder<New> new_;
    engine engine_;
    detail::stage_gate gate_;
};

/// A migration spelled with a policy pack: the migration of its
/// configuration (`migration_t`), with the same constructors.
template <class Old, class New, class... Policies>
class migration : public migration_t<Old, New, Policies...> {
    using configured = migration_t<Old, New, Policies...>;

public:
    using configured::configured;
};

/// Deduces held (lvalue) or owned (rvalue) backends and the migration of the
/// policies' configuration (an initial stage may come first).
template <class OldArg, class NewArg, class... Args>
migration(OldArg&&, NewArg&&, Args&&...)
    -> migration<detail::held_t<OldArg&&>, detail::held_t<NewArg&&>,
                 typename detail::migration_arguments<std::remove_cvref_t<Args>...>::configuration>;

}  // namespace dualstore
