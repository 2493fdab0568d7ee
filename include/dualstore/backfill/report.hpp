#pragma once
/// \file
/// `backfill_report`: what a backfill did, and its one-line format. (Where
/// a backfill stands during the run is an `observe::progress_event`.)

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dualstore {

/// What a backfill did.
struct backfill_report {
    std::size_t scanned = 0;          ///< records read from the source
    std::size_t written = 0;          ///< records written (or, in a dry run, that would be)
    std::size_t skipped_present = 0;  ///< left alone because the target had the key
    std::size_t skipped_expired = 0;  ///< expired at the source, not copied
    std::size_t filtered_out = 0;     ///< excluded by the prefix, the filter or the mapping
    std::size_t failed = 0;           ///< writes that threw
    std::size_t skipped_gone = 0;  ///< erased from the source after the scan read them, not copied
    std::size_t corrected = 0;     ///< changed at the source during their copy, copied again
    std::size_t batches = 0;       ///< batches done in this run
    bool complete = false;         ///< the whole source was walked
    std::chrono::nanoseconds duration{};  ///< this run's length
};

}  // namespace dualstore

/// Prints the report's counts and duration on one line.
template <>
struct fmt::formatter<dualstore::backfill_report> : fmt::formatter<std::string_view> {
    template <class Context>
    auto format(const dualstore::backfill_report& r, Context& ctx) const {
        return fmt::format_to(ctx.out(),
                              "scanned {}, written {}, skipped {} present and {} expired, "
                              "filtered out {}, failed {}, {} in {:.3f} s",
                              r.scanned, r.written, r.skipped_present, r.skipped_expired,
                              r.filtered_out, r.failed, r.complete ? "complete" : "incomplete",
                              std::chrono::duration<double>(r.duration).count());
    }
};
