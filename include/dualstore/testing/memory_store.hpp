#pragma once
/// \file
/// `testing::memory_store`: an ordered, thread-safe, in-memory backend that
/// models every capability concept. The reference fake for tests.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/batch_ttls.hpp>
#include <dualstore/detail/key_sample_builder.hpp>
#include <dualstore/error.hpp>
#include <dualstore/key_range.hpp>
#include <dualstore/reconcile/range_digest.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::testing {

/// An in-memory backend over a `std::map`: models `kv_store`,
/// `scannable_store` (`key_ordered_store` with string keys,
/// `expiry_scannable_store`), `expiring_store`, `conditional_store`,
/// `conditional_expiring_store`, `batch_store` and `change_stamped_store`.
///
/// Thread-safe: every member may be called from many threads at once (reads
/// share a lock, writes take it alone); each call, batches included, is
/// atomic. Keys and values are copied in, so any bytes (NULs included) round
/// trip. Expired entries are invisible to every read and treated as absent by
/// writes. Failures are only those of copying a key or value (e.g.
/// `std::bad_alloc`); a call that throws leaves the store unchanged.
template <class Key, class Value>
class memory_store {
public:
    /// The key type.
    using key_type = Key;
    /// The value type.
    using mapped_type = Value;
    /// The function the store asks for the current time.
    using clock_function = std::function<expiry_clock::time_point()>;

    /// Where a scan resumes: after `after`, or at the first key when empty.
    struct cursor {
        /// The last key the previous page returned.
        std::optional<Key> after;
        /// Cursors are equal when they resume at the same place.
        friend bool operator==(const cursor&, const cursor&) = default;
    };
    /// The scan cursor (`scannable_store`); default-constructed = the start.
    using cursor_type = cursor;

    /// `c` as bytes, for a checkpoint ("0": the start, "1" and a key: after it).
    [[nodiscard]] static std::string encode_cursor(
        const cursor_type& c) requires std::same_as<Key, std::string> {
        return c.after ? "1" + *c.after : std::string("0");
    }
    /// The cursor `encode_cursor` gave `text` for; throws `error` for other text.
    [[nodiscard]] static cursor_type decode_cursor(
        std::string_view text) requires std::same_as<Key, std::string> {
        if (text == "0") return {};
        if (!text.empty() && text.front() == '1') return {std::string(text.substr(1))};
        throw error("dualstore: memory_store: not a scan cursor");
    }
    /// One page of a scan.
    using page_type = scan_page<Key, Value, cursor_type>;
    /// Scans return keys in `Key`'s order: byte order for `std::string`
    /// keys (`key_ordered_store`).
    static constexpr bool scans_in_key_order = std::same_as<Key, std::string>;

    /// An empty store that reads the time from `now` (empty:
    /// `expiry_clock::now`). `now` may be called concurrently from many
    /// threads, while the store's lock is held.
    explicit memory_store(clock_function now = {}) : now_(std::move(now)) {}

    /// Takes over the entries and clock of `other`, which is left empty.
    /// Locks `other`; the new store is not yet shared, so it needs no lock.
    memory_store(memory_store&& other) : memory_store(std::move(other), lock_of(other)) {}

    memory_store(const memory_store&) = delete;
    memory_store& operator=(const memory_store&) = delete;
    memory_store& operator=(memory_store&&) = delete;

    /// The live value of `key`, or `std::nullopt`.
    [[nodiscard]] std::optional<Value> get(const Key& key) const {
        std::shared_lock lock(mutex_);
        const auto it = find_live(key, now());
        if (it == entries_.end()) return std::nullopt;
        return it->second.value;
    }

    /// Inserts or replaces `key` with no expiry.
    void put(const Key& key, const Value& value) {
        std::unique_lock lock(mutex_);
        assign(key, value, std::nullopt);
    }

    /// Inserts or replaces `key`, expiring `ttl` from now. A `ttl` of zero or
    /// less writes an entry that has already expired; a huge `ttl` saturates.
    void put(const Key& key, const Value& value, std::chrono::milliseconds ttl) {
        std::unique_lock lock(mutex_);
        assign(key, value, deadline(now(), ttl));
    }

    /// Removes `key`; returns whether a live entry was removed (an expired
    /// one is dropped too, and counts as absent).
    bool erase(const Key& key) {
        std::unique_lock lock(mutex_);
        const auto it = entries_.find(key);
        if (it == entries_.end()) return false;
        const bool live = it->second.live_at(now());
        entries_.erase(it);
        count_write();
        return live;
    }

