#pragma once
/// \file
/// `backfill(source, target, options[, mapping])`: copies a scannable store
/// into another, page by page, in bounded memory; resumable, rate-limited,
/// expiry-aware and safe beside live dual writes. A reverse backfill (after a
/// cutover, to keep the way back open) is the same call with the stores swapped.
/// The options are in `backfill/options.hpp`; a page's batch in
/// `backfill/page_batch.hpp`.

#include <dualstore/backfill/options.hpp>
#include <dualstore/backfill/page_batch.hpp>
#include <dualstore/backfill/report.hpp>
#include <dualstore/concepts.hpp>
#include <dualstore/detail/change_watch.hpp>
#include <dualstore/error.hpp>
#include <dualstore/key_lock_table.hpp>
#include <dualstore/rate_limiter.hpp>
#include <dualstore/repair/repair_key.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace dualstore {

namespace detail {

/// One call of `backfill`: its stores, options and report, and the steps of
/// each page: read it, copy each record (alone, or into the page's batch),
/// write the batch, and confirm what was written without the key lock.
template <class Source, class Target, class Mapping>
class backfill_run {
    using source_key = key_type_t<Source>;
    using source_value = mapped_type_t<Source>;
    using target_key = key_type_t<Target>;
    using target_value = mapped_type_t<Target>;
    using cursor_type = typename Source::cursor_type;
    static constexpr bool string_keys = std::is_convertible_v<const source_key&, std::string_view>;
    // Whether the page's keys and values can move to the target as they are.
    static constexpr bool moves = std::is_same_v<Mapping, identity_mapping> &&
                                  std::is_same_v<source_key, target_key> &&
                                  std::is_same_v<source_value, target_value>;
    // Whether the mapping gives values a version (for newer_wins).
    static constexpr bool versioned = requires(const Mapping& m, const target_value& v) {
        m.version(v);
    };

public:
    backfill_run(Source& source, Target& target, const backfill_options& options,
                 const Mapping& mapping)
        : source_(source),
          target_(target),
          options_(options),
          mapping_(mapping),
          started_(options.clock.read_clock()),
          limiter_(options.rate, options.batch_size, options.clock),
          confirms_(!options.dry_run && !options.lock_key),
          batched_(
              !options.dry_run && !options.lock_key &&
              (options.conflict != conflict_rule::keep_target || conditional_batch_store<Target>)),
          reread_under_lock_(string_keys && static_cast<bool>(options.lock_key)) {}

    /// Copies page after page from the checkpoint's cursor (or the start)
    /// until the source ends or `max_batches` pages were copied.
    backfill_report run() {
        if constexpr (!versioned) {
            if (options_.conflict == conflict_rule::newer_wins) {
                throw error(
                    "dualstore: backfill: conflict_rule::newer_wins needs a mapping with "
                    "version(value)");
            }
        }
        std::optional<cursor_type> cursor = saved_cursor();
        while (cursor && (!options_.max_batches || report_.batches < *options_.max_batches)) {
            cursor = copy_page(*cursor);
            ++report_.batches;
            if constexpr (resumable_store<Source>) {
                if (options_.checkpoint && cursor && !options_.dry_run) {
                    options_.checkpoint->save(Source::encode_cursor(*cursor));
                }
            }
            tell_progress(false);
        }
        report_.complete = !cursor;
        if (report_.complete && options_.checkpoint && !options_.dry_run)
            options_.checkpoint->clear();
        report_.duration = options_.clock.read_clock() - started_;
        tell_progress(true);
        return report_;
    }

private:
    // The checkpoint's cursor, or the start of the source.
    cursor_type saved_cursor() const {
        if (options_.checkpoint) {
            if constexpr (resumable_store<Source>) {
                if (const auto saved = options_.checkpoint->load())
                    return Source::decode_cursor(*saved);
            } else {
                throw error(
                    "dualstore: backfill: a checkpoint needs a source whose cursors can be "
                    "saved (resumable_store: encode_cursor/decode_cursor)");
            }
        }
        return cursor_type{};
    }

