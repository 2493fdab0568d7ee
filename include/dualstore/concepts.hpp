#pragma once
/// \file
/// The backend concepts. A backend is any type with the right members; no base
/// class, no virtual functions. Failures are exceptions.

#include <chrono>
#include <concepts>
#include <cstddef>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace dualstore {

/// The clock absolute expiry times are expressed in.
using expiry_clock = std::chrono::system_clock;

/// A key-value store: `get` returns the value or `std::nullopt`, `put`
/// inserts or replaces, `erase` says whether the key was there.
template <class S>
concept kv_store = requires(S& s, const typename S::key_type& k, const typename S::mapped_type& v) {
    typename S::key_type;
    typename S::mapped_type;
    { s.get(k) } -> std::same_as<std::optional<typename S::mapped_type>>;
    s.put(k, v);
    { s.erase(k) } -> std::convertible_to<bool>;
};

/// One page of a scan: the items, and the cursor to continue from
/// (`std::nullopt` once the scan is complete).
template <class Key, class Value, class Cursor>
struct scan_page {
    std::vector<std::pair<Key, Value>> items;
    std::optional<Cursor> next;
};

namespace detail {
template <class Page, class Key, class Value, class Cursor>
concept scan_page_of = requires(const Page& p) {
    // An input range of pairs, said with <iterator> alone (ranges::begin and
    // ranges::end come with it) to keep <ranges> off every user's include path.
    { std::ranges::begin(p.items) } -> std::input_iterator;
    std::ranges::end(p.items);
    requires std::convertible_to<std::iter_reference_t<decltype(std::ranges::begin(p.items))>,
                                 std::pair<Key, Value>>;
    { p.next } -> std::convertible_to<std::optional<Cursor>>;
};
}  // namespace detail

/// A store that can be walked in pages: `s.scan(cursor, limit)` returns at most
/// `limit` items and the cursor of the next page. A default-constructed
/// `cursor_type` starts at the beginning; the cursor can be stored and a scan
/// resumed from it later. A full scan visits every key present for its whole
/// duration exactly once.
template <class S>
concept scannable_store = kv_store<S> && std::default_initializable<typename S::cursor_type> &&
    requires(S& s, const typename S::cursor_type& c, std::size_t limit) {
    {
        s.scan(c, limit)
        } -> detail::scan_page_of<typename S::key_type, typename S::mapped_type,
                                  typename S::cursor_type>;
};

/// A store whose entries can expire: `s.put(k, v, ttl)` writes with a time to
/// live; `s.expiry(k)` is the absolute expiry of a live entry, `std::nullopt`
/// when it has none or does not exist. Expired entries are invisible to reads.
template <class S>
concept expiring_store = kv_store<S> &&
    requires(S& s, const typename S::key_type& k, const typename S::mapped_type& v,
             std::chrono::milliseconds ttl) {
    s.put(k, v, ttl);
    { s.expiry(k) } -> std::same_as<std::optional<expiry_clock::time_point>>;
};

/// A store that can insert only when the key is absent, atomically:
/// `put_if_absent` returns whether it wrote.
template <class S>
concept conditional_store = kv_store<S> &&
    requires(S& s, const typename S::key_type& k, const typename S::mapped_type& v) {
    { s.put_if_absent(k, v) } -> std::convertible_to<bool>;
};

/// A store that expires entries and can insert with a time to live only
/// when the key is absent, in one atomic step: `put_if_absent(k, v, ttl)`
/// returns whether it wrote. A backfill with `conflict_rule::keep_target`
/// uses it for records with an expiry, so a live write never lands between
/// a check and a put (Redis `SET NX PX`, SQL `INSERT ... ON CONFLICT DO
/// NOTHING` with the expiry column).
template <class S>
concept conditional_expiring_store = conditional_store<S> && expiring_store<S> &&
    requires(S& s, const typename S::key_type& k, const typename S::mapped_type& v,
             std::chrono::milliseconds ttl) {
    { s.put_if_absent(k, v, ttl) } -> std::convertible_to<bool>;
};

/// A store with batch operations: `get_many` answers one optional per key, in
/// order; `put_many` writes every pair.
template <class S>
concept batch_store = kv_store<S> &&
    requires(S& s, std::span<const typename S::key_type> keys,
             std::span<const std::pair<typename S::key_type, typename S::mapped_type>> items) {
    { s.get_many(keys) } -> std::same_as<std::vector<std::optional<typename S::mapped_type>>>;
    s.put_many(items);
};

