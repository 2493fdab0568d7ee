#pragma once
/// \file
/// `any_store`: one type for a store whose engine is chosen at run time (a
/// tool that takes URLs), so the algorithms are compiled once rather than once
/// per pair of engines. Costs one virtual call per operation.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/batch_ttls.hpp>
#include <dualstore/detail/get_many_of.hpp>
#include <dualstore/detail/key_sample_builder.hpp>
#include <dualstore/error.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace dualstore {

/// Thrown by an `any_store` asked for expiry its engine does not have: a
/// record with a time to live is refused rather than stored forever.
class no_expiry : public error {
public:
    using error::error;
};

/// Where an `any_store` scan continues: the engine's own cursor as bytes (its
/// `encode_cursor`); no bytes is the start.
struct any_cursor {
    std::optional<std::string> bytes;  ///< the engine's encoded cursor; empty: the start
    /// Cursors are equal when their bytes are.
    friend bool operator==(const any_cursor&, const any_cursor&) = default;
};

/// A store of string keys and values whose engine is any `resumable_store`
/// with `put_if_absent` (every adapter), owned and reached through one virtual
/// call per operation. It models `resumable_store`, `conditional_store` and
/// `conditional_expiring_store`: an engine without expiry answers no expiry
/// for every key, and refuses a write with a time to live (`no_expiry`), so a
/// copy between engines never drops a time to live silently. It models
/// `conditional_batch_store` too, with the engine's own batches where it has
/// them (one transaction on SQLite, a pipeline on Redis) and one call per
/// item where it has not; and `change_stamped_store`, with the engine's
/// stamp where it has one and, where it has not, a stamp that moves on every
/// call (so a backfill always confirms); `key_sampling_store`, with the
/// engine's own sampling where it has it and a scan otherwise; and
/// `expiry_scannable_store`, with the expiries read with the page where the
/// engine can. Scans are not taken to be in key order, whatever the engine.
/// Thread-safe as its engine.
class any_store {
public:
    using key_type = std::string;     ///< keys are byte strings
    using mapped_type = std::string;  ///< values are byte strings
    using cursor_type = any_cursor;   ///< the engine's cursor, as bytes

    /// A store of engine `Store`, made from `args` and owned.
    template <class Store, class... Args>
    requires resumable_store<Store> && conditional_store<Store> &&
        std::same_as<key_type_t<Store>, std::string> &&
        std::same_as<mapped_type_t<Store>, std::string>
    [[nodiscard]] static any_store make(std::string name, Args&&... args) {
        return any_store(
            std::make_unique<model<Store>>(std::move(name), std::forward<Args>(args)...));
    }

    /// What the store was opened as (a URL with its secret redacted, say).
    [[nodiscard]] const std::string& name() const noexcept { return engine_->name; }
    /// Whether the engine keeps times to live.
    [[nodiscard]] bool expires() const noexcept { return engine_->expires(); }

