// Behaviour of the test doubles in dualstore::testing.

#include <dualstore/error.hpp>
#include <dualstore/testing/testing.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace ds = dualstore;
namespace dt = dualstore::testing;
using namespace std::chrono_literals;
using std::string_literals::operator""s;

using store = dt::memory_store<std::string, std::string>;
using kind = dt::call_kind;
using items_type = std::vector<std::pair<std::string, std::string>>;

/// Every key of a full scan with pages of `limit`, in the order returned.
template <class S>
std::vector<std::string> scan_keys(S& s, std::size_t limit) {
    std::vector<std::string> keys;
    typename S::cursor_type cursor;
    for (;;) {
        auto page = s.scan(cursor, limit);
        for (const auto& item : page.items) keys.push_back(item.first);
        if (!page.next) return keys;
        cursor = *page.next;
    }
}

/// Calls `f` and says whether it threw `injected_fault`.
template <class F>
bool injected(F&& f) {
    try {
        f();
        return false;
    } catch (const dt::injected_fault&) {
        return true;
    }
}

/// A key fmt cannot print.
struct opaque_key {
    int id;
    auto operator<=>(const opaque_key&) const = default;
};

}  // namespace

// ---------------------------------------------------------------- memory_store

TEST_CASE("memory_store: get returns what put wrote, erase removes it and says if it was there",
          "[testing][memory_store]") {
    store s;
    CHECK(s.get("k") == std::nullopt);
    s.put("k", "v1");
    CHECK(s.get("k") == "v1");
    s.put("k", "v2");
    CHECK(s.get("k") == "v2");
    CHECK(s.erase("k"));
    CHECK(s.get("k") == std::nullopt);
    CHECK_FALSE(s.erase("k"));
}

TEST_CASE("memory_store: put_if_absent writes only when the key has no live entry",
          "[testing][memory_store]") {
    store s;
    CHECK(s.put_if_absent("k", "first"));
    CHECK_FALSE(s.put_if_absent("k", "second"));
    CHECK(s.get("k") == "first");
}

