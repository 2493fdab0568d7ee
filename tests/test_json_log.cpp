// observe::json_log: one valid JSON object per notable event.

#include "support.hpp"

#include <dualstore/observe/json_log.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace {
using namespace std::string_literals;

struct captured {
    std::vector<std::string> lines;
    ds::observe::json_log log{[this](std::string_view line) { lines.emplace_back(line); }};
};
}  // namespace

TEST_CASE("json_string: escapes quotes, backslashes and control characters, nothing else",
          "[json_log]") {
    CHECK(ds::observe::json_string("plain") == R"("plain")");
    CHECK(ds::observe::json_string("q\"b\\n\nt\t") == R"("q\"b\\n\nt\t")");
    CHECK(ds::observe::json_string("nul\0end"s) == R"("nul\u0000end")");
    CHECK(ds::observe::json_string("\x01\x1f\x7f") == "\"\\u0001\\u001f\x7f\"");
}

TEST_CASE("json_string: UTF-8 text passes through unescaped", "[json_log]") {
    CHECK(ds::observe::json_string("caf\u00e9") == "\"caf\u00e9\"");
    CHECK(ds::observe::json_string("\u65e5\u672c") == "\"\u65e5\u672c\"");
    CHECK(ds::observe::json_string("\U0001F600 ok") == "\"\U0001F600 ok\"");  // 4-byte sequence
    CHECK(ds::observe::is_utf8("\u00e9\u65e5\u672c\U0001F600"));
}

