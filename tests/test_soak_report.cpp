// soak_report: p50/p95/p99 per operation, side and phase from json_log lines,
// exact on known durations, and read back from a real json_log.
#include <dualstore/observe/json_log.hpp>
#include <dualstore/observe/soak_report.hpp>

#include "support.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace {

std::string operation_line(std::string_view event, std::string_view op, std::string_view side,
                           double ms) {
    return fmt::format(
        R"({{"ts":"2026-11-24T00:00:00.000000Z","level":"debug","event":"{}","op":"{}","side":"{}","attempts":1,"duration_ms":{:.3f}}})",
        event, op, side, ms);
}

}  // namespace

TEST_CASE("soak_report: nearest-rank percentiles per operation, side and cold/warm",
          "[soak_report]") {
    std::string log = operation_line("operation", "get", "primary", 40.0) + "\n";
    for (int i = 100; i >= 1; --i) {  // out of order: the report sorts
        log += operation_line("operation", "get", "primary", i) + "\n";
    }
    log += operation_line("operation_failed", "put", "secondary", 7.5) + "\n";
    log +=
        R"({"ts":"2026-11-24T00:00:00.000000Z","level":"info","event":"stage_change","from":"off","to":"dual_write"})"
        "\n";
    log += "not json at all\n";
    std::istringstream in(log);
    const auto report = ds::observe::soak_report(in);
    INFO(report);
    CHECK_THAT(report, Catch::Matchers::StartsWith(
                           "| operation | side | phase | count | p50 ms | p95 ms | p99 ms |\n"));
    CHECK_THAT(report, Catch::Matchers::Contains(
                           "| get | primary | cold | 1 | 40.000 | 40.000 | 40.000 |\n"
                           "| get | primary | warm | 100 | 50.000 | 95.000 | 99.000 |\n"
                           "| put | secondary | cold | 1 | 7.500 | 7.500 | 7.500 |\n"));
    CHECK_THAT(report, Catch::Matchers::Contains(
                           "104 lines read: 102 operations (1 failed), 2 other lines skipped"));
}

TEST_CASE("soak_report: reads back a json_log that logs every operation", "[soak_report]") {
    std::vector<std::string> lines;
    ds::observe::json_log log{[&](std::string_view line) { lines.emplace_back(line); },
                              {},
                              ds::observe::json_log::operations::every};
    kv a, b;
    ds::dual_store store{a, b, ds::discard_secondary_failures{}, ds::observe::with(log)};
    for (int i = 0; i < 10; ++i) store.put(fmt::format("k{}", i), "v");
    (void)store.get("k1");
    std::string joined;
    for (const auto& line : lines) joined += line + "\n";
    std::istringstream in(joined);
    const auto report = ds::observe::soak_report(in);
    INFO(report);
    CHECK_THAT(report, Catch::Matchers::Contains("| put | primary | cold | 1 |"));
    CHECK_THAT(report, Catch::Matchers::Contains("| put | primary | warm | 9 |"));
    CHECK_THAT(report, Catch::Matchers::Contains("| put | secondary | warm | 9 |"));
    CHECK_THAT(report, Catch::Matchers::Contains("| get | primary | cold | 1 |"));
    CHECK_THAT(report, Catch::Matchers::Contains("21 operations (0 failed)"));
}

TEST_CASE("json_log: successful operations get no line unless asked", "[json_log]") {
    std::vector<std::string> lines;
    ds::observe::json_log log{[&](std::string_view line) { lines.emplace_back(line); }};
    kv a, b;
    ds::dual_store store{a, b, ds::discard_secondary_failures{}, ds::observe::with(log)};
    store.put("k", "v");
    CHECK(lines.empty());
}
