#pragma once
/// \file
/// `observe::to_prometheus(metrics)`: the Prometheus text exposition format
/// (version 0.0.4) of a `metrics` object, ready to serve on /metrics or to
/// write to a file for the node exporter's textfile collector.

#include <dualstore/observe/metrics.hpp>
#include <dualstore/stage.hpp>

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

namespace dualstore::observe {

namespace detail {

inline void prometheus_header(std::string& out, std::string_view name, std::string_view type,
                              std::string_view help) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

inline double seconds(std::int64_t ns) {
    return static_cast<double>(ns) / 1e9;
}

/// The cumulative bucket, sum and count lines of histogram `h` as `name`,
/// with `labels` ("k=\"v\",..." or empty).
inline void prometheus_histogram(std::string& out, std::string_view name, const std::string& labels,
                                 const latency_histogram& h) {
    auto it = std::back_inserter(out);
    const std::string with_le = labels.empty() ? std::string() : labels + ",";
    const std::string braced = labels.empty() ? std::string() : "{" + labels + "}";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < latency_histogram::bounds.size(); ++i) {
        cumulative += h.bucket(i);
        fmt::format_to(it, "{}_bucket{{{}le=\"{:g}\"}} {}\n", name, with_le,
                       seconds(latency_histogram::bounds[i]), cumulative);
    }
    cumulative += h.bucket(latency_histogram::bounds.size());
    fmt::format_to(it, "{}_bucket{{{}le=\"+Inf\"}} {}\n", name, with_le, cumulative);
    fmt::format_to(it, "{}_sum{} {:g}\n", name, braced, seconds(h.sum().count()));
    fmt::format_to(it, "{}_count{} {}\n", name, braced, cumulative);
}

[[nodiscard]] constexpr std::string_view label_value(side s) noexcept {
    return to_string(s);
}
[[nodiscard]] constexpr std::string_view label_value(migration_store s) noexcept {
    return origin_name(s);
}

/// The counters (`total`) and latency histograms (`duration`) of every
/// operation on each of `stores` (the two sides, or the two origins), as
/// series labelled `label`. An operation never used on a store is left out.
template <class Store, std::size_t N>
void prometheus_operations(std::string& out, const metrics& m, std::string_view total,
                           std::string_view duration, std::string_view label,
                           const std::array<Store, N>& stores, std::string_view whose) {
    auto it = std::back_inserter(out);
    const auto used = [&](operation op, Store s) { return m.latency(op, s).count() > 0; };
    prometheus_header(out, total, "counter",
                      fmt::format("Operations of {} by outcome (retried counts attempts).", whose));
    for (auto op : all_operations) {
        for (auto s : stores) {
            for (auto o : all_outcomes) {
                const auto n = m.count(op, s, o);
                if (n == 0 && !used(op, s)) continue;
                fmt::format_to(it, "{}{{operation=\"{}\",{}=\"{}\",outcome=\"{}\"}} {}\n", total,
                               op, label, label_value(s), to_string(o), n);
            }
        }
    }
    prometheus_header(out, duration, "histogram",
                      fmt::format("Duration of the operations of {}, retries included.", whose));
    for (auto op : all_operations) {
        for (auto s : stores) {
            if (!used(op, s)) continue;
            prometheus_histogram(
                out, duration, fmt::format("operation=\"{}\",{}=\"{}\"", op, label, label_value(s)),
                m.latency(op, s));
        }
    }
}

}  // namespace detail

