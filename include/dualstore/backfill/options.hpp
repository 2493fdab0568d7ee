#pragma once
/// \file
/// How a backfill runs: `backfill_options` (with its `conflict_rule` and
/// `backfill_checkpoint`) and the mapping a backfill applies to each record
/// (`identity_mapping` by default).

#include <dualstore/concepts.hpp>
#include <dualstore/key_lock_table.hpp>
#include <dualstore/observe/progress.hpp>
#include <dualstore/timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

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

/// The target key `m` makes of a source key: `m.key(key)`, or the key itself.
template <class Mapping, class K>
decltype(auto) map_key(const Mapping& m, const K& key) {
    if constexpr (requires { m.key(key); })
        return m.key(key);
    else
        return (key);
}

/// The target value `m` makes of a source value: `m.value(value)`, or the value itself.
template <class Mapping, class V>
decltype(auto) map_value(const Mapping& m, const V& value) {
    if constexpr (requires { m.value(value); })
        return m.value(value);
    else
        return (value);
}

}  // namespace detail

}  // namespace dualstore
