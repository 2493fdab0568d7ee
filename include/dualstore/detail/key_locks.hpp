#pragma once
/// \file
/// The per-key locks an ordering policy asks for.

#include <dualstore/key_lock_table.hpp>
#include <dualstore/order.hpp>

#include <memory>

namespace dualstore::detail {

/// The per-key locks of an ordering policy: a `key_lock_table` under
/// `order::per_key`, nothing otherwise (every lock is empty).
template <class OrderPolicy>
class key_locks {
public:
    explicit key_locks(const OrderPolicy& /*policy*/) noexcept {}
    template <class Key>
    key_lock_table::lock acquire(const Key& /*key*/) noexcept {
        return {};
    }
};
template <>
class key_locks<order::per_key> {
public:
    explicit key_locks(const order::per_key& policy)
        : table_(std::make_unique<key_lock_table>(policy.stripes)) {}
    template <class Key>
    key_lock_table::lock acquire(const Key& key) {
        static_assert(lockable_key<Key>,
                      "dualstore: order::per_key locks a write's key by its hash: the key type "
                      "needs std::hash<Key> or a conversion to std::string_view (or use "
                      "order::by_caller and order writes to a key yourself)");
        return table_->acquire(key);
    }

private:
    std::unique_ptr<key_lock_table> table_;  // on the heap: the store stays movable
};

}  // namespace dualstore::detail
