#pragma once
/// \file
/// `drain`: the repair job. Takes due entries from a retry queue and makes
/// each key's state on the store that failed equal the authoritative store's
/// current state.

#include <dualstore/backoff.hpp>
#include <dualstore/concepts.hpp>
#include <dualstore/error.hpp>
#include <dualstore/observe/progress.hpp>
#include <dualstore/rate_limiter.hpp>
#include <dualstore/repair/repair_key.hpp>
#include <dualstore/retry_queue.hpp>
#include <dualstore/stage.hpp>
#include <dualstore/timer.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace dualstore {

/// How `drain` works through a queue.
struct drain_options {
    /// Entries taken per batch.
    std::size_t batch_size = 100;
    /// Batches per call at most (the rest waits for the next run); empty: no limit.
    std::optional<std::size_t> max_batches{};
    /// Repairs tried per entry, all runs together, before it is dead-lettered.
    unsigned max_attempts = 10;
    /// The pause before an entry is due again after its n-th failed repair
    /// (`backoff.delay_after(n)`). An entry is tried again within one run
    /// only once its pause has passed.
    dualstore::backoff backoff{
        .base = std::chrono::seconds(1), .cap = std::chrono::minutes(10), .jitter = false};
    /// Entries per second at most (0: unlimited).
    double rate = 0;
    /// Told an `observe::progress_event` ("drain") after each batch and at
    /// the end: `.observers = observe::with(bar)`.
    observe::progress_observers observers{};
    /// The clock: due times on `wall`, the rate limit and durations on `now`
    /// and `sleep`.
    timer clock{};
};

/// What one `drain` run did.
struct drain_report {
    std::size_t repaired = 0;       ///< entries whose key was repaired (acknowledged)
    std::size_t still_failing = 0;  ///< entries whose repair failed and that will be tried again
    std::size_t dead_lettered = 0;  ///< entries moved aside after `max_attempts`
    /// Entries of a key that another entry of the same batch repaired
    /// (acknowledged): both were enqueued before the batch was taken, so the
    /// one repair, which re-read the authoritative store after that, covered
    /// both. An entry enqueued later is always repaired again.
    std::size_t skipped = 0;
    /// Entries whose repair would have copied in the wrong direction
    /// (`repair_refused`); counted in `still_failing` or `dead_lettered` too,
    /// with the reason as their error.
    std::size_t refused = 0;

    /// Reports are equal when every count is.
    friend bool operator==(const drain_report&, const drain_report&) = default;
};

namespace detail {

/// The message of an entry a two-store drain cannot repair: it was recorded
/// by a migration, and only the migration knows which store is authoritative now.
/// (A template so that only a file that drains compiles its formatting.)
template <class = void>
std::string recorded_by_migration(stage recorded) {
    return fmt::format(
        "dualstore: drain: this entry was recorded by a migration in stage {} (when the {} was "
        "authoritative); drain it with drain(queue, migration), which repairs from the store "
        "that is authoritative now, or refuses when that would undo acknowledged writes",
        recorded, to_string(authoritative_store(recorded)));
}

/// The loop of every drain: takes due batches and calls `repair(entry)` once
/// per key and direction in each batch, acknowledging every entry its repair
/// covered; a failure is recorded with a backoff or dead-lettered.
template <retry_queue Queue, class Repair>
drain_report drain_entries(Queue& queue, const drain_options& options, Repair&& repair) {
    const auto now = [&] { return options.clock.read_wall(); };
    const auto started = options.clock.read_clock();
    rate_limiter limiter(options.rate, options.batch_size, options.clock);
    drain_report report;
    std::size_t taken = 0;
    const auto tell_progress = [&](bool finished) {
        if (!options.observers) return;
        options.observers.notify({.task = "drain",
                                  .done = taken,
                                  .changed = report.repaired,
                                  .changed_as = "repaired",
                                  .skipped = report.skipped,
                                  .failed = report.still_failing + report.dead_lettered,
                                  .elapsed = options.clock.read_clock() - started,
                                  .finished = finished});
    };
    for (std::size_t batch = 0; !options.max_batches || batch < *options.max_batches; ++batch) {
        const auto entries = queue.take(options.batch_size, now());
        if (entries.empty()) break;
        limiter.acquire(entries.size());
        taken += entries.size();
        // Outcome of each key's repair in this batch, by key and recorded
        // authority (-1: none recorded); an empty pointer means repaired.
        std::map<std::pair<std::string, int>, std::exception_ptr> done;
        for (const auto& entry : entries) {
            const int direction = entry.recorded_stage
                                      ? static_cast<int>(authoritative_store(*entry.recorded_stage))
                                      : -1;
            const auto [outcome, first] = done.try_emplace({entry.key, direction});
            if (first) {
                try {
                    repair(entry);
                } catch (...) {
                    outcome->second = std::current_exception();
                }
            }
            if (!outcome->second) {
                queue.ack(entry);
                ++(first ? report.repaired : report.skipped);
                continue;
            }
            try {
                std::rethrow_exception(outcome->second);
            } catch (const repair_refused&) {
                ++report.refused;
            } catch (...) {  // NOLINT(bugprone-empty-catch): described below
            }
            const auto error = describe(outcome->second);
            const unsigned attempts = entry.attempts + 1;
            if (attempts >= options.max_attempts) {
                queue.dead_letter(entry,
                                  fmt::format("repair failed {} times, last: {}", attempts, error));
                ++report.dead_lettered;
            } else {
                const auto delay = std::chrono::duration_cast<queue_clock::duration>(
                    options.backoff.delay_after(attempts));
                queue.fail(entry, error, now() + delay);
                ++report.still_failing;
            }
        }
        tell_progress(false);
    }
    tell_progress(true);
    return report;
}

}  // namespace detail

