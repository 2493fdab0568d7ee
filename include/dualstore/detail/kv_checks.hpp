#pragma once
/// \file
/// Readable diagnostics for a backend used as a key-value store when it is
/// not one: each missing member gets its own message.

#include <dualstore/concepts.hpp>
#include <dualstore/observe/events.hpp>

#include <concepts>
#include <optional>
#include <type_traits>

namespace dualstore::detail {

template <class S>
concept has_key_type = requires {
    typename S::key_type;
};
template <class S>
concept has_mapped_type = requires {
    typename S::mapped_type;
};

/// Names the backend in the instantiation context of a failed check.
struct the_primary_backend {};
/// \copydoc the_primary_backend
struct the_secondary_backend {};

/// Stops the build with a message naming the first member `S` lacks to model
/// `kv_store`; true when it models it. `Which` names the backend.
template <class S, class Which>
constexpr bool require_kv_store() {
    static_assert(has_key_type<S>,
                  "dualstore: backend does not model dualstore::kv_store: no member type key_type");
    static_assert(has_mapped_type<S>,
                  "dualstore: backend does not model dualstore::kv_store: no member type "
                  "mapped_type");
    if constexpr (has_key_type<S> && has_mapped_type<S>) {
        using K = typename S::key_type;
        using V = typename S::mapped_type;
        static_assert(
            requires(S & s, const K& k) {
                { s.get(k) } -> std::same_as<std::optional<V>>;
            },
            "dualstore: backend does not model dualstore::kv_store: no member get(key) returning "
            "std::optional<mapped_type>");
        static_assert(
            requires(S & s, const K& k, const V& v) { s.put(k, v); },
            "dualstore: backend does not model dualstore::kv_store: no member "
            "put(key, value)");
        static_assert(
            requires(S & s, const K& k) {
                { s.erase(k) } -> std::convertible_to<bool>;
            },
            "dualstore: backend does not model dualstore::kv_store: no member erase(key) "
            "returning bool");
    }
    return kv_store<S>;
}

/// Key and value types of a key-value backend; `no_key` for other backends.
template <class S>
struct kv_types {
    using key_type = no_key;
    using mapped_type = no_key;
};
template <kv_store S>
struct kv_types<S> {
    using key_type = typename S::key_type;
    using mapped_type = typename S::mapped_type;
};

}  // namespace dualstore::detail
