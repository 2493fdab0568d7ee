// ds::backfill: completeness, idempotence, dry run, rate limit, checkpoint and
// resume, expiry translation both ways, filters, mappings, conflict rules,
// the stale-overwrite race, binary data, failures.

#include "support.hpp"

#include <dualstore/backfill/backfill.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {
using namespace std::string_literals;

void fill(kv& store, int n, const std::string& prefix = "k") {
    for (int i = 0; i < n; ++i) store.put(fmt::format("{}{:05}", prefix, i), fmt::format("v{}", i));
}

/// Versions for conflict_rule::newer_wins: a live write ("live") is newer
/// than any backfilled value.
struct version_mapping {
    int version(const std::string& v) const { return v == "live" ? 2 : 1; }
};

/// Every key of `a` has the same value in `b`, and the other way round.
bool same_content(kv& a, kv& b) {
    const auto all = [](kv& s) {
        std::map<std::string, std::string> items;
        for (std::optional<kv::cursor_type> c{kv::cursor_type{}}; c;) {
            auto page = s.scan(*c, 100);
            for (auto& [k, v] : page.items) items.emplace(k, v);
            c = page.next;
        }
        return items;
    };
    return all(a) == all(b);
}

/// A source whose page changes between its read and its copy, as when a
/// live write from another process lands there; or whose stamp fails.
struct changing_source {
    using key_type = std::string;
    using mapped_type = std::string;
    using cursor_type = kv::cursor_type;
    static constexpr bool scans_in_key_order = true;
    kv& inner;
    std::function<void()> after_scan;
    bool stamp_fails = false;
    int scans = 0;
    std::optional<std::string> get(const std::string& k) { return inner.get(k); }
    void put(const std::string& k, const std::string& v) { inner.put(k, v); }
    bool erase(const std::string& k) { return inner.erase(k); }
    auto scan(const cursor_type& c, std::size_t n) {
        ++scans;
        auto page = inner.scan(c, n);
        if (after_scan) std::exchange(after_scan, {})();
        return page;
    }
    std::uint64_t change_stamp() {
        if (stamp_fails) throw std::runtime_error("stamp unavailable");
        return inner.change_stamp();
    }
    int get_manys = 0;
    std::vector<std::optional<std::string>> get_many(std::span<const std::string> keys) {
        ++get_manys;
        return inner.get_many(keys);
    }
    void put_many(std::span<const std::pair<std::string, std::string>> items) {
        inner.put_many(items);
    }
};

/// The same source, not saying its scans are in key order (as a Redis
/// source's are not): a backfill cannot confirm a page by scanning it again.
struct unordered_changing_source : changing_source {
    static constexpr bool scans_in_key_order = false;
};

}  // namespace

TEST_CASE("backfill: copies everything, a second run under keep_target writes nothing",
          "[backfill]") {
    kv source, target;
    fill(source, 1234);
    const ds::backfill_options options{.batch_size = 100};
    const auto first = ds::backfill(source, target, options);
    CHECK(first.scanned == 1234);
    CHECK(first.written == 1234);
    CHECK(first.batches == 13);
    CHECK(first.complete);
    CHECK(same_content(source, target));

    const auto second = ds::backfill(source, target, options);
    CHECK(second.written == 0);
    CHECK(second.skipped_present == 1234);
    CHECK_THAT(fmt::format("{}", second),
               Catch::Matchers::StartsWith("scanned 1234, written 0, skipped 1234 present"));
}

TEST_CASE("backfill: a dry run reads but never writes the target, and predicts the real run",
          "[backfill]") {
    kv source, inner;
    fill(source, 50);
    dst::recording_store target{inner, "target"};
    const auto report = ds::backfill(source, target, {.batch_size = 8, .dry_run = true});
    CHECK(report.scanned == 50);
    CHECK(report.written == 50);  // would be written
    CHECK(target.log().size() == target.log().count("target", dst::call_kind::get));
    CHECK(inner.get("k00000") == std::nullopt);

    // With a quarter of the keys present, the dry run runs the conflict
    // checks: its counts are the real run's (it used to say "50 written").
    for (int i = 0; i < 50; i += 4) inner.put(fmt::format("k{:05}", i), "live");
    for (const auto rule : {ds::conflict_rule::keep_target, ds::conflict_rule::newer_wins}) {
        kv copy;
        for (const auto& [k, v] : inner.snapshot()) copy.put(k, v);
        const version_mapping versions;
        const auto dry = ds::backfill(source, copy, {.dry_run = true, .conflict = rule}, versions);
        const auto real = ds::backfill(source, copy, {.conflict = rule}, versions);
        CHECK(dry.written == real.written);
        CHECK(dry.skipped_present == real.skipped_present);
        CHECK(real.skipped_present == 13);
    }
}

