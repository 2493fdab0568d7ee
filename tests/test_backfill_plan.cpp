// backfill_plan and observe::progress_bar, an observer of any long task.

#include "support.hpp"

#include <dualstore/backfill/plan.hpp>
#include <dualstore/memory_retry_queue.hpp>
#include <dualstore/observe/progress_bar.hpp>
#include <dualstore/repair/drain.hpp>
#include <dualstore/testing/manual_clock.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <memory>
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

namespace {
/// A job that can be moved and not copied, as a plan of any `Job` type holds.
struct move_only_job {
    std::unique_ptr<std::vector<std::string>> ran;  // owned until the job runs
    std::vector<std::string>* log;
    void operator()() { log->push_back(ran->front()); }
};
}  // namespace

TEST_CASE("basic_backfill_plan: a plan of move-only jobs runs each once, in order", "[plan]") {
    std::vector<std::string> log;
    const auto job = [&](std::string name) {
        return move_only_job{std::make_unique<std::vector<std::string>>(1, std::move(name)), &log};
    };
    ds::basic_backfill_plan<move_only_job> plan;
    plan.add("second", job("second"), {"first"}).add("first", job("first"));
    CHECK(plan.run().ok());
    CHECK(log == std::vector<std::string>{"first", "second"});
}

TEST_CASE("progress_bar: redraws one line on a terminal, logs periodic lines otherwise",
          "[progress]") {
    std::string out;
    const auto write = [&](std::string_view s) { out += s; };
    ds::observe::progress_event p{.task = "backfill",
                                  .done = 400,
                                  .changed = 390,
                                  .changed_as = "written",
                                  .skipped = 10,
                                  .total = 1000,
                                  .elapsed = std::chrono::seconds(2)};

    ds::observe::progress_bar bar("orders", write, /*terminal=*/true);
    bar.on(p);
    CHECK(out == "\rorders [########            ]  40% 400/1000, 390 written, 200/s, ETA 0:03");
    auto last = p;
    last.done = 1000;
    last.changed = 990;
    last.finished = true;
    bar.on(last);
    CHECK_THAT(out,
               Catch::Matchers::EndsWith(
                   "\norders: done: 1000 done, 990 written, 10 skipped, 0 failed, in 2.000 s\n"));

    // Past the expected total (a scan that repeats keys) it is a count, never over 100%.
    out.clear();
    auto over = p;
    over.done = 1100;
    bar.on(over);
    CHECK(out == "\rorders 1100 done, 390 written, 550/s");

    out.clear();
    ds::observe::progress_bar log("orders", write, /*terminal=*/false, std::chrono::seconds(10));
    for (int second = 1; second <= 25; ++second) {
        p.elapsed = std::chrono::seconds(second);
        log.on(p);
    }
    // At 1 s, 11 s and 21 s: one line per interval, no carriage returns.
    CHECK(std::ranges::count(out, '\n') == 3);
    CHECK(out.find('\r') == std::string::npos);
}

TEST_CASE("progress_observers: empty unless some observer takes progress events", "[progress]") {
    struct counts_writes {
        void on(const ds::observe::operation_event&) {}
    } other;
    ds::observe::progress_bar bar(
        "x", [](std::string_view) {}, /*terminal=*/false);
    CHECK_FALSE(ds::observe::progress_observers{});
    CHECK_FALSE(ds::observe::progress_observers{ds::observe::with(other)});
    CHECK(ds::observe::progress_observers{ds::observe::with(other, bar)});
}

TEST_CASE("progress_bar: an ordinary observer, of a drain as of a backfill", "[progress]") {
    std::string out;
    ds::observe::progress_bar bar(
        "queue", [&](std::string_view s) { out += s; },
        /*terminal=*/false);
    dst::manual_clock clock;  // elapsed stays 0: the lines are exact
    ds::memory_retry_queue queue;
    for (int i = 0; i < 3; ++i) {
        ds::retry_entry entry;
        entry.key = fmt::format("k{}", i);
        queue.push(std::move(entry));
    }
    dst::memory_store<std::string, std::string> primary, secondary;
    primary.put("k0", "v0");
    const auto report =
        ds::drain(queue, primary, secondary,
                  {.batch_size = 2, .observers = ds::observe::with(bar), .clock = clock.timer()});
    CHECK(report.repaired == 3);
    CHECK(secondary.get("k0") == "v0");
    CHECK(out ==
          "queue 2 done, 2 repaired, 0/s\nqueue: done: 3 done, 3 repaired, 0 skipped, 0 failed, in "
          "0.000 s\n");
}
