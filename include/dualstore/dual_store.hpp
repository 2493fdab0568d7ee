#pragma once
/// \file
/// `dual_store<Primary, Secondary, Policies...>`: two backends behind one
/// store interface, with compile-time write, read, retry, rollback,
/// failure-sink, observer and guard policies.

#include <dualstore/detail/configuration.hpp>
#include <dualstore/detail/dual_engine.hpp>
#include <dualstore/detail/holder.hpp>
#include <dualstore/detail/kv_checks.hpp>
#include <dualstore/repair/repair_key.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace dualstore {

/// Two stores behind one interface. Writes go to one or both per the write
/// policy; reads come from one or both per the read policy; each side's
/// operation is retried per the retry policy; `write::dual_primary` undoes
/// the primary per the rollback policy; failed secondary writes go to the
/// failure sink; everything is reported to the observers; the guard refuses
/// writes the data's rules forbid; writes to one key are ordered per the
/// ordering policy (`order::per_key` by default).
///
/// `Primary` and `Secondary` are reference types when the store refers to
/// backends that outlive it (what CTAD deduces from lvalues), object types
/// when it owns them (from rvalues). `get`/`put`/`erase` need both to model
/// `kv_store` with the same key and value types; `write(op)`/`read(op)` work
/// with any backends.
///
/// Thread safety: callable from many threads at once when the backends are;
/// the store keeps no per-call state. Observers and the failure sink may be
/// called from a worker thread under `write::parallel`.
///
/// The store itself is `dual_store<Primary, Secondary, configuration<...>>`,
/// one type per configuration, which the constructor deduces whatever the
/// order of the policies and `dual_store_t<Primary, Secondary, Policies...>`
/// names. `dual_store<Primary, Secondary, Policies...>` spelled with a policy
/// pack derives from it, so a function taking `dual_store_t<P, S, Ps...>&`
/// takes every spelling.
template <class Primary, class Secondary, class... Policies>
class dual_store;

/// The one type of a dual store over `Primary` and `Secondary` with
/// `Policies` in any order, defaults named or not: what the constructor deduces.
template <class Primary, class Secondary, class... Policies>
using dual_store_t = dual_store<Primary, Secondary, store_configuration_t<Policies...>>;