TEST_CASE("backfill: the rate limit holds within 5% over a simulated minute", "[backfill][rate]") {
    kv source, target;
    fill(source, 6000);
    dst::manual_clock clock;
    const auto report =
        ds::backfill(source, target, {.batch_size = 50, .rate = 100, .clock = clock.timer()});
    CHECK(report.written == 6000);
    const double seconds = std::chrono::duration<double>(report.duration).count();
    CHECK(seconds == Approx(60.0).epsilon(0.05));
    CHECK(6000 / seconds == Approx(100.0).epsilon(0.05));
}

TEST_CASE("backfill: killed after n batches, resumes from its checkpoint, no key written twice",
          "[backfill][checkpoint]") {
    kv source, inner, checkpoints;
    fill(source, 95);
    dst::recording_store target{inner, "target"};
    ds::backfill_options options{.batch_size = 10,
                                 .checkpoint = ds::checkpoint_in(checkpoints, "orders-backfill")};
    options.max_batches = 3;
    const auto killed = ds::backfill(source, target, options);
    CHECK(killed.written == 30);
    CHECK_FALSE(killed.complete);
    CHECK(checkpoints.get("orders-backfill") == "1k00029");

    options.max_batches.reset();
    const auto resumed = ds::backfill(source, target, options);
    CHECK(resumed.scanned == 65);
    CHECK(resumed.complete);
    CHECK(checkpoints.get("orders-backfill") == std::nullopt);  // cleared when complete
    CHECK(same_content(source, inner));
    // Each key written exactly once over both runs (a page per
    // put_many_if_absent, whose keys the log joins with ',').
    std::set<std::string> written;
    for (const auto& c : target.log().entries()) {
        if (c.kind != dst::call_kind::put_many_if_absent) continue;
        // (Not std::views::split: clang 14 cannot use libstdc++ 12's.)
        for (std::size_t from = 0; from <= c.key.size();) {
            const auto comma = std::min(c.key.find(',', from), c.key.size());
            CHECK(written.insert(c.key.substr(from, comma - from)).second);
            from = comma + 1;
        }
    }
    CHECK(written.size() == 95);
}

TEST_CASE("backfill: a checkpoint on a source that cannot save cursors is an error",
          "[backfill][checkpoint]") {
    scan_only_store source;
    kv target, checkpoints;
    CHECK_THROWS_WITH(
        ds::backfill(source, target, {.checkpoint = ds::checkpoint_in(checkpoints, "c")}),
        Catch::Matchers::Contains("resumable_store"));
}

