// Read policies: which store answers, and how shadow reads compare.

#include "support.hpp"

#include <dualstore/observe/metrics.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>
#include <vector>

TEST_CASE("primary read: the secondary is never touched", "[read][primary]") {
    kv a, b;
    dst::recording_store secondary{b};
    ds::dual_store store{a, secondary, ds::discard_secondary_failures{}};
    a.put("k", "v");

    CHECK(store.get("k") == "v");
    CHECK(store.get("missing") == std::nullopt);
    CHECK(store.read([](auto& s) { return s.get("k"); }) == "v");
    CHECK(secondary.log().size() == 0);
}

TEST_CASE("primary read: a primary failure propagates", "[read][primary]") {
    kv a, b;
    flaky primary{a};
    primary.fail_next(1);
    ds::dual_store store{primary, b, ds::discard_secondary_failures{}};
    CHECK_THROWS_AS(store.get("k"), dst::injected_fault);
}

TEST_CASE("secondary read: answers from the secondary only", "[read][secondary]") {
    kv b;
    dst::stub_store<std::string, std::string> old_store("old");
    ds::dual_store store{old_store, b, ds::read::secondary{}, ds::write::primary_only{}};
    b.put("k", "new");
    CHECK(store.get("k") == "new");
    CHECK(old_store.touches() == 0);
}

TEST_CASE("fallback read: the secondary answers only when the primary has no value",
          "[read][fallback]") {
    kv a, b;
    dst::recording_store secondary{b};
    ds::dual_store store{a, secondary, ds::read::fallback{}, ds::discard_secondary_failures{}};
    a.put("both", "primary");
    b.put("both", "secondary");
    b.put("only-secondary", "s");

    CHECK(store.get("both") == "primary");
    CHECK(secondary.log().size() == 0);
    CHECK(store.get("only-secondary") == "s");
    CHECK(store.get("nowhere") == std::nullopt);
    CHECK(secondary.log().count("store", dst::call_kind::get) == 2);
}

TEST_CASE("fallback read: a primary failure propagates, a secondary failure is reported",
          "[read][fallback]") {
    kv a, b;
    flaky primary{a};
    flaky secondary{b};
    dst::counting_observer observer;
    ds::dual_store store{primary, secondary, ds::read::fallback{}, ds::observe::with(observer),
                         ds::discard_secondary_failures{}};

    primary.fail_next(1);
    CHECK_THROWS_AS(store.get("k"), dst::injected_fault);

    secondary.fail_next(1);
    std::optional<std::string> answer{"sentinel"};
    REQUIRE_NOTHROW(answer = store.get("k"));
    CHECK(answer == std::nullopt);
    CHECK(observer.secondary_failures == 1);
}

TEST_CASE("shadow read: returns the primary's answer and reports a mismatch with the key and both "
          "values",
          "[read][shadow]") {
    kv a, b;
    dst::counting_observer observer;
    ds::dual_store store{a, b, ds::read::shadow{}, ds::observe::with(observer),
                         ds::discard_secondary_failures{}};
    a.put("same", "1");
    b.put("same", "1");
    a.put("differs", "primary");
    b.put("differs", "secondary");
    a.put("missing-in-secondary", "x");

    CHECK(store.get("same") == "1");
    CHECK(store.get("differs") == "primary");
    CHECK(store.get("missing-in-secondary") == "x");

    CHECK(observer.mismatches == 2);
    CHECK(observer.mismatch_log() ==
          std::vector<std::string>{"differs: primary != secondary",
                                   "missing-in-secondary: x != <none>"});
}

TEST_CASE("shadow read: sample 0 never reads the secondary", "[read][shadow]") {
    kv a, b;
    dst::recording_store secondary{b};
    ds::dual_store store{a, secondary, ds::read::shadow{.sample = 0.0},
                         ds::discard_secondary_failures{}};
    a.put("k", "v");
    for (int i = 0; i < 1000; ++i) CHECK(store.get("k") == "v");
    CHECK(secondary.log().size() == 0);
}