    /// At most `limit` live entries after `from`, in key order, and the
    /// cursor of the next page (`std::nullopt` when no live key follows).
    /// Resumes strictly after the last key returned, so a full scan that runs
    /// while other threads write returns no key twice and returns every key
    /// present throughout. A `limit` of 0 returns no items and `from` again
    /// (unless no live key follows). O(limit + expired keys skipped + log n).
    [[nodiscard]] page_type scan(const cursor_type& from, std::size_t limit) const {
        return scan_into<page_type>(from, limit);
    }

    /// The page `scan` returns, with each item's expiry
    /// (`expiry_scannable_store`).
    [[nodiscard]] expiring_scan_page<Key, Value, cursor_type> scan_with_expiry(
        const cursor_type& from, std::size_t limit) const {
        return scan_into<expiring_scan_page<Key, Value, cursor_type>>(from, limit);
    }

    /// The absolute expiry of the live entry `key`; `std::nullopt` when it has
    /// none or there is no live entry.
    [[nodiscard]] std::optional<expiry_clock::time_point> expiry(const Key& key) const {
        std::shared_lock lock(mutex_);
        const auto it = find_live(key, now());
        if (it == entries_.end()) return std::nullopt;
        return it->second.expires;
    }

    /// Writes `key` (no expiry) only if it has no live entry; returns whether
    /// it wrote. Atomic.
    bool put_if_absent(const Key& key, const Value& value) {
        std::unique_lock lock(mutex_);
        return insert_if_absent(key, value, now(), std::nullopt);
    }

    /// Writes `key`, expiring `ttl` from now, only if it has no live entry (an
    /// expired one counts as absent); returns whether it wrote. Atomic. A
    /// present key keeps its value and expiry. `ttl` is treated as by
    /// `put(key, value, ttl)`.
    bool put_if_absent(const Key& key, const Value& value, std::chrono::milliseconds ttl) {
        std::unique_lock lock(mutex_);
        const auto now_point = now();
        return insert_if_absent(key, value, now_point, deadline(now_point, ttl));
    }

    /// The live value of each key, in order. Atomic: one consistent view.
    [[nodiscard]] std::vector<std::optional<Value>> get_many(std::span<const Key> keys) const {
        std::vector<std::optional<Value>> values;
        values.reserve(keys.size());
        std::shared_lock lock(mutex_);
        const auto now_point = now();
        for (const auto& key : keys) {
            const auto it = find_live(key, now_point);
            values.push_back(it == entries_.end() ? std::nullopt
                                                  : std::optional<Value>(it->second.value));
        }
        return values;
    }

    /// Writes every pair with no expiry (a repeated key: the last pair wins).
    /// Atomic: other threads see all of the batch or none of it; the copies are
    /// made before the lock is taken, so a failed copy changes nothing.
    void put_many(std::span<const std::pair<Key, Value>> items) {
        // Copies first, so a failed copy leaves the store unchanged; then the
        // nodes move in, in key order, each placed from where the previous
        // one went (a batch in key order into a range with no keys between
        // its keys, such as a backfill page, costs no search per item).
        map_type batch;
        for (const auto& [key, value] : items) {
            batch.insert_or_assign(batch.end(), key, entry{value, {}});
        }
        std::unique_lock lock(mutex_);
        count_write();
        auto position = entries_.end();  // the first entry after the last key placed
        bool placed = false;
        while (!batch.empty()) {
            auto node = batch.extract(batch.begin());
            const auto& key = node.key();
            const bool next_is_right =
                placed && (position == entries_.end() || !(position->first < key));
            if (!next_is_right) position = entries_.lower_bound(key);
            placed = true;
            if (position != entries_.end() && !(key < position->first)) {
                position->second = std::move(node.mapped());
                ++position;
            } else {
                entries_.insert(position, std::move(node));
            }
        }
    }

    /// Writes each pair whose key has no live entry (an expired one counts as
    /// absent), with no expiry; per item, whether it wrote it (a key repeated
    /// in `items` is written the first time only). Other threads see all of
    /// the batch or none of it; a copy that fails (out of memory) leaves the
    /// items before it written.
    std::vector<bool> put_many_if_absent(std::span<const std::pair<Key, Value>> items) {
        return insert_many_if_absent(items, {});
    }