    // Copies the page scanned at `from`; returns the cursor of the next one.
    std::optional<cursor_type> copy_page(const cursor_type& from) {
        if (confirms_) source_watch_.start(source_);
        // With each item's expiry when the source can scan it along.
        auto page = [&] {
            if constexpr (expiry_scannable_store<Source>) {
                return source_.scan_with_expiry(from, options_.batch_size);
            } else {
                return source_.scan(from, options_.batch_size);
            }
        }();
        limiter_.acquire(page.items.size());
        for (std::size_t index = 0; index < page.items.size(); ++index) copy_record(page, index);
        if (!batch_.empty()) {
            if constexpr (batch_store<Target>) write_batch(from, page.items.size());
            batch_.clear();
        }
        return std::move(page.next);
    }

    // Copies record `index` of `page` (its key and value are ours to move):
    // filters it, re-reads it under the key lock when there is one, gives it
    // its remaining time to live, and writes it, or adds it to the page's
    // batch.
    template <class Page>
    void copy_record(Page& page, std::size_t index) {
        auto& key = page.items[index].first;  // not a structured binding: lambdas capture it
        auto& value = page.items[index].second;
        ++report_.scanned;
        if (!keep(key, value)) {
            ++report_.filtered_out;
            return;
        }
        key_lock_table::lock held;
        if constexpr (string_keys) {
            if (reread_under_lock_) {
                // No live write to the key interleaves from here: copy the
                // source's current state, not the page's.
                held = options_.lock_key(std::string_view(key));
                auto current = source_.get(key);
                if (!current) {
                    ++report_.skipped_gone;
                    return;
                }
                value = std::move(*current);
            }
        }
        time_to_live ttl;
        std::optional<expiry_clock::time_point> expires_at;  // in the source
        if constexpr (expiring_store<Source>) {
            // The page's expiry, unless the value was re-read under the lock.
            const auto expires = [&]() -> std::optional<expiry_clock::time_point> {
                if constexpr (expiry_scannable_store<Source>) {
                    if (!reread_under_lock_) return page.expiries[index];
                }
                return source_.expiry(key);
            }();
            if (expires) {
                const auto left = std::chrono::ceil<std::chrono::milliseconds>(*expires - now());
                if (left <= std::chrono::milliseconds::zero()) {
                    ++report_.skipped_expired;
                    return;
                }
                ttl = std::max(left, options_.min_ttl);
                expires_at = *expires;
            }
        }
        counting_failure([&] {
            // The page is ours: without a mapping its strings move to the target.
            target_key mapped_key = [&]() -> target_key {
                if constexpr (moves)
                    return std::move(key);
                else
                    return target_key(detail::map_key(mapping_, key));
            }();
            target_value mapped_value = [&]() -> target_value {
                if constexpr (moves)
                    return std::move(value);
                else
                    return target_value(detail::map_value(mapping_, value));
            }();
            const auto& source_key_now = [&]() -> const source_key& {
                if constexpr (moves)
                    return mapped_key;
                else
                    return key;
            }();
            const auto& source_value_now = [&]() -> const source_value& {
                if constexpr (moves)
                    return mapped_value;
                else
                    return value;
            }();
            if constexpr (batch_store<Target>) {
                if (batched_ && (!ttl || expiring_batch_store<Target>)) {
                    batch_.add(std::move(mapped_key), std::move(mapped_value), source_key_now,
                               source_value_now, ttl, expires_at);
                    return;
                }
            }
            const bool wrote = write_one(mapped_key, mapped_value, ttl);
            ++(wrote ? report_.written : report_.skipped_present);
            if (wrote && needs_confirming(expires_at)) {
                confirm(source_key_now, source_value_now, mapped_key);
            }
        });
    }

    // Whether the record passes the prefix, the filter and the mapping's `keep`.
    bool keep(const source_key& key, const source_value& value) const {
        if constexpr (string_keys) {
            const std::string_view k(key);
            if (!options_.key_prefix.empty() && !k.starts_with(options_.key_prefix)) return false;
            if (options_.key_filter && !options_.key_filter(k)) return false;
        }
        if constexpr (requires { mapping_.keep(key, value); })
            return static_cast<bool>(mapping_.keep(key, value));
        return true;
    }