TEST_CASE("shadow read: a fractional sample shadows about that fraction of reads",
          "[read][shadow]") {
    kv a, b;
    dst::recording_store secondary{b};
    ds::dual_store store{a, secondary, ds::read::shadow{.sample = 0.25},
                         ds::discard_secondary_failures{}};
    constexpr int reads = 4000;
    for (int i = 0; i < reads; ++i) (void)store.get("k");
    const auto shadowed = static_cast<double>(secondary.log().size()) / reads;
    CHECK(shadowed == Approx(0.25).margin(0.05));
}

TEST_CASE("shadow read: a throwing comparator does not affect the returned value",
          "[read][shadow]") {
    kv a, b;
    dst::counting_observer observer;
    const auto throwing = [](const auto&, const auto&) -> bool {
        throw std::logic_error("comparator broke");
    };
    ds::dual_store store{a, b, ds::read::shadow{}.compared_by(throwing),
                         ds::observe::with(observer), ds::discard_secondary_failures{}};
    a.put("k", "v");
    b.put("k", "w");

    std::optional<std::string> answer;
    REQUIRE_NOTHROW(answer = store.get("k"));
    CHECK(answer == "v");
    CHECK(observer.shadow_errors == 1);
    CHECK(observer.mismatches == 0);
}

TEST_CASE("shadow read: a secondary failure never reaches the caller", "[read][shadow]") {
    kv a, b;
    flaky secondary{b};
    secondary.fail_always();
    dst::counting_observer observer;
    ds::dual_store store{a, secondary, ds::read::shadow{}, ds::observe::with(observer),
                         ds::discard_secondary_failures{}};
    a.put("k", "v");

    CHECK(store.get("k") == "v");
    // One side failing is a mismatch that carries the error.
    CHECK(observer.mismatches == 1);
    CHECK(observer.mismatch_log() ==
          std::vector<std::string>{"k: v != <error: dualstore: injected fault: testing::faulty failed get on purpose>"});
}

TEST_CASE("shadow read: a user comparator decides what counts as a mismatch", "[read][shadow]") {
    kv a, b;
    dst::counting_observer observer;
    // Case-insensitive comparison of optional strings.
    const auto same_ignoring_case = [](const std::optional<std::string>& x,
                                       const std::optional<std::string>& y) {
        if (x.has_value() != y.has_value()) return false;
        if (!x) return true;
        return std::equal(x->begin(), x->end(), y->begin(), y->end(), [](char l, char r) {
            return std::tolower(static_cast<unsigned char>(l)) ==
                   std::tolower(static_cast<unsigned char>(r));
        });
    };
    ds::dual_store store{a, b, ds::read::shadow{.sample = 1.0}.compared_by(same_ignoring_case),
                         ds::observe::with(observer), ds::discard_secondary_failures{}};
    a.put("k", "Value");
    b.put("k", "VALUE");
    a.put("j", "x");
    b.put("j", "y");

    (void)store.get("k");
    (void)store.get("j");
    CHECK(observer.mismatch_log() == std::vector<std::string>{"j: x != y"});
}

TEST_CASE("shadow read: a comparator of the values (not the optionals) compares get's answers",
          "[read][shadow]") {
    kv a, b;
    dst::counting_observer observer;
    // The natural signature: two values. Two empty answers agree; one empty one does not.
    const auto same_length = [](const std::string& x, const std::string& y) {
        return x.size() == y.size();
    };
    ds::dual_store store{a, b, ds::read::shadow{}.compared_by(same_length),
                         ds::observe::with(observer), ds::discard_secondary_failures{}};
    a.put("k", "abc");
    b.put("k", "xyz");  // same length: agrees
    a.put("j", "abc");
    b.put("j", "wxyz");  // another length
    a.put("only", "x");  // missing from the secondary

    CHECK(store.get("k") == "abc");
    CHECK(store.get("j") == "abc");
    CHECK(store.get("only") == "x");
    CHECK(store.get("neither") == std::nullopt);
    CHECK(observer.mismatch_log() ==
          std::vector<std::string>{"j: abc != wxyz", "only: x != <none>"});
}

// A read policy of the user's own, written as the library's are: the
// secondary answers, and the primary when the secondary has no value.
struct secondary_then_primary {
    using category = ds::read_tag;

