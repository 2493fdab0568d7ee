#pragma once
/// \file
/// `backfill(source, target, options[, mapping])`: copies a scannable store
/// into another, page by page, in bounded memory; resumable, rate-limited,
/// expiry-aware and safe beside live dual writes. A reverse backfill (after a
/// cutover, to keep the way back open) is the same call with the stores swapped.

#include <dualstore/backfill/report.hpp>
#include <dualstore/concepts.hpp>
#include <dualstore/detail/change_watch.hpp>
#include <dualstore/error.hpp>
#include <dualstore/key_lock_table.hpp>
#include <dualstore/observe/progress.hpp>
#include <dualstore/rate_limiter.hpp>
#include <dualstore/repair/repair_key.hpp>
#include <dualstore/timer.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace dualstore {

/// What a backfill does with a key the target already has.
enum class conflict_rule {
    /// Insert only when absent (`put_if_absent` where the target has it):
    /// never overwrites, so a live write that reached the target first
    /// always wins. The rule to use beside live dual writes.
    keep_target,
    /// Write every record. Beside live writes this can put an older value
    /// over a newer one; use it on a target nobody writes yet.
    overwrite,
    /// Write when the record's version (the mapping's `version(value)`) is
    /// greater than the target's. The read and the write are two steps: a
    /// live write landing between them can still be overwritten by an
    /// older version unless the target is written only by versioned writers.
    newer_wins,
};

/// Where a backfill keeps its cursor between batches: `load()` the saved
/// cursor bytes (nothing at the start), `save(bytes)` after each batch,
/// `clear()` when the backfill completes.
struct backfill_checkpoint {
    std::function<std::optional<std::string>()> load;  ///< the saved cursor
    std::function<void(const std::string&)> save;      ///< saves the cursor
    std::function<void()> clear;                       ///< forgets it
};

/// A checkpoint kept under `key` in `store` (any `kv_store` of strings,
/// held by reference): a killed backfill resumes where it stopped.
template <kv_store Store>
backfill_checkpoint checkpoint_in(Store& store, std::string key) {
    return {[&store, key] { return store.get(key); },
            [&store, key](const std::string& cursor) { store.put(key, cursor); },
            [&store, key] { store.erase(key); }};
}

/// How a backfill runs.
struct backfill_options {
    /// Records per scan page and per write batch.
    std::size_t batch_size = 500;
    /// Records per second at most (0: unlimited).
    double rate = 0;
    /// Scan and report, write nothing.
    bool dry_run = false;
    /// Copy only keys starting with this (string-like keys).
    std::string key_prefix{};
    /// Copy only keys for which this says true (string-like keys).
    std::function<bool(std::string_view)> key_filter{};
    /// What to do with keys the target has.
    conflict_rule conflict = conflict_rule::keep_target;
    /// A record's remaining time to live is raised to at least this.
    std::chrono::milliseconds min_ttl = std::chrono::seconds(60);
    /// A record with a time to live, written without the key lock, is re-read
    /// from the source after its write when its source expiry lies within
    /// this of `clock.wall` read after the write: it may have expired
    /// meanwhile, which no change stamp shows. A later expiry is confirmed by
    /// the source's change stamp like any record. Cover the most the source's
    /// expiry clock may run ahead of `clock.wall` (our adapters judge expiry
    /// on the client's clock, or by Redis's relative TTLs).
    std::chrono::milliseconds expiry_margin = std::chrono::seconds(10);
    /// Where to keep the cursor (resumable stores only); empty: not kept.
    std::optional<backfill_checkpoint> checkpoint{};
    /// Told an `observe::progress_event` ("backfill") after each batch and
    /// at the end: `.observers = observe::with(bar)`.
    observe::progress_observers observers{};
    /// The expected record count, for the progress ETA.
    std::optional<std::size_t> total_hint{};
    /// Stop after this many batches (the rest is left for a resumed run).
    std::optional<std::size_t> max_batches{};
    /// Throw at the first failed write (after counting it) instead of going on.
    bool stop_on_error = false;
    /// Holds a key while its record is re-read from the source and written
    /// to the target, as the live path's writes do: pass the store's
    /// `lock_key` (`[&](std::string_view k) { return store.lock_key(std::string(k)); }`)
    /// when a `dual_store` or `migration` writes these stores in this
    /// process, and no live write interleaves with a record's copy. Without
    /// it (another process writes), each written record is re-read from the
    /// source after the write and corrected when the source changed
    /// meanwhile. Either way a key the source no longer has is never brought
    /// back. String-like keys only.
    std::function<key_lock_table::lock(std::string_view)> lock_key{};
    /// The clock: durations and the rate limit on `now` and `sleep`, the
    /// translation of expiry times into times to live on `wall`.
    timer clock{};
};