TEST_CASE("json_string: each byte outside a well-formed UTF-8 sequence becomes U+FFFD",
          "[json_log]") {
    const auto json = [](std::string_view bytes) { return ds::observe::json_string(bytes); };
    CHECK(json("a\xff"s + "b") == R"("a\ufffdb")");            // never a UTF-8 byte
    CHECK(json("\x80") == R"("\ufffd")");                      // a stray continuation byte
    CHECK(json("\xc3") == R"("\ufffd")");                      // cut short at the end
    CHECK(json("\xe6\x97x") == R"("\ufffd\ufffdx")");          // cut short inside
    CHECK(json("\xc0\xaf") == R"("\ufffd\ufffd")");            // overlong '/'
    CHECK(json("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")");  // a surrogate
    CHECK(json("\xf4\x90\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
    CHECK(json("\xe9t\xc3\xa9") == "\"\\ufffdt\u00e9\"");                // Latin-1 beside UTF-8
    CHECK_FALSE(ds::observe::is_utf8("\xe9t\xc3\xa9"));
}

namespace {

/// Sets the process's time zone for a scope, then restores it.
class time_zone {
public:
    explicit time_zone(const char* zone) : variable_("TZ", zone) { ::tzset(); }

private:
    /// Reloads the zone when destroyed, after `variable_` restored TZ.
    struct reload_on_exit {
        reload_on_exit() = default;
        reload_on_exit(const reload_on_exit&) = delete;
        reload_on_exit& operator=(const reload_on_exit&) = delete;
        ~reload_on_exit() { ::tzset(); }
    };
    reload_on_exit reload_;
    scoped_environment variable_;
};

/// The time a `ts` field ("2024-03-01T05:06:07[.ffffff]Z") names, read as UTC.
std::chrono::system_clock::time_point parse_utc(const std::string& ts) {
    int y = 0;
    unsigned mo = 0, d = 0, h = 0, mi = 0, s = 0;
    REQUIRE(std::sscanf(ts.c_str(), "%d-%u-%uT%u:%u:%u", &y, &mo, &d, &h, &mi, &s) == 6);
    REQUIRE(ts.back() == 'Z');
    using namespace std::chrono;
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

std::string ts_of(const std::string& line) {
    const auto start = line.find(R"("ts":")");
    REQUIRE(start != std::string::npos);
    const auto from = start + 6;
    return line.substr(from, line.find('"', from) - from);
}

}  // namespace

TEST_CASE("json_log: ts is UTC whatever the process's time zone", "[json_log][time]") {
    const time_zone new_york("America/New_York");  // UTC-5 or UTC-4, never UTC
    using namespace std::chrono;
    const auto known = sys_days{2024y / March / 1} + 5h + 6min + 7s + 8us;
    CHECK(ds::observe::utc_timestamp(known) == "2024-03-01T05:06:07.000008Z");
    CHECK(ds::observe::utc_timestamp(sys_days{1999y / December / 31} + 23h + 59min + 59s) ==
          "1999-12-31T23:59:59.000000Z");

    std::vector<std::string> lines;
    ds::observe::json_log stamped{[&](std::string_view line) { lines.emplace_back(line); },
                                  [&] { return known; }};
    stamped.on(ds::observe::stage_change_event{ds::stage::off, ds::stage::dual_write});
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Matchers::StartsWith(R"({"ts":"2024-03-01T05:06:07.000008Z",)"));

    // The default clock: the stamp is now, in UTC (within a minute), not local time.
    lines.clear();
    ds::observe::json_log live{[&](std::string_view line) { lines.emplace_back(line); }};
    const auto before = system_clock::now();
    live.on(ds::observe::stage_change_event{ds::stage::off, ds::stage::dual_write});
    REQUIRE(lines.size() == 1);
    const auto stamped_at = parse_utc(ts_of(lines[0]));
    CHECK(std::chrono::abs(stamped_at - before) < 1min);
}

TEST_CASE("json_log: a key that is not UTF-8 is replaced in key and given in key_hex",
          "[json_log]") {
    kv a, b;
    flaky secondary{b};
    captured out;
    ds::dual_store store{
        a, secondary,
        ds::on_secondary_failure{[](const std::string&, ds::operation, std::exception_ptr) {}},
        ds::observe::with(out.log)};
    secondary.fail_always(dst::fault_on::writes);
    store.put("\u65e5\u672c", "v");
    store.put("bin\xff\x01"s, "v");
    std::vector<std::string> failures;
    for (const auto& line : out.lines) {
        if (line.find("secondary_failure") != std::string::npos) failures.push_back(line);
    }
    REQUIRE(failures.size() == 2);
    CHECK_THAT(failures[0], Catch::Matchers::Contains("\"key\":\"\u65e5\u672c\",\"error\""));
    CHECK_THAT(failures[1],
               Catch::Matchers::Contains(R"("key":"bin\ufffd\u0001","key_hex":"62696eff01")"));
}

TEST_CASE("json_log: secondary failures, sink errors, mismatches and stage changes, one line "
          "each",
          "[json_log]") {
    kv a, b;
    flaky secondary{b};
    captured out;
    const auto failing_sink = [](const std::string&, ds::operation, std::exception_ptr) {
        throw std::runtime_error("queue \"down\"");
    };
    ds::migration store{a, secondary, ds::stage::dual_write, ds::on_secondary_failure{failing_sink},
                        ds::observe::with(out.log)};

    store.put("ok", "v");
    CHECK(out.lines.empty());  // successes are not logged

    secondary.fail_always(dst::fault_on::writes);
    store.put("k\"\0x"s, "v");
    REQUIRE(out.lines.size() == 3);  // operation_failed, sink_error, secondary_failure
    CHECK_THAT(out.lines[0], Catch::Matchers::Contains(R"("event":"operation_failed","op":"put","side":"secondary")"));
    CHECK_THAT(out.lines[1], Catch::Matchers::StartsWith(R"({"ts":")"));
    CHECK_THAT(out.lines[1], Catch::Matchers::Contains(R"("level":"error","event":"sink_error")"));
    CHECK_THAT(out.lines[1], Catch::Matchers::Contains(R"("key":"k\"\u0000x")"));
    CHECK_THAT(out.lines[1], Catch::Matchers::Contains(R"("sink_error":"queue \"down\"")"));
    CHECK_THAT(out.lines[2], Catch::Matchers::Contains(R"("event":"secondary_failure")"));
    CHECK_THAT(out.lines[2], Catch::Matchers::Contains(R"("enqueued":false)"));
    out.lines.clear();

    secondary.heal();
    store.set_stage(ds::stage::shadow);
    b.put("m", "new");
    a.put("m", "old");
    std::ignore = store.get("m");
    REQUIRE(out.lines.size() == 2);
    CHECK_THAT(out.lines[0], Catch::Matchers::Contains(R"("event":"stage_change","from":"dual_write","to":"shadow")"));
    CHECK_THAT(out.lines[1], Catch::Matchers::Contains(R"("event":"mismatch","key":"m","primary":"old","secondary":"new")"));
    for (const auto& line : out.lines) {
        CHECK(line.front() == '{');
        CHECK(line.back() == '}');
        CHECK(line.find('\n') == std::string::npos);
    }
}
