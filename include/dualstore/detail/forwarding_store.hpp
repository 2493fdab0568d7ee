#pragma once
/// \file
/// The capability forwarding shared by the wrapping test doubles
/// (`testing::faulty`, `testing::recording_store`): a wrapper forwards exactly
/// the capabilities its backend models and runs a hook before every call.

#include <dualstore/call_kind.hpp>
#include <dualstore/concepts.hpp>
#include <dualstore/detail/holder.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace dualstore::detail {

/// Stands in for the cursor of a backend that cannot scan; never constructed.
struct no_cursor {
    no_cursor() = delete;
};

/// The cursor type a wrapper's `scan` takes: the backend's, or `no_cursor`.
template <class S>
struct forwarded_cursor {
    using type = no_cursor;
};
template <scannable_store S>
struct forwarded_cursor<S> {
    using type = typename S::cursor_type;
};

/// Declares `cursor_type` exactly when `S` models `scannable_store`, so a
/// wrapper is scannable only over a scannable backend.
template <class S>
struct cursor_alias {};
template <scannable_store S>
struct cursor_alias<S> {
    /// The backend's scan cursor.
    using cursor_type = typename S::cursor_type;
};

/// The keys a call names: a span of keys, or the keys of a span of (key,
/// value) pairs. Cheap to copy; refers to the caller's data.
template <class Key, class Value>
class key_list {
public:
    /// The keys `keys`.
    explicit key_list(std::span<const Key> keys) noexcept : keys_(keys) {}
    /// The keys of `items`.
    explicit key_list(std::span<const std::pair<Key, Value>> items) noexcept : items_(items) {}

    /// Whether `predicate(key)` holds for some key, tried in order.
    template <class Predicate>
    [[nodiscard]] bool any_of(Predicate predicate) const {
        return std::ranges::any_of(keys_, predicate) ||
               std::ranges::any_of(items_, [&](const auto& item) { return predicate(item.first); });
    }

    /// Calls `f(key)` for each key, in order.
    template <class F>
    void for_each(F f) const {
        static_cast<void>(any_of([&](const Key& key) {
            f(key);
            return false;
        }));
    }

    /// The keys printed with fmt and joined by ','; empty when fmt cannot
    /// print the key type.
    [[nodiscard]] std::string text() const {
        std::string joined;
        if constexpr (fmt::is_formattable<Key>::value) {
            bool first = true;
            for_each([&](const Key& key) {
                if (!std::exchange(first, false)) joined += ',';
                fmt::format_to(std::back_inserter(joined), "{}", key);
            });
        }
        return joined;
    }

private:
    std::span<const Key> keys_;
    std::span<const std::pair<Key, Value>> items_;
};

/// Base of a wrapper `Derived` around a backend held as `S` (`T&` refers,
/// `T` owns; see `holder`). Has every member of the capability concepts the
/// backend models and no other: each forwards to the backend after calling
/// `Derived::before(call_kind, const keys_type&)` with the keys the call names
/// (none for `scan`). A hook that throws stops the call before it reaches the
/// backend. Thread-safe when the backend and the hook are.
template <class Derived, class S>
class forwarding_store : public cursor_alias<std::remove_reference_t<S>> {
public:
    /// The wrapped backend type.
    using inner_type = std::remove_reference_t<S>;
    static_assert(kv_store<inner_type>,
                  "the wrapped backend does not model dualstore::kv_store: it needs key_type, "
                  "mapped_type, get(key) -> std::optional<mapped_type>, put(key, value) and "
                  "erase(key) -> bool");
    /// The backend's key type.
    using key_type = typename inner_type::key_type;
    /// The backend's value type.
    using mapped_type = typename inner_type::mapped_type;
    /// Scans in key order exactly when the backend does (`key_ordered_store`).
    static constexpr bool scans_in_key_order = enable_key_ordered_scan<inner_type>;

    /// Forwards `get`; throws what the hook or the backend throws.
    std::optional<mapped_type> get(const key_type& key) {
        before_one(call_kind::get, key);
        return inner().get(key);
    }

    /// Forwards `put(key, value)`; throws what the hook or the backend throws.
    decltype(auto) put(const key_type& key, const mapped_type& value) {
        before_one(call_kind::put, key);
        return inner().put(key, value);
    }

    /// Forwards `erase`; throws what the hook or the backend throws.
    bool erase(const key_type& key) {
        before_one(call_kind::erase, key);
        return static_cast<bool>(inner().erase(key));
    }

    /// Forwards `scan` (only over a `scannable_store`); throws what the hook or
    /// the backend throws.
    decltype(auto) scan(const typename forwarded_cursor<inner_type>::type& cursor,
                        std::size_t limit) requires scannable_store<inner_type> {
        before_each(call_kind::scan, std::span<const key_type>{});
        return inner().scan(cursor, limit);
    }

    /// Forwards `scan_with_expiry` (only over an `expiry_scannable_store`),
    /// as a `scan` call; throws what the hook or the backend throws.
    decltype(auto) scan_with_expiry(const typename forwarded_cursor<inner_type>::type& cursor,
                                    std::size_t limit) requires expiry_scannable_store<inner_type> {
        before_each(call_kind::scan, std::span<const key_type>{});
        return inner().scan_with_expiry(cursor, limit);
    }

