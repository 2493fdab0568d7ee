#pragma once
/// \file
/// `kv_reconciler<Primary, Secondary, Equal>`: reconciles two key-value
/// stores of byte-string keys. A sampled pass lists a uniform sample of keys
/// from one key scan of each store and looks up only those; a full pass
/// checks every key in bounded memory (merging two ordered scans, or paging
/// through each store) and resumes from a checkpoint.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/get_many_of.hpp>
#include <dualstore/detail/key_sample_builder.hpp>
#include <dualstore/detail/random_bits.hpp>
#include <dualstore/detail/scan_all.hpp>
#include <dualstore/error.hpp>
#include <dualstore/reconcile/checkpoint.hpp>
#include <dualstore/reconcile/digest.hpp>
#include <dualstore/reconcile/reconciler.hpp>
#include <dualstore/repair/repair_key.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace dualstore {

/// Options of a `kv_reconciler`.
struct kv_reconciler_options {
    /// The reconciler's name in reports.
    std::string name = "kv";
    /// Seed of the sampling (0: random).
    std::uint64_t seed = 0;
    /// Repair a drifted key from the primary after reporting it.
    bool repair = false;
    /// How a drifted key is repaired when `repair` is on; empty means
    /// `repair_key(primary, secondary, key)`. While writes go on, pass the
    /// live store's own repair, which holds the key's lock as its writes do,
    /// so a repair never puts an older value over a newer one:
    /// `.repair_with = [&](const std::string& k) { return store.repair(k); }`.
    /// An exception from it goes into the verdict's `detail`, not further.
    std::function<repair_action(const std::string& key)> repair_with{};
    /// Items per scan page: a full pass holds at most one page of each store.
    std::size_t batch_size = 512;
};

/// VDiff-style counts of the keys a reconciler checked, by verdict.
struct vdiff_counts {
    std::uint64_t matching = 0;            ///< keys in sync
    std::uint64_t mismatched = 0;          ///< both have the key, values differ
    std::uint64_t extra_in_primary = 0;    ///< missing in the secondary
    std::uint64_t extra_in_secondary = 0;  ///< missing in the primary
    std::uint64_t errors = 0;              ///< checks that failed
    /// Counts are equal when every field is.
    friend bool operator==(const vdiff_counts&, const vdiff_counts&) = default;
};

/// Reconciles `Primary` against `Secondary` (both `scannable_store`s with
/// `std::string` keys).
///
/// - **Sampled** (`list_sample_keys(sampled, budget)`): keeps the `budget`
///   keys of smallest salted hash (`key_sample_hash`, bottom-k) of both
///   stores, a uniform sample of their distinct keys (a key both have is no
///   likelier than a key one lacks). A `key_sampling_store` (SQLite,
///   PostgreSQL, `testing::memory_store`) draws its bottom `budget` on its
///   server and sends only those; any other store is scanned for its keys.
///   No lookups while listing: checking the `n` keys a harness keeps costs
///   `n` gets on each store. Memory: the budget and one page.
/// - **Full** (`full_pass`): every key, in bounded memory (one page of each
///   store). When both stores are `key_ordered_store`s the two scans are
///   merged: equal values are matched without any lookup, and only keys that
///   differ are read again by key (`reconcile`), which also catches a
///   difference a live write made meanwhile. Otherwise it pages through the
///   primary, looking each page up in the secondary (`get_many` when it has
///   it), then through the secondary for keys the primary lacks. A pass can
///   stop after a number of keys; the next call continues from the
///   checkpoint (VDiff's "last key checked"), which `checkpoint()` gives as
///   bytes for another process.
///
/// `counts()` are the current run's (a run begins with `list_sample_keys` or
/// `full_pass`); `total_counts()` everything since construction.
/// Thread-compatible: one run at a time; `counts()` may be read meanwhile.
template <scannable_store Primary, scannable_store Secondary, class Equal = std::equal_to<>>
class kv_reconciler {
public:
    static_assert(std::is_same_v<key_type_t<Primary>, std::string> &&
                      std::is_same_v<key_type_t<Secondary>, std::string>,
                  "dualstore: kv_reconciler needs stores with std::string keys");