TEST_CASE("memory_store: size, contains and snapshot see the live entries, clear empties",
          "[testing][memory_store]") {
    store s;
    s.put("b", "2");
    s.put("a", "1");
    CHECK(s.size() == 2);
    CHECK(s.contains("a"));
    CHECK_FALSE(s.contains("c"));
    CHECK(s.snapshot() == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
    s.clear();
    CHECK(s.size() == 0);
    CHECK(s.snapshot().empty());
}

TEST_CASE("memory_store: get_many answers each key in order, put_many writes every pair",
          "[testing][memory_store]") {
    store s;
    const items_type items{{"b", "2"}, {"a", "1"}, {"b", "3"}};
    s.put_many(items);
    const std::vector<std::string> keys{"b", "missing", "a"};
    CHECK(s.get_many(keys) ==
          std::vector<std::optional<std::string>>{"3", std::nullopt, "1"});  // last "b" wins
    CHECK(s.size() == 2);
    CHECK(s.get_many({}).empty());
}

TEST_CASE("memory_store: put_many places each key right wherever it falls among existing keys",
          "[testing][memory_store]") {
    store s;
    for (const auto* k : {"a", "c", "e", "g"}) s.put(k, "old");
    // Keys before, between, on and after existing ones, out of order; runs
    // that follow on from the previous key and runs that jump back.
    const items_type items{{"d", "1"}, {"b", "2"}, {"c", "3"}, {"h", "4"}, {"a", "5"},
                           {"f", "6"}, {"0", "7"}, {"e", "8"}, {"i", "9"}};
    s.put_many(items);
    CHECK(s.snapshot() == std::map<std::string, std::string>{{"0", "7"},
                                                             {"a", "5"},
                                                             {"b", "2"},
                                                             {"c", "3"},
                                                             {"d", "1"},
                                                             {"e", "8"},
                                                             {"f", "6"},
                                                             {"g", "old"},
                                                             {"h", "4"},
                                                             {"i", "9"}});
}

TEST_CASE("memory_store: a paged scan returns every key once, in key order, at any page limit",
          "[testing][memory_store][scan]") {
    store s;
    std::vector<std::string> expected;
    for (int i = 0; i < 10; ++i) {
        expected.push_back(fmt::format("k{:02}", i));
        s.put(expected.back(), "v");
    }
    const std::size_t limit = GENERATE(1u, 2u, 3u, 5u, 9u, 10u, 11u, 1000u);
    CAPTURE(limit);
    CHECK(scan_keys(s, limit) == expected);
}

TEST_CASE("memory_store: a scan ends with next = nullopt on the page holding the last key",
          "[testing][memory_store][scan]") {
    store s;
    SECTION("an empty store gives one empty, final page") {
        const auto page = s.scan({}, 10);
        CHECK(page.items.empty());
        CHECK_FALSE(page.next.has_value());
    }
    SECTION("a page that ends exactly at the last key is final") {
        s.put("a", "1");
        s.put("b", "2");
        const auto page = s.scan({}, 2);
        CHECK(page.items == items_type{{"a", "1"}, {"b", "2"}});
        CHECK_FALSE(page.next.has_value());
    }
    SECTION("a limit of 0 returns no items and the same cursor") {
        s.put("a", "1");
        const auto page = s.scan({}, 0);
        CHECK(page.items.empty());
        CHECK(page.next == store::cursor_type{});
    }
    SECTION("a stored cursor resumes after the last key it returned") {
        s.put("a", "1");
        s.put("c", "3");
        const auto first = s.scan({}, 1);
        REQUIRE(first.next.has_value());
        s.put("b", "2");  // lands after the cursor: seen
        s.put("0", "0");  // lands before it: not seen again
        const auto rest = s.scan(*first.next, 10);
        CHECK(rest.items == items_type{{"b", "2"}, {"c", "3"}});
    }
}

TEST_CASE("memory_store: concurrency: a scan while another thread writes returns every stable key "
          "exactly once, in order",
          "[testing][memory_store][scan][concurrency]") {
    store s;
    std::vector<std::string> stable;
    for (int i = 0; i < 200; i += 2) {
        stable.push_back(fmt::format("k{:04}", i));
        s.put(stable.back(), "v");
    }
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (int round = 0; !stop.load(); ++round) {
            const auto value = fmt::format("round {}", round);
            for (int i = 1; i < 200; i += 2) s.put(fmt::format("k{:04}", i), "churn");
            for (int i = 0; i < 200; i += 2) s.put(fmt::format("k{:04}", i), value);  // stays
            for (int i = 1; i < 200; i += 2) s.erase(fmt::format("k{:04}", i));
        }
    });
    bool ordered = true;
    bool complete = true;
    for (int scan = 0; scan < 40; ++scan) {
        const auto keys = scan_keys(s, scan % 2 == 0 ? 1 : 7);
        ordered = ordered && std::ranges::adjacent_find(keys, std::greater_equal<>{}) == keys.end();
        complete = complete && std::ranges::includes(keys, stable);
    }
    stop = true;
    writer.join();
    CHECK(ordered);  // strictly increasing: no key twice
    CHECK(complete);
}