/// The dual store of one configuration (see above). It derives from the
/// configuration, so `write_policy`, `read_policy`, ... name the policies in
/// effect.
template <class Primary, class Secondary, class... ConfiguredPolicies>
class dual_store<Primary, Secondary, configuration<ConfiguredPolicies...>>
    : public configuration<ConfiguredPolicies...> {
    using Config = configuration<ConfiguredPolicies...>;
    using engine = detail::dual_engine<Config>;

public:
    /// The policies in effect, one of each category.
    using configuration_type = Config;
    /// The primary backend's type.
    using primary_store = std::remove_reference_t<Primary>;
    /// The secondary backend's type.
    using secondary_store = std::remove_reference_t<Secondary>;
    /// The key type of `get`/`put`/`erase` (`no_key` for other backends).
    using key_type = typename detail::kv_types<primary_store>::key_type;
    /// The value type of `get`/`put` (`no_key` for other backends).
    using mapped_type = typename detail::kv_types<primary_store>::mapped_type;

    /// Builds a store over `primary` and `secondary` (held by reference when
    /// lvalues, moved in when rvalues) with the given policies, in any order
    /// (copied from lvalues, moved from rvalues). The policies are checked
    /// before anything is built, so a mistake is the first error reported.
    template <class PrimaryArg, class SecondaryArg, class... Args>
    requires(
        detail::valid_policy_pack_v<std::remove_cvref_t<Args>...>&& engine::failure_sink_chosen() &&
        engine::template sink_accepts<key_type>() &&
        detail::shadow_compares<typename Config::read_policy, mapped_type>())
        dual_store(PrimaryArg&& primary, SecondaryArg&& secondary, Args&&... policies)
        : primary_(std::in_place, std::forward<PrimaryArg>(primary)),
          secondary_(std::in_place, std::forward<SecondaryArg>(secondary)),
          engine_(std::forward<Args>(policies)...) {}

    /// The primary backend.
    [[nodiscard]] primary_store& primary() noexcept { return primary_.get(); }
    /// The secondary backend.
    [[nodiscard]] secondary_store& secondary() noexcept { return secondary_.get(); }

    /// Reads `key` per the read policy. A failure of the side that answers
    /// propagates; the other side's failures are reported, never thrown.
    [[nodiscard]] std::optional<mapped_type> get(const key_type& key) {
        static_assert(kv_ready);
        return engine_.template get<typename Config::read_policy>(primary(), secondary(), key);
    }

    /// Writes `value` under `key` per the write policy. Returns when every
    /// side the policy writes has finished. A primary failure propagates; a
    /// secondary failure is in the result (and the sink) unless the policy is
    /// `write::dual_primary`, which rolls back and throws `rolled_back`.
    /// Under `append_only`, a key the primary has throws `immutable_violation`.
    write_result put(const key_type& key, const mapped_type& value) {
        static_assert(kv_ready);
        return engine_.template put<true>(primary(), secondary(), key, value);
    }

    /// Erases `key` per the write policy; converts to whether the primary
    /// had it. Failure behaviour as for `put`. Does not compile under `append_only`.
    erase_result erase(const key_type& key) {
        static_assert(kv_ready);
        return engine_.template erase<true>(primary(), secondary(), key);
    }

    /// Runs `op(store)` on each side per the write policy. `op` must be
    /// callable with both backends (use `overloaded` when their types
    /// differ). Without a key, a secondary failure cannot be handed to the
    /// failure sink (it is still in the result and reported to observers):
    /// use `write(key, op)` to make it repairable.
    template <class Op>
    write_result write(Op&& op) {
        return engine_.template write<true>(primary(), secondary(),
                                            static_cast<const no_key*>(nullptr), op);
    }

    /// As `write(op)`, naming the key the operation changes, so a secondary
    /// failure reaches the failure sink as `sink(key, operation::write, error)`.
    template <class Key, class Op>
    write_result write(const Key& key, Op&& op) {
        return engine_.template write<true>(primary(), secondary(), &key, op);
    }

    /// Runs `op(store)` per the read policy and returns the answering side's
    /// result. Under `read::fallback` the result must be testable (`!r` means
    /// "no value"); under `read::shadow` both results are compared.
    template <class Op>
    decltype(auto) read(Op&& op) {
        return engine_.template read<typename Config::read_policy>(
            primary(), secondary(), static_cast<const no_key*>(nullptr), op);
    }

    /// As `read(op)`, naming the key read, for observer events.
    template <class Key, class Op>
    decltype(auto) read(const Key& key, Op&& op) {
        return engine_.template read<typename Config::read_policy>(primary(), secondary(), &key,
                                                                   op);
    }

    /// Holds `key` as a write through this store does until the lock is
    /// destroyed, so work done meanwhile on the backends (a repair of the
    /// key) is ordered with the store's writes. Empty (holds nothing) under
    /// `order::by_caller` or `write::primary_only`. Writing to `key` through
    /// this store from the same thread meanwhile throws `error` (it would
    /// deadlock).
    template <class Key>
    [[nodiscard]] key_lock_table::lock lock_key(const Key& key) {
        return engine_.lock_key(key);
    }

    /// Makes the secondary's state of `key` equal the primary's, as
    /// `repair_key` does, while holding the key as a write through this
    /// store does (`lock_key`), so no live write to the key interleaves and
    /// the repair never puts an older value over a newer one. What `drain`
    /// and a reconciler with repair call for each key in this process.
    repair_action repair(const key_type& key) {
        static_assert(kv_ready);
        const auto held = lock_key(key);
        return repair_key(primary(), secondary(), key);
    }

private:
    // Stops get/put/erase with a readable message when the backends are not
    // key-value stores of the same types.
    static constexpr bool kv_ready = engine::template kv_ready<primary_store, secondary_store>();

    detail::holder<Primary> primary_;
    detail::holder<Secondary> secondary_;
    engine engine_;
};

/// A dual store spelled with a policy pack: the store of its configuration
/// (`dual_store_t`), with the same constructors.
template <class Primary, class Secondary, class... Policies>
class dual_store : public dual_store_t<Primary, Secondary, Policies...> {
    using configured = dual_store_t<Primary, Secondary, Policies...>;

public:
    using configured::configured;
};

/// Deduces held (lvalue) or owned (rvalue) backends and the store of the
/// policies' configuration, so the same policies in any order are one type.
template <class PrimaryArg, class SecondaryArg, class... Ps>
dual_store(PrimaryArg&&, SecondaryArg&&, Ps&&...)
    -> dual_store<detail::held_t<PrimaryArg&&>, detail::held_t<SecondaryArg&&>,
                  store_configuration_t<std::remove_cvref_t<Ps>...>>;

}  // namespace dualstore
