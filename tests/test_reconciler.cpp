// kv_reconciler, reconcile_harness, promotion_tracker and the lease locks.

#include "support.hpp"

#include <dualstore/detail/key_sample_builder.hpp>
#include <dualstore/kv_lease_lock.hpp>
#include <dualstore/memory_lease_lock.hpp>
#include <dualstore/reconcile/harness.hpp>
#include <dualstore/reconcile/kv_reconciler.hpp>

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

/// Two stores with `n` equal keys, then the given drift.
struct drifted_pair {
    kv primary, secondary;
    explicit drifted_pair(int n) {
        for (int i = 0; i < n; ++i) {
            const auto key = fmt::format("k{:06}", i);
            primary.put(key, "v");
            secondary.put(key, "v");
        }
    }
};

/// Counts the items of every scan page, to prove memory stays bounded.
struct page_counting_store {
    using key_type = std::string;
    using mapped_type = std::string;
    using cursor_type = kv::cursor_type;
    kv& inner;
    std::size_t largest_page = 0;
    std::optional<std::string> get(const std::string& k) { return inner.get(k); }
    void put(const std::string& k, const std::string& v) { inner.put(k, v); }
    bool erase(const std::string& k) { return inner.erase(k); }
    auto scan(const cursor_type& c, std::size_t n) {
        auto page = inner.scan(c, n);
        largest_page = std::max(largest_page, page.items.size());
        return page;
    }
};

/// A page_counting_store that also draws key samples itself, from its kv.
struct sampling_store : page_counting_store {
    ds::key_hash_sample sample_keys(std::uint64_t salt, std::size_t n) {
        return inner.sample_keys(salt, n);
    }
};

/// A store over a kv that counts what is read from it; `Ordered` says
/// whether it claims key-ordered scans (a kv's are). No batch operations.
template <bool Ordered>
struct counting_store {
    using key_type = std::string;
    using mapped_type = std::string;
    using cursor_type = kv::cursor_type;
    static constexpr bool scans_in_key_order = Ordered;

    kv& inner;
    std::size_t gets = 0;          ///< get() calls
    std::size_t scanned = 0;       ///< items returned by scans
    std::size_t largest_page = 0;  ///< the most items one scan call returned

    std::optional<std::string> get(const std::string& k) {
        ++gets;
        return inner.get(k);
    }
    void put(const std::string& k, const std::string& v) { inner.put(k, v); }
    bool erase(const std::string& k) { return inner.erase(k); }
    auto scan(const cursor_type& c, std::size_t n) {
        auto page = inner.scan(c, n);
        scanned += page.items.size();
        largest_page = std::max(largest_page, page.items.size());
        return page;
    }
    static std::string encode_cursor(const cursor_type& c) { return kv::encode_cursor(c); }
    static cursor_type decode_cursor(std::string_view b) { return kv::decode_cursor(b); }
};
using ordered_store = counting_store<true>;
using unordered_store = counting_store<false>;
static_assert(ds::key_ordered_store<ordered_store>);
static_assert(!ds::key_ordered_store<unordered_store>);

struct event_counter {
    std::size_t runs = 0, drifts = 0, promotions = 0, breaches = 0;
    void on(const ds::observe::reconcile_run_event& e) {
        ++runs;
        breaches += e.breach ? 1 : 0;
    }
    void on(const ds::observe::drift_event&) { ++drifts; }
    void on(const ds::observe::promotion_event&) { ++promotions; }
};

}  // namespace

TEST_CASE("kv_reconciler: finds every kind of drift with the right reason and VDiff counts",
          "[reconcile]") {
    drifted_pair stores(50);
    stores.secondary.erase("k000001");            // missing in secondary
    stores.secondary.put("only-secondary", "x");  // missing in primary
    stores.secondary.put("k000002", "changed");   // values differ
    ds::kv_reconciler r{stores.primary, stores.secondary, {.name = "orders", .seed = 7}};
    static_assert(ds::reconciler<decltype(r)>);

    const auto keys = r.list_sample_keys(ds::reconcile_mode::full, 1000);
    CHECK(keys.size() == 51);  // 50 + the secondary's extra key
    CHECK(r.population() == 51);
    std::map<std::string, ds::drift_reason> found;
    for (const auto& key : keys) {
        const auto verdict = r.reconcile(key);
        if (!verdict.in_sync) found[key] = verdict.reason;
    }
    CHECK(found == std::map<std::string, ds::drift_reason>{
                       {"k000001", ds::drift_reason::missing_in_secondary},
                       {"k000002", ds::drift_reason::values_differ},
                       {"only-secondary", ds::drift_reason::missing_in_primary}});
    CHECK(r.counts() == ds::vdiff_counts{.matching = 48,
                                         .mismatched = 1,
                                         .extra_in_primary = 1,
                                         .extra_in_secondary = 1,
                                         .errors = 0});
}