    template <class Read>
    std::remove_cvref_t<typename Read::secondary_answer> apply(Read& call) const {
        auto answer = call.secondary();
        if (answer) return answer;
        return call.primary();
    }
};

TEST_CASE("a read policy of the user's own answers get and read", "[read][custom]") {
    kv a, b;
    ds::dual_store store{a, b, secondary_then_primary{}, ds::write::primary_only{}};
    static_assert(ds::read_strategy<secondary_then_primary>);
    a.put("both", "old");
    b.put("both", "new");
    a.put("old only", "old");

    CHECK(store.get("both") == "new");
    CHECK(store.get("old only") == "old");
    CHECK(store.get("neither") == std::nullopt);
    CHECK(store.read([](auto& s) { return s.get("both"); }) == "new");
}

namespace {
/// Records the mismatch events a shadow comparison reports, with their context.
struct shadow_events {
    std::vector<std::string> mismatches;  ///< the context of each mismatch
    std::vector<std::string> ignored;     ///< the context of each ignored mismatch
    template <class Key, class A, class B>
    void on(const ds::observe::mismatch_event<Key, A, B>& e) {
        mismatches.emplace_back(e.context);
    }
    template <class Key>
    void on(const ds::observe::ignored_mismatch_event<Key>& e) {
        ignored.emplace_back(e.context);
    }
};

bool same_ignoring_case(const std::string& x, const std::string& y) {
    return std::ranges::equal(x, y,
                              [](char p, char q) { return std::tolower(p) == std::tolower(q); });
}
}  // namespace

TEST_CASE("shadow read: run_if decides per read whether to compare", "[read][shadow][scientist]") {
    kv a, b;
    a.put("k", "v");
    b.put("k", "other");
    shadow_events seen;
    bool enabled = false;
    ds::dual_store store{a, b, ds::read::shadow{.run_if = [&] { return enabled; }},
                         ds::observe::with(seen), ds::discard_secondary_failures{}};
    CHECK(store.get("k") == "v");
    CHECK(seen.mismatches.empty());
    enabled = true;
    CHECK(store.get("k") == "v");
    CHECK(seen.mismatches.size() == 1);
}

TEST_CASE("shadow read: ignoring(fn) accepts known mismatches, reported apart",
          "[read][shadow][scientist]") {
    kv a, b;
    a.put("case", "Value");
    b.put("case", "value");
    a.put("real", "1");
    b.put("real", "2");
    shadow_events seen;
    ds::dual_store store{a, b, ds::read::shadow{.context = "orders"}.ignoring(same_ignoring_case),
                         ds::observe::with(seen), ds::discard_secondary_failures{}};
    CHECK(store.get("case") == "Value");
    CHECK(seen.mismatches.empty());
    CHECK(seen.ignored == std::vector<std::string>{"orders"});
    CHECK(store.get("real") == "1");
    CHECK(seen.mismatches == std::vector<std::string>{"orders"});  // the context travels

    ds::observe::metrics counted;
    ds::dual_store counting{a, b, ds::read::shadow{}.ignoring(same_ignoring_case),
                            ds::observe::with(counted), ds::discard_secondary_failures{}};
    std::ignore = counting.get("case");
    std::ignore = counting.get("real");
    CHECK(counted.ignored_mismatches() == 1);
    CHECK(counted.mismatches() == 1);
}

TEST_CASE("shadow read: throw_on_mismatch makes a mismatch throw, for tests",
          "[read][shadow][scientist]") {
    kv a, b;
    a.put("same", "v");
    b.put("same", "v");
    a.put("differs", "1");
    b.put("differs", "2");
    ds::dual_store store{
        a, b, ds::read::shadow{.report = 0.0, .context = "cart", .throw_on_mismatch = true},
        ds::discard_secondary_failures{}};
    CHECK(store.get("same") == "v");
    // Even when the report rate leaves the event out.
    CHECK_THROWS_WITH(store.get("differs"), Catch::Matchers::Contains("disagree in cart"));
    CHECK_THROWS_AS(store.get("differs"), ds::read::shadow_mismatch);
}
