#pragma once
/// \file
/// `bisect_diff(primary, secondary, on_difference)`: compares two stores by
/// range digests computed on their servers, recursing only into ranges
/// whose digests differ, down to ranges small enough to compare row by row
/// (Datafold's data-diff). What it reads grows with the number of
/// differences, not with the stores. `diff_stores` bisects when both stores
/// can digest, and falls back to the streaming full pass otherwise.

#include <dualstore/call_kind.hpp>
#include <dualstore/concepts.hpp>
#include <dualstore/detail/forwarding_store.hpp>
#include <dualstore/detail/scan_all.hpp>
#include <dualstore/key_range.hpp>
#include <dualstore/partition/partition.hpp>
#include <dualstore/reconcile/kv_reconciler.hpp>
#include <dualstore/reconcile/range_digest.hpp>
#include <dualstore/reconcile/reconciler.hpp>
#include <dualstore/timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace dualstore {

/// How `bisect_diff` splits.
struct bisect_options {
    /// Parts a differing range is cut into.
    std::size_t fanout = 16;
    /// A differing range with at most this many records on each side (and
    /// at least 1) is compared row by row.
    std::uint64_t leaf_rows = 128;
    /// Records per scan page when comparing rows.
    std::size_t batch_size = 512;
    /// The clock the duration is measured on.
    timer clock{};
};

/// What a `bisect_diff` did and read.
struct bisect_report {
    std::uint64_t differences = 0;        ///< keys reported to differ
    std::uint64_t ranges = 0;             ///< ranges whose digests were compared
    std::uint64_t leaves = 0;             ///< ranges compared row by row
    std::uint64_t rows_read = 0;          ///< records read row by row, both stores
    std::uint64_t bytes_primary = 0;      ///< bytes of answers read from the primary
    std::uint64_t bytes_secondary = 0;    ///< bytes of answers read from the secondary
    std::chrono::nanoseconds duration{};  ///< how long it took
};

/// Compares `primary` with `secondary` (both `range_digest_store`s of
/// `std::string` keys and values, held by reference) and calls
/// `on_difference(const sample_result&)` once per key that differs, in key
/// order, with why (`missing_in_secondary`, `missing_in_primary`,
/// `values_differ`). Starting from every key, a range whose two digests are
/// equal is done; a larger differing range is cut into `fanout` parts of
/// about equal size on the side with more records (`keys_every`), each
/// compared in turn; a differing range of at most `leaf_rows` records on
/// each side is scanned on both sides and merged, and each key seen to
/// differ is read again from both stores before it is reported, so a live
/// write that landed on both sides meanwhile is not reported.
///
/// Cost, with d differences among n records: about d·fanout·log_fanout(n)
/// digests (16 bytes each from each store) and d leaves of at most
/// `leaf_rows` records each, instead of 2n records. Each digest reads its
/// range on the server. Report only: repair the keys it reports through
/// the live store's repair, which holds the key's lock.
template <range_digest_store Primary, range_digest_store Secondary, class OnDifference>
bisect_report bisect_diff(Primary& primary, Secondary& secondary, OnDifference&& on_difference,
                          const bisect_options& options = {}) {
    static_assert(std::is_same_v<key_type_t<Primary>, std::string> &&
                      std::is_same_v<mapped_type_t<Primary>, std::string> &&
                      std::is_same_v<key_type_t<Secondary>, std::string> &&
                      std::is_same_v<mapped_type_t<Secondary>, std::string>,
                  "dualstore: bisect_diff needs stores of std::string keys and values");
    const auto started = options.clock.read_clock();
    const auto fanout = std::max<std::size_t>(options.fanout, 2);
    bisect_report report;
    constexpr std::uint64_t digest_bytes = 16;  // a count and a hash

    // Reads every record of `range` from `store`, counting what it read.
    const auto read_range = [&](auto& store, const key_range& range, std::uint64_t& bytes) {
        std::vector<std::pair<std::string, std::string>> rows;
        partition_view view(store, partition{.range = range});
        detail::for_each_item(view, options.batch_size, [&](auto& key, auto& value) {
            bytes += key.size() + value.size();
            rows.emplace_back(std::move(key), std::move(value));
            return true;
        });
        report.rows_read += rows.size();
        return rows;
    };
    // Reads `key` again from both stores and reports it if it still differs.
    const auto report_if_still_different = [&](const std::string& key) {
        const auto a = primary.get(key);
        const auto b = secondary.get(key);
        report.bytes_primary += key.size() + (a ? a->size() : 0);
        report.bytes_secondary += key.size() + (b ? b->size() : 0);
        if (a == b) return;
        ++report.differences;
        sample_result verdict;
        verdict.key = key;
        verdict.in_sync = false;
        verdict.reason = !b   ? drift_reason::missing_in_secondary
                         : !a ? drift_reason::missing_in_primary
                              : drift_reason::values_differ;
        on_difference(std::as_const(verdict));
    };
    const auto compare_rows = [&](const key_range& range) {
        ++report.leaves;
        const auto a = read_range(primary, range, report.bytes_primary);
        const auto b = read_range(secondary, range, report.bytes_secondary);
        std::size_t i = 0, j = 0;
        while (i < a.size() || j < b.size()) {
            if (j == b.size() || (i < a.size() && a[i].first < b[j].first)) {
                report_if_still_different(a[i++].first);
            } else if (i == a.size() || b[j].first < a[i].first) {
                report_if_still_different(b[j++].first);
            } else {
                if (a[i].second != b[j].second) report_if_still_different(a[i].first);
                ++i;
                ++j;
            }
        }
    };

    std::vector<key_range> todo{key_range{}};  // a stack: the leftmost range on top
    while (!todo.empty()) {
        const auto range = std::move(todo.back());
        todo.pop_back();
        const auto a = primary.digest(range);
        const auto b = secondary.digest(range);
        ++report.ranges;
        report.bytes_primary += digest_bytes;
        report.bytes_secondary += digest_bytes;
        if (a == b) continue;
        const auto larger = std::max(a.count, b.count);
        if (larger <= std::max<std::uint64_t>(options.leaf_rows, 1)) {  // one record: no split
            compare_rows(range);
            continue;
        }
        const auto step = (larger + fanout - 1) / fanout;
        auto splits = a.count >= b.count ? primary.keys_every(range, step, fanout - 1)
                                         : secondary.keys_every(range, step, fanout - 1);
        auto& bytes = a.count >= b.count ? report.bytes_primary : report.bytes_secondary;
        for (const auto& key : splits) bytes += key.size();
        if (splits.empty()) {  // emptied meanwhile
            compare_rows(range);
            continue;
        }
        // Parts (after, s1], (s1, s2], ..., (s_last, up_to], pushed last first.
        if (!range.up_to || splits.back() < *range.up_to) {
            todo.push_back({.after = splits.back(), .up_to = range.up_to});
        }
        for (std::size_t i = splits.size() - 1; i > 0; --i) {
            todo.push_back({.after = splits[i - 1], .up_to = splits[i]});
        }
        todo.push_back({.after = range.after, .up_to = std::move(splits.front())});
    }
    report.duration = options.clock.read_clock() - started;
    return report;
}