    // Writes one record per the conflict rule; whether it was (or, in a dry
    // run, would be) written.
    bool write_one(const target_key& key, const target_value& value, time_to_live ttl) {
        switch (options_.conflict) {
            case conflict_rule::keep_target:
                if (options_.dry_run) return !target_.get(key);
                if constexpr (conditional_store<Target>) {
                    if (!ttl) return static_cast<bool>(target_.put_if_absent(key, value));
                }
                if constexpr (conditional_expiring_store<Target>) {
                    return static_cast<bool>(target_.put_if_absent(key, value, *ttl));
                }
                // No atomic insert with a time to live: a live write landing
                // between this check and the put is overwritten.
                if (target_.get(key)) return false;
                break;
            case conflict_rule::newer_wins:
                if constexpr (versioned) {
                    if (const auto current = target_.get(key);
                        current && !(mapping_.version(*current) < mapping_.version(value))) {
                        return false;
                    }
                }
                break;
            case conflict_rule::overwrite:
                break;
        }
        if (options_.dry_run) return true;
        if constexpr (expiring_store<Target>) {
            if (ttl) {
                target_.put(key, value, *ttl);
                return true;
            }
        }
        target_.put(key, value);
        return true;
    }

    // Writes the page's batch in one call per the conflict rule
    // (`put_many_if_absent` to keep the target's keys; for newer_wins one
    // `get_many` of the target's versions, then `put_many` of the newer
    // records; `put_many` to overwrite) and confirms what it wrote. When the
    // call fails as a whole, its records go one at a time, so that a record
    // that cannot be written fails alone.
    void write_batch(const cursor_type& from, std::size_t page_size) requires batch_store<Target> {
        bool written = true;
        try {
            switch (options_.conflict) {
                case conflict_rule::keep_target:
                    if constexpr (conditional_batch_store<Target>) {
                        report_.skipped_present +=
                            batch_.keep_only(batch_.put_many_if_absent(target_));
                    }
                    break;
                case conflict_rule::newer_wins:
                    report_.skipped_present +=
                        batch_.keep_only(batch_.newer_than(target_, mapping_));
                    if (!batch_.empty()) batch_.put_many(target_);
                    break;
                case conflict_rule::overwrite:
                    batch_.put_many(target_);
                    break;
            }
            report_.written += batch_.size();
        } catch (...) {
            written = false;
        }
        if (written) {
            if (needs_confirming(batch_.earliest_expiry())) {
                for_each_unconfirmed(from, page_size, [&](std::size_t i) {
                    counting_failure([&] { confirm_batched(i); });
                });
            }
            return;
        }
        const auto& records = batch_.records();
        for (std::size_t i = 0; i < records.size(); ++i) {
            counting_failure([&] {
                const bool wrote = write_one(records[i].first, records[i].second, batch_.ttl_of(i));
                ++(wrote ? report_.written : report_.skipped_present);
                if (wrote && needs_confirming(batch_.earliest_expiry())) confirm_batched(i);
            });
        }
    }

    // Whether records written without the key lock need their confirming
    // re-read: not when the source has a change stamp that held still from
    // the page's read until now (no live write can have slipped between the
    // read and the copy), unless one of them expires in the source (at
    // `expires_at`, the earliest) within `expiry_margin` of now: it may have
    // expired meanwhile, which no stamp shows.
    bool needs_confirming(const std::optional<expiry_clock::time_point>& expires_at) {
        return confirms_ && ((expires_at && *expires_at <= now() + options_.expiry_margin) ||
                             !source_watch_.held_still(source_));
    }