    /// Whether a full pass merges two key-ordered scans (both stores are
    /// `key_ordered_store`s) rather than paging and looking keys up.
    static constexpr bool merges = key_ordered_store<Primary> && key_ordered_store<Secondary>;

    /// Reconciles `primary` against `secondary`, both held by reference.
    kv_reconciler(Primary& primary, Secondary& secondary, kv_reconciler_options options = {},
                  Equal equal = {})
        : primary_(primary),
          secondary_(secondary),
          options_(std::move(options)),
          equal_(std::move(equal)),
          random_(options_.seed != 0 ? options_.seed : detail::random_bits()) {
        options_.batch_size = std::max<std::size_t>(options_.batch_size, 1);
    }

    /// The name given in the options.
    [[nodiscard]] std::string_view name() const noexcept { return options_.name; }

    /// Begins a run (resets `counts()`) and lists at most `budget` keys:
    /// `sampled`, a uniform random sample of the distinct keys of both
    /// stores (see the class); `full`, the first `budget` keys, primary's
    /// first (capped, for callers of the plain `reconciler` concept:
    /// `full_pass` checks every key).
    std::vector<std::string> list_sample_keys(reconcile_mode mode, std::size_t budget) {
        begin_run();
        return mode == reconcile_mode::sampled ? sample_keys(budget) : first_keys(budget);
    }

    /// The number of distinct keys of both stores the last listing saw:
    /// exact when the sampled listing kept them all (at most `budget`),
    /// estimated from the sample otherwise (relative error about
    /// 1/sqrt(budget)); for a `full` listing, the keys it listed.
    [[nodiscard]] std::uint64_t population() const noexcept { return population_; }

    /// Compares `key` in both stores (one `get` each); repairs it when
    /// drifted and `repair` is on (through `repair_with` when given). Never
    /// throws for a store's failure: the verdict says `error`.
    sample_result reconcile(const std::string& key) {
        sample_result result{key, true, drift_reason::none, {}, false};
        try {
            const auto in_primary = primary_.get(key);
            const auto in_secondary = secondary_.get(key);
            if (in_primary && !in_secondary) {
                result.reason = drift_reason::missing_in_secondary;
            } else if (!in_primary && in_secondary) {
                result.reason = drift_reason::missing_in_primary;
            } else if (in_primary && !std::invoke(equal_, *in_primary, *in_secondary)) {
                result.reason = drift_reason::values_differ;
            }
        } catch (...) {
            result.reason = drift_reason::error;
            result.detail = describe(std::current_exception());
        }
        result.in_sync = result.reason == drift_reason::none;
        count(result.reason);
        if (!result.in_sync && result.reason != drift_reason::error && options_.repair) {
            try {
                if (options_.repair_with) {
                    options_.repair_with(key);
                } else {
                    repair_key(primary_, secondary_, key);
                }
                result.repaired = true;
            } catch (...) {
                result.detail =
                    fmt::format("repair failed: {}", describe(std::current_exception()));
            }
        }
        return result;
    }

    /// Begins a run (resets `counts()`) and checks keys of both stores in
    /// bounded memory from the checkpoint (or the start), calling
    /// `on_result(const sample_result&)` once per key checked, each key of
    /// either store once per pass. Stops after `max_keys` keys taken from
    /// the scans (0: no limit; a key both stores have counts once when
    /// merging, once per store when paging); the next call continues from
    /// there, and the call after a complete pass starts a new one. Keys
    /// written during a pass may or may not be seen; keys present throughout
    /// are. A scan's exception propagates with the checkpoint kept, so a
    /// later call retries from it; so does one from `on_result`.
    template <class OnResult>
    full_pass_result full_pass(OnResult&& on_result, std::uint64_t max_keys = 0) {
        begin_run();
        if constexpr (merges) {
            return merge_pass(on_result, max_keys);
        } else {
            return paged_pass(on_result, max_keys);
        }
    }

