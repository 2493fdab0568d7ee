#pragma once
/// \file
/// The `partition_work` of the two jobs a migration splits across workers:
/// `backfill_work` (a page of a partition's backfill per step) and
/// `reconcile_work` (a page of a partition's full reconciliation per step).
/// Both run the unchanged algorithm over `partition_view`s, so a partitioned
/// run keeps every guarantee of a single one (safe beside live writes, no
/// key brought back, repeatable steps).

#include <dualstore/backfill/backfill.hpp>
#include <dualstore/concepts.hpp>
#include <dualstore/error.hpp>
#include <dualstore/partition/job.hpp>
#include <dualstore/partition/partition.hpp>
#include <dualstore/rate_limiter.hpp>
#include <dualstore/reconcile/kv_reconciler.hpp>

#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace dualstore {

/// A partitioned backfill of `source` into `target` (both held by
/// reference): each step copies one page (`options.batch_size` records) of
/// the partition with `backfill(partition_view(source, part), target,
/// options, mapping)`. `options.rate` holds for this worker across steps;
/// `checkpoint`, `max_batches` and `observers` belong to the job and must be
/// empty; a dry run cannot be partitioned (it writes no checkpoint). Not
/// thread-safe: one per worker thread.
template <resumable_store Source, kv_store Target, class Mapping = identity_mapping>
class backfill_work {
public:
    /// Backfills `source` into `target` per `options` and `mapping`.
    backfill_work(Source& source, Target& target, backfill_options options, Mapping mapping = {})
        : source_(source),
          target_(target),
          options_(std::move(options)),
          mapping_(std::move(mapping)),
          limiter_(options_.rate, options_.batch_size, options_.clock) {
        if (options_.checkpoint || options_.max_batches || options_.observers || options_.dry_run) {
            throw error(
                "dualstore: backfill_work: checkpoint, max_batches and observers belong to the "
                "partitioned_job, and a dry run cannot be partitioned");
        }
        options_.rate = 0;  // paced by limiter_, across steps
        options_.max_batches = 1;
    }

    backfill_work(const backfill_work&) = delete;
    backfill_work& operator=(const backfill_work&) = delete;
    ~backfill_work() = default;

    /// Copies the next page of `part` after `cursor`.
    partition_step step(const partition& part, const std::optional<std::string>& cursor) {
        partition_view<Source> view(source_, part);
        std::optional<std::string> next = cursor.value_or(Source::encode_cursor({}));
        options_.checkpoint = backfill_checkpoint{.load = [&] { return next; },
                                                  .save = [&](const std::string& c) { next = c; },
                                                  .clear = [] {}};
        const auto report = backfill(view, target_, options_, mapping_);
        options_.checkpoint.reset();
        limiter_.acquire(report.scanned);
        return {report.complete ? std::nullopt : std::move(next),
                {.scanned = report.scanned, .changed = report.written, .failed = report.failed}};
    }

private:
    Source& source_;
    Target& target_;
    backfill_options options_;
    Mapping mapping_;
    rate_limiter limiter_;
};

/// A partitioned full reconciliation of `primary` against `secondary` (both
/// held by reference, `std::string` keys): each step checks one page
/// (`options.batch_size` keys) of the partition with a `kv_reconciler` over
/// `partition_view`s, continuing the partition's checkpoint; `on_result`
/// hears each key's verdict, as `kv_reconciler::full_pass` gives it. With
/// `options.repair` drifted keys are repaired as the reconciler does. The
/// tally counts keys checked, drifted keys (`changed`) and failed checks.
template <resumable_store Primary, resumable_store Secondary, class Equal = std::equal_to<>>
class reconcile_work {
public:
    /// Called with each key's verdict.
    using result_hook = std::function<void(const sample_result&)>;

    /// Reconciles `primary` against `secondary` per `options`.
    reconcile_work(Primary& primary, Secondary& secondary, kv_reconciler_options options = {},
                   result_hook on_result = {}, Equal equal = {})
        : primary_(primary),
          secondary_(secondary),
          options_(std::move(options)),
          on_result_(std::move(on_result)),
          equal_(std::move(equal)) {
        if (options_.seed == 0) options_.seed = 1;  // a full pass draws nothing: skip the device
    }

    /// Checks the next page of `part` after `cursor`.
    partition_step step(const partition& part, const std::optional<std::string>& cursor) {
        partition_view<Primary> primary(primary_, part);
        partition_view<Secondary> secondary(secondary_, part);
        kv_reconciler reconciler(primary, secondary, options_, equal_);
        if (cursor) reconciler.resume_full_pass(*cursor);
        partition_tally tally;
        const auto result = reconciler.full_pass(
            [&](const sample_result& verdict) {
                if (verdict.reason == drift_reason::error) {
                    ++tally.failed;
                } else if (!verdict.in_sync) {
                    ++tally.changed;
                }
                if (on_result_) on_result_(verdict);
            },
            options_.batch_size);
        tally.scanned = result.checked;
        if (result.complete) return {std::nullopt, tally};
        return {reconciler.checkpoint(), tally};
    }

private:
    Primary& primary_;
    Secondary& secondary_;
    kv_reconciler_options options_;
    result_hook on_result_;
    Equal equal_;
};

}  // namespace dualstore