TEST_CASE("memory_store: concurrency: writes from many threads are all kept",
          "[testing][memory_store][concurrency]") {
    store s;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&s, t] {
            for (int i = 0; i < 250; ++i) {
                const auto key = fmt::format("{}-{}", t, i);
                s.put(key, "v");
                static_cast<void>(s.put_if_absent(key, "other"));
                static_cast<void>(s.get(key));
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(s.size() == 1000);
    CHECK(s.get("3-249") == "v");
}

TEST_CASE("memory_store: expired entries are invisible to reads and absent to writes",
          "[testing][memory_store][expiry]") {
    auto now = ds::expiry_clock::time_point{} + 1000h;
    store s{[&now] { return now; }};
    s.put("k", "v", 10s);
    s.put("forever", "v");
    CHECK(s.expiry("k") == now + 10s);
    CHECK(s.expiry("forever") == std::nullopt);
    CHECK(s.get("k") == "v");

    now += 10s;
    CHECK(s.get("k") == std::nullopt);
    CHECK(s.expiry("k") == std::nullopt);
    CHECK_FALSE(s.contains("k"));
    CHECK(s.size() == 1);
    CHECK(scan_keys(s, 10) == std::vector<std::string>{"forever"});
    CHECK(s.get_many(std::vector<std::string>{"k"}).front() == std::nullopt);
    CHECK(s.snapshot() == std::map<std::string, std::string>{{"forever", "v"}});

    SECTION("erase of an expired entry reports it absent") { CHECK_FALSE(s.erase("k")); }
    SECTION("put_if_absent writes over an expired entry, with no expiry") {
        CHECK(s.put_if_absent("k", "new"));
        CHECK(s.get("k") == "new");
        CHECK(s.expiry("k") == std::nullopt);
    }
    SECTION("put_if_absent with a ttl writes over an expired entry, with the new expiry") {
        CHECK(s.put_if_absent("k", "new", 5s));
        CHECK(s.get("k") == "new");
        CHECK(s.expiry("k") == now + 5s);
    }
}

TEST_CASE(
    "memory_store: put_if_absent with a ttl writes only when absent, a present key keeps "
    "its value and expiry, odd ttls are handled as by put",
    "[testing][memory_store][expiry]") {
    auto now = ds::expiry_clock::time_point{} + 1000h;
    store s{[&now] { return now; }};
    CHECK(s.put_if_absent("k", "first", 10s));
    CHECK(s.expiry("k") == now + 10s);
    CHECK_FALSE(s.put_if_absent("k", "second", 1h));
    CHECK(s.get("k") == "first");
    CHECK(s.expiry("k") == now + 10s);

    s.put("forever", "v");
    CHECK_FALSE(s.put_if_absent("forever", "other", 1s));
    CHECK(s.get("forever") == "v");
    CHECK(s.expiry("forever") == std::nullopt);

    CHECK(s.put_if_absent("zero", "v", 0ms));  // written already expired, as put does
    CHECK_FALSE(s.contains("zero"));
    CHECK(s.put_if_absent("zero", "again", 1s));
    CHECK(s.get("zero") == "again");

    CHECK(s.put_if_absent("huge", "v", std::chrono::milliseconds::max()));
    CHECK(s.expiry("huge") == ds::expiry_clock::time_point::max());
}

TEST_CASE("memory_store concurrency: of threads racing put_if_absent with a ttl, one writes",
          "[testing][memory_store][concurrency]") {
    store s;
    std::atomic<int> wrote{0};
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                if (s.put_if_absent("k", std::to_string(t), 1h)) ++wrote;
            });
        }
    }
    CHECK(wrote == 1);
    CHECK(s.expiry("k").has_value());
}

TEST_CASE("memory_store: plain put clears an expiry, odd ttls are handled",
          "[testing][memory_store][expiry]") {
    auto now = ds::expiry_clock::time_point{} + 1000h;
    store s{[&now] { return now; }};
    s.put("k", "v", 1s);
    s.put("k", "v2");
    now += 1h;
    CHECK(s.get("k") == "v2");
    CHECK(s.expiry("k") == std::nullopt);

    s.put("zero", "v", 0ms);
    s.put("negative", "v", -5ms);
    CHECK_FALSE(s.contains("zero"));
    CHECK_FALSE(s.contains("negative"));

    s.put("huge", "v", std::chrono::milliseconds::max());
    CHECK(s.expiry("huge") == ds::expiry_clock::time_point::max());
}

TEST_CASE("memory_store: set_clock replaces the clock, an empty clock is the system clock",
          "[testing][memory_store][expiry]") {
    store s;
    s.put("k", "v", 1h);
    const auto expiry = s.expiry("k");
    REQUIRE(expiry.has_value());
    CHECK(*expiry > ds::expiry_clock::now());
    s.set_clock([&] { return *expiry; });
    CHECK_FALSE(s.contains("k"));
    s.set_clock({});
    CHECK(s.contains("k"));
}

TEST_CASE("memory_store: binary keys and values (NUL bytes, quotes) and a 1 MiB value round-trip",
          "[testing][memory_store]") {
    store s;
    const auto key = "a\0b\"c'\\\n"s;
    const auto value = "\0\0\"'\xff"s;
    s.put(key, value);
    s.put("a"s, "prefix of the binary key");
    CHECK(key.size() == 8);
    CHECK(s.get(key) == value);
    CHECK(s.get("a") == "prefix of the binary key");
    CHECK(scan_keys(s, 1) == std::vector<std::string>{"a", key});

    std::string big(std::size_t{1} << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i % 251);
    s.put("big", big);
    CHECK(s.get("big") == big);
}

// ---------------------------------------------------------------------- faulty

TEST_CASE("faulty: fail_next(n) fails exactly the next n matching calls", "[testing][faulty]") {
    store inner;
    dt::faulty f{inner};
    f.fail_next(3, dt::fault_on::writes);
    CHECK_FALSE(injected([&] { static_cast<void>(f.get("k")); }));  // a read: not matching
    CHECK(injected([&] { f.put("k", "v"); }));
    CHECK(injected([&] { f.erase("k"); }));
    CHECK(injected([&] { f.put_if_absent("k", "v"); }));
    CHECK_FALSE(injected([&] { f.put("k", "v"); }));
    CHECK(f.injected() == 3);
    CHECK(inner.get("k") == "v");
}

