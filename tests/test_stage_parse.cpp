// ds::parse_stage, ds::stage_from_env and printing stages with fmt.

#include "support.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <string_view>

TEST_CASE("parse_stage: accepts every stage name in any case, with - or _ and surrounding "
          "whitespace",
          "[stage][parse]") {
    for (const auto stage : ds::all_stages) {
        const std::string name(ds::stage_name(stage));
        CHECK(ds::parse_stage(name) == stage);
        CHECK(fmt::format("{}", stage) == name);
    }
    CHECK(ds::parse_stage("DUAL_WRITE") == ds::stage::dual_write);
    CHECK(ds::parse_stage("Dual-Write") == ds::stage::dual_write);
    CHECK(ds::parse_stage("  shadow\n") == ds::stage::shadow);
    CHECK(ds::parse_stage("\tLive ") == ds::stage::live);
    CHECK(ds::parse_stage("RampDown") == ds::stage::rampdown);
    CHECK(ds::parse_stage("complete\r\n") == ds::stage::complete);
    // LaunchDarkly's Migrator spells the stages without separators.
    CHECK(ds::parse_stage("dualwrite") == ds::stage::dual_write);
    CHECK(ds::parse_stage("DualWrite") == ds::stage::dual_write);
}

TEST_CASE("parse_stage: rejects anything else, quoting the input and listing the names",
          "[stage][parse]") {
    const std::string_view invalid[] = {
        "",          "   ",        "0",           "1",
        "5",         "dual write", "dual_write_", "dual__write",
        "of",        "offf",       "on",          "shadow,live",
        "-off",      "complete!",  "\"live\"",    std::string_view("off\0", 4),
        "ramp-down",
    };
    for (const auto text : invalid) {
        CAPTURE(std::string(text));
        try {
            std::ignore = ds::parse_stage(text);
            FAIL("accepted an invalid stage");
        } catch (const ds::invalid_stage& e) {
            const std::string what = e.what();
            CHECK_THAT(what, Catch::Matchers::Contains(fmt::format("{:?}", text)));
            CHECK_THAT(what, Catch::Matchers::Contains(
                                 "off, dual_write, shadow, live, rampdown, complete"));
        }
    }
    // invalid_stage is a dualstore::error, so callers can catch the library's errors at once.
    CHECK_THROWS_AS(ds::parse_stage("nope"), ds::error);
}

TEST_CASE(
    "stage_from_env: reads and parses a variable, unset or invalid is an error, never a "
    "silent default",
    "[stage][parse]") {
    constexpr const char* variable = "DUALSTORE_TEST_STAGE";
    ::unsetenv(variable);
    CHECK_THROWS_WITH(ds::stage_from_env(variable),
                      Catch::Matchers::Contains("DUALSTORE_TEST_STAGE is not set"));
    CHECK(ds::stage_from_env(variable, ds::stage::off) == ds::stage::off);

    ::setenv(variable, " Rampdown ", 1);
    CHECK(ds::stage_from_env(variable) == ds::stage::rampdown);
    CHECK(ds::stage_from_env(variable, ds::stage::off) == ds::stage::rampdown);

    ::setenv(variable, "later", 1);
    CHECK_THROWS_WITH(ds::stage_from_env(variable, ds::stage::off),
                      Catch::Matchers::Contains("\"later\"") &&
                          Catch::Matchers::Contains("DUALSTORE_TEST_STAGE"));
    ::unsetenv(variable);
}