    /// Whether a full pass is under way: the next `full_pass` continues it.
    [[nodiscard]] bool full_pass_pending() const noexcept { return position_.has_value(); }

    /// Forgets the checkpoint: the next `full_pass` starts from the beginning.
    void restart_full_pass() noexcept { position_.reset(); }

    /// The checkpoint as bytes, to continue the pass in another process
    /// (`resume_full_pass`); empty when no pass is under way.
    [[nodiscard]] std::optional<std::string> checkpoint() const requires resumable_store<Primary> &&
        resumable_store<Secondary> {
        if (!position_) return std::nullopt;
        detail::reconcile_checkpoint saved{.phase = position_->phase, .after = position_->after};
        if (position_->primary)
            saved.primary = std::string(Primary::encode_cursor(*position_->primary));
        if (position_->secondary) {
            saved.secondary = std::string(Secondary::encode_cursor(*position_->secondary));
        }
        return saved.encode();
    }

    /// Continues the pass `checkpoint()` gave `bytes` for, perhaps in
    /// another process, with the next `full_pass`. Throws `error` for other
    /// bytes (then the checkpoint is unchanged).
    void resume_full_pass(std::string_view bytes) requires resumable_store<Primary> &&
        resumable_store<Secondary> {
        const auto saved = detail::reconcile_checkpoint::decode(bytes);
        if ((saved.phase == phase_merge) != merges) {
            throw error("dualstore: the checkpoint is of another kind of full pass");
        }
        position p;
        p.phase = saved.phase;
        if (saved.primary) p.primary = Primary::decode_cursor(*saved.primary);
        if (saved.secondary) p.secondary = Secondary::decode_cursor(*saved.secondary);
        p.after = saved.after;
        position_ = std::move(p);
    }

    /// The current run's counts, by verdict (since the last `list_sample_keys`
    /// or `full_pass` began).
    [[nodiscard]] vdiff_counts counts() const noexcept { return run_.load(); }

    /// Everything checked since construction, by verdict.
    [[nodiscard]] vdiff_counts total_counts() const noexcept { return total_.load(); }

private:
    using primary_cursor = typename Primary::cursor_type;
    using secondary_cursor = typename Secondary::cursor_type;

    static constexpr char phase_merge = detail::reconcile_checkpoint::merging;
    static constexpr char phase_primary = detail::reconcile_checkpoint::paging_primary;
    static constexpr char phase_secondary = detail::reconcile_checkpoint::paging_secondary;

    /// Where a full pass stands. Merging: the cursors each store's current
    /// page was read from (empty: that scan is over) and the last key
    /// checked (keys up to it are skipped when a page is read again).
    /// Paging: the cursor of the next page of the store being paged.
    struct position {
        char phase = phase_merge;
        std::optional<primary_cursor> primary;
        std::optional<secondary_cursor> secondary;
        std::optional<std::string> after;
    };

    struct atomic_counts {
        std::atomic<std::uint64_t> matching{0}, mismatched{0}, extra_in_primary{0},
            extra_in_secondary{0}, errors{0};

        void add(drift_reason r) noexcept {
            switch (r) {
                case drift_reason::none:
                    ++matching;
                    break;
                case drift_reason::values_differ:
                    ++mismatched;
                    break;
                case drift_reason::missing_in_secondary:
                    ++extra_in_primary;
                    break;
                case drift_reason::missing_in_primary:
                    ++extra_in_secondary;
                    break;
                case drift_reason::error:
                    ++errors;
                    break;
            }
        }
        void reset() noexcept {
            matching = mismatched = extra_in_primary = extra_in_secondary = errors = 0;
        }
        [[nodiscard]] vdiff_counts load() const noexcept {
            return {matching.load(), mismatched.load(), extra_in_primary.load(),
                    extra_in_secondary.load(), errors.load()};
        }
    };

    void begin_run() noexcept { run_.reset(); }