TEST_CASE("faulty: fail_rate with a seed is reproducible and fails at about the rate",
          "[testing][faulty]") {
    const auto pattern = [](std::uint64_t seed) {
        store inner;
        dt::faulty f{inner};
        f.fail_rate(0.25, seed);
        std::vector<bool> failed;
        for (int i = 0; i < 10'000; ++i) failed.push_back(injected([&] { f.put("k", "v"); }));
        CHECK(f.injected() == static_cast<std::size_t>(std::ranges::count(failed, true)));
        return failed;
    };
    const auto first = pattern(42);
    const auto failures = std::ranges::count(first, true);
    CHECK(first == pattern(42));
    CHECK(first != pattern(43));
    CHECK(failures > 2'250);  // 10'000 * 0.25 = 2'500, sigma ~ 43
    CHECK(failures < 2'750);
}

TEST_CASE("faulty: fail_rate rejects a probability outside [0, 1]", "[testing][faulty]") {
    store inner;
    dt::faulty f{inner};
    CHECK_THROWS_AS(f.fail_rate(1.5, 1), std::invalid_argument);
    CHECK_THROWS_AS(f.fail_rate(-0.1, 1), std::invalid_argument);
    f.fail_rate(1.0, 1);
    CHECK(injected([&] { static_cast<void>(f.get("k")); }));
}

TEST_CASE("faulty: fail_keys fails calls naming a listed key, and batches holding one",
          "[testing][faulty]") {
    store inner;
    dt::faulty f{inner};
    f.fail_keys({"bad"});
    CHECK(injected([&] { f.put("bad", "v"); }));
    CHECK(injected([&] { static_cast<void>(f.expiry("bad")); }));
    CHECK_FALSE(injected([&] { f.put("good", "v"); }));
    const std::vector<std::string> keys{"good", "bad"};
    CHECK(injected([&] { static_cast<void>(f.get_many(keys)); }));
    const items_type items{{"x", "1"}, {"bad", "2"}};
    CHECK(injected([&] { f.put_many(items); }));
    CHECK_FALSE(injected([&] { static_cast<void>(f.scan({}, 10)); }));  // a scan names no key
    CHECK(inner.snapshot() == std::map<std::string, std::string>{{"good", "v"}});
}

TEST_CASE("faulty: fault_on::reads fails only reads and fault_on::writes only writes",
          "[testing][faulty]") {
    store inner;
    dt::faulty f{inner};
    const std::vector<std::string> keys{"k"};
    const items_type items{{"k", "v"}};
    const auto read_fails = [&] {
        return std::vector<bool>{injected([&] { static_cast<void>(f.get("k")); }),
                                 injected([&] { static_cast<void>(f.expiry("k")); }),
                                 injected([&] { static_cast<void>(f.scan({}, 1)); }),
                                 injected([&] { static_cast<void>(f.get_many(keys)); })};
    };
    const auto write_fails = [&] {
        return std::vector<bool>{injected([&] { f.put("k", "v"); }),
                                 injected([&] { f.put("k", "v", 1s); }),
                                 injected([&] { f.erase("k"); }),
                                 injected([&] { f.put_if_absent("k", "v"); }),
                                 injected([&] { f.put_if_absent("k", "v", 1s); }),
                                 injected([&] { f.put_many(items); })};
    };
    SECTION("reads") {
        f.fail_always(dt::fault_on::reads);
        CHECK(read_fails() == std::vector<bool>(4, true));
        CHECK(write_fails() == std::vector<bool>(6, false));
    }
    SECTION("writes") {
        f.fail_always(dt::fault_on::writes);
        CHECK(read_fails() == std::vector<bool>(4, false));
        CHECK(write_fails() == std::vector<bool>(6, true));
    }
    SECTION("all") {
        f.fail_always();
        CHECK(read_fails() == std::vector<bool>(4, true));
        CHECK(write_fails() == std::vector<bool>(6, true));
    }
}

TEST_CASE("faulty: heal clears every fault rule", "[testing][faulty]") {
    store inner;
    dt::faulty f{inner};
    f.fail_always();
    f.fail_next(10);
    f.fail_rate(1.0, 7);
    f.fail_keys({"k"});
    CHECK(injected([&] { f.put("k", "v"); }));
    f.heal();
    CHECK_FALSE(injected([&] { f.put("k", "v"); }));
    CHECK_FALSE(injected([&] { static_cast<void>(f.get("k")); }));
    CHECK(f.injected() == 1);
}

TEST_CASE("faulty: a failed write leaves the inner store untouched, the error names the call",
          "[testing][faulty]") {
    store inner;
    inner.put("k", "old");
    dt::faulty f{inner};
    f.fail_next(1);
    CHECK_THROWS_WITH(f.put("k", "new"),
                      "dualstore: injected fault: testing::faulty failed put on purpose");
    CHECK(inner.get("k") == "old");
    f.fail_next(1);
    try {
        f.erase("k");
        FAIL("erase did not throw");
    } catch (const ds::error& e) {  // injected_fault is a dualstore::error
        CHECK(dynamic_cast<const dt::injected_fault&>(e).kind() == kind::erase);
    }
    CHECK(inner.get("k") == "old");
    CHECK(f.injected() == 2);
}

TEST_CASE("faulty: add_latency sleeps before matching calls only", "[testing][faulty]") {
    store inner;
    dt::faulty f{inner};
    f.add_latency(20ms, dt::fault_on::reads);
    const auto start = std::chrono::steady_clock::now();
    static_cast<void>(f.get("k"));
    CHECK(std::chrono::steady_clock::now() - start >= 20ms);
    f.heal();  // latency is no fault rule: it stays
    const auto again = std::chrono::steady_clock::now();
    static_cast<void>(f.get("k"));
    CHECK(std::chrono::steady_clock::now() - again >= 20ms);
    CHECK(f.injected() == 0);
}

TEST_CASE("faulty: an owned backend is built in place or moved in", "[testing][faulty]") {
    dt::faulty<store> owned{std::in_place};
    owned.put("k", "v");
    CHECK(owned.inner().get("k") == "v");
    owned.fail_always();
    CHECK(injected([&] { static_cast<void>(owned.get("k")); }));
}

TEST_CASE("faulty: concurrency: fail_next(n) fails exactly n calls across threads",
          "[testing][faulty][concurrency]") {
    store inner;
    dt::faulty f{inner};
    f.fail_next(100);
    std::atomic<std::size_t> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 500; ++i) {
                if (injected([&] { f.put(fmt::format("{}-{}", t, i), "v"); })) ++failures;
                if (i == 250) f.add_latency(0us);  // controls may run alongside calls
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(failures == 100);
    CHECK(f.injected() == 100);
    CHECK(inner.size() == 1'900);
}

// ------------------------------------------------------------------ stub_store

TEST_CASE("stub_store: every call throws not_configured naming the store and counts a touch",
          "[testing][stub_store]") {
    dt::stub_store<std::string, std::string> stub{"old"};
    CHECK(stub.touches() == 0);
    CHECK_THROWS_WITH(stub.get("k"),
                      "dualstore: stub store 'old' touched by get: this store is not configured");
    CHECK(stub.touches() == 1);
    const std::vector<std::string> keys{"k"};
    const items_type items{{"k", "v"}};
    CHECK_THROWS_AS(stub.put("k", "v"), ds::not_configured);
    CHECK_THROWS_AS(stub.erase("k"), ds::not_configured);
    CHECK_THROWS_AS(stub.scan({}, 1), ds::not_configured);
    CHECK_THROWS_WITH(
        stub.put("k", "v", 1s),
        "dualstore: stub store 'old' touched by put_ttl: this store is not configured");
    CHECK_THROWS_AS(stub.expiry("k"), ds::not_configured);
    CHECK_THROWS_AS(stub.put_if_absent("k", "v"), ds::not_configured);
    CHECK_THROWS_WITH(
        stub.put_if_absent("k", "v", 1s),
        "dualstore: stub store 'old' touched by put_if_absent_ttl: this store is not configured");
    CHECK_THROWS_AS(stub.get_many(keys), ds::not_configured);
    CHECK_THROWS_AS(stub.put_many(items), ds::not_configured);
    CHECK(stub.touches() == 10);
}

TEST_CASE("stub_store: the default name is 'stub'", "[testing][stub_store]") {
    dt::stub_store<int, int> stub;
    CHECK(stub.name() == "stub");
    CHECK_THROWS_WITH(
        stub.erase(1),
        "dualstore: stub store 'stub' touched by erase: this store is not configured");
}

// ------------------------------------------------------------- recording_store

TEST_CASE("recording_store: calls to two stores sharing a log are recorded in order",
          "[testing][recording_store]") {
    store old_kv;
    store new_kv;
    dt::call_log log;
    dt::recording_store a{old_kv, log, "old"};
    dt::recording_store b{new_kv, log, "new"};
    a.put("k", "1");
    b.put("k", "1");
    static_cast<void>(b.get("k"));
    a.erase("k");
    INFO(log.format());
    CHECK(log.entries() == std::vector<dt::call>{{"old", kind::put, "k"},
                                                 {"new", kind::put, "k"},
                                                 {"new", kind::get, "k"},
                                                 {"old", kind::erase, "k"}});
    CHECK(log.size() == 4);
    CHECK(log.count("old") == 2);
    CHECK(log.count("new", kind::get) == 1);
    CHECK(log.count("new", kind::erase) == 0);
    CHECK(old_kv.get("k") == std::nullopt);
    CHECK(new_kv.get("k") == "1");
    log.clear();
    CHECK(log.size() == 0);
}

TEST_CASE("recording_store: a call that throws is still recorded", "[testing][recording_store]") {
    store inner;
    dt::faulty f{inner};
    dt::recording_store r{f, "faulty"};
    f.fail_always();
    CHECK_THROWS_AS(r.put("k", "v"), dt::injected_fault);
    CHECK(r.log().entries() == std::vector<dt::call>{{"faulty", kind::put, "k"}});
    CHECK(inner.size() == 0);
}

TEST_CASE("recording_store: batch keys are joined by ',', a scan or unprintable key records none",
          "[testing][recording_store]") {
    store inner;
    dt::recording_store r{inner};
    const items_type items{{"a", "1"}, {"b", "2"}};
    const std::vector<std::string> keys{"b", "a", "c"};
    r.put_many(items);
    static_cast<void>(r.get_many(keys));
    static_cast<void>(r.scan({}, 10));
    r.put("c", "3", 1s);
    static_cast<void>(r.put_if_absent("d", "4"));
    static_cast<void>(r.put_if_absent("e", "5", 1s));
    static_cast<void>(r.expiry("c"));
    CHECK(r.log().entries() == std::vector<dt::call>{{"store", kind::put_many, "a,b"},
                                                     {"store", kind::get_many, "b,a,c"},
                                                     {"store", kind::scan, ""},
                                                     {"store", kind::put_ttl, "c"},
                                                     {"store", kind::put_if_absent, "d"},
                                                     {"store", kind::put_if_absent_ttl, "e"},
                                                     {"store", kind::expiry, "c"}});
    CHECK(inner.expiry("e").has_value());

    dt::memory_store<opaque_key, int> opaque;
    dt::recording_store ro{opaque, "opaque"};
    ro.put(opaque_key{1}, 1);
    CHECK(ro.log().entries() == std::vector<dt::call>{{"opaque", kind::put, ""}});
}

TEST_CASE("recording_store: the log formats one call per line", "[testing][recording_store]") {
    store inner;
    dt::recording_store r{inner, "old"};
    r.put("k", "v");
    static_cast<void>(r.get("k"));
    const std::string expected = "#0 old.put(k)\n#1 old.get(k)\n";
    CHECK(r.log().format() == expected);
    CHECK(fmt::format("{}", r.log()) == expected);
    CHECK(fmt::format("{}", dt::call{"new", kind::get_many, "a,b"}) == "new.get_many(a,b)");
    CHECK(fmt::format("{}", kind::put_ttl) == "put_ttl");
    CHECK(fmt::format("{}", kind::put_if_absent_ttl) == "put_if_absent_ttl");
}

TEST_CASE("recording_store: concurrency: calls from many threads are all recorded",
          "[testing][recording_store][concurrency]") {
    store inner;
    dt::call_log log;
    dt::recording_store a{inner, log, "a"};
    dt::recording_store b{inner, log, "b"};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            auto& target = t % 2 == 0 ? a : b;
            for (int i = 0; i < 250; ++i) target.put(fmt::format("{}-{}", t, i), "v");
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(log.size() == 1'000);
    CHECK(log.count("a", kind::put) == 500);
    CHECK(log.count("b") == 500);
    CHECK(inner.size() == 1'000);
}