/// The metrics as Prometheus text: `dualstore_operations_total` (counter by
/// operation, side and outcome), `dualstore_operation_duration_seconds`
/// (histogram by operation and side, cumulative buckets up to `le="+Inf"`),
/// the same two by store origin (`dualstore_origin_operations_total`,
/// `dualstore_origin_operation_duration_seconds`, label `origin` "old" or
/// "new": the primary is the new store from `live` on),
/// `dualstore_shadow_mismatches_total`,
/// `dualstore_shadow_ignored_mismatches_total`, `dualstore_sink_errors_total`,
/// `dualstore_retry_queue_depth`, `dualstore_migration_stage` (one series per
/// stage, 1 for the current one), `dualstore_stage_changes_total`,
/// `dualstore_first_operation_seconds` (the cold start), the reconciliation
/// signals (`dualstore_reconcile_samples_total`, `_drift_total`,
/// `_breaches_total`, `dualstore_promotions_total`,
/// `dualstore_reconcile_duration_seconds`) and `dualstore_warm`.
/// Series of an operation and side (or origin) never used are left out.
[[nodiscard]] inline std::string to_prometheus(const metrics& m) {
    std::string out;
    auto it = std::back_inserter(out);
    detail::prometheus_operations(out, m, "dualstore_operations_total",
                                  "dualstore_operation_duration_seconds", "side", all_sides,
                                  "each store side");
    detail::prometheus_operations(out, m, "dualstore_origin_operations_total",
                                  "dualstore_origin_operation_duration_seconds", "origin",
                                  all_origins, "the old and the new store");

    detail::prometheus_header(out, "dualstore_shadow_mismatches_total", "counter",
                              "Shadow reads whose two answers differed.");
    fmt::format_to(it, "dualstore_shadow_mismatches_total {}\n", m.mismatches());
    detail::prometheus_header(out, "dualstore_shadow_ignored_mismatches_total", "counter",
                              "Shadow reads whose answers differed in a way accepted as known.");
    fmt::format_to(it, "dualstore_shadow_ignored_mismatches_total {}\n", m.ignored_mismatches());
    detail::prometheus_header(out, "dualstore_sink_errors_total", "counter",
                              "Failed secondary writes the failure sink could not record.");
    fmt::format_to(it, "dualstore_sink_errors_total {}\n", m.sink_errors());
    detail::prometheus_header(out, "dualstore_retry_queue_depth", "gauge",
                              "Entries waiting in the retry queue.");
    fmt::format_to(it, "dualstore_retry_queue_depth {}\n", m.queue_depth());

    if (const auto current = m.current_stage()) {
        detail::prometheus_header(out, "dualstore_migration_stage", "gauge",
                                  "The migration's stage: 1 for the current one.");
        for (auto s : all_stages) {
            fmt::format_to(it, "dualstore_migration_stage{{stage=\"{}\"}} {}\n", s,
                           s == *current ? 1 : 0);
        }
    }
    detail::prometheus_header(out, "dualstore_stage_changes_total", "counter",
                              "Migration stage changes.");
    fmt::format_to(it, "dualstore_stage_changes_total {}\n", m.stage_changes());

    if (const auto cold = m.cold_latency()) {
        detail::prometheus_header(out, "dualstore_first_operation_seconds", "gauge",
                                  "Duration of the first operation seen (the cold start).");
        fmt::format_to(it, "dualstore_first_operation_seconds {:g}\n",
                       detail::seconds(cold->count()));
    }
    detail::prometheus_header(out, "dualstore_reconcile_samples_total", "counter",
                              "Keys checked by reconciliation runs.");
    fmt::format_to(it, "dualstore_reconcile_samples_total {}\n", m.reconcile_samples());
    detail::prometheus_header(out, "dualstore_reconcile_drift_total", "counter",
                              "Keys found out of sync by reconciliation runs.");
    fmt::format_to(it, "dualstore_reconcile_drift_total {}\n", m.reconcile_drift());
    detail::prometheus_header(out, "dualstore_reconcile_breaches_total", "counter",
                              "Reconciliation runs whose drift broke the breach rule.");
    fmt::format_to(it, "dualstore_reconcile_breaches_total {}\n", m.reconcile_breaches());
    detail::prometheus_header(out, "dualstore_promotions_total", "counter",
                              "Times a reconciler became ready to promote.");
    fmt::format_to(it, "dualstore_promotions_total {}\n", m.promotions());
    detail::prometheus_header(out, "dualstore_reconcile_duration_seconds", "histogram",
                              "Duration of reconciliation runs.");
    detail::prometheus_histogram(out, "dualstore_reconcile_duration_seconds", "",
                                 m.reconcile_duration());

    detail::prometheus_header(out, "dualstore_warm", "gauge",
                              "1 once the first operation has been seen.");
    fmt::format_to(it, "dualstore_warm {}\n", m.warm() ? 1 : 0);
    return out;
}

}  // namespace dualstore::observe