/// Repairs the keys queued in `queue` from `primary` to `secondary`, for
/// stores no live path in this process writes (a separate drainer process):
/// for each due entry, `repair_key` re-reads the primary's current state of
/// the key and applies it to the secondary (the value, or the key's
/// absence), then checks the primary again and corrects, so a replay is
/// idempotent and a racing write in another process is not undone. When a
/// `dual_store` in this process writes the stores, drain through it
/// (`drain(queue, store)`): its repairs are ordered with its writes. A failed
/// repair (either store down) is recorded with a backoff; after
/// `max_attempts` the entry is dead-lettered. Entries recorded by a
/// `migration` are refused (`drain_report::refused`): drain them with
/// `drain(queue, migration)`. Keys are byte strings: the stores' `key_type`
/// must be constructible from `std::string`. Failures of the stores never
/// escape; a failing queue's do.
template <retry_queue Queue, kv_store Primary, kv_store Secondary>
drain_report drain(Queue& queue, Primary& primary, Secondary& secondary,
                   const drain_options& options = {}) {
    static_assert(std::constructible_from<key_type_t<Primary>, std::string>,
                  "dualstore: drain: the stores' key_type must be constructible from std::string "
                  "(queue keys are byte strings)");
    return detail::drain_entries(queue, options, [&](const retry_entry& entry) {
        if (entry.recorded_stage) {
            throw repair_refused(detail::recorded_by_migration(*entry.recorded_stage));
        }
        repair_key(primary, secondary, key_type_t<Primary>(entry.key));
    });
}

/// Repairs the keys queued in `queue` through `store`, a `dual_store` or a
/// `migration` that writes in this process, so each repair holds the key as
/// live writes do and never interleaves with one (`store.repair(key)`).
///
/// For a `migration`, each entry is repaired from the store that is
/// authoritative in the current stage, and only when that is the store that
/// was authoritative when the failure was recorded (`retry_entry::
/// recorded_stage`; an entry without one, as written before it existed,
/// counts as recorded while the old store was authoritative, as the drain of
/// those versions repaired from it). Otherwise the copy would undo writes
/// acknowledged on the store that is authoritative now: the entry is
/// refused (`drain_report::refused`, `repair_refused` as its error) and
/// stays queued. Drain before moving from `shadow` to `live`, or move back.
/// Failure handling is as for `drain(queue, primary, secondary)`.
template <retry_queue Queue, class Store>
requires requires(Store& s, const typename Store::key_type& k) {
    { s.repair(k) } -> std::same_as<repair_action>;
}
drain_report drain(Queue& queue, Store& store, const drain_options& options = {}) {
    using key_type = typename Store::key_type;
    static_assert(std::constructible_from<key_type, std::string>,
                  "dualstore: drain: the store's key_type must be constructible from std::string "
                  "(queue keys are byte strings)");
    constexpr bool is_migration = requires(const key_type& k) {
        store.repair(k, migration_store::old_store);
    };
    return detail::drain_entries(queue, options, [&](const retry_entry& entry) {
        const key_type key(entry.key);
        if constexpr (is_migration) {
            store.repair(key, entry.recorded_stage ? authoritative_store(*entry.recorded_stage)
                                                   : migration_store::old_store);
        } else {
            if (entry.recorded_stage) {
                throw repair_refused(detail::recorded_by_migration(*entry.recorded_stage));
            }
            store.repair(key);
        }
    });
}

}  // namespace dualstore

/// Prints "repaired R, still failing F, dead-lettered D, skipped S, refused X".
template <>
struct fmt::formatter<dualstore::drain_report> : fmt::formatter<std::string_view> {
    template <class Context>
    auto format(const dualstore::drain_report& r, Context& ctx) const {
        return fmt::format_to(
            ctx.out(), "repaired {}, still failing {}, dead-lettered {}, skipped {}, refused {}",
            r.repaired, r.still_failing, r.dead_lettered, r.skipped, r.refused);
    }
};
