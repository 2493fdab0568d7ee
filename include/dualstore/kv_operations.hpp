#pragma once
/// \file
/// The key-value operations as function objects. `dual_store::get/put/erase`
/// run these through the same machinery as a generic `write(op)`, and a
/// `rollback::compensate` undo function receives them.

#include <dualstore/concepts.hpp>
#include <dualstore/error.hpp>

namespace dualstore {

/// Reads `key`: `s.get(key)`.
template <class Key>
struct get_op {
    const Key& key;  ///< the key read

    template <class Store>
    auto operator()(Store& s) const {
        return s.get(key);
    }
};

/// Writes `value` under `key`: `s.put(key, value)`.
template <class Key, class Value>
struct put_op {
    const Key& key;      ///< the key written
    const Value& value;  ///< the value written

    template <class Store>
    void operator()(Store& s) const {
        s.put(key, value);
    }
};

/// Inserts `value` under `key` only if the key is absent:
/// `s.put_if_absent(key, value)`; a store without `put_if_absent` gets a
/// plain `put`. Throws `immutable_violation` when the key was present.
template <class Key, class Value>
struct insert_op {
    const Key& key;      ///< the key written
    const Value& value;  ///< the value written

    template <class Store>
    void operator()(Store& s) const {
        if constexpr (conditional_store<Store>) {
            if (!s.put_if_absent(key, value)) {
                throw immutable_violation(
                    "dualstore: append_only: the key already exists, a put would overwrite it");
            }
        } else {
            s.put(key, value);
        }
    }
};

/// Erases `key`: `s.erase(key)`, true if it was there.
template <class Key>
struct erase_op {
    const Key& key;  ///< the key erased

    template <class Store>
    bool operator()(Store& s) const {
        return static_cast<bool>(s.erase(key));
    }
};

namespace detail {
/// Whether `Op` is a write of one named key (`put`, `insert` or `erase`).
template <class Op>
inline constexpr bool is_keyed_write_v = false;
template <class K, class V>
inline constexpr bool is_keyed_write_v<put_op<K, V>> = true;
template <class K, class V>
inline constexpr bool is_keyed_write_v<insert_op<K, V>> = true;
template <class K>
inline constexpr bool is_keyed_write_v<erase_op<K>> = true;
}  // namespace detail

}  // namespace dualstore
