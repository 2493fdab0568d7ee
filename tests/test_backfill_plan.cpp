// backfill_plan and observe::progress_bar.

#include "support.hpp"

#include <dualstore/backfill/plan.hpp>
#include <dualstore/observe/progress_bar.hpp>

#include <stdexcept>
#include <string>
#include <vector>

TEST_CASE("backfill_plan: runs jobs in dependency order", "[plan]") {
    std::vector<std::string> ran;
    const auto job = [&](std::string name) { return [&ran, name] { ran.push_back(name); }; };
    ds::backfill_plan plan;
    plan.add("orders", job("orders"), {"users"})
        .add("users", job("users"))
        .add("order_items", job("order_items"), {"orders", "products"})
        .add("products", job("products"));
    const auto report = plan.run();
    CHECK(report.ok());
    CHECK(ran == report.ran);
    const auto before = [&](const std::string& a, const std::string& b) {
        return std::ranges::find(ran, a) < std::ranges::find(ran, b);
    };
    CHECK(before("users", "orders"));
    CHECK(before("orders", "order_items"));
    CHECK(before("products", "order_items"));
}

TEST_CASE("backfill_plan: a cycle is rejected with an error naming it", "[plan]") {
    ds::backfill_plan plan;
    const auto nothing = [] {};
    plan.add("a", nothing, {"b"}).add("b", nothing, {"c"}).add("c", nothing, {"a"}).add("d", nothing);
    CHECK_THROWS_AS(plan.run(), ds::plan_error);
    CHECK_THROWS_WITH(plan.order(), Catch::Matchers::Contains("a -> b -> c -> a"));

    ds::backfill_plan unknown;
    unknown.add("a", nothing, {"missing"});
    CHECK_THROWS_WITH(unknown.run(), Catch::Matchers::Contains("unknown job 'missing'"));
    CHECK_THROWS_AS(unknown.add("a", nothing), ds::plan_error);
}

TEST_CASE("backfill_plan: a failed job stops its dependants, independent jobs still run",
          "[plan]") {
    ds::backfill_plan plan;
    const auto nothing = [] {};
    plan.add("users", [] { throw std::runtime_error("target down"); })
        .add("orders", nothing, {"users"})
        .add("order_items", nothing, {"orders"})
        .add("products", nothing);
    const auto report = plan.run();
    CHECK_FALSE(report.ok());
    CHECK(report.ran == std::vector<std::string>{"products"});
    REQUIRE(report.failed.size() == 1);
    CHECK(report.failed[0] == std::pair<std::string, std::string>{"users", "target down"});
    CHECK(report.not_started == std::vector<std::string>{"orders", "order_items"});
}

TEST_CASE("progress_bar: redraws one line on a terminal, logs periodic lines otherwise",
          "[progress]") {
    std::string out;
    const auto write = [&](std::string_view s) { out += s; };
    ds::backfill_progress p{.scanned = 400, .written = 390, .skipped = 10,
                            .elapsed = std::chrono::seconds(2), .total = 1000};

    ds::observe::progress_bar bar("orders", write, /*terminal=*/true);
    bar(p);
    CHECK(out == "\rorders [########            ]  40% 400/1000, 390 written, 200/s, ETA 0:03");
    bar.finish(ds::backfill_report{.scanned = 1000, .written = 990, .complete = true});
    CHECK_THAT(out, Catch::Matchers::EndsWith("\norders: done: scanned 1000, written 990, skipped 0 "
                                              "present and 0 expired, filtered out 0, failed 0, "
                                              "complete in 0.000 s\n"));

    out.clear();
    ds::observe::progress_bar log("orders", write, /*terminal=*/false, std::chrono::seconds(10));
    for (int second = 1; second <= 25; ++second) {
        p.elapsed = std::chrono::seconds(second);
        log(p);
    }
    // At 1 s, 11 s and 21 s: one line per interval, no carriage returns.
    CHECK(std::ranges::count(out, '\n') == 3);
    CHECK(out.find('\r') == std::string::npos);
}