namespace detail {

/// `Store` seen through a count of what it answers (records and their
/// bytes, from scans and gets), for the report of a full pass.
template <scannable_store Store>
class answer_counting_view : public forwarding_store<answer_counting_view<Store>, Store&> {
    using base = forwarding_store<answer_counting_view<Store>, Store&>;
    friend base;

public:
    /// `store`, counting into `bytes` and `rows`.
    answer_counting_view(Store& store, std::uint64_t& bytes, std::uint64_t& rows)
        : base(std::in_place, store), bytes_(bytes), rows_(rows) {}

    /// Forwards `get`, counting the answer.
    auto get(const key_type_t<Store>& key) {
        auto value = base::get(key);
        if (value) add(key, *value);
        return value;
    }

    /// Forwards `get_many` (a `batch_store`), counting the answers.
    auto get_many(std::span<const key_type_t<Store>> keys) requires batch_store<Store> {
        auto values = base::get_many(keys);
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (values[i]) add(keys[i], *values[i]);
        }
        return values;
    }

    /// Forwards `scan`, counting the page.
    auto scan(const typename Store::cursor_type& from, std::size_t limit) {
        auto page = base::scan(from, limit);
        for (const auto& [key, value] : page.items) add(key, value);
        return page;
    }

private:
    template <class Keys>
    void before(call_kind, const Keys&) const noexcept {}

    void add(std::string_view key, std::string_view value) noexcept {
        bytes_ += key.size() + value.size();
        ++rows_;
    }

    std::uint64_t& bytes_;
    std::uint64_t& rows_;
};

}  // namespace detail

/// Compares `primary` with `secondary` as `bisect_diff` does when both are
/// `range_digest_store`s; otherwise by the streaming full pass of
/// `kv_reconciler` (a merge of two ordered scans when both scan in key
/// order), which reads every record of both. Either way `on_difference` gets
/// each differing key once, and the report says what each store sent
/// (`ranges` and `leaves` stay 0 for a full pass).
template <class Primary, class Secondary, class OnDifference>
bisect_report diff_stores(Primary& primary, Secondary& secondary, OnDifference&& on_difference,
                          const bisect_options& options = {}) {
    if constexpr (range_digest_store<Primary> && range_digest_store<Secondary>) {
        return bisect_diff(primary, secondary, std::forward<OnDifference>(on_difference), options);
    } else {
        const auto started = options.clock.read_clock();
        bisect_report report;
        detail::answer_counting_view p(primary, report.bytes_primary, report.rows_read);
        detail::answer_counting_view s(secondary, report.bytes_secondary, report.rows_read);
        kv_reconciler reconciler(p, s, {.batch_size = options.batch_size});
        const auto report_difference = [&](const sample_result& r) {
            if (r.in_sync) return;
            ++report.differences;
            on_difference(r);
        };
        while (!reconciler.full_pass(report_difference).complete) {
        }
        report.duration = options.clock.read_clock() - started;
        return report;
    }
}

}  // namespace dualstore