    /// The value of `k`, if any.
    std::optional<std::string> get(const std::string& k) { return engine_->get(k); }
    /// Writes `v` under `k`.
    void put(const std::string& k, const std::string& v) { engine_->put(k, v); }
    /// Writes `v` under `k` for `ttl`; `no_expiry` when the engine has none.
    void put(const std::string& k, const std::string& v, std::chrono::milliseconds ttl) {
        engine_->put_ttl(k, v, ttl);
    }
    /// Erases `k`; whether it was there.
    bool erase(const std::string& k) { return engine_->erase(k); }
    /// The expiry of `k`; none for an engine without expiry.
    std::optional<expiry_clock::time_point> expiry(const std::string& k) {
        return engine_->expiry(k);
    }
    /// Writes `v` under `k` only when absent; whether it wrote.
    bool put_if_absent(const std::string& k, const std::string& v) {
        return engine_->put_if_absent(k, v);
    }
    /// Writes `v` under `k` for `ttl` only when absent; `no_expiry` when the
    /// engine has no atomic form of it.
    bool put_if_absent(const std::string& k, const std::string& v, std::chrono::milliseconds ttl) {
        return engine_->put_if_absent_ttl(k, v, ttl);
    }
    /// The value of each key, in order.
    std::vector<std::optional<std::string>> get_many(std::span<const std::string> keys) {
        return engine_->get_many(keys);
    }
    /// Writes every pair.
    void put_many(std::span<const std::pair<std::string, std::string>> items) {
        engine_->put_many(items);
    }
    /// Writes each pair whose key is absent; per item, whether it wrote it.
    std::vector<bool> put_many_if_absent(
        std::span<const std::pair<std::string, std::string>> items) {
        return engine_->put_many_if_absent(items);
    }
    /// Writes every pair, item `i` expiring after `ttls[i]` when set, in one
    /// native batch where the engine has one (`expiring_batch_store`);
    /// otherwise a record at a time, each as `put` would write it.
    void put_many(std::span<const std::pair<std::string, std::string>> items,
                  std::span<const time_to_live> ttls) {
        detail::require_ttl_per_item(items.size(), ttls.size(), "any_store::put_many");
        engine_->put_many_ttl(items, ttls);
    }
    /// `put_many_if_absent(items)`, item `i` expiring after `ttls[i]` when
    /// set; per item, whether it wrote it.
    std::vector<bool> put_many_if_absent(std::span<const std::pair<std::string, std::string>> items,
                                         std::span<const time_to_live> ttls) {
        detail::require_ttl_per_item(items.size(), ttls.size(), "any_store::put_many_if_absent");
        return engine_->put_many_if_absent_ttl(items, ttls);
    }
    /// The engine's change stamp (see the class).
    [[nodiscard]] std::array<std::uint64_t, 2> change_stamp() { return engine_->change_stamp(); }
    /// The `n` keys of smallest `key_sample_hash` and the number of keys
    /// (`key_sampling_store`): the engine's own sample where it draws one,
    /// else drawn from a full scan.
    [[nodiscard]] key_hash_sample sample_keys(std::uint64_t salt, std::size_t n) {
        return engine_->sample_keys(salt, n);
    }
    /// At most `limit` records from `cursor`, and where to continue.
    scan_page<std::string, std::string, any_cursor> scan(const any_cursor& cursor,
                                                         std::size_t limit) {
        return engine_->scan(cursor, limit);
    }
    /// The page `scan` returns, with each record's expiry
    /// (`expiry_scannable_store`): read with the page where the engine can
    /// (SQLite, PostgreSQL, Redis), else asked per record of an engine with
    /// expiry; none for an engine without.
    expiring_scan_page<std::string, std::string, any_cursor> scan_with_expiry(
        const any_cursor& cursor, std::size_t limit) {
        return engine_->scan_with_expiry(cursor, limit);
    }
    /// The cursor as bytes, for a checkpoint.
    [[nodiscard]] static std::string encode_cursor(const any_cursor& c) {
        return c.bytes ? "1" + *c.bytes : std::string("0");
    }
    /// The cursor `encode_cursor` gave `bytes` for; `decode_error` otherwise.
    [[nodiscard]] static any_cursor decode_cursor(std::string_view bytes) {
        if (bytes == "0") return {};
        if (bytes.starts_with('1')) return {std::string(bytes.substr(1))};
        throw decode_error("any_store: not a cursor this store wrote");
    }

private:
    struct engine {
        explicit engine(std::string n) : name(std::move(n)) {}
        virtual ~engine() = default;
        engine(const engine&) = delete;
        engine& operator=(const engine&) = delete;
        [[nodiscard]] virtual bool expires() const noexcept = 0;
        virtual std::optional<std::string> get(const std::string& k) = 0;
        virtual void put(const std::string& k, const std::string& v) = 0;
        virtual void put_ttl(const std::string& k, const std::string& v,
                             std::chrono::milliseconds ttl) = 0;
        virtual bool erase(const std::string& k) = 0;
        virtual std::optional<expiry_clock::time_point> expiry(const std::string& k) = 0;
        virtual bool put_if_absent(const std::string& k, const std::string& v) = 0;
        virtual bool put_if_absent_ttl(const std::string& k, const std::string& v,
                                       std::chrono::milliseconds ttl) = 0;
        virtual scan_page<std::string, std::string, any_cursor> scan(const any_cursor& c,
                                                                     std::size_t limit) = 0;
        virtual expiring_scan_page<std::string, std::string, any_cursor> scan_with_expiry(
            const any_cursor& c, std::size_t limit) = 0;
        virtual std::vector<std::optional<std::string>> get_many(
            std::span<const std::string> keys) = 0;
        virtual void put_many(std::span<const std::pair<std::string, std::string>> items) = 0;
        virtual std::vector<bool> put_many_if_absent(
            std::span<const std::pair<std::string, std::string>> items) = 0;
        virtual void put_many_ttl(std::span<const std::pair<std::string, std::string>> items,
                                  std::span<const time_to_live> ttls) = 0;
        virtual std::vector<bool> put_many_if_absent_ttl(
            std::span<const std::pair<std::string, std::string>> items,
            std::span<const time_to_live> ttls) = 0;
        virtual std::array<std::uint64_t, 2> change_stamp() = 0;
        virtual key_hash_sample sample_keys(std::uint64_t salt, std::size_t n) = 0;
        std::string name;
    };

