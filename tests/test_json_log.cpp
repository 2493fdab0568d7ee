// observe::json_log: one valid JSON object per notable event.

#include "support.hpp"

#include <dualstore/observe/json_log.hpp>

#include <string>
#include <vector>

namespace {
using namespace std::string_literals;

struct captured {
    std::vector<std::string> lines;
    ds::observe::json_log log{[this](std::string_view line) { lines.emplace_back(line); }};
};
}  // namespace

TEST_CASE("json_string: escapes quotes, backslashes, control and non-ASCII bytes", "[json_log]") {
    CHECK(ds::observe::json_string("plain") == R"("plain")");
    CHECK(ds::observe::json_string("q\"b\\n\nt\t") == R"("q\"b\\n\nt\t")");
    CHECK(ds::observe::json_string("nul\0end"s) == R"("nul\u0000end")");
    CHECK(ds::observe::json_string("\x01\x7f\xff") == R"("\u0001\u007f\u00ff")");
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