    // After a record was written without the key lock: re-reads the source
    // and, when a live write changed or erased the key meanwhile (whose
    // target side the copy may have overwritten or brought back), copies the
    // source's current state again until it holds still.
    void confirm(const source_key& key, const source_value& written, const target_key& mapped_key) {
        if constexpr (std::equality_comparable<source_value>) {
            auto current = source_.get(key);
            if (current == written) return;
            ++report_.corrected;
            if constexpr (moves) {
                repair_key(source_, target_, key);
            } else {
                for (int round = 1;; ++round) {
                    if (current) {
                        target_.put(mapped_key,
                                    target_value(detail::map_value(mapping_, *current)));
                    } else {
                        target_.erase(mapped_key);
                    }
                    auto again = source_.get(key);
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
    }

    // `confirm` for record `i` of the page's batch.
    void confirm_batched(std::size_t i) {
        const auto& [key, written] = batch_.sources()[i];
        confirm(key, written, batch_.records()[i].first);
    }

    // Calls `confirm_one(i)` for each record `i` of the batch (written in one
    // call from the page scanned at `from`, `page_size` items) that is not
    // confirmed otherwise. A source that scans in key order is scanned again
    // over the page's range, after the write, and each record checked against
    // it: the same re-read as `confirm`'s, one scan instead of one get per
    // record. A record whose key the new scan shows with another value, or no
    // longer shows, is corrected at once; only records past the end of the new
    // scan (keys inserted meanwhile pushed them out) go to `confirm_one`. A
    // source with batches but no key order is read with one `get_many`.
    template <class ConfirmOne>
    void for_each_unconfirmed(const cursor_type& from, std::size_t page_size,
                              ConfirmOne confirm_one) {
        const auto& written = batch_.sources();
        if constexpr (moves && key_ordered_store<Source> &&
                      std::equality_comparable<source_value>) {
            const auto again = source_.scan(from, page_size);
            std::size_t j = 0;
            for (std::size_t i = 0; i < written.size(); ++i) {
                const auto& key = written[i].first;  // not a binding: a lambda captures it
                while (j < again.items.size() && again.items[j].first < key) ++j;
                const bool seen = j < again.items.size() && again.items[j].first == key;
                if (seen && again.items[j].second == written[i].second) continue;  // confirmed
                if (!seen && j == again.items.size() && again.next) {
                    confirm_one(i);  // past the new scan's end
                    continue;
                }
                counting_failure([&] {
                    ++report_.corrected;
                    repair_key(source_, target_, key);
                });
            }
        } else if constexpr (batch_store<Source> && std::equality_comparable<source_value>) {
            // One get_many of the page's source keys: a record whose source
            // still holds the value written is confirmed; the others (and
            // all of them if the get_many fails) go to `confirm_one`, which
            // reads again and corrects.
            std::vector<std::optional<source_value>> current;
            try {
                std::vector<source_key> keys;
                keys.reserve(written.size());
                for (const auto& item : written) keys.push_back(item.first);
                current = source_.get_many(std::span<const source_key>(keys));
            } catch (...) {
                current.clear();
            }
            for (std::size_t i = 0; i < written.size(); ++i) {
                if (i < current.size() && current[i] == written[i].second) continue;
                confirm_one(i);
            }
        } else {
            for (std::size_t i = 0; i < written.size(); ++i) confirm_one(i);
        }
    }

    // Runs one step of a record; its failure counts against the record and
    // stops the backfill only under `stop_on_error`.
    template <class Step>
    void counting_failure(Step&& step) {
        try {
            std::forward<Step>(step)();
        } catch (...) {
            ++report_.failed;
            if (options_.stop_on_error) throw;
        }
    }

    [[nodiscard]] expiry_clock::time_point now() const { return options_.clock.read_wall(); }

    void tell_progress(bool finished) const {
        if (!options_.observers) return;
        options_.observers.notify({.task = "backfill",
                                   .done = report_.scanned,
                                   .changed = report_.written,
                                   .changed_as = "written",
                                   .skipped = report_.skipped_present + report_.skipped_expired +
                                              report_.filtered_out + report_.skipped_gone,
                                   .failed = report_.failed,
                                   .total = options_.total_hint,
                                   .elapsed = options_.clock.read_clock() - started_,
                                   .finished = finished});
    }

    Source& source_;
    Target& target_;
    const backfill_options& options_;
    const Mapping& mapping_;
    backfill_report report_{};
    std::chrono::steady_clock::time_point started_;
    rate_limiter limiter_;
    const bool confirms_;           // written records are confirmed (no dry run, no key lock)
    const bool batched_;            // a page's records go to the target in one call
    const bool reread_under_lock_;  // each record is re-read under the key lock
    change_watch<Source> source_watch_{};
    page_batch<Source, Target, moves> batch_{};
};

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
    return detail::backfill_run<Source, Target, Mapping>(source, target, options, mapping).run();
}

}  // namespace dualstore