    void count(drift_reason r) noexcept {
        run_.add(r);
        total_.add(r);
    }

    /// A key whose two values the scans showed equal.
    template <class OnResult>
    void matched(const std::string& key, OnResult& on_result) {
        count(drift_reason::none);
        const sample_result verdict{key, true, drift_reason::none, {}, false};
        on_result(verdict);
    }

    /// A key the scans showed different: read again by key (a live write
    /// may have changed it meanwhile), judged, repaired when asked.
    template <class OnResult>
    void verify(const std::string& key, OnResult& on_result) {
        const auto verdict = reconcile(key);
        on_result(verdict);
    }

    // The bottom-`budget` keys of both stores together (each store's own
    // sample, merged), and their number of distinct keys into `population_`.
    std::vector<std::string> sample_keys(std::size_t budget) {
        const std::uint64_t salt = random_();
        detail::key_sample_builder both(salt, budget);
        both.merge(detail::sample_keys_of(primary_, salt, budget, options_.batch_size));
        both.merge(detail::sample_keys_of(secondary_, salt, budget, options_.batch_size));
        population_ = both.distinct();
        const auto sample = std::move(both).done();
        std::vector<std::string> keys;
        keys.reserve(sample.smallest.size());
        for (const auto& entry : sample.smallest) keys.push_back(entry.second);
        return keys;
    }

    std::vector<std::string> first_keys(std::size_t budget) {
        std::vector<std::string> keys;
        if (budget > 0) {
            detail::for_each_item(primary_, options_.batch_size,
                                  [&](const std::string& key, const auto&) {
                                      keys.push_back(key);
                                      return keys.size() < budget;
                                  });
        }
        if (keys.size() < budget) {
            detail::for_each_item(secondary_, options_.batch_size,
                                  [&](const std::string& key, const auto&) {
                                      if (!primary_.get(key))
                                          keys.push_back(key);  // keys only the secondary has
                                      return keys.size() < budget;
                                  });
        }
        population_ = keys.size();
        return keys;
    }

    template <class OnResult>
    full_pass_result merge_pass(OnResult& on_result, std::uint64_t max_keys) {
        if (!position_ || position_->phase != phase_merge) {
            position_ = position{phase_merge, primary_cursor{}, secondary_cursor{}, std::nullopt};
        }
        const auto after = position_->after;  // keys up to it were checked before
        detail::page_reader<Primary> p(primary_, options_.batch_size, position_->primary);
        detail::page_reader<Secondary> s(secondary_, options_.batch_size, position_->secondary);
        full_pass_result result;
        // Per scan: the last key taken (to check the order), and whether the
        // current item is new since the last advance (checked once each).
        struct order_check {
            std::string last;
            bool seen = false;
            bool fresh = true;
        } order_p, order_s;
        // The next item of a scan that was not checked before.
        const auto next = [&](auto& reader, order_check& order,
                              std::string_view side) -> decltype(reader.current()) {
            for (;;) {
                auto* item = reader.current();
                if (item == nullptr || !std::exchange(order.fresh, false)) return item;
                if (order.seen && !(order.last < item->first)) {
                    throw error(fmt::format(
                        "dualstore: kv_reconciler: the {} store's scan is not in key order ({:?} "
                        "after {:?}); it must not claim scans_in_key_order",
                        side, item->first, order.last));
                }
                order.last = item->first;
                order.seen = true;
                if (!after || *after < item->first) return item;
                reader.advance();  // checked before the checkpoint
                order.fresh = true;
            }
        };
        const auto take = [](auto& reader, order_check& order) {
            reader.advance();
            order.fresh = true;
        };
        const auto save = [&] {
            position_->primary = p.page_start();
            position_->secondary = s.page_start();
            if (result.checked > 0) position_->after = result.last_key;
        };
        try {
            for (;;) {
                if (max_keys != 0 && result.scanned >= max_keys) break;
                auto* a = next(p, order_p, "primary");
                auto* b = next(s, order_s, "secondary");
                if (a == nullptr && b == nullptr) {
                    result.complete = true;
                    break;
                }
                std::string key;
                if (b == nullptr || (a != nullptr && a->first < b->first)) {
                    key = a->first;
                    verify(key, on_result);  // missing in the secondary, by the scans
                    take(p, order_p);
                } else if (a == nullptr || b->first < a->first) {
                    key = b->first;
                    verify(key, on_result);  // missing in the primary, by the scans
                    take(s, order_s);
                } else {
                    key = a->first;
                    if (std::invoke(equal_, a->second, b->second)) {
                        matched(key, on_result);
                    } else {
                        verify(key, on_result);
                    }
                    take(p, order_p);
                    take(s, order_s);
                }
                ++result.scanned;
                ++result.checked;
                result.last_key = std::move(key);
            }
        } catch (...) {
            save();
            throw;
        }
        if (result.complete) {
            position_.reset();
        } else {
            save();
        }
        return result;
    }