    template <class Store>
    struct model final : engine {
        template <class... Args>
        explicit model(std::string n, Args&&... args)
            : engine(std::move(n)), store(std::forward<Args>(args)...) {}

        [[nodiscard]] bool expires() const noexcept override { return expiring_store<Store>; }
        std::optional<std::string> get(const std::string& k) override { return store.get(k); }
        void put(const std::string& k, const std::string& v) override { store.put(k, v); }
        void put_ttl(const std::string& k, const std::string& v,
                     std::chrono::milliseconds ttl) override {
            if constexpr (expiring_store<Store>) {
                store.put(k, v, ttl);
            } else {
                refuse(ttl);
            }
        }
        bool erase(const std::string& k) override { return store.erase(k); }
        std::optional<expiry_clock::time_point> expiry(const std::string& k) override {
            if constexpr (expiring_store<Store>) {
                return store.expiry(k);
            } else {
                return std::nullopt;
            }
        }
        bool put_if_absent(const std::string& k, const std::string& v) override {
            return store.put_if_absent(k, v);
        }
        bool put_if_absent_ttl(const std::string& k, const std::string& v,
                               std::chrono::milliseconds ttl) override {
            if constexpr (conditional_expiring_store<Store>) {
                return store.put_if_absent(k, v, ttl);
            } else {
                refuse(ttl);
            }
        }
        scan_page<std::string, std::string, any_cursor> scan(const any_cursor& c,
                                                             std::size_t limit) override {
            return erased<scan_page<std::string, std::string, any_cursor>>(
                store.scan(cursor_of(c), limit));
        }
        expiring_scan_page<std::string, std::string, any_cursor> scan_with_expiry(
            const any_cursor& c, std::size_t limit) override {
            using page_type = expiring_scan_page<std::string, std::string, any_cursor>;
            if constexpr (expiry_scannable_store<Store>) {
                auto page = store.scan_with_expiry(cursor_of(c), limit);
                auto out = erased<page_type>(page);
                out.expiries = std::move(page.expiries);
                return out;
            } else {
                auto out = erased<page_type>(store.scan(cursor_of(c), limit));
                out.expiries.reserve(out.items.size());
                for (const auto& item : out.items) out.expiries.push_back(expiry(item.first));
                return out;
            }
        }
        // The engine's cursor for `c`.
        static typename Store::cursor_type cursor_of(const any_cursor& c) {
            return c.bytes ? Store::decode_cursor(*c.bytes) : typename Store::cursor_type{};
        }
        // The engine's `page` as a page of `Page` type: its records (moved
        // out), its next cursor as bytes.
        template <class Page, class EnginePage>
        static Page erased(EnginePage&& page) {
            Page out;
            out.items.reserve(page.items.size());
            for (auto& item : page.items) out.items.emplace_back(std::move(item));
            if (page.next) out.next = any_cursor{std::string(Store::encode_cursor(*page.next))};
            return out;
        }