TEST_CASE("backfill: expiry becomes a clamped TTL, expired records are skipped, both directions",
          "[backfill][expiry]") {
    auto now = ds::expiry_clock::time_point(std::chrono::hours(400'000));
    const auto clock = [&] { return now; };
    kv old_side{clock}, new_side{clock};
    old_side.put("forever", "a");
    old_side.put("soon", "b", std::chrono::seconds(10));   // 10 s left: clamped to 60 s
    old_side.put("later", "c", std::chrono::minutes(30));  // kept as is
    old_side.put("gone", "d", std::chrono::seconds(1));
    now += std::chrono::seconds(2);  // "gone" has expired

    const ds::backfill_options options{.min_ttl = std::chrono::seconds(60),
                                       .clock = {.wall = clock}};
    const auto forward = ds::backfill(old_side, new_side, options);
    CHECK(forward.written == 3);
    CHECK(forward.skipped_expired == 0);  // an expired entry is not even scanned by memory_store
    CHECK(new_side.expiry("forever") == std::nullopt);
    CHECK(new_side.expiry("soon") == now + std::chrono::seconds(60));
    CHECK(new_side.expiry("later") == now + std::chrono::minutes(30) - std::chrono::seconds(2));

    // Reverse: the same call with the stores swapped, after the cutover.
    kv back{clock};
    new_side.put("new-only", "e", std::chrono::minutes(5));
    const auto reverse = ds::backfill(new_side, back, options);
    CHECK(reverse.written == 4);
    CHECK(back.expiry("new-only") == now + std::chrono::minutes(5));
    CHECK(back.expiry("forever") == std::nullopt);
}

TEST_CASE("backfill: skips and counts records that expire between scan and copy",
          "[backfill][expiry]") {
    auto now = ds::expiry_clock::time_point(std::chrono::hours(400'000));
    kv source{[&] { return now; }}, target;
    source.put("k", "v", std::chrono::seconds(5));
    // The translation clock runs ahead of the source's: the record is expired by then.
    const auto report = ds::backfill(
        source, target, {.clock = {.wall = [&] { return now + std::chrono::seconds(6); }}});
    CHECK(report.skipped_expired == 1);
    CHECK(target.get("k") == std::nullopt);
}

TEST_CASE("backfill: prefix and predicate filters, key renames and value conversion",
          "[backfill]") {
    kv source;
    fill(source, 10, "user:");
    fill(source, 10, "order:");
    dst::memory_store<std::string, std::size_t> target;  // another value type

    struct to_lengths {
        std::string key(const std::string& k) const { return "v2/" + k; }
        std::size_t value(const std::string& v) const { return v.size(); }
        bool keep(const std::string&, const std::string& v) const { return v != "v3"; }
    };
    const auto report = ds::backfill(
        source, target,
        {.key_prefix = "user:", .key_filter = [](std::string_view k) { return !k.ends_with("9"); }},
        to_lengths{});
    CHECK(report.scanned == 20);
    CHECK(report.written == 8);        // user:0..8 minus user:3 (v3)
    CHECK(report.filtered_out == 12);  // 10 orders, user:9, user:3
    CHECK(target.get("v2/user:00000") == 2);
    CHECK(target.get("user:00000") == std::nullopt);
}

TEST_CASE("backfill: conflict rules", "[backfill][conflict]") {
    kv source, target;
    source.put("a", "3:new");
    source.put("b", "1:old");
    target.put("a", "2:mid");
    target.put("b", "2:mid");
    struct versioned {
        int version(const std::string& v) const { return v.front() - '0'; }
    };
    SECTION("keep_target") {
        ds::backfill(source, target, {});
        CHECK(target.get("a") == "2:mid");
        CHECK(target.get("b") == "2:mid");
    }
    SECTION("overwrite") {
        ds::backfill(source, target, {.conflict = ds::conflict_rule::overwrite});
        CHECK(target.get("a") == "3:new");
        CHECK(target.get("b") == "1:old");
    }
    SECTION("newer_wins") {
        const auto r =
            ds::backfill(source, target, {.conflict = ds::conflict_rule::newer_wins}, versioned{});
        CHECK(target.get("a") == "3:new");
        CHECK(target.get("b") == "2:mid");
        CHECK(r.skipped_present == 1);
        CHECK_THROWS_WITH(ds::backfill(source, target, {.conflict = ds::conflict_rule::newer_wins}),
                          Catch::Matchers::Contains("version(value)"));
    }
}

TEST_CASE("backfill: a live write landing after the scan read an old value is never overwritten",
          "[backfill][race]") {
    // The classic bug: the backfill reads k=old, a live dual write then puts
    // k=new in both stores, then the backfill writes k=old over it.
    struct racing_source {
        using key_type = std::string;
        using mapped_type = std::string;
        using cursor_type = kv::cursor_type;
        kv& inner;
        std::function<void()> after_scan;
        std::optional<std::string> get(const std::string& k) { return inner.get(k); }
        void put(const std::string& k, const std::string& v) { inner.put(k, v); }
        bool erase(const std::string& k) { return inner.erase(k); }
        auto scan(const cursor_type& c, std::size_t n) {
            auto page = inner.scan(c, n);
            if (after_scan) std::exchange(after_scan, {})();
            return page;
        }
    };
    kv old_data, new_data;
    old_data.put("k", "old");
    racing_source source{old_data, {}};
    ds::dual_store live{old_data, new_data, ds::discard_secondary_failures{}};
    source.after_scan = [&] { live.put("k", "new"); };

    const auto report = ds::backfill(source, new_data, {});  // keep_target
    CHECK(new_data.get("k") == "new");
    CHECK(report.skipped_present == 1);
}

TEST_CASE("backfill: overwrite uses put_many on batch stores, binary keys and 1 MiB values",
          "[backfill][binary]") {
    kv source, inner;
    const std::string big(1 << 20, '\xff');
    source.put("nul\0key"s, "va\0lue"s);
    source.put("quote\"'\\", big);
    dst::recording_store target{inner, "target"};
    const auto report = ds::backfill(source, target, {.conflict = ds::conflict_rule::overwrite});
    CHECK(report.written == 2);
    CHECK(target.log().count("target", dst::call_kind::put_many) == 1);
    CHECK(inner.get("nul\0key"s) == "va\0lue"s);
    CHECK(inner.get("quote\"'\\") == big);
}

TEST_CASE("backfill: failed writes are counted and the run goes on, or stops on request",
          "[backfill]") {
    kv source, inner;
    fill(source, 10);
    flaky target{inner};
    target.fail_keys({"k00003"});
    const auto report = ds::backfill(source, target, {});
    CHECK(report.failed == 1);
    CHECK(report.written == 9);
    CHECK_THROWS_AS(ds::backfill(source, target, {.stop_on_error = true}), dst::injected_fault);
}

TEST_CASE("backfill: progress events after each batch and at the end, with rate and ETA",
          "[backfill][progress]") {
    kv source, target;
    fill(source, 100);
    dst::manual_clock clock;
    struct recorder {
        std::vector<ds::observe::progress_event> updates;
        void on(const ds::observe::progress_event& p) { updates.push_back(p); }
    } seen;
    ds::backfill(source, target,
                 {.batch_size = 25,
                  .rate = 50,
                  .observers = ds::observe::with(seen),
                  .total_hint = 100,
                  .clock = clock.timer()});
    const auto& updates = seen.updates;
    REQUIRE(updates.size() == 5);
    CHECK(updates[1].task == "backfill");
    CHECK(updates[1].done == 50);
    CHECK(updates[1].changed == 50);
    CHECK(updates[1].changed_as == "written");
    CHECK_FALSE(updates[3].finished);
    // The first batch uses the bucket's initial burst; then 50 records/s.
    CHECK(updates[3].elapsed == std::chrono::milliseconds(1500));
    CHECK(updates[3].rate() == Approx(100.0 / 1.5));
    REQUIRE(updates[1].eta());
    CHECK(*updates[1].eta() > std::chrono::seconds(0));
    CHECK(updates[3].eta() == std::chrono::nanoseconds(0));
    CHECK(updates[4].finished);
    CHECK(updates[4].done == 100);
}

TEST_CASE(
    "backfill: keep_target moves a page per call with put_many_if_absent, and keeps what "
    "the target has",
    "[backfill][batch]") {
    kv source, inner;
    fill(source, 25);
    inner.put("k00003", "live");  // a live write that reached the target first
    inner.put("k00017", "live");
    dst::recording_store target{inner, "target"};
    const auto report = ds::backfill(source, target, {.batch_size = 10});
    CHECK(report.written == 23);
    CHECK(report.skipped_present == 2);
    CHECK(report.failed == 0);
    CHECK(target.log().count("target", dst::call_kind::put_many_if_absent) == 3);
    CHECK(target.log().count("target", dst::call_kind::put_if_absent) == 0);
    CHECK(inner.get("k00003") == "live");
    CHECK(inner.get("k00017") == "live");
    CHECK(inner.get("k00004") == source.get("k00004"));
    CHECK(inner.size() == 25);
}

TEST_CASE(
    "backfill: newer_wins reads the target's versions with get_many and writes the newer "
    "records with put_many, a page per call",
    "[backfill][batch]") {
    kv source, inner;
    fill(source, 25);
    inner.put("k00003", "live");  // newer than the copy: kept
    inner.put("k00017", "live");
    inner.put("k00020", "v0");  // as new as the copy: kept, only a newer one overwrites
    dst::recording_store target{inner, "target"};
    const auto report =
        ds::backfill(source, target, {.batch_size = 10, .conflict = ds::conflict_rule::newer_wins},
                     version_mapping{});
    CHECK(report.written == 22);
    CHECK(report.skipped_present == 3);
    CHECK(report.failed == 0);
    CHECK(target.log().count("target", dst::call_kind::get_many) == 3);
    CHECK(target.log().count("target", dst::call_kind::put_many) == 3);
    CHECK(target.log().count("target", dst::call_kind::get) == 0);
    CHECK(target.log().count("target", dst::call_kind::put) == 0);
    CHECK(inner.get("k00003") == "live");
    CHECK(inner.get("k00017") == "live");
    CHECK(inner.get("k00020") == "v0");
    CHECK(inner.size() == 25);
}

TEST_CASE("backfill: a failed batch goes again a record at a time, so one bad record fails alone",
          "[backfill][batch]") {
    for (const auto conflict : {ds::conflict_rule::keep_target, ds::conflict_rule::overwrite,
                                ds::conflict_rule::newer_wins}) {
        kv source, inner;
        fill(source, 10);
        flaky target{inner};
        target.fail_keys({"k00003"}, dst::fault_on::writes);
        const auto report =
            conflict == ds::conflict_rule::newer_wins
                ? ds::backfill(source, target, {.conflict = conflict}, version_mapping{})
                : ds::backfill(source, target, {.conflict = conflict});
        CHECK(report.failed == 1);
        CHECK(report.written == 9);
        CHECK_FALSE(inner.get("k00003"));
        CHECK(inner.size() == 9);
    }
}

TEST_CASE(
    "backfill: a page whose source held still (its change stamp) is not read again, a write "
    "in between, or a stamp that fails, brings the confirming re-read back",
    "[backfill][batch][stamp]") {
    static_assert(ds::change_stamped_store<kv>);
    static_assert(ds::change_stamped_store<dst::recording_store<kv&>>);
    for (const auto conflict : {ds::conflict_rule::keep_target, ds::conflict_rule::overwrite}) {
        kv inner_source, target;
        fill(inner_source, 25);
        dst::recording_store source{inner_source, "source"};
        const auto report = ds::backfill(source, target, {.batch_size = 10, .conflict = conflict});
        CHECK(report.written == 25);
        CHECK(report.corrected == 0);
        CHECK(source.log().count("source", dst::call_kind::scan) == 3);  // no page twice
        CHECK(source.log().count("source", dst::call_kind::change_stamp) == 6);
        CHECK(source.log().count("source", dst::call_kind::get) == 0);
        CHECK(same_content(inner_source, target));
    }

    static_assert(ds::change_stamped_store<changing_source>);
    for (const auto conflict : {ds::conflict_rule::keep_target, ds::conflict_rule::overwrite}) {
        kv inner_source, target;
        fill(inner_source, 25);
        changing_source source{inner_source, [&] {
                                   inner_source.put("k00004", "live");
                                   inner_source.erase("k00007");
                               }};
        const auto report = ds::backfill(source, target, {.batch_size = 10, .conflict = conflict});
        CHECK(source.scans == 4);  // the first page twice
        CHECK(report.corrected == 2);
        CHECK(target.get("k00004") == "live");
        CHECK(target.get("k00007") == std::nullopt);  // not brought back
        CHECK(same_content(inner_source, target));

        kv unstamped_target;
        changing_source failing{inner_source, {}, true};
        const auto again = ds::backfill(failing, unstamped_target, {.batch_size = 10});
        CHECK(again.failed == 0);
        CHECK(failing.scans == 6);  // each page confirmed by a second scan
        CHECK(same_content(inner_source, unstamped_target));
    }
}

TEST_CASE(
    "backfill: a record near its source expiry is re-read after its copy (it may expire "
    "meanwhile, which no stamp shows), one far from it is confirmed by the stamp",
    "[backfill][expiry][stamp]") {
    using namespace std::chrono_literals;
    for (const auto conflict : {ds::conflict_rule::keep_target, ds::conflict_rule::overwrite}) {
        CAPTURE(conflict);
        auto now = ds::expiry_clock::time_point(std::chrono::hours(400'000));
        kv inner_source{[&] { return now; }};
        inner_source.put("far", "v", 1h);
        inner_source.put("near", "v", 2s);  // within expiry_margin (10 s)
        dst::recording_store source{inner_source, "source"};
        bool write_took_time = false;  // the target's first call takes 3 s
        kv target{[&] {
            if (!std::exchange(write_took_time, true)) now += 3s;
            return now;
        }};
        const ds::backfill_options options{
            .batch_size = 10, .conflict = conflict, .clock = {.wall = [&] { return now; }}};
        const auto report = ds::backfill(source, target, options);
        CHECK(report.written == 2);
        CHECK(report.corrected == 1);
        CHECK(target.get("near") == std::nullopt);  // expired in the source during its copy
        CHECK(target.get("far") == "v");
        CHECK(source.log().count("source", dst::call_kind::scan) == 2);  // the page re-read

        kv far_only_source{[&] { return now; }}, far_target{[&] { return now; }};
        for (int i = 0; i < 5; ++i) far_only_source.put(fmt::format("k{}", i), "v", 1h);
        dst::recording_store far_source{far_only_source, "source"};
        CHECK(ds::backfill(far_source, far_target, options).written == 5);
        CHECK(far_source.log().count("source", dst::call_kind::scan) == 1);  // no re-read
        CHECK(far_source.log().count("source", dst::call_kind::get) == 0);
        CHECK(far_target.expiry("k3") == now + 1h);
    }
}

TEST_CASE(
    "backfill: a source with batches but no key order confirms a page with one get_many, and "
    "corrects what changed meanwhile",
    "[backfill][batch][stamp]") {
    static_assert(ds::batch_store<unordered_changing_source>);
    static_assert(!ds::key_ordered_store<unordered_changing_source>);
    for (const auto conflict : {ds::conflict_rule::keep_target, ds::conflict_rule::overwrite}) {
        kv inner_source, target;
        fill(inner_source, 25);
        unordered_changing_source source{{inner_source, [&] {
                                              inner_source.put("k00004", "live");
                                              inner_source.erase("k00007");
                                          }}};
        const auto report = ds::backfill(source, target, {.batch_size = 10, .conflict = conflict});
        CHECK(source.scans == 3);      // no page twice
        CHECK(source.get_manys == 1);  // only the first page's stamp moved
        CHECK(report.corrected == 2);
        CHECK(target.get("k00004") == "live");
        CHECK(target.get("k00007") == std::nullopt);  // not brought back
        CHECK(same_content(inner_source, target));
    }
}

TEST_CASE(
    "backfill: records with a time to live go in the page's batch with their expiries, in "
    "every conflict rule",
    "[backfill][batch][expiry]") {
    for (const auto conflict : {ds::conflict_rule::keep_target, ds::conflict_rule::overwrite,
                                ds::conflict_rule::newer_wins}) {
        CAPTURE(conflict);
        auto now = ds::expiry_clock::time_point(std::chrono::hours(400'000));
        const auto clock = [&] { return now; };
        kv source{clock}, inner{clock};
        for (int i = 0; i < 25; ++i) {
            const auto key = fmt::format("k{:05}", i);
            if (i % 2 == 0) {
                source.put(key, "v", std::chrono::minutes(i + 1));
            } else {
                source.put(key, "v");
            }
        }
        dst::recording_store target{inner, "target"};
        const ds::backfill_options options{
            .batch_size = 10, .conflict = conflict, .clock = {.wall = clock}};
        const auto report = conflict == ds::conflict_rule::newer_wins
                                ? ds::backfill(source, target, options, version_mapping{})
                                : ds::backfill(source, target, options);
        CHECK(report.written == 25);
        CHECK(report.failed == 0);
        const auto& log = target.log();
        CHECK(log.count("target", dst::call_kind::put_many) +
                  log.count("target", dst::call_kind::put_many_if_absent) ==
              3);
        for (const auto one_at_a_time :
             {dst::call_kind::put, dst::call_kind::put_ttl, dst::call_kind::put_if_absent,
              dst::call_kind::put_if_absent_ttl}) {
            CHECK(log.count("target", one_at_a_time) == 0);
        }
        for (int i = 0; i < 25; ++i) {
            const auto key = fmt::format("k{:05}", i);
            CHECK(inner.expiry(key) == source.expiry(key));
        }
    }
}
