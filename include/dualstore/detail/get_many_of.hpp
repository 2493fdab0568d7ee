#pragma once
/// \file
/// `get_many_of(store, keys)`: the values of `keys` in one call to the
/// store's `get_many` where it is a `batch_store`, else one `get` per key.

#include <dualstore/concepts.hpp>

#include <optional>
#include <span>
#include <vector>

namespace dualstore::detail {

/// The value of each of `keys` in `store`, in order; throws what the store throws.
template <kv_store Store>
std::vector<std::optional<mapped_type_t<Store>>> get_many_of(
    Store& store, std::span<const key_type_t<Store>> keys) {
    if constexpr (batch_store<Store>) {
        return store.get_many(keys);
    } else {
        std::vector<std::optional<mapped_type_t<Store>>> values;
        values.reserve(keys.size());
        for (const auto& key : keys) values.push_back(store.get(key));
        return values;
    }
}

}  // namespace dualstore::detail