/// A batch store that can also insert a batch only where keys are absent:
/// `put_many_if_absent(items)` writes each pair whose key has no live entry
/// and says, per item in order, whether it wrote it (a key repeated in
/// `items` is written the first time only). Each insert is atomic as
/// `put_if_absent`'s is, and the batch is one native step where the engine
/// has one (one SQL transaction of `INSERT ... ON CONFLICT DO NOTHING`, a
/// pipeline of `SET NX`, one LMDB transaction or RocksDB `WriteBatch`), so a
/// backfill with `conflict_rule::keep_target` moves a page per call.
template <class S>
concept conditional_batch_store = batch_store<S> && conditional_store<S> &&
    requires(S& s,
             std::span<const std::pair<typename S::key_type, typename S::mapped_type>> items) {
    { s.put_many_if_absent(items) } -> std::same_as<std::vector<bool>>;
};

/// A record's time to live in a batch: none means the record never expires.
using time_to_live = std::optional<std::chrono::milliseconds>;

/// A batch store whose batches carry each record's time to live:
/// `put_many(items, ttls)` and `put_many_if_absent(items, ttls)` are
/// `put_many` and `put_many_if_absent` where `ttls[i]`, when set, is item
/// `i`'s time to live (`ttls` holds one entry per item; another count is an
/// error), in the same one native step (one SQL transaction, one Redis
/// pipeline of `SET ... PX`). A backfill then moves a page of expiring
/// records (a Redis cache's) per call, not a record per call.
template <class S>
concept expiring_batch_store = conditional_batch_store<S> && conditional_expiring_store<S> &&
    requires(S& s, std::span<const std::pair<typename S::key_type, typename S::mapped_type>> items,
             std::span<const time_to_live> ttls) {
    s.put_many(items, ttls);
    { s.put_many_if_absent(items, ttls) } -> std::same_as<std::vector<bool>>;
};

/// A store that can tell whether it changed: `s.change_stamp()` returns a
/// value equal to an earlier one only if no write reached the store in
/// between, from any client or process (a stamp may also change without a
/// write; that costs a check, never correctness). A backfill reads it before
/// a page and again after copying the page: when it held still, no live write
/// can have slipped between the page's read and its copy, and the copy needs
/// no confirming re-read. `testing::memory_store` counts its writes; SQLite
/// pairs `PRAGMA data_version` with its connection's change count; LMDB reads
/// the last committed transaction id; RocksDB the latest sequence number.
template <class S>
concept change_stamped_store = kv_store<S> && requires(S& s) {
    { s.change_stamp() } -> std::equality_comparable;
};

/// A scannable store whose cursors can be saved as bytes and restored, so a
/// scan (a backfill) can resume in another process:
/// `S::encode_cursor(c) -> std::string`, `S::decode_cursor(bytes) -> cursor_type`.
template <class S>
concept resumable_store = scannable_store<S> &&
    requires(const typename S::cursor_type& c, std::string_view bytes) {
    { S::encode_cursor(c) } -> std::convertible_to<std::string>;
    { S::decode_cursor(bytes) } -> std::same_as<typename S::cursor_type>;
};

/// Whether the scans of `S` return keys in ascending byte order (the order
/// of `std::string`'s `<`), each page after the previous one, so a full
/// reconciliation can merge two scans instead of looking keys up, and a
/// backfill can confirm a page it copied by scanning it again. A store opts
/// in with a member `static constexpr bool scans_in_key_order = true;`;
/// specialise this variable for a type you cannot change. A claim the scans
/// break is caught: the merge throws `error` on a key out of order.
template <class S>
inline constexpr bool enable_key_ordered_scan = requires {
    requires S::scans_in_key_order;
};

/// A `scannable_store` whose scans are in key order (`enable_key_ordered_scan`).
template <class S>
concept key_ordered_store = scannable_store<S> && enable_key_ordered_scan<std::remove_cv_t<S>>;

/// A page of a scan that also carries each item's absolute expiry
/// (`expiries[i]` for `items[i]`; `std::nullopt`: none), so a copy that keeps
/// expiries reads them with the page instead of one `expiry(key)` per item.
template <class Key, class Value, class Cursor>
struct expiring_scan_page : scan_page<Key, Value, Cursor> {
    std::vector<std::optional<expiry_clock::time_point>> expiries;  ///< one per item
};

/// An expiring, scannable store whose `s.scan_with_expiry(cursor, limit)`
/// returns the page `scan` would, with each item's expiry
/// (`expiring_scan_page`). Backfill uses it when present.
template <class S>
concept expiry_scannable_store = scannable_store<S> && expiring_store<S> &&
    requires(S& s, const typename S::cursor_type& c, std::size_t limit) {
    {
        s.scan_with_expiry(c, limit)
        } -> std::same_as<expiring_scan_page<typename S::key_type, typename S::mapped_type,
                                             typename S::cursor_type>>;
};

/// The key and value types of a backend, when it has them.
template <kv_store S>
using key_type_t = typename S::key_type;
/// \copydoc key_type_t
template <kv_store S>
using mapped_type_t = typename S::mapped_type;

}  // namespace dualstore
