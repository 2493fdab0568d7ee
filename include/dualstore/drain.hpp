#pragma once
/// \file
/// `drain`: the repair job. Takes due entries from a retry queue and makes
/// the secondary's state of each key equal the primary's current state.

#include <dualstore/concepts.hpp>
#include <dualstore/error.hpp>
#include <dualstore/repair.hpp>
#include <dualstore/retry.hpp>
#include <dualstore/retry_queue.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <string>
#include <unordered_set>

namespace dualstore {

/// How `drain` works through a queue.
struct drain_options {
    /// Entries taken per batch.
    std::size_t batch_size = 100;
    /// Batches per call at most (the rest waits for the next run).
    std::size_t max_batches = std::numeric_limits<std::size_t>::max();
    /// Repairs tried per entry, all runs together, before it is dead-lettered.
    unsigned max_attempts = 10;
    /// The pause before an entry is due again after its n-th failed repair
    /// (`backoff.delay_after(n)`; `attempts` and `clock` are not used). An
    /// entry is tried again within one run only once its pause has passed.
    retry::exponential backoff{
        .base = std::chrono::seconds(1), .cap = std::chrono::minutes(10), .jitter = false};
    /// The current time (for due times); empty means `queue_clock::now`.
    std::function<queue_clock::time_point()> now{};
};

/// What one `drain` run did.
struct drain_report {
    std::size_t repaired = 0;       ///< entries whose key now matches the primary (acknowledged)
    std::size_t still_failing = 0;  ///< entries whose repair failed and that will be tried again
    std::size_t dead_lettered = 0;  ///< entries moved aside after `max_attempts`
    std::size_t skipped = 0;  ///< entries for a key already repaired in this run (acknowledged)

    /// Reports are equal when every count is.
    friend bool operator==(const drain_report&, const drain_report&) = default;
};

/// Repairs the keys queued in `queue`: for each due entry, re-reads the
/// primary's current state of the key and applies it to the secondary (the
/// value, or the key's absence), so a replay is idempotent and never writes
/// an older value over a newer one. A failed repair (either store down) is
/// recorded with a backoff; after `max_attempts` the entry is dead-lettered.
/// Keys are byte strings: the stores' `key_type` must be constructible from
/// `std::string`. Failures of the stores never escape; a failing queue's do.
template <retry_queue Queue, kv_store Primary, kv_store Secondary>
drain_report drain(Queue& queue, Primary& primary, Secondary& secondary,
                   const drain_options& options = {}) {
    static_assert(std::constructible_from<key_type_t<Primary>, std::string>,
                  "dualstore: drain: the stores' key_type must be constructible from std::string "
                  "(queue keys are byte strings)");
    const auto now = [&] { return options.now ? options.now() : queue_clock::now(); };
    drain_report report;
    std::unordered_set<std::string> repaired_keys;
    for (std::size_t batch = 0; batch < options.max_batches; ++batch) {
        const auto entries = queue.take(options.batch_size, now());
        if (entries.empty()) break;
        for (const auto& entry : entries) {
            if (repaired_keys.contains(entry.key)) {
                queue.ack(entry);
                ++report.skipped;
                continue;
            }
            try {
                repair_key(primary, secondary, key_type_t<Primary>(entry.key));
            } catch (...) {
                const auto error = describe(std::current_exception());
                const unsigned attempts = entry.attempts + 1;
                if (attempts >= options.max_attempts) {
                    queue.dead_letter(
                        entry, fmt::format("repair failed {} times, last: {}", attempts, error));
                    ++report.dead_lettered;
                } else {
                    const auto delay = std::chrono::duration_cast<queue_clock::duration>(
                        options.backoff.delay_after(attempts));
                    queue.fail(entry, error, now() + delay);
                    ++report.still_failing;
                }
                continue;
            }
            queue.ack(entry);
            repaired_keys.insert(entry.key);
            ++report.repaired;
        }
    }
    return report;
}

}  // namespace dualstore

/// Prints "repaired R, still failing F, dead-lettered D, skipped S".
template <>
struct fmt::formatter<dualstore::drain_report> : fmt::formatter<std::string_view> {
    template <class Context>
    auto format(const dualstore::drain_report& r, Context& ctx) const {
        return fmt::format_to(ctx.out(),
                              "repaired {}, still failing {}, dead-lettered {}, skipped {}",
                              r.repaired, r.still_failing, r.dead_lettered, r.skipped);
    }
};