        std::vector<std::optional<std::string>> get_many(
            std::span<const std::string> keys) override {
            return detail::get_many_of(store, keys);
        }
        void put_many(std::span<const std::pair<std::string, std::string>> items) override {
            if constexpr (batch_store<Store>) {
                store.put_many(items);
            } else {
                for (const auto& [k, v] : items) store.put(k, v);
            }
        }
        std::vector<bool> put_many_if_absent(
            std::span<const std::pair<std::string, std::string>> items) override {
            if constexpr (conditional_batch_store<Store>) {
                return store.put_many_if_absent(items);
            } else {
                std::vector<bool> wrote;
                wrote.reserve(items.size());
                for (const auto& [k, v] : items) wrote.push_back(store.put_if_absent(k, v));
                return wrote;
            }
        }
        void put_many_ttl(std::span<const std::pair<std::string, std::string>> items,
                          std::span<const time_to_live> ttls) override {
            if constexpr (expiring_batch_store<Store>) {
                store.put_many(items, ttls);
            } else {
                for (std::size_t i = 0; i < items.size(); ++i) {
                    if (ttls[i]) {
                        put_ttl(items[i].first, items[i].second, *ttls[i]);
                    } else {
                        put(items[i].first, items[i].second);
                    }
                }
            }
        }
        std::vector<bool> put_many_if_absent_ttl(
            std::span<const std::pair<std::string, std::string>> items,
            std::span<const time_to_live> ttls) override {
            if constexpr (expiring_batch_store<Store>) {
                return store.put_many_if_absent(items, ttls);
            } else {
                std::vector<bool> wrote;
                wrote.reserve(items.size());
                for (std::size_t i = 0; i < items.size(); ++i) {
                    const auto& [k, v] = items[i];
                    wrote.push_back(ttls[i] ? put_if_absent_ttl(k, v, *ttls[i])
                                            : put_if_absent(k, v));
                }
                return wrote;
            }
        }
        std::array<std::uint64_t, 2> change_stamp() override {
            if constexpr (change_stamped_store<Store>) {
                const auto stamp = store.change_stamp();
                if constexpr (requires {
                                  stamp.first;
                                  stamp.second;
                              }) {
                    return {static_cast<std::uint64_t>(stamp.first),
                            static_cast<std::uint64_t>(stamp.second)};
                } else {
                    return {static_cast<std::uint64_t>(stamp), 0};
                }
            } else {
                return {0, calls.fetch_add(1, std::memory_order_relaxed) + 1};  // never equal
            }
        }

        key_hash_sample sample_keys(std::uint64_t salt, std::size_t n) override {
            return detail::sample_keys_of(store, salt, n, sample_scan_page);
        }

        [[noreturn]] void refuse(std::chrono::milliseconds ttl) const {
            throw no_expiry(name + ": this engine keeps no times to live, so a record with one (" +
                            std::to_string(ttl.count()) + " ms left) would be kept for ever");
        }

        static constexpr std::size_t sample_scan_page =
            1000;  ///< records per page of a sampling scan
        Store store;
        std::atomic<std::uint64_t> calls{0};  // the stamp of an engine without one
    };

    explicit any_store(std::unique_ptr<engine> e) : engine_(std::move(e)) {}

    std::unique_ptr<engine> engine_;
};

}  // namespace dualstore
