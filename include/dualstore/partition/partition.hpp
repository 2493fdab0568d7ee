#pragma once
/// \file
/// `partition`: one share of a job's key space (a `key_range`, a hash
/// bucket, or both); `split_at_keys` and `split_by_hash` cut a key space into
/// partitions; `partition_view` shows a store as only the keys of one
/// partition, so the unchanged backfill and reconciliation run on a share.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/forwarding_store.hpp>
#include <dualstore/error.hpp>
#include <dualstore/key_range.hpp>
#include <dualstore/reconcile/digest.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace dualstore {

/// One share of a key space: the keys of `range`, and of those, the keys
/// whose hash falls in bucket `bucket` of `buckets`. A bounded range needs a
/// store that scans in key order and starts a scan anywhere; a hash bucket
/// works on any scannable store, but each bucket scans the whole store and
/// keeps 1/`buckets` of it.
struct partition {
    key_range range{};          ///< the keys of the partition's range (default: every key)
    std::uint32_t bucket = 0;   ///< the hash bucket, below `buckets`
    std::uint32_t buckets = 1;  ///< hash buckets (1: no hashing)

    /// Whether the partition holds `key`.
    [[nodiscard]] bool contains(std::string_view key) const noexcept {
        return range.contains(key) && (buckets <= 1 || bucket_of(key, buckets) == bucket);
    }

    /// The hash bucket of `key` among `buckets` (the same on every machine).
    [[nodiscard]] static std::uint32_t bucket_of(std::string_view key,
                                                 std::uint32_t buckets) noexcept {
        constexpr std::uint64_t salt = 0x6473706172746974ULL;  // "dspartit"
        return static_cast<std::uint32_t>(detail::sample_hash(key, salt) % buckets);
    }

    /// Partitions are equal when they hold the same keys by the same rule.
    friend bool operator==(const partition&, const partition&) = default;
};

/// The partitions between sorted, distinct split keys: (first key, `keys[0]`],
/// (`keys[0]`, `keys[1]`], ..., (`keys.back()`, last key]: `keys.size() + 1`
/// ranges that cover every key once. Throws `error` when the keys are not
/// sorted and distinct. (A template of an unused parameter, as
/// `split_by_hash`, so that only a file that splits compiles them.)
template <class = void>
[[nodiscard]] std::vector<partition> split_at_keys(const std::vector<std::string>& keys) {
    for (std::size_t i = 1; i < keys.size(); ++i) {
        if (keys[i] <= keys[i - 1]) {
            throw error("dualstore: split_at_keys: the split keys must be sorted and distinct");
        }
    }
    std::vector<partition> parts;
    parts.reserve(keys.size() + 1);
    std::optional<std::string> after;
    for (const auto& key : keys) {
        parts.push_back({.range = {.after = after, .up_to = key}});
        after = key;
    }
    parts.push_back({.range = {.after = std::move(after)}});
    return parts;
}

/// `n` hash partitions (`n` at least 1) that cover every key once; each scans
/// the whole store.
template <class = void>
[[nodiscard]] std::vector<partition> split_by_hash(std::uint32_t n) {
    if (n == 0) throw error("dualstore: split_by_hash: at least one partition");
    std::vector<partition> parts;
    for (std::uint32_t i = 0; i < n; ++i) parts.push_back({.bucket = i, .buckets = n});
    return parts;
}

/// Whether `S` can scan a key range: it scans in key order, and its cursor
/// is built from the last key before the range (`cursor_type{after}`).
template <class S>
concept range_scannable_store = key_ordered_store<S> && requires(std::optional<std::string> after) {
    {typename S::cursor_type{std::move(after)}};
};

/// `Store` (held by reference) seen as the keys of one `partition`: scans
/// begin at the range's start (a default cursor), stop after its end and
/// leave out keys of other hash buckets; every other call goes to the store
/// unchanged, with the same capabilities (conditional writes, batches,
/// expiry, change stamps, resumable cursors). A backfill or a
/// reconciliation over views of one partition does that partition's share.
///
/// Cost: a range scan reads only the range (plus at most one page's worth of
/// keys past its end); a hash bucket reads the whole store. Throws `error`
/// at construction when the partition is a key range and `Store` cannot
/// scan one (`range_scannable_store`).
template <scannable_store Store>
class partition_view : public detail::forwarding_store<partition_view<Store>, Store&> {
    using base = detail::forwarding_store<partition_view<Store>, Store&>;
    friend base;

public:
    /// The scan cursor: the store's.
    using cursor_type = typename Store::cursor_type;

    /// `store` seen as the keys of `part`.
    partition_view(Store& store, partition part)
        : base(std::in_place, store), part_(std::move(part)) {
        static_assert(std::is_same_v<key_type_t<Store>, std::string>,
                      "dualstore: partition_view needs a store of std::string keys");
        if (!range_scannable_store<Store> && part_.range.bounded()) {
            throw error(
                "dualstore: partition_view: a key-range partition needs a store that scans in "
                "key order from any key; split this store with split_by_hash");
        }
    }

    /// The partition shown.
    [[nodiscard]] const partition& part() const noexcept { return part_; }

    /// A page of the partition's keys, from `from` (the default cursor: the
    /// range's start).
    decltype(auto) scan(const cursor_type& from, std::size_t limit) {
        return trimmed(base::scan(start(from), limit));
    }

    /// As `scan`, with each record's expiry (an `expiry_scannable_store`).
    decltype(auto) scan_with_expiry(const cursor_type& from,
                                    std::size_t limit) requires expiry_scannable_store<Store> {
        return trimmed(base::scan_with_expiry(start(from), limit));
    }

private:
    template <class Keys>
    void before(call_kind, const Keys&) const noexcept {}

    cursor_type start(const cursor_type& from) const {
        if constexpr (range_scannable_store<Store>) {
            if (part_.range.after && from == cursor_type{}) return cursor_type{part_.range.after};
        }
        return from;
    }

    // Drops the page's keys past the range's end (and then its next cursor)
    // and the keys of other buckets, with their expiries.
    template <class Page>
    Page trimmed(Page page) const {
        std::size_t kept = 0;
        for (std::size_t i = 0; i < page.items.size(); ++i) {
            const std::string_view key = page.items[i].first;
            if (part_.range.up_to && key > std::string_view(*part_.range.up_to)) {
                page.next.reset();
                break;
            }
            if (part_.buckets > 1 && partition::bucket_of(key, part_.buckets) != part_.bucket) {
                continue;
            }
            if (kept != i) {
                page.items[kept] = std::move(page.items[i]);
                if constexpr (requires { page.expiries; }) {
                    page.expiries[kept] = page.expiries[i];
                }
            }
            ++kept;
        }
        page.items.resize(kept);
        if constexpr (requires { page.expiries; }) page.expiries.resize(kept);
        return page;
    }

    partition part_;
};

}  // namespace dualstore

/// Prints a partition as its range and bucket: "(a, m] #2/4", "(-, -]".
template <>
struct fmt::formatter<dualstore::partition> : fmt::formatter<std::string_view> {
    template <class Context>
    auto format(const dualstore::partition& p, Context& ctx) const {
        auto out = fmt::format_to(ctx.out(), "({}, {}]", p.range.after ? *p.range.after : "-",
                                  p.range.up_to ? *p.range.up_to : "-");
        if (p.buckets > 1) out = fmt::format_to(out, " #{}/{}", p.bucket, p.buckets);
        return out;
    }
};
