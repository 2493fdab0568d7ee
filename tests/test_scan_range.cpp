// ds::scan: every record once for sizes around the page size, pages read
// lazily, composition with std::views, the range concepts, store failures.

#include "support.hpp"

#include <dualstore/scan_range.hpp>

#include <cstddef>
#include <iterator>
#include <map>
#include <optional>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using scan_view = ds::scan_view<kv>;
using record = std::pair<std::string, std::string>;

static_assert(std::ranges::input_range<scan_view>);
static_assert(std::ranges::view<scan_view>);
static_assert(!std::ranges::forward_range<scan_view>, "a scan is single pass");
static_assert(std::same_as<std::ranges::range_reference_t<scan_view>, record&>,
              "the iterator yields a reference to the page's element type");
static_assert(std::movable<scan_view> && !std::copyable<scan_view>,
              "a copy would copy a page: the view is move-only");
static_assert(std::ranges::input_range<ds::scan_view<flaky>> &&
              std::ranges::view<ds::scan_view<flaky>>);

/// A kv_store that cannot be scanned.
struct unscannable_store {
    using key_type = std::string;
    using mapped_type = std::string;
    std::optional<std::string> get(const std::string&) { return std::nullopt; }
    void put(const std::string&, const std::string&) {}
    bool erase(const std::string&) { return false; }
};
template <class S>
concept scan_accepts = requires(S& s) {
    ds::scan(s);
};
static_assert(scan_accepts<kv> && !scan_accepts<unscannable_store>,
              "ds::scan takes a scannable_store only");

void fill(kv& store, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) store.put(fmt::format("k{:05}", i), fmt::format("v{}", i));
}

/// Every record the view yields, counting each key's occurrences.
template <class View>
std::map<std::string, int> occurrences(View&& view) {
    std::map<std::string, int> seen;
    for (auto& [key, value] : view) {
        CHECK(value == "v" + std::to_string(std::stoi(key.substr(1))));
        ++seen[key];
    }
    return seen;
}

bool each_once(const std::map<std::string, int>& seen, std::size_t n) {
    if (seen.size() != n) return false;
    for (std::size_t i = 0; i < n; ++i) {
        const auto it = seen.find(fmt::format("k{:05}", i));
        if (it == seen.end() || it->second != 1) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("scan: yields every record exactly once, for sizes around the page size",
          "[scan_range]") {
    SECTION("the default page size (512)") {
        const std::size_t n = GENERATE(0u, 1u, 511u, 512u, 513u, 3u * 512u + 7u);
        kv store;
        fill(store, n);
        CHECK(each_once(occurrences(ds::scan(store)), n));
    }
    SECTION("a page size of 4") {
        const std::size_t n = GENERATE(0u, 1u, 3u, 4u, 5u, 3u * 4u + 7u);
        kv store;
        fill(store, n);
        CHECK(each_once(occurrences(ds::scan(store, 4)), n));
    }
    SECTION("a page size of 0 reads one record a page") {
        kv store;
        fill(store, 3);
        CHECK(each_once(occurrences(ds::scan(store, 0)), 3));
    }
}

TEST_CASE("scan: reads a page only when the iteration reaches it", "[scan_range]") {
    kv inner;
    fill(inner, 10);
    dst::recording_store store{inner, "store"};
    const auto scans = [&] { return store.log().count("store", dst::call_kind::scan); };

    auto view = ds::scan(store, 4);
    CHECK(scans() == 0);
    auto it = view.begin();
    CHECK(scans() == 1);
    CHECK((*it).first == "k00000");
    for (int i = 0; i < 3; ++i) ++it;
    CHECK((*it).first == "k00003");
    CHECK(scans() == 1);
    ++it;  // past the first page
    CHECK((*it).first == "k00004");
    CHECK(scans() == 2);
    for (int i = 0; i < 6; ++i) ++it;
    CHECK(it == std::default_sentinel);
    CHECK(scans() == 3);
}

// Clang before 16 cannot instantiate libstdc++'s view adaptors at all
// (llvm-project issue 44178): there the pipeline is not built.
#if !(defined(__clang__) && __clang_major__ < 16 && defined(__GLIBCXX__))
TEST_CASE("scan: composes with std::views::filter and std::views::transform", "[scan_range]") {
    kv store;
    fill(store, 25);
    const auto key_ends_in_7 = [](const record& r) { return r.first.back() == '7'; };
    const auto loud_value = [](const record& r) { return r.second + "!"; };
    std::vector<std::string> values;
    for (const std::string& v : ds::scan(store, 4) | std::views::filter(key_ends_in_7) |
                                    std::views::transform(loud_value)) {
        values.push_back(v);
    }
    CHECK(values == std::vector<std::string>{"v7!", "v17!"});

    auto named = ds::scan(store, 4);  // move-only: a named view is moved into a pipeline
    auto first_three = std::move(named) | std::views::take(3);
    CHECK(std::ranges::distance(first_three) == 3);
}
#endif

TEST_CASE("scan: a store failure mid-way propagates from ++, and ++ again reads that page again",
          "[scan_range]") {
    kv inner;
    fill(inner, 10);
    flaky store{inner};
    auto view = ds::scan(store, 4);
    std::vector<std::string> keys;
    auto it = view.begin();
    keys.push_back((*it).first);
    for (int i = 0; i < 3; ++i) keys.push_back((*++it).first);  // the rest of the first page

    store.fail_next(1, dst::fault_on::reads);
    CHECK_THROWS_AS(++it, dst::injected_fault);
    CHECK(store.injected() == 1);

    for (++it; it != std::default_sentinel; ++it) keys.push_back((*it).first);
    std::vector<std::string> expected;
    for (int i = 0; i < 10; ++i) expected.push_back(fmt::format("k{:05}", i));
    CHECK(keys == expected);
}

TEST_CASE("scan: a failure of the first page propagates from begin()", "[scan_range]") {
    dst::stub_store<std::string, std::string> store{"old"};
    auto view = ds::scan(store);
    CHECK(store.touches() == 0);
    CHECK_THROWS_AS(view.begin(), ds::not_configured);
    CHECK(store.touches() == 1);
}