    /// Writes every pair, item `i` expiring `ttls[i]` from now when set
    /// (`expiring_batch_store`; `ttl` as by `put(key, value, ttl)`). Atomic:
    /// other threads see all of the batch or none of it.
    void put_many(std::span<const std::pair<Key, Value>> items,
                  std::span<const time_to_live> ttls) {
        detail::require_ttl_per_item(items.size(), ttls.size(), "memory_store::put_many");
        std::unique_lock lock(mutex_);
        const auto now_point = now();
        for (std::size_t i = 0; i < items.size(); ++i) {
            assign(items[i].first, items[i].second, expiry_of(now_point, ttls, i));
        }
    }

    /// `put_many_if_absent(items)`, item `i` expiring `ttls[i]` from now when
    /// set (`expiring_batch_store`).
    std::vector<bool> put_many_if_absent(std::span<const std::pair<Key, Value>> items,
                                         std::span<const time_to_live> ttls) {
        detail::require_ttl_per_item(items.size(), ttls.size(), "memory_store::put_many_if_absent");
        return insert_many_if_absent(items, ttls);
    }

    /// A count of the writes so far (`change_stamped_store`): equal to an
    /// earlier stamp only if no put, erase, batch, clear or clock change came
    /// in between. One atomic load.
    [[nodiscard]] std::uint64_t change_stamp() const noexcept {
        return writes_.load(std::memory_order_acquire);
    }

    /// The digest of the live entries of `range` (`range_digest_store`).
    /// O(entries in the range + log n).
    [[nodiscard]] range_digest digest(const key_range& range)
        const requires std::same_as<Key, std::string> && std::same_as<Value, std::string> {
        range_digest d;
        for_each_live_in(range, [&](const Key& key, const Value& value) {
            d.add(key, value);
            return true;
        });
        return d;
    }

    /// The `step`-th, 2·`step`-th, ... live keys of `range` (at most `limit`;
    /// a `step` of 0 counts as 1). O(entries read + log n).
    [[nodiscard]] std::vector<std::string> keys_every(const key_range& range, std::uint64_t step,
                                                      std::size_t limit)
        const requires std::same_as<Key, std::string> && std::same_as<Value, std::string> {
        std::vector<std::string> keys;
        std::uint64_t seen = 0;
        if (limit == 0) return keys;
        for_each_live_in(range, [&](const Key& key, const Value&) {
            if (++seen % std::max<std::uint64_t>(step, 1) == 0) keys.push_back(key);
            return keys.size() < limit;
        });
        return keys;
    }

    /// The `n` live keys of smallest `key_sample_hash(key, salt)` and the
    /// number of live keys (`key_sampling_store`). O(entries · log n).
    [[nodiscard]] key_hash_sample sample_keys(
        std::uint64_t salt, std::size_t n) const requires std::same_as<Key, std::string> {
        detail::key_sample_builder sample(salt, n);
        for_each_live_in({}, [&](const Key& key, const Value&) {
            sample.offer(key);
            return true;
        });
        return std::move(sample).done();
    }

    /// The number of live entries. O(n).
    [[nodiscard]] std::size_t size() const {
        std::shared_lock lock(mutex_);
        const auto now_point = now();
        std::size_t live = 0;
        for (const auto& [key, item] : entries_) {
            if (item.live_at(now_point)) ++live;
        }
        return live;
    }

    /// Whether `key` has a live entry.
    [[nodiscard]] bool contains(const Key& key) const {
        std::shared_lock lock(mutex_);
        return find_live(key, now()) != entries_.end();
    }

    /// Removes every entry.
    void clear() {
        std::unique_lock lock(mutex_);
        entries_.clear();
        count_write();
    }

    /// A copy of the live entries, taken atomically. O(n).
    [[nodiscard]] std::map<Key, Value> snapshot() const {
        std::shared_lock lock(mutex_);
        const auto now_point = now();
        std::map<Key, Value> live;
        for (const auto& [key, item] : entries_) {
            if (item.live_at(now_point)) live.emplace_hint(live.end(), key, item.value);
        }
        return live;
    }

    /// Replaces the clock (empty: `expiry_clock::now`); waits for calls in
    /// progress. Existing expiry times are kept as absolute times.
    void set_clock(clock_function now) {
        std::unique_lock lock(mutex_);
        now_ = std::move(now);
        count_write();  // entries may have expired or come back
    }

private:
    // Calls `f(key, value)` for each live entry of `range`, in key order,
    // under the read lock, until it returns false.
    template <class F>
    void for_each_live_in(const key_range& range, F f) const {
        std::shared_lock lock(mutex_);
        const auto now_point = now();
        auto it = range.after ? entries_.upper_bound(*range.after) : entries_.begin();
        for (; it != entries_.end() && (!range.up_to || !(*range.up_to < it->first)); ++it) {
            if (it->second.live_at(now_point) && !f(it->first, it->second.value)) return;
        }
    }

