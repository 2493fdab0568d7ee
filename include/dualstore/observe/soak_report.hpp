#pragma once
/// \file
/// `observe::soak_report`: reads back the lines of a `json_log` made with
/// `json_log::operations::every` and prints the latency of each operation
/// and side as a Markdown table: count, p50, p95 and p99, with the first
/// operation of each kind (cold: connections, caches, prepared statements)
/// apart from the rest (warm).

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::observe {

namespace detail {

/// The text of the string field `name` in a `json_log` line (whose operation
/// and side names need no escapes), if it has one.
[[nodiscard]] inline std::optional<std::string_view> json_text_field(std::string_view line,
                                                                     std::string_view name) {
    const auto tag = fmt::format(R"("{}":")", name);
    const auto at = line.find(tag);
    if (at == std::string_view::npos) return std::nullopt;
    const auto start = at + tag.size();
    const auto end = line.find('"', start);
    if (end == std::string_view::npos) return std::nullopt;
    return line.substr(start, end - start);
}

/// The value of the number field `name` in a `json_log` line, if it has one.
[[nodiscard]] inline std::optional<double> json_number_field(std::string_view line,
                                                             std::string_view name) {
    const auto tag = fmt::format(R"("{}":)", name);
    const auto at = line.find(tag);
    if (at == std::string_view::npos) return std::nullopt;
    const auto start = line.data() + at + tag.size();
    double value = 0;
    const auto [end, ec] = std::from_chars(start, line.data() + line.size(), value);
    if (ec != std::errc{} || end == start) return std::nullopt;
    return value;
}

/// The `p`-th percentile (0 < p <= 100) of sorted `values`, nearest rank.
[[nodiscard]] inline double nearest_rank(const std::vector<double>& sorted, double p) {
    const auto rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace detail

/// Reads `json_log` lines from `lines` and returns the report: one Markdown
/// table row per operation, side and phase (cold: the first operation of
/// that operation and side; warm: the rest) with count and p50/p95/p99 in
/// milliseconds (nearest rank), rows in name order; then a line counting the
/// lines read, the operations, the failed ones among them, and the lines
/// that were not operations (other events, or not `json_log` lines). Failed
/// operations are timed with the rest: their duration is what a caller
/// waited.
[[nodiscard]] inline std::string soak_report(std::istream& lines) {
    struct samples {
        std::optional<double> cold;
        std::vector<double> warm;
    };
    std::map<std::pair<std::string, std::string>, samples> table;
    std::size_t read = 0, operations = 0, failed = 0;
    for (std::string line; std::getline(lines, line);) {
        ++read;
        const auto event = detail::json_text_field(line, "event");
        const auto op = detail::json_text_field(line, "op");
        const auto side = detail::json_text_field(line, "side");
        const auto ms = detail::json_number_field(line, "duration_ms");
        if (!event || (*event != "operation" && *event != "operation_failed") || !op || !side ||
            !ms) {
            continue;
        }
        ++operations;
        if (*event == "operation_failed") ++failed;
        auto& row = table[{std::string(*op), std::string(*side)}];
        if (!row.cold) {
            row.cold = *ms;
        } else {
            row.warm.push_back(*ms);
        }
    }
    std::string out =
        "| operation | side | phase | count | p50 ms | p95 ms | p99 ms |\n"
        "|---|---|---|---:|---:|---:|---:|\n";
    auto add_row = [&](const auto& key, std::string_view phase, std::vector<double> values) {
        std::sort(values.begin(), values.end());
        fmt::format_to(std::back_inserter(out),
                       "| {} | {} | {} | {} | {:.3f} | {:.3f} | {:.3f} |\n", key.first, key.second,
                       phase, values.size(), detail::nearest_rank(values, 50),
                       detail::nearest_rank(values, 95), detail::nearest_rank(values, 99));
    };
    for (const auto& [key, row] : table) {
        add_row(key, "cold", {*row.cold});
        if (!row.warm.empty()) add_row(key, "warm", row.warm);
    }
    fmt::format_to(std::back_inserter(out),
                   "\n{} lines read: {} operations ({} failed), {} other lines skipped\n", read,
                   operations, failed, read - operations);
    return out;
}

}  // namespace dualstore::observe
