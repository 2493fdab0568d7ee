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

/// Which backend a check is about; its message names it.
enum class backend_role { primary, secondary, old_store, new_store };

// One static_assert per role, since a message must be a literal: the first
// error names the backend whose member is missing.
#define DUALSTORE_REQUIRE_KV_MEMBER(missing, ...)                                                 \
    static_assert(Role != backend_role::primary || (__VA_ARGS__),                                 \
                  "dualstore: the primary backend does not model dualstore::kv_store: " missing); \
    static_assert(                                                                                \
        Role != backend_role::secondary || (__VA_ARGS__),                                         \
        "dualstore: the secondary backend does not model dualstore::kv_store: " missing);         \
    static_assert(Role != backend_role::old_store || (__VA_ARGS__),                               \
                  "dualstore: the old backend does not model dualstore::kv_store: " missing);     \
    static_assert(Role != backend_role::new_store || (__VA_ARGS__),                               \
                  "dualstore: the new backend does not model dualstore::kv_store: " missing)

/// Stops the build with a message naming the backend (`Role`) and the first
/// member `S` lacks to model `kv_store`; true when it models it.
template <class S, backend_role Role>
constexpr bool require_kv_store() {
    DUALSTORE_REQUIRE_KV_MEMBER("no member type key_type", has_key_type<S>);
    DUALSTORE_REQUIRE_KV_MEMBER("no member type mapped_type", has_mapped_type<S>);
    if constexpr (has_key_type<S> && has_mapped_type<S>) {
        using K = typename S::key_type;
        using V = typename S::mapped_type;
        DUALSTORE_REQUIRE_KV_MEMBER(
            "no member get(key) returning std::optional<mapped_type>", requires(S & s, const K& k) {
                { s.get(k) } -> std::same_as<std::optional<V>>;
            });
        DUALSTORE_REQUIRE_KV_MEMBER(
            "no member put(key, value)", requires(S & s, const K& k, const V& v) { s.put(k, v); });
        DUALSTORE_REQUIRE_KV_MEMBER(
            "no member erase(key) returning bool", requires(S & s, const K& k) {
                { s.erase(k) } -> std::convertible_to<bool>;
            });
    }
    return kv_store<S>;
}

#undef DUALSTORE_REQUIRE_KV_MEMBER

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