    /// Forwards `put(key, value, ttl)` (only over an `expiring_store`); throws
    /// what the hook or the backend throws.
    decltype(auto) put(const key_type& key, const mapped_type& value,
                       std::chrono::milliseconds ttl) requires expiring_store<inner_type> {
        before_one(call_kind::put_ttl, key);
        return inner().put(key, value, ttl);
    }

    /// Forwards `expiry` (only over an `expiring_store`); throws what the hook
    /// or the backend throws.
    std::optional<expiry_clock::time_point> expiry(const key_type& key) requires
        expiring_store<inner_type> {
        before_one(call_kind::expiry, key);
        return inner().expiry(key);
    }

    /// Forwards `put_if_absent` (only over a `conditional_store`); throws what
    /// the hook or the backend throws.
    bool put_if_absent(const key_type& key,
                       const mapped_type& value) requires conditional_store<inner_type> {
        before_one(call_kind::put_if_absent, key);
        return static_cast<bool>(inner().put_if_absent(key, value));
    }

    /// Forwards `put_if_absent(key, value, ttl)` (only over a
    /// `conditional_expiring_store`); throws what the hook or the backend
    /// throws.
    bool put_if_absent(const key_type& key, const mapped_type& value,
                       std::chrono::milliseconds ttl) requires
        conditional_expiring_store<inner_type> {
        before_one(call_kind::put_if_absent_ttl, key);
        return static_cast<bool>(inner().put_if_absent(key, value, ttl));
    }

    /// Forwards `get_many` (only over a `batch_store`); throws what the hook or
    /// the backend throws.
    std::vector<std::optional<mapped_type>> get_many(std::span<const key_type> keys) requires
        batch_store<inner_type> {
        before_each(call_kind::get_many, keys);
        return inner().get_many(keys);
    }

    /// Forwards `put_many` (only over a `batch_store`); throws what the hook or
    /// the backend throws.
    decltype(auto) put_many(std::span<const std::pair<key_type, mapped_type>> items) requires
        batch_store<inner_type> {
        before_each(call_kind::put_many, items);
        return inner().put_many(items);
    }

    /// Forwards `put_many_if_absent` (only over a `conditional_batch_store`);
    /// throws what the hook or the backend throws.
    std::vector<bool> put_many_if_absent(std::span<const std::pair<key_type, mapped_type>>
                                             items) requires conditional_batch_store<inner_type> {
        before_each(call_kind::put_many_if_absent, items);
        return inner().put_many_if_absent(items);
    }

    /// Forwards `put_many(items, ttls)` (only over an `expiring_batch_store`;
    /// the hook sees a `put_many`); throws what the hook or the backend throws.
    decltype(auto) put_many(std::span<const std::pair<key_type, mapped_type>> items,
                            std::span<const time_to_live> ttls) requires
        expiring_batch_store<inner_type> {
        before_each(call_kind::put_many, items);
        return inner().put_many(items, ttls);
    }

    /// Forwards `put_many_if_absent(items, ttls)` (only over an
    /// `expiring_batch_store`; the hook sees a `put_many_if_absent`); throws
    /// what the hook or the backend throws.
    std::vector<bool> put_many_if_absent(std::span<const std::pair<key_type, mapped_type>> items,
                                         std::span<const time_to_live> ttls) requires
        expiring_batch_store<inner_type> {
        before_each(call_kind::put_many_if_absent, items);
        return inner().put_many_if_absent(items, ttls);
    }

    /// Forwards `change_stamp` (only over a `change_stamped_store`); throws
    /// what the hook or the backend throws.
    decltype(auto) change_stamp() requires change_stamped_store<inner_type> {
        before_each(call_kind::change_stamp, std::span<const key_type>{});
        return inner().change_stamp();
    }

    /// Forwards `encode_cursor` (only over a `resumable_store`).
    [[nodiscard]] static std::string encode_cursor(
        const typename forwarded_cursor<inner_type>::type& cursor) requires
        resumable_store<inner_type> {
        return inner_type::encode_cursor(cursor);
    }

    /// Forwards `decode_cursor` (only over a `resumable_store`).
    [[nodiscard]] static decltype(auto) decode_cursor(std::string_view bytes) requires
        resumable_store<inner_type> {
        return inner_type::decode_cursor(bytes);
    }

    /// The wrapped backend; calls made on it directly bypass the hook.
    [[nodiscard]] inner_type& inner() noexcept { return inner_.get(); }
    /// \copydoc inner
    [[nodiscard]] const inner_type& inner() const noexcept { return inner_.get(); }

protected:
    /// The keys of a call, as the hook sees them.
    using keys_type = key_list<key_type, mapped_type>;

    /// Builds the held backend from `args` (a reference to it, or what its
    /// constructor takes when it is owned).
    template <class... Args>
    explicit forwarding_store(std::in_place_t, Args&&... args)
        : inner_(std::in_place, std::forward<Args>(args)...) {}

private:
    template <class Keys>
    void before_each(call_kind kind, Keys keys) {
        static_cast<Derived&>(*this).before(kind, keys_type(keys));
    }

    void before_one(call_kind kind, const key_type& key) {
        before_each(kind, std::span<const key_type>(std::addressof(key), 1));
    }

    holder<S> inner_;
};

}  // namespace dualstore::detail