TEST_CASE("kv_reconciler: samples uniformly in bounded memory and caps full runs", "[reconcile]") {
    drifted_pair stores(5000);
    page_counting_store primary{stores.primary};
    ds::kv_reconciler r{primary, stores.secondary, {.seed = 1, .batch_size = 64}};
    const auto sample = r.list_sample_keys(ds::reconcile_mode::sampled, 100);
    CHECK(sample.size() == 100);
    CHECK(std::set<std::string>(sample.begin(), sample.end()).size() == 100);
    CHECK(primary.largest_page <= 64);
    // Uniform: keys come from the whole range, not only its start.
    CHECK(std::ranges::count_if(sample, [](const auto& k) { return k >= "k002500"; }) > 20);
    CHECK(r.list_sample_keys(ds::reconcile_mode::full, 300).size() == 300);
}

TEST_CASE(
    "kv_reconciler: stores that sample on their server give the sample a scan gives, without "
    "being scanned, alone or beside a store that is scanned",
    "[reconcile][sampled]") {
    drifted_pair stores(5000);
    for (int i = 0; i < 300; ++i) stores.secondary.put(fmt::format("s{:04}", i), "x");
    for (int i = 0; i < 5000; i += 7) stores.primary.erase(fmt::format("k{:06}", i));
    static_assert(ds::key_sampling_store<kv> && ds::key_sampling_store<sampling_store>);
    static_assert(!ds::key_sampling_store<page_counting_store>);
    page_counting_store plain_primary{stores.primary}, plain_secondary{stores.secondary};
    sampling_store native_primary{{stores.primary}}, native_secondary{{stores.secondary}};
    ds::kv_reconciler scanned{plain_primary, plain_secondary, {.seed = 9}};
    ds::kv_reconciler native{native_primary, native_secondary, {.seed = 9}};
    ds::kv_reconciler mixed{native_primary, plain_secondary, {.seed = 9}};
    for (const std::size_t budget : {0U, 1U, 50U, 20'000U}) {
        const auto expected = scanned.list_sample_keys(ds::reconcile_mode::sampled, budget);
        CHECK(native.list_sample_keys(ds::reconcile_mode::sampled, budget) == expected);
        CHECK(native.population() == scanned.population());
        CHECK(mixed.list_sample_keys(ds::reconcile_mode::sampled, budget) == expected);
        CHECK(mixed.population() == scanned.population());
    }
    CHECK(native_primary.largest_page == 0);  // never scanned
    CHECK(native_secondary.largest_page == 0);
    CHECK(plain_secondary.largest_page > 0);
}

TEST_CASE(
    "key_sample_builder: a key offered twice (a scan that repeats keys) is sampled once, "
    "and the sample is the smallest hashes ascending",
    "[reconcile][sampled]") {
    ds::detail::key_sample_builder once(5, 3), twice(5, 3);
    std::vector<std::string> keys;
    for (int i = 0; i < 40; ++i) keys.push_back(fmt::format("key{}", i));
    for (const auto& k : keys) once.offer(k);
    for (const auto& k : keys) twice.offer(k);
    for (const auto& k : keys) twice.offer(k);
    const auto expected = std::move(once).done();
    const auto repeated = std::move(twice).done();
    CHECK(repeated.smallest == expected.smallest);
    CHECK(repeated.keys == 80);  // offers, as documented
    REQUIRE(expected.smallest.size() == 3);
    CHECK(std::ranges::is_sorted(expected.smallest));
    for (const auto& k : keys) CHECK(ds::key_sample_hash(k, 5) >= expected.smallest[0].first);

    // Fewer distinct keys than the sample holds: repeats are not counted.
    ds::detail::key_sample_builder all(5, 64);
    for (const auto& k : keys) all.offer(k);
    for (const auto& k : keys) all.offer(k);
    CHECK(all.distinct() == 40);
    const auto whole = std::move(all).done();
    CHECK(whole.keys == 40);
    CHECK(whole.smallest.size() == 40);
}

TEST_CASE(
    "key_sample_builder: merging two stores' samples keeps the bottom-k of their union and "
    "counts a key both hold once",
    "[reconcile][sampled]") {
    ds::detail::key_sample_builder left(9, 8), right(9, 8), both(9, 8), union_(9, 8);
    for (int i = 0; i < 30; ++i) {
        const auto k = fmt::format("key{}", i);
        if (i < 20) left.offer(k);
        if (i >= 10) right.offer(k);
        union_.offer(k);
    }
    both.merge(std::move(left).done());
    both.merge(std::move(right).done());
    CHECK(std::move(both).done().smallest == std::move(union_).done().smallest);

    // Within the budget the union's size is exact.
    ds::detail::key_sample_builder small_left(9, 64), small_right(9, 64), small(9, 64);
    for (int i = 0; i < 20; ++i) small_left.offer(fmt::format("key{}", i));
    for (int i = 10; i < 30; ++i) small_right.offer(fmt::format("key{}", i));
    small.merge(std::move(small_left).done());
    small.merge(std::move(small_right).done());
    CHECK(small.distinct() == 30);
}

TEST_CASE("kv_reconciler: optional repair from the primary, errors counted not thrown",
          "[reconcile]") {
    drifted_pair stores(5);
    stores.secondary.put("k000000", "stale");
    ds::kv_reconciler repairing{stores.primary, stores.secondary, {.repair = true}};
    const auto verdict = repairing.reconcile("k000000");
    CHECK_FALSE(verdict.in_sync);
    CHECK(verdict.repaired);
    CHECK(stores.secondary.get("k000000") == "v");

    flaky broken{stores.secondary};
    broken.fail_always();
    ds::kv_reconciler failing{stores.primary, broken};
    const auto error = failing.reconcile("k000001");
    CHECK(error.reason == ds::drift_reason::error);
    CHECK_THAT(error.detail, Catch::Matchers::Contains("injected fault"));
    CHECK(failing.counts().errors == 1);
}

TEMPLATE_TEST_CASE(
    "kv_reconciler full pass: checks every key of both stores in bounded memory, "
    "beyond any budget",
    "[reconcile][full]", ordered_store, unordered_store) {
    drifted_pair stores(2'000);
    stores.secondary.put("k001500", "drift");  // far past the first 10%
    stores.secondary.erase("k001900");
    stores.secondary.put("k999999", "only-secondary");
    TestType primary{stores.primary}, secondary{stores.secondary};
    ds::kv_reconciler r{primary, secondary, {.batch_size = 64}};
    CHECK(r.merges == ds::key_ordered_store<TestType>);

    std::map<std::string, ds::drift_reason> drift;
    std::size_t verdicts = 0;
    const auto pass = r.full_pass([&](const ds::sample_result& v) {
        ++verdicts;
        if (!v.in_sync) drift[v.key] = v.reason;
    });
    CHECK(pass.complete);
    CHECK(pass.checked == 2'001);  // 2000 keys and the secondary's extra one, each once
    CHECK(verdicts == 2'001);
    CHECK(drift == std::map<std::string, ds::drift_reason>{
                       {"k001500", ds::drift_reason::values_differ},
                       {"k001900", ds::drift_reason::missing_in_secondary},
                       {"k999999", ds::drift_reason::missing_in_primary}});
    CHECK(r.counts() ==
          ds::vdiff_counts{
              .matching = 1'998, .mismatched = 1, .extra_in_primary = 1, .extra_in_secondary = 1});
    CHECK(primary.largest_page <= 64);  // one page of each store at a time
    CHECK(secondary.largest_page <= 64);
    if constexpr (ds::key_ordered_store<TestType>) {
        // A merge reads each store once and looks up only the 3 drifted keys.
        CHECK(primary.gets == 3);
        CHECK(secondary.gets == 3);
        CHECK(primary.scanned == 2'000);
        CHECK(secondary.scanned == 2'000);
    } else {
        // Paging looks every key up in the other store (no batch operations here).
        CHECK(secondary.gets == 2'000 + 3);
        CHECK(primary.gets == 2'000 + 3);
    }
    WARN(fmt::format("full pass over 2001 keys ({}): gets {} + {}, scanned {} + {}",
                     r.merges ? "merge" : "paged", primary.gets, secondary.gets, primary.scanned,
                     secondary.scanned));
}

TEMPLATE_TEST_CASE(
    "kv_reconciler full pass: stops after max_keys and resumes from the "
    "checkpoint, in this object or another",
    "[reconcile][full][checkpoint]", ordered_store, unordered_store) {
    drifted_pair stores(1'000);
    for (int i = 0; i < 1'000; i += 7) stores.secondary.put(fmt::format("k{:06}x", i), "extra");
    TestType primary{stores.primary}, secondary{stores.secondary};
    const std::size_t total = 1'000 + 143;
    std::multiset<std::string> checked;
    const auto collect = [&](const ds::sample_result& v) { checked.insert(v.key); };

    ds::kv_reconciler first{primary, secondary, {.batch_size = 50}};
    auto pass = first.full_pass(collect, 300);
    CHECK_FALSE(pass.complete);
    CHECK(pass.scanned == 300);
    CHECK(first.full_pass_pending());
    CHECK(pass.last_key == *checked.rbegin());
    pass = first.full_pass(collect, 300);
    CHECK_FALSE(pass.complete);

    // Another process continues from the saved checkpoint.
    const auto saved = first.checkpoint();
    REQUIRE(saved);
    ds::kv_reconciler second{primary, secondary, {.batch_size = 50}};
    second.resume_full_pass(*saved);
    do {
        pass = second.full_pass(collect, 300);
    } while (!pass.complete);
    CHECK_FALSE(second.full_pass_pending());
    CHECK_FALSE(second.checkpoint());
    CHECK(checked.size() == total);  // every key checked exactly once over the calls
    CHECK(std::set<std::string>(checked.begin(), checked.end()).size() == total);

    // After a complete pass the next call starts a new one.
    checked.clear();
    CHECK(second.full_pass(collect).checked == total);
    CHECK_THROWS_AS(second.resume_full_pass("garbage"), ds::error);
}

TEST_CASE(
    "reconcile_harness: full runs stop after full_pass_keys and the next run of any "
    "instance continues from the checkpoint in the state store",
    "[reconcile][full][checkpoint]") {
    drifted_pair stores(1'000);
    stores.secondary.put("k000900", "drift");
    kv state;
    ordered_store primary{stores.primary}, secondary{stores.secondary};
    ds::kv_reconciler r1{primary, secondary, {.name = "orders"}};
    ds::kv_reconciler r2{primary, secondary, {.name = "orders"}};
    const ds::reconcile_options options{.full_pass_keys = 400};
    ds::reconcile_harness h1{state, options, ds::observe::none{}, r1};
    ds::reconcile_harness h2{state, options, ds::observe::none{}, r2};
    auto report = h1.run(ds::reconcile_mode::full).reports.at(0);
    CHECK(report.sampled == 400);
    CHECK_FALSE(report.complete);
    CHECK(report.checkpoint == "k000399");
    CHECK_THAT(fmt::format("{}", report), Catch::Matchers::EndsWith("pass continues next run"));
    CHECK(state.get("dualstore:checkpoint:orders"));
    report = h2.run(ds::reconcile_mode::full).reports.at(0);  // the other instance continues
    CHECK(report.sampled == 400);
    CHECK(report.checkpoint == "k000799");
    report = h1.run(ds::reconcile_mode::full).reports.at(0);
    CHECK(report.sampled == 200);
    CHECK(report.complete);
    CHECK(report.drifted == 1);
    CHECK(report.drift.at(0).key == "k000900");
    CHECK_FALSE(state.get("dualstore:checkpoint:orders"));
    CHECK(h2.run(ds::reconcile_mode::full).reports.at(0).sampled == 400);  // a new pass
}

TEST_CASE("reconcile_harness: progress events every 1000 keys and at the end of a run",
          "[reconcile][full][progress]") {
    drifted_pair stores(2'500);
    stores.secondary.put("k000900", "drift");
    kv state;
    ordered_store primary{stores.primary}, secondary{stores.secondary};
    ds::kv_reconciler r{primary, secondary, {.name = "orders"}};
    struct recorder {
        std::vector<ds::observe::progress_event> seen;
        void on(const ds::observe::progress_event& e) { seen.push_back(e); }
    } progress;
    ds::reconcile_harness h{state, ds::reconcile_options{}, ds::observe::with(progress), r};
    h.run(ds::reconcile_mode::full);
    REQUIRE(progress.seen.size() == 3);
    CHECK(progress.seen[0].task == "reconcile");
    CHECK(progress.seen[0].done == 1000);
    CHECK(progress.seen[1].done == 2000);
    CHECK_FALSE(progress.seen[1].finished);
    CHECK(progress.seen[2].finished);
    CHECK(progress.seen[2].done == 2500);
    CHECK(progress.seen[2].changed == 1);
    CHECK(progress.seen[2].changed_as == "drifted");
}

namespace {
/// Claims key-ordered scans, returns "b" before "a".
struct misordered {
    using key_type = std::string;
    using mapped_type = std::string;
    using cursor_type = kv::cursor_type;
    static constexpr bool scans_in_key_order = true;
    std::optional<std::string> get(const std::string&) { return "v"; }
    void put(const std::string&, const std::string&) {}
    bool erase(const std::string&) { return false; }
    ds::scan_page<std::string, std::string, cursor_type> scan(const cursor_type&, std::size_t) {
        return {{{"b", "v"}, {"a", "v"}}, std::nullopt};
    }
};
}  // namespace

TEST_CASE(
    "kv_reconciler: a store that claims key-ordered scans and breaks the claim is an "
    "error, not a wrong answer",
    "[reconcile][full]") {
    misordered wrong;
    kv backing;
    ordered_store other{backing};
    ds::kv_reconciler r{wrong, other};
    CHECK_THROWS_WITH(r.full_pass([](const ds::sample_result&) {}),
                      Catch::Matchers::Contains("not in key order"));
}

TEST_CASE(
    "kv_reconciler sampled pass: a uniform sample of the keys of either store, looked up "
    "only for the keys checked",
    "[reconcile][sampled]") {
    drifted_pair stores(10'000);
    unordered_store primary{stores.primary}, secondary{stores.secondary};
    kv state;
    ds::kv_reconciler r{primary, secondary, {.seed = 5}};
    ds::reconcile_harness h{state, ds::reconcile_options{.seed = 1}, ds::observe::none{}, r};
    const auto report = h.run(ds::reconcile_mode::sampled).reports.at(0);
    CHECK(report.sampled == 100);  // 1% of 10000
    CHECK(r.population() == 10'000);
    CHECK(primary.gets == 100);  // one get per key checked, none while sampling
    CHECK(secondary.gets == 100);
    WARN(fmt::format("sampled pass of 100 keys over 10000: {} + {} gets", primary.gets,
                     secondary.gets));

    SECTION("keys only the secondary has are as likely as any other") {
        for (int i = 0; i < 10'000; ++i) stores.secondary.put(fmt::format("s{:06}", i), "x");
        const auto sample = r.list_sample_keys(ds::reconcile_mode::sampled, 2'000);
        // Distinct keys (estimated past the budget), not the 10000 in both counted twice.
        CHECK(r.population() > 18'000);
        CHECK(r.population() < 22'000);
        const auto only_secondary =
            std::ranges::count_if(sample, [](const std::string& k) { return k.starts_with("s"); });
        CHECK(only_secondary > 850);    // half of 2000 expected; a double weight for keys in
        CHECK(only_secondary < 1'150);  // both stores would give a third
    }
    SECTION("within the budget the population is exact; past it, estimated") {
        std::ignore = r.list_sample_keys(ds::reconcile_mode::sampled, 10'000);
        CHECK(r.population() == 10'000);
        const auto sample = r.list_sample_keys(ds::reconcile_mode::sampled, 1'000);
        CHECK(sample.size() == 1'000);
        CHECK(std::set<std::string>(sample.begin(), sample.end()).size() == 1'000);
        CHECK(r.population() > 9'000);
        CHECK(r.population() < 11'000);
    }
}

TEST_CASE("kv_reconciler: counts() are the current run's, total_counts() everything",
          "[reconcile]") {
    drifted_pair stores(100);
    stores.secondary.put("k000007", "drift");
    ds::kv_reconciler r{stores.primary, stores.secondary};
    const auto ignore = [](const ds::sample_result&) {};
    r.full_pass(ignore);
    const ds::vdiff_counts one_run{.matching = 99, .mismatched = 1};
    CHECK(r.counts() == one_run);
    r.full_pass(ignore);
    CHECK(r.counts() == one_run);
    CHECK(r.total_counts() == ds::vdiff_counts{.matching = 198, .mismatched = 2});
    for (const auto& key : r.list_sample_keys(ds::reconcile_mode::sampled, 10)) r.reconcile(key);
    CHECK(r.counts().matching + r.counts().mismatched == 10);
}

TEST_CASE("kv_reconciler: repair_with repairs through the live store, under its key lock",
          "[reconcile][repair]") {
    kv a, b;
    ds::memory_retry_queue queue;
    ds::dual_store store{a, b, ds::write::sequential{}, ds::on_secondary_failure{queue}};
    for (const auto* key : {"k1", "k2", "k3"}) store.put(key, "v");
    b.put("k2", "stale");
    b.put("only-b", "x");
    std::vector<std::string> repaired;
    const auto under_lock = [&](const std::string& k) {
        const auto held = store.lock_key(k);
        // The key is held as a live write holds it: a write to it now would wait
        // (from this thread it throws instead of deadlocking).
        CHECK_THROWS_AS(store.put(k, "concurrent"), ds::error);
        repaired.push_back(k);
        return ds::repair_key(a, b, k);
    };
    ds::kv_reconciler r{a, b, {.repair = true, .repair_with = under_lock}};
    std::vector<ds::sample_result> drift;
    const auto pass = r.full_pass([&](const ds::sample_result& v) {
        if (!v.in_sync) drift.push_back(v);
    });
    CHECK(pass.checked == 4);
    CHECK(repaired == std::vector<std::string>{"k2", "only-b"});
    REQUIRE(drift.size() == 2);
    CHECK(drift[0].repaired);
    CHECK(drift[1].repaired);
    CHECK(b.get("k2") == "v");
    CHECK_FALSE(b.get("only-b"));
    CHECK(r.full_pass([](const ds::sample_result& v) { CHECK(v.in_sync); }).checked == 3);

    // A repair that throws is reported in the verdict, not thrown.
    b.put("k3", "stale");
    ds::kv_reconciler failing{
        a, b, {.repair = true, .repair_with = [](const std::string&) -> ds::repair_action {
                   throw permanent_error("the store is read-only");
               }}};
    const auto verdict = failing.reconcile("k3");
    CHECK_FALSE(verdict.repaired);
    CHECK_THAT(verdict.detail, Catch::Matchers::Contains("repair failed: the store is read-only"));
}

TEST_CASE("digest_equal: compares by digest", "[reconcile]") {
    CHECK(ds::digest_equal{}("abc", "abc"));
    CHECK_FALSE(ds::digest_equal{}("abc", "abd"));
    drifted_pair stores(3);
    stores.secondary.put("k000001", "w");
    ds::kv_reconciler r{stores.primary, stores.secondary, {}, ds::digest_equal{}};
    CHECK(r.reconcile("k000001").reason == ds::drift_reason::values_differ);
}

TEST_CASE("reconcile_harness: fraction, floor and budget decide the sample size", "[reconcile]") {
    drifted_pair stores(10'000);
    kv state;
    ds::kv_reconciler r{stores.primary, stores.secondary, {.seed = 3}};
    SECTION("1% of 10000") {
        ds::reconcile_harness h{state, ds::reconcile_options{.seed = 1}, ds::observe::none{}, r};
        CHECK(h.run(ds::reconcile_mode::sampled).reports.at(0).sampled == 100);
    }
    SECTION("the floor when 1% is fewer") {
        ds::reconcile_harness h{state, ds::reconcile_options{.fraction = 0.0001, .seed = 1},
                                ds::observe::none{}, r};
        CHECK(h.run(ds::reconcile_mode::sampled).reports.at(0).sampled == 20);
    }
    SECTION("the budget caps sampled runs; a full run checks every key") {
        ds::reconcile_harness h{state,
                                ds::reconcile_options{.fraction = 0.5, .budget = 300, .seed = 1},
                                ds::observe::none{}, r};
        CHECK(h.run(ds::reconcile_mode::sampled).reports.at(0).sampled == 300);
        CHECK(h.run(ds::reconcile_mode::full).reports.at(0).sampled == 10'000);
    }
}

TEST_CASE(
    "reconcile_harness: breach after 2 consecutive breaching runs, promotion after clean "
    "runs, events for each",
    "[reconcile][promotion]") {
    drifted_pair stores(100);
    kv state;
    event_counter events;
    ds::kv_reconciler r{stores.primary, stores.secondary, {.name = "orders"}};
    ds::reconcile_harness h{
        state,
        ds::reconcile_options{
            .rule = {.threshold = 0.001, .breaches_to_alert = 2, .clean_runs_to_promote = 2}},
        ds::observe::with(events), r};
    const auto full = [&] { return h.run(ds::reconcile_mode::full).reports.at(0); };

    CHECK(full().state == ds::promotion_state::observing);
    CHECK(full().state == ds::promotion_state::ready_to_promote);
    stores.secondary.put("k000010", "drift");
    auto report = full();
    CHECK(report.drifted == 1);
    CHECK(report.breach);
    CHECK(report.state == ds::promotion_state::breached);  // one breach: not yet an alert
    CHECK(report.drift.at(0).key == "k000010");
    CHECK(full().state == ds::promotion_state::alerting);  // two in a row
    stores.secondary.put("k000010", "v");
    CHECK(full().state == ds::promotion_state::observing);
    stores.secondary.put("k000010", "drift");
    CHECK(full().state == ds::promotion_state::breached);  // alternating never alerts
    stores.secondary.put("k000010", "v");
    CHECK(full().state == ds::promotion_state::observing);
    CHECK(events.runs == 7);
    CHECK(events.breaches == 3);
    CHECK(events.drifts == 3);
    CHECK(events.promotions == 6);  // every change of state
    CHECK_THAT(fmt::format("{}", report),
               Catch::Matchers::StartsWith("orders: sampled 100, drifted 1"));
}

TEST_CASE("promotion_tracker: the state survives a restart and a corrupt state is an error",
          "[promotion]") {
    kv state;
    {
        ds::promotion_tracker tracker{state, "orders", ds::breach_rule{.breaches_to_alert = 2}};
        tracker.record(true);
        CHECK(tracker.state() == ds::promotion_state::breached);
    }
    ds::promotion_tracker resumed{state, "orders", ds::breach_rule{.breaches_to_alert = 2}};
    CHECK(resumed.state() == ds::promotion_state::breached);
    CHECK(resumed.consecutive_breaches() == 1);
    CHECK(resumed.record(true) == ds::promotion_state::alerting);

    state.put("dualstore:promotion:bad", "garbage");
    CHECK_THROWS_AS((ds::promotion_tracker{state, "bad"}), ds::error);
}

TEST_CASE("promotion_tracker: two trackers over one state store count every run of either",
          "[promotion]") {
    kv state;
    const ds::breach_rule rule{.breaches_to_alert = 2, .clean_runs_to_promote = 3};
    ds::promotion_tracker a{state, "orders", rule};
    ds::promotion_tracker b{state, "orders", rule};
    CHECK(a.record(false) == ds::promotion_state::observing);
    CHECK(b.record(false) == ds::promotion_state::observing);
    CHECK(b.clean_streak() == 2);
    CHECK(a.record(false) == ds::promotion_state::ready_to_promote);  // the third clean run
    CHECK(a.clean_streak() == 3);
    CHECK(b.stored_state() == ds::promotion_state::ready_to_promote);
    CHECK(b.state() == ds::promotion_state::observing);  // b's own view, as of its last record

    // Breaches split over the two count as consecutive too.
    CHECK(b.record(true) == ds::promotion_state::breached);
    CHECK(a.record(true) == ds::promotion_state::alerting);
    CHECK(a.consecutive_breaches() == 2);
}

TEST_CASE(
    "reconcile_harness: two instances over one state store and lease build one clean "
    "streak",
    "[reconcile][promotion][lease]") {
    drifted_pair stores(50);
    kv state;
    ds::kv_lease_lock lock{state};
    ds::kv_reconciler r1{stores.primary, stores.secondary, {.name = "orders", .seed = 1}};
    ds::kv_reconciler r2{stores.primary, stores.secondary, {.name = "orders", .seed = 2}};
    const ds::reconcile_options options{.rule = {.clean_runs_to_promote = 3}, .seed = 1};
    event_counter events1, events2;
    ds::reconcile_harness h1{state, options, ds::observe::with(events1), r1};
    ds::reconcile_harness h2{state, options, ds::observe::with(events2), r2};
    h1.guarded_by(lock);
    h2.guarded_by(lock);
    CHECK(h1.run(ds::reconcile_mode::sampled).reports.at(0).state ==
          ds::promotion_state::observing);
    CHECK(h2.run(ds::reconcile_mode::sampled).reports.at(0).state ==
          ds::promotion_state::observing);
    CHECK(h1.run(ds::reconcile_mode::sampled).reports.at(0).state ==
          ds::promotion_state::ready_to_promote);  // three clean runs in a row, over two instances
    CHECK(h2.state(0) == ds::promotion_state::ready_to_promote);
    CHECK(events1.promotions + events2.promotions == 1);  // observing -> ready_to_promote, once
}

TEST_CASE("reconcile_harness: a run whose lease is held elsewhere is skipped and says why",
          "[reconcile][lease]") {
    drifted_pair stores(10);
    kv state;
    ds::memory_lease_lock lock;
    ds::kv_reconciler r{stores.primary, stores.secondary};
    ds::reconcile_harness h{state, ds::reconcile_options{}, ds::observe::none{}, r};
    h.guarded_by(lock);
    const auto other = lock.try_acquire("dualstore:reconcile", std::chrono::minutes(1));
    REQUIRE(other);
    const auto skipped = h.run(ds::reconcile_mode::sampled);
    CHECK(skipped.skipped);
    CHECK_THAT(skipped.reason, Catch::Matchers::Contains("held by another instance"));
    CHECK(skipped.reports.empty());
    CHECK(lock.release(*other));
    const auto ran = h.run(ds::reconcile_mode::sampled);
    CHECK_FALSE(ran.skipped);
    CHECK(ran.reports.size() == 1);
    // The harness released its lease after the run.
    CHECK(lock.try_acquire("dualstore:reconcile", std::chrono::minutes(1)));
}

namespace {

/// A reconciler whose listing throws while `broken` is set.
struct breaking_reconciler {
    bool broken = true;
    std::string_view name() const { return "breaking"; }
    std::vector<std::string> list_sample_keys(ds::reconcile_mode, std::size_t) {
        if (broken) throw permanent_error("the primary's scan failed");
        return {"a"};
    }
    ds::sample_result reconcile(const std::string& key) { return {key, true, {}, {}, false}; }
};

}  // namespace

TEST_CASE("reconcile_harness: a run that throws releases its lease at once and says so",
          "[reconcile][lease]") {
    drifted_pair stores(10);
    kv state;
    ds::memory_lease_lock lock;
    ds::kv_reconciler fine{stores.primary, stores.secondary, {.name = "fine"}};
    breaking_reconciler breaking;
    static_assert(ds::reconciler<breaking_reconciler>);
    ds::reconcile_harness failing{state, ds::reconcile_options{}, ds::observe::none{}, fine,
                                  breaking};
    failing.guarded_by(lock);

    const auto thrown = thrown_by([&] { failing.run(ds::reconcile_mode::sampled); });
    REQUIRE(thrown);
    try {
        std::rethrow_exception(thrown);
    } catch (const ds::reconcile_failed& e) {
        CHECK(e.reconciler() == "breaking");
        CHECK(e.lease_released());
        CHECK_THAT(e.what(), Catch::Matchers::Contains("the primary's scan failed") &&
                                 Catch::Matchers::Contains("'dualstore:reconcile' was released"));
        CHECK(e.completed().size() == 1);  // "fine" ran first and reported
        CHECK(e.completed().at(0).name == "fine");
        CHECK_THROWS_AS(std::rethrow_if_nested(e), permanent_error);
        CHECK_THROWS_AS(std::rethrow_exception(e.cause()), permanent_error);
    }

    // Another instance runs now, not in 30 minutes.
    ds::kv_reconciler other{stores.primary, stores.secondary, {.name = "fine"}};
    ds::reconcile_harness next{state, ds::reconcile_options{}, ds::observe::none{}, other};
    next.guarded_by(lock);
    const auto run = next.run(ds::reconcile_mode::sampled);
    CHECK_FALSE(run.skipped);
    CHECK(run.reports.size() == 1);
    CHECK(run.lease_error.empty());

    // Without a lease the failure still propagates, and says no lease was held.
    ds::reconcile_harness unguarded{state, ds::reconcile_options{}, ds::observe::none{}, breaking};
    try {
        unguarded.run(ds::reconcile_mode::full);
        FAIL("the run should have thrown");
    } catch (const ds::reconcile_failed& e) {
        CHECK_FALSE(e.lease_released());
        CHECK_THAT(e.what(), Catch::Matchers::Contains("no lease was held"));
    }
}

TEST_CASE(
    "reconcile_harness: a run whose lease could not be released says so and keeps its "
    "reports",
    "[reconcile][lease]") {
    drifted_pair stores(10);
    kv state;
    auto now = std::chrono::system_clock::time_point(std::chrono::hours(500'000));
    ds::memory_lease_lock lock{[&] { return now; }};
    ds::kv_reconciler r{stores.primary, stores.secondary};
    // A reconciler slow enough for its lease to lapse and be taken by another instance.
    struct slow {
        ds::kv_reconciler<kv, kv>& inner;
        std::function<void()> meanwhile;
        std::string_view name() const { return inner.name(); }
        std::vector<std::string> list_sample_keys(ds::reconcile_mode m, std::size_t b) {
            meanwhile();
            return inner.list_sample_keys(m, b);
        }
        ds::sample_result reconcile(const std::string& key) { return inner.reconcile(key); }
    } lagging{r, [&] {
                  now += std::chrono::hours(1);
                  REQUIRE(lock.try_acquire("dualstore:reconcile", std::chrono::minutes(30)));
              }};
    ds::reconcile_harness h{state, ds::reconcile_options{}, ds::observe::none{}, lagging};
    h.guarded_by(lock);
    const auto run = h.run(ds::reconcile_mode::sampled);
    CHECK(run.reports.size() == 1);
    CHECK_THAT(run.lease_error, Catch::Matchers::Contains("lapsed"));
}

TEMPLATE_TEST_CASE("lease locks: exclusive until released or lapsed, release needs the token",
                   "[lease]", ds::memory_lease_lock, ds::basic_memory_lease_lock<counting_mutex>,
                   ds::kv_lease_lock<kv>) {
    auto now = std::chrono::system_clock::time_point(std::chrono::hours(500'000));
    const auto clock = [&] { return now; };
    kv backing;
    const long locks_before = counting_mutex::locks();
    auto lock = [&] {
        if constexpr (!std::is_same_v<TestType, ds::kv_lease_lock<kv>>) {
            return TestType{clock};
        } else {
            return ds::kv_lease_lock<kv>{backing, "lease:", clock};
        }
    }();
    static_assert(ds::lease_lock<TestType>);

    const auto first = lock.try_acquire("job", std::chrono::seconds(10));
    REQUIRE(first);
    CHECK(first->token.size() == 32);
    CHECK_FALSE(lock.try_acquire("job", std::chrono::seconds(10)));
    CHECK(lock.try_acquire("other-job", std::chrono::seconds(10)));

    ds::lease forged = *first;
    forged.token = "not-the-token";
    CHECK_FALSE(lock.release(forged));
    CHECK_FALSE(lock.try_acquire("job", std::chrono::seconds(10)));

    now += std::chrono::seconds(11);  // the holder died; the lease lapsed
    const auto second = lock.try_acquire("job", std::chrono::seconds(10));
    REQUIRE(second);
    CHECK(second->token != first->token);
    CHECK_FALSE(lock.release(*first));  // the old holder cannot release the new lease
    CHECK(lock.release(*second));
    CHECK(lock.try_acquire("job", std::chrono::seconds(10)));
    if constexpr (std::is_same_v<TestType, ds::basic_memory_lease_lock<counting_mutex>>) {
        CHECK(counting_mutex::locks() - locks_before == 9);  // one per call above
    }
}

TEMPLATE_TEST_CASE("lease locks concurrency: of threads racing for a lease, exactly one wins",
                   "[lease][concurrency]", ds::memory_lease_lock,
                   ds::basic_memory_lease_lock<counting_mutex>, ds::kv_lease_lock<kv>) {
    kv backing;
    auto lock = [&] {
        if constexpr (!std::is_same_v<TestType, ds::kv_lease_lock<kv>>) {
            return TestType{};
        } else {
            return ds::kv_lease_lock<kv>{backing};
        }
    }();
    for (int round = 0; round < 50; ++round) {
        const auto name = fmt::format("job-{}", round);
        std::atomic<int> winners{0};
        {
            std::vector<std::jthread> threads;
            for (int t = 0; t < 4; ++t) {
                threads.emplace_back([&] {
                    if (lock.try_acquire(name, std::chrono::minutes(1))) ++winners;
                });
            }
        }
        CHECK(winners == 1);
    }
}