    /// The values of `keys` in `store`, in order; empty when the lookup failed.
    template <class Store>
    static std::optional<std::vector<std::optional<mapped_type_t<Store>>>> look_up(
        Store& store, const std::vector<std::string>& keys) {
        try {
            return detail::get_many_of(store, std::span<const std::string>(keys));
        } catch (...) {
            return std::nullopt;  // each key is checked on its own, reporting its error
        }
    }

    template <class OnResult>
    full_pass_result paged_pass(OnResult& on_result, std::uint64_t max_keys) {
        if (!position_ || position_->phase == phase_merge) {
            position_ = position{phase_primary, primary_cursor{}, std::nullopt, std::nullopt};
        }
        full_pass_result result;
        const auto limit = [&] {
            if (max_keys == 0) return options_.batch_size;
            return static_cast<std::size_t>(
                std::min<std::uint64_t>(options_.batch_size, max_keys - result.scanned));
        };
        const auto stop = [&] { return max_keys != 0 && result.scanned >= max_keys; };
        std::vector<std::string> keys;
        // The primary: every key it has, looked up in the secondary.
        while (position_->phase == phase_primary && !stop()) {
            auto page = primary_.scan(*position_->primary, limit());
            keys.clear();
            for (const auto& item : page.items) keys.push_back(item.first);
            const auto values = look_up(secondary_, keys);
            std::size_t i = 0;
            for (const auto& [key, value] : page.items) {
                const auto* other = values ? &(*values)[i] : nullptr;
                if (other != nullptr && *other && std::invoke(equal_, value, **other)) {
                    matched(key, on_result);
                } else {
                    verify(key, on_result);
                }
                ++i;
            }
            result.scanned += keys.size();
            result.checked += keys.size();
            if (!keys.empty()) result.last_key = keys.back();
            if (page.next) {
                position_->primary = std::move(page.next);
            } else {
                *position_ =
                    position{phase_secondary, std::nullopt, secondary_cursor{}, std::nullopt};
            }
        }
        // The secondary: the keys the primary lacks (the others were checked above).
        while (position_->phase == phase_secondary && !stop()) {
            auto page = secondary_.scan(*position_->secondary, limit());
            keys.clear();
            for (const auto& item : page.items) keys.push_back(item.first);
            const auto values = look_up(primary_, keys);
            for (std::size_t i = 0; i < keys.size(); ++i) {
                if (values && (*values)[i]) continue;  // in both: checked with the primary's keys
                verify(keys[i], on_result);
                ++result.checked;
                result.last_key = keys[i];
            }
            result.scanned += keys.size();
            if (page.next) {
                position_->secondary = std::move(page.next);
            } else {
                position_.reset();
                result.complete = true;
                break;
            }
        }
        return result;
    }

    Primary& primary_;
    Secondary& secondary_;
    kv_reconciler_options options_;
    Equal equal_;
    detail::splitmix64_engine random_;
    std::uint64_t population_ = 0;
    std::optional<position> position_;
    atomic_counts run_, total_;
};

}  // namespace dualstore