    using time_point = expiry_clock::time_point;

    /// `scan` into a `Page`, and each item's expiry too when the page has room for it.
    template <class Page>
    Page scan_into(const cursor_type& from, std::size_t limit) const {
        std::shared_lock lock(mutex_);
        const auto now_point = now();
        Page page;
        auto it = from.after ? entries_.upper_bound(*from.after) : entries_.begin();
        for (; it != entries_.end(); ++it) {
            if (!it->second.live_at(now_point)) continue;
            if (page.items.size() == limit) {
                page.next = page.items.empty() ? from : cursor_type{page.items.back().first};
                break;
            }
            page.items.emplace_back(it->first, it->second.value);
            if constexpr (requires { page.expiries; }) page.expiries.push_back(it->second.expires);
        }
        return page;
    }

    struct entry {
        Value value;
        std::optional<time_point> expires;

        [[nodiscard]] bool live_at(time_point now) const { return !expires || now < *expires; }
    };
    using map_type = std::map<Key, entry>;

    /// `now + ttl`, clamped to what a time_point can hold; `now` for ttl <= 0.
    [[nodiscard]] static time_point deadline(time_point now, std::chrono::milliseconds ttl) {
        if (ttl <= std::chrono::milliseconds::zero()) return now;
        const auto room = std::chrono::floor<std::chrono::milliseconds>(time_point::max() - now);
        return ttl >= room ? time_point::max() : now + ttl;
    }

    static std::unique_lock<std::shared_mutex> lock_of(memory_store& store) {
        return std::unique_lock(store.mutex_);
    }
    memory_store(memory_store&& other, std::unique_lock<std::shared_mutex> /*held*/)
        : now_(std::move(other.now_)), entries_(std::move(other.entries_)) {
        other.entries_.clear();
        other.count_write();
    }

    // The members below expect mutex_ to be held.

    [[nodiscard]] time_point now() const { return now_ ? now_() : expiry_clock::now(); }

    [[nodiscard]] typename map_type::const_iterator find_live(const Key& key,
                                                              time_point now_point) const {
        const auto it = entries_.find(key);
        return it != entries_.end() && it->second.live_at(now_point) ? it : entries_.end();
    }

    /// Writes `key` unless it has a live entry at `now_point`; whether it
    /// wrote. The caller holds the lock exclusively.
    /// When item `i` of a batch expires: `ttls[i]` from `now_point`, or never
    /// (no times to live, or none for the item).
    static std::optional<time_point> expiry_of(time_point now_point,
                                               std::span<const time_to_live> ttls, std::size_t i) {
        if (i >= ttls.size() || !ttls[i]) return std::nullopt;
        return deadline(now_point, *ttls[i]);
    }

    /// `put_many_if_absent` with `ttls` empty (no expiry) or one per item.
    std::vector<bool> insert_many_if_absent(std::span<const std::pair<Key, Value>> items,
                                            std::span<const time_to_live> ttls) {
        std::vector<bool> wrote(items.size(), false);
        std::unique_lock lock(mutex_);
        const auto now_point = now();
        for (std::size_t i = 0; i < items.size(); ++i) {
            wrote[i] = insert_if_absent(items[i].first, items[i].second, now_point,
                                        expiry_of(now_point, ttls, i));
        }
        return wrote;
    }

    bool insert_if_absent(const Key& key, const Value& value, time_point now_point,
                          std::optional<time_point> expires) {
        if (find_live(key, now_point) != entries_.end()) return false;
        assign(key, value, expires);
        return true;
    }

    void assign(const Key& key, const Value& value, std::optional<time_point> expires) {
        count_write();
        const auto it = entries_.find(key);
        if (it == entries_.end()) {
            entries_.emplace(key, entry{value, expires});
        } else {
            it->second.value = value;
            it->second.expires = expires;
        }
    }

    /// Counts a write for `change_stamp`, before it changes anything. The
    /// caller holds the lock exclusively, so a plain store orders it; the
    /// release pairs with `change_stamp`'s acquire, so a reader that sees the
    /// count also waits for the write's lock before it reads the entries.
    void count_write() noexcept {
        writes_.store(writes_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }

    mutable std::shared_mutex mutex_;
    clock_function now_;
    map_type entries_;
    std::atomic<std::uint64_t> writes_{0};
};

}  // namespace dualstore::testing