/// The identity mapping: same keys, same values, every record copied.
struct identity_mapping {};

namespace detail {

template <class Mapping, class K>
decltype(auto) map_key(const Mapping& m, const K& key) {
    if constexpr (requires { m.key(key); })
        return m.key(key);
    else
        return (key);
}

template <class Mapping, class V>
decltype(auto) map_value(const Mapping& m, const V& value) {
    if constexpr (requires { m.value(value); })
        return m.value(value);
    else
        return (value);
}

}  // namespace detail

/// Copies `source` into `target` per `options` (see `backfill_options`).
/// `mapping` may rename keys (`key(k)`), convert values between the two
/// sides' types (`value(v)`), drop records (`keep(k, v)` false) and give
/// values a version for `conflict_rule::newer_wins` (`version(v)`). Each
/// record is read from one page and written once per run; a failed write is
/// counted and the run goes on (unless `stop_on_error`). With a checkpoint,
/// the cursor is saved after each batch and a later call resumes from it.
template <scannable_store Source, kv_store Target, class Mapping = identity_mapping>
backfill_report backfill(Source& source, Target& target, const backfill_options& options,
                         const Mapping& mapping = {}) {
    using source_key = key_type_t<Source>;
    using target_key = key_type_t<Target>;
    using target_value = mapped_type_t<Target>;
    constexpr bool string_keys = std::is_convertible_v<const source_key&, std::string_view>;
    const auto started = options.clock.read_clock();
    backfill_report report;
    rate_limiter limiter(options.rate, options.batch_size, options.clock);
    const auto now = [&] { return options.clock.read_wall(); };
    const auto tell_progress = [&](bool finished) {
        if (!options.observers) return;
        options.observers.notify({.task = "backfill",
                                  .done = report.scanned,
                                  .changed = report.written,
                                  .changed_as = "written",
                                  .skipped = report.skipped_present + report.skipped_expired +
                                             report.filtered_out + report.skipped_gone,
                                  .failed = report.failed,
                                  .total = options.total_hint,
                                  .elapsed = options.clock.read_clock() - started,
                                  .finished = finished});
    };

    if constexpr (!requires(const target_value& v) { mapping.version(v); }) {
        if (options.conflict == conflict_rule::newer_wins) {
            throw error(
                "dualstore: backfill: conflict_rule::newer_wins needs a mapping with "
                "version(value)");
        }
    }

    std::optional<typename Source::cursor_type> cursor{typename Source::cursor_type{}};
    if (options.checkpoint) {
        if constexpr (resumable_store<Source>) {
            if (const auto saved = options.checkpoint->load())
                cursor = Source::decode_cursor(*saved);
        } else {
            throw error(
                "dualstore: backfill: a checkpoint needs a source whose cursors can be "
                "saved (resumable_store: encode_cursor/decode_cursor)");
        }
    }

    const auto keep = [&](const source_key& key, const auto& value) {
        if constexpr (string_keys) {
            const std::string_view k(key);
            if (!options.key_prefix.empty() && !k.starts_with(options.key_prefix)) return false;
            if (options.key_filter && !options.key_filter(k)) return false;
        }
        if constexpr (requires { mapping.keep(key, value); })
            return static_cast<bool>(mapping.keep(key, value));
        return true;
    };

    const auto write_one = [&](const target_key& key, const target_value& value,
                               std::optional<std::chrono::milliseconds> ttl) {
        switch (options.conflict) {
            case conflict_rule::keep_target:
                if (options.dry_run) return !target.get(key);
                if constexpr (conditional_store<Target>) {
                    if (!ttl) return static_cast<bool>(target.put_if_absent(key, value));
                }
                if constexpr (conditional_expiring_store<Target>) {
                    return static_cast<bool>(target.put_if_absent(key, value, *ttl));
                }
                // No atomic insert with a time to live: a live write landing
                // between this check and the put is overwritten.
                if (target.get(key)) return false;
                break;
            case conflict_rule::newer_wins:
                if constexpr (requires { mapping.version(value); }) {
                    if (const auto current = target.get(key);
                        current && !(mapping.version(*current) < mapping.version(value))) {
                        return false;
                    }
                }
                break;
            case conflict_rule::overwrite:
                break;
        }
        if (options.dry_run) return true;
        if constexpr (expiring_store<Target>) {
            if (ttl) {
                target.put(key, value, *ttl);
                return true;
            }
        }
        target.put(key, value);
        return true;
    };

    // Whether the page's keys and values can move to the target as they are.
    constexpr bool moves = std::is_same_v<Mapping, identity_mapping> &&
                           std::is_same_v<source_key, target_key> &&
                           std::is_same_v<mapped_type_t<Source>, target_value>;

    // After a record was written without the key lock: re-reads the source
    // and, when a live write changed or erased the key meanwhile (whose
    // target side the copy may have overwritten or brought back), copies the
    // source's current state again until it holds still.
    const auto confirm = [&](const source_key& key, const mapped_type_t<Source>& written,
                             const target_key& mapped_key) {
        if constexpr (std::equality_comparable<mapped_type_t<Source>>) {
            auto current = source.get(key);
            if (current == written) return;
            ++report.corrected;
            if constexpr (moves) {
                repair_key(source, target, key);
            } else {
                for (int round = 1;; ++round) {
                    if (current) {
                        target.put(mapped_key, target_value(detail::map_value(mapping, *current)));
                    } else {
                        target.erase(mapped_key);
                    }
                    auto again = source.get(key);
                    if (again == current) return;
                    if (round == repair_rounds) {
                        throw error(
                            "dualstore: backfill: a record changed at the source during each of "
                            "its copies; run the backfill again later");
                    }
                    current = std::move(again);
                }
            }
        }
    };

    // Whether records written without the key lock need their confirming
    // re-read: not when the source has a change stamp that held still from
    // the page's read until now (no live write can have slipped between the
    // read and the copy), unless one of them expires in the source (at
    // `expires_at`, the earliest) within `expiry_margin` of now: it may have
    // expired meanwhile, which no stamp shows.
    const bool confirms = !options.dry_run && !options.lock_key;
    detail::change_watch<Source> source_watch;
    const auto needs_confirming = [&](const std::optional<expiry_clock::time_point>& expires_at) {
        return confirms && ((expires_at && *expires_at <= now() + options.expiry_margin) ||
                            !source_watch.held_still(source));
    };

    // Records go to the target in one call per page when it has batch
    // operations, with their times to live where its batches carry them
    // (`expiring_batch_store`; otherwise an expiring record goes alone):
    // `put_many` to overwrite, `put_many_if_absent` to keep the target's
    // keys, and for newer_wins one `get_many` of the target's versions, then
    // `put_many` of the newer records (each written record then confirmed as
    // above).
    [[maybe_unused]] const bool batched =
        !options.dry_run && !options.lock_key &&
        (options.conflict != conflict_rule::keep_target || conditional_batch_store<Target>);
    std::vector<std::pair<target_key, target_value>> pending;
    // With each pending record's time to live, where the target's batches
    // carry them (`expiring_batch_store`; otherwise an expiring record goes
    // alone), and the earliest source expiry among them (none: no record
    // of the page expires).
    std::vector<time_to_live> pending_ttls;
    std::optional<expiry_clock::time_point> pending_earliest_expiry;
    [[maybe_unused]] const auto ttl_of = [&](std::size_t i) -> time_to_live {
        if constexpr (expiring_batch_store<Target>) {
            return pending_ttls[i];
        } else {
            return std::nullopt;
        }
    };
    std::vector<std::pair<source_key, mapped_type_t<Source>>> pending_source;  // mapped only

    // Given which records of `pending` are written (from `put_many_if_absent`,
    // or which newer_wins will write): counts the others as skipped and keeps
    // in `pending` (and `pending_source`) only the written ones, in order,
    // which are then confirmed.
    [[maybe_unused]] const auto keep_written = [&](const std::vector<bool>& wrote) {
        if (wrote.size() != pending.size()) {
            throw error(fmt::format(
                "dualstore: backfill: put_many_if_absent answered {} flags for {} records",
                wrote.size(), pending.size()));
        }
        std::size_t kept = 0;
        for (std::size_t i = 0; i < pending.size(); ++i) {
            if (!wrote[i]) {
                ++report.skipped_present;
                continue;
            }
            if (kept != i) {
                pending[kept] = std::move(pending[i]);
                if constexpr (!moves) pending_source[kept] = std::move(pending_source[i]);
                if constexpr (expiring_batch_store<Target>) pending_ttls[kept] = pending_ttls[i];
            }
            ++kept;
        }
        pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(kept), pending.end());
        if constexpr (expiring_batch_store<Target>) pending_ttls.resize(kept);
        if constexpr (!moves) {
            pending_source.erase(pending_source.begin() + static_cast<std::ptrdiff_t>(kept),
                                 pending_source.end());
        }
    };

    // For newer_wins, per record of `pending` in order: whether its version
    // is greater than the target's (or the target has none), from one
    // `get_many` of the target.
    [[maybe_unused]] const auto newer_than_target = [&] {
        std::vector<bool> newer(pending.size(), true);
        if constexpr (batch_store<Target> &&
                      requires(const target_value& v) { mapping.version(v); }) {
            std::vector<target_key> keys;
            keys.reserve(pending.size());
            for (const auto& item : pending) keys.push_back(item.first);
            const auto current = target.get_many(std::span<const target_key>(keys));
            if (current.size() != pending.size()) {
                throw error(
                    fmt::format("dualstore: backfill: get_many answered {} values for {} keys",
                                current.size(), pending.size()));
            }
            for (std::size_t i = 0; i < pending.size(); ++i) {
                newer[i] = !current[i] ||
                           mapping.version(*current[i]) < mapping.version(pending[i].second);
            }
        }
        return newer;
    };

    // Runs one confirmation or correction; its failure counts against the
    // record and stops the backfill only under `stop_on_error`.
    const auto counting_failure = [&](auto&& step) {
        try {
            step();
        } catch (...) {
            ++report.failed;
            if (options.stop_on_error) throw;
        }
    };
    // Whether each record's value is re-read under the key lock (the lock
    // taken for string keys when `lock_key` is set).
    const bool reread_under_lock = string_keys && static_cast<bool>(options.lock_key);

    // Calls `confirm_one(i)` for each record `i` of `pending` (written in one
    // batch from the page scanned at `from`, `page_size` items) that is not
    // confirmed otherwise. A source that scans in key order is scanned again
    // over the page's range, after the write, and each record checked against
    // it: the same re-read as `confirm`'s, one scan instead of one get per
    // record. A record whose key the new scan shows with another value, or no
    // longer shows, is corrected at once; only records past the end of the new
    // scan (keys inserted meanwhile pushed them out) go to `confirm_one`. A
    // source with batches but no key order is read with one `get_many`.
    const auto for_each_unconfirmed = [&](const typename Source::cursor_type& from,
                                          std::size_t page_size, auto confirm_one) {
        if constexpr (moves && key_ordered_store<Source> &&
                      std::equality_comparable<mapped_type_t<Source>>) {
            const auto again = source.scan(from, page_size);
            std::size_t j = 0;
            for (std::size_t i = 0; i < pending.size(); ++i) {
                const auto& key = pending[i].first;  // not a binding: a lambda captures it
                const auto& written = pending[i].second;
                while (j < again.items.size() && again.items[j].first < key) ++j;
                const bool seen = j < again.items.size() && again.items[j].first == key;
                if (seen && again.items[j].second == written) continue;  // confirmed
                if (!seen && j == again.items.size() && again.next) {
                    confirm_one(i);  // past the new scan's end
                    continue;
                }
                counting_failure([&] {
                    ++report.corrected;
                    repair_key(source, target, key);
                });
            }
        } else if constexpr (batch_store<Source> &&
                             std::equality_comparable<mapped_type_t<Source>>) {
            // One get_many of the page's source keys: a record whose source
            // still holds the value written is confirmed; the others (and
            // all of them if the get_many fails) go to `confirm_one`, which
            // reads again and corrects.
            const auto& written = [&]() -> const auto& {
                if constexpr (moves) {
                    return pending;
                } else {
                    return pending_source;
                }
            }
            ();
            std::vector<std::optional<mapped_type_t<Source>>> current;
            try {
                std::vector<source_key> keys;
                keys.reserve(written.size());
                for (const auto& item : written) keys.push_back(item.first);
                current = source.get_many(std::span<const source_key>(keys));
            } catch (...) {
                current.clear();
            }
            for (std::size_t i = 0; i < written.size(); ++i) {
                if (i < current.size() && current[i] == written[i].second) continue;
                confirm_one(i);
            }
        } else {
            for (std::size_t i = 0; i < pending.size(); ++i) confirm_one(i);
        }
    };

    while (cursor && (!options.max_batches || report.batches < *options.max_batches)) {
        if (confirms) source_watch.start(source);
        // With each item's expiry when the source can scan it along.
        auto page = [&] {
            if constexpr (expiry_scannable_store<Source>) {
                return source.scan_with_expiry(*cursor, options.batch_size);
            } else {
                return source.scan(*cursor, options.batch_size);
            }
        }();
        limiter.acquire(page.items.size());
        for (std::size_t index = 0; index < page.items.size(); ++index) {
            auto& key = page.items[index].first;  // not a structured binding: lambdas capture it
            auto& value = page.items[index].second;
            ++report.scanned;
            if (!keep(key, value)) {
                ++report.filtered_out;
                continue;
            }
            key_lock_table::lock held;
            if constexpr (string_keys) {
                if (reread_under_lock) {
                    // No live write to the key interleaves from here: copy
                    // the source's current state, not the page's.
                    held = options.lock_key(std::string_view(key));
                    auto current = source.get(key);
                    if (!current) {
                        ++report.skipped_gone;
                        continue;
                    }
                    value = std::move(*current);
                }
            }
            std::optional<std::chrono::milliseconds> ttl;
            std::optional<expiry_clock::time_point> expires_at;  // in the source
            if constexpr (expiring_store<Source>) {
                // The page's expiry, unless the value was re-read under the lock.
                const auto expires = [&]() -> std::optional<expiry_clock::time_point> {
                    if constexpr (expiry_scannable_store<Source>) {
                        if (!reread_under_lock) return page.expiries[index];
                    }
                    return source.expiry(key);
                }();
                if (expires) {
                    const auto left =
                        std::chrono::ceil<std::chrono::milliseconds>(*expires - now());
                    if (left <= std::chrono::milliseconds::zero()) {
                        ++report.skipped_expired;
                        continue;
                    }
                    ttl = std::max(left, options.min_ttl);
                    expires_at = *expires;
                }
            }
            try {
                // The page is ours: without a mapping its strings move to the target.
                target_key mapped_key = [&]() -> target_key {
                    if constexpr (moves)
                        return std::move(key);
                    else
                        return target_key(detail::map_key(mapping, key));
                }();
                target_value mapped_value = [&]() -> target_value {
                    if constexpr (moves)
                        return std::move(value);
                    else
                        return target_value(detail::map_value(mapping, value));
                }();
                const auto& source_key_now = [&]() -> const source_key& {
                    if constexpr (moves)
                        return mapped_key;
                    else
                        return key;
                }();
                const auto& source_value_now = [&]() -> const mapped_type_t<Source>& {
                    if constexpr (moves)
                        return mapped_value;
                    else
                        return value;
                }();
                if constexpr (batch_store<Target>) {
                    if (batched && (!ttl || expiring_batch_store<Target>)) {
                        if constexpr (!moves) {
                            pending_source.emplace_back(source_key_now, source_value_now);
                        }
                        pending.emplace_back(std::move(mapped_key), std::move(mapped_value));
                        if constexpr (expiring_batch_store<Target>) pending_ttls.push_back(ttl);
                        if (expires_at &&
                            (!pending_earliest_expiry || *expires_at < *pending_earliest_expiry)) {
                            pending_earliest_expiry = expires_at;
                        }
                        continue;
                    }
                }
                const bool wrote = write_one(mapped_key, mapped_value, ttl);
                ++(wrote ? report.written : report.skipped_present);
                if (wrote && needs_confirming(expires_at)) {
                    confirm(source_key_now, source_value_now, mapped_key);
                }
            } catch (...) {
                ++report.failed;
                if (options.stop_on_error) throw;
            }
        }
        if (!pending.empty()) {
            if constexpr (batch_store<Target>) {
                const auto confirm_pending = [&](std::size_t i) {
                    if constexpr (moves) {
                        confirm(pending[i].first, pending[i].second, pending[i].first);
                    } else {
                        confirm(pending_source[i].first, pending_source[i].second,
                                pending[i].first);
                    }
                };
                using items = std::span<const std::pair<target_key, target_value>>;
                using ttls = std::span<const time_to_live>;
                // The page's batch, with its times to live when it has any.
                const auto put_many = [&] {
                    if constexpr (expiring_batch_store<Target>) {
                        if (pending_earliest_expiry) {
                            target.put_many(items(pending), ttls(pending_ttls));
                            return;
                        }
                    }
                    target.put_many(items(pending));
                };
                [[maybe_unused]] const auto put_many_if_absent = [&] {
                    if constexpr (expiring_batch_store<Target>) {
                        if (pending_earliest_expiry) {
                            return target.put_many_if_absent(items(pending), ttls(pending_ttls));
                        }
                    }
                    return target.put_many_if_absent(items(pending));
                };
                bool batch_written = true;
                try {
                    switch (options.conflict) {
                        case conflict_rule::keep_target:
                            if constexpr (conditional_batch_store<Target>) {
                                keep_written(put_many_if_absent());
                            }
                            break;
                        case conflict_rule::newer_wins:
                            keep_written(newer_than_target());
                            if (!pending.empty()) put_many();
                            break;
                        case conflict_rule::overwrite:
                            put_many();
                            break;
                    }
                    report.written += pending.size();
                } catch (...) {
                    batch_written = false;
                }
                if (batch_written) {
                    if (needs_confirming(pending_earliest_expiry)) {
                        for_each_unconfirmed(*cursor, page.items.size(), [&](std::size_t i) {
                            counting_failure([&] { confirm_pending(i); });
                        });
                    }
                } else {
                    // The batch failed as a whole: its records go one at a
                    // time, so a record that cannot be written fails alone.
                    for (std::size_t i = 0; i < pending.size(); ++i) {
                        counting_failure([&] {
                            const bool wrote =
                                write_one(pending[i].first, pending[i].second, ttl_of(i));
                            ++(wrote ? report.written : report.skipped_present);
                            if (wrote && needs_confirming(pending_earliest_expiry)) {
                                confirm_pending(i);
                            }
                        });
                    }
                }
            }
            pending.clear();
            pending_source.clear();
            pending_ttls.clear();
            pending_earliest_expiry.reset();
        }
        cursor = std::move(page.next);
        ++report.batches;
        if constexpr (resumable_store<Source>) {
            if (options.checkpoint && cursor && !options.dry_run) {
                options.checkpoint->save(Source::encode_cursor(*cursor));
            }
        }
        tell_progress(false);
    }
    report.complete = !cursor;
    if (report.complete && options.checkpoint && !options.dry_run) options.checkpoint->clear();
    report.duration = options.clock.read_clock() - started;
    tell_progress(true);
    return report;
}

}  // namespace dualstore
