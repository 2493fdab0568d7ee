#pragma once
// The conformance suite every store passes: fakes and adapters alike.
//
// A test file defines factories and a tuple of them, then includes this file:
//
//   struct sqlite_factory {
//       using store = ds::adapters::sqlite_store;
//       static constexpr bool scan_stable_under_writes = true;  // see below
//       std::unique_ptr<store> make();                    // a fresh, empty store
//       // optional: std::unique_ptr<store> make_with_clock(clock_function);
//   };
//   using conformance_factories = std::tuple<sqlite_factory>;
//   #include "conformance/store_conformance.hpp"
//
// Capability sections run when the store models the concept. The expiry
// section needs make_with_clock (a store on a clock the test moves); a store
// on the server's clock (Redis) tests its expiry in its own file.
// scan_stable_under_writes: whether a scan that runs while others write
// returns every key present throughout exactly once (GDBM cannot promise it).
// keeps_expiry (optional, default true): false for a type-erased store over
// an engine that refuses times to live at run time. exact_stamps (optional,
// default true): false for a store whose change stamp also moves without a
// write (a type-erased store over an engine without stamps).
// relative_expiry (optional, default false): true for a store that keeps
// times to live, not times, and dates each expiry it answers by the client's
// clock at the call (Redis's PTTL).

#include "../support.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

using namespace std::string_literals;

namespace conformance {

/// Every key of a full scan with pages of `page` items, in order of return.
template <class Store>
std::vector<std::string> scan_keys(Store& s, std::size_t page, std::function<void()> between = {}) {
    std::vector<std::string> keys;
    std::optional<typename Store::cursor_type> cursor{typename Store::cursor_type{}};
    while (cursor) {
        auto p = s.scan(*cursor, page);
        for (auto& [k, v] : p.items) keys.push_back(k);
        cursor = p.next;
        if (between) between();
    }
    return keys;
}

inline std::string key_of(int i) {
    return fmt::format("key-{:05}", i);
}

/// The `n` (hash, key) of smallest `key_sample_hash` among `keys`, ascending:
/// what a `key_sampling_store` holding `keys` samples.
inline std::vector<std::pair<std::uint64_t, std::string>> smallest_of(
    const std::vector<std::string>& keys, std::uint64_t salt, std::size_t n) {
    std::vector<std::pair<std::uint64_t, std::string>> smallest;
    for (const auto& k : keys) smallest.emplace_back(ds::key_sample_hash(k, salt), k);
    std::ranges::sort(smallest);
    smallest.resize(std::min(n, smallest.size()));
    return smallest;
}

/// Whether a factory's stores keep times to live: all do, unless the factory
/// says `keeps_expiry = false` (a type-erased store over an engine without
/// them, which models the expiring concepts and refuses a TTL at run time).
template <class Factory>
inline constexpr bool keeps_expiry = !requires {
    requires !Factory::keeps_expiry;
};

/// Whether a factory's change stamps hold still when nothing is written.
template <class Factory>
inline constexpr bool exact_stamps = !requires {
    requires !Factory::exact_stamps;
};

/// Whether a factory's stores answer an expiry dated by the clock at the
/// call (a relative time to live), so two answers differ by the time
/// between the calls.
template <class Factory>
inline constexpr bool relative_expiry = requires {
    requires Factory::relative_expiry;
};

}  // namespace conformance

TEMPLATE_LIST_TEST_CASE("conformance: get, put, erase", "[conformance]", conformance_factories) {
    TestType factory;
    auto store = factory.make();
    CHECK(store->get("missing") == std::nullopt);
    store->put("k", "v1");
    CHECK(store->get("k") == "v1");
    store->put("k", "v2");
    CHECK(store->get("k") == "v2");
    CHECK(store->erase("k"));
    CHECK_FALSE(store->erase("k"));
    CHECK(store->get("k") == std::nullopt);
    store->put("empty", "");
    CHECK(store->get("empty") == "");
}

TEMPLATE_LIST_TEST_CASE("conformance: binary keys and values, 1 MiB values", "[conformance]",
                        conformance_factories) {
    TestType factory;
    auto store = factory.make();
    const std::vector<std::pair<std::string, std::string>> items{
        {"nul\0in key"s, "nul\0in value"s},
        {"quotes'\"`", "back\\slash; DROP TABLE x; --"},
        {"\xff\xfe\x80", std::string(1 << 20, '\0')},
        {"big", std::string(1 << 20, 'x')},
    };
    for (const auto& [k, v] : items) store->put(k, v);
    for (const auto& [k, v] : items) CHECK(store->get(k) == v);
    auto keys = conformance::scan_keys(*store, 2);
    CHECK(std::set<std::string>(keys.begin(), keys.end()).size() == items.size());
    CHECK(std::ranges::count(keys, "nul\0in key"s) == 1);
}

TEMPLATE_LIST_TEST_CASE("conformance: a full scan returns every key once, whatever the page size",
                        "[conformance][scan]", conformance_factories) {
    TestType factory;
    auto store = factory.make();
    constexpr int n = 1000;
    for (int i = 0; i < n; ++i) store->put(conformance::key_of(i), "v");
    for (const std::size_t page :
         {std::size_t{1}, std::size_t{7}, std::size_t{1000}, std::size_t{5000}}) {
        CAPTURE(page);
        const auto keys = conformance::scan_keys(*store, page);
        CHECK(keys.size() == n);
        CHECK(std::set<std::string>(keys.begin(), keys.end()).size() == n);
    }
    CHECK(store->scan({}, 0).items.empty());
}

TEMPLATE_LIST_TEST_CASE(
    "conformance: a store that claims key order scans in byte order, and "
    "scan_with_expiry matches scan and expiry",
    "[conformance][scan]", conformance_factories) {
    using store_t = typename TestType::store;
    TestType factory;
    auto store = factory.make();
    // Bytes above 0x7f sort after ASCII in byte order (as unsigned char).
    for (const auto& k : {"b"s, "a"s, "\xff"s, "ab"s, "\x01"s, "\x80x"s}) store->put(k, "v-" + k);
    if constexpr (ds::key_ordered_store<store_t>) {
        CHECK(conformance::scan_keys(*store, 2) ==
              std::vector<std::string>{"\x01"s, "a"s, "ab"s, "b"s, "\x80x"s, "\xff"s});
    }
    if constexpr (ds::expiry_scannable_store<store_t>) {
        const bool expiring = conformance::keeps_expiry<TestType>;
        if (expiring) store->put("expiring", "e", std::chrono::hours(1));
        std::optional<typename store_t::cursor_type> cursor{typename store_t::cursor_type{}};
        std::set<std::string> seen;  // a scan that is not stable may list a key twice
        while (cursor) {
            auto with = store->scan_with_expiry(*cursor, 3);
            if constexpr (TestType::scan_stable_under_writes) {
                REQUIRE(with.items == store->scan(*cursor, 3).items);
            } else {
                // Another client's writes may resize the table between two
                // scans from one cursor (Redis), so they may list other keys:
                // each item still holds the store's value.
                for (const auto& [k, v] : with.items) CHECK(store->get(k) == v);
            }
            REQUIRE(with.expiries.size() == with.items.size());
            for (std::size_t i = 0; i < with.items.size(); ++i) {
                CAPTURE(with.items[i].first);
                const auto expected = store->expiry(with.items[i].first);
                if constexpr (conformance::relative_expiry<TestType>) {
                    // The same expiry within the time between the two calls.
                    REQUIRE(with.expiries[i].has_value() == expected.has_value());
                    if (expected) {
                        const auto apart = *with.expiries[i] - *expected;
                        CHECK(std::chrono::abs(apart) <= std::chrono::seconds(5));
                    }
                } else {
                    CHECK(with.expiries[i] == expected);
                }
            }
            for (const auto& item : with.items) seen.insert(item.first);
            cursor = std::move(with.next);
        }
        CHECK(seen.size() == (expiring ? 7U : 6U));
    }
}

TEMPLATE_LIST_TEST_CASE(
    "conformance: a store that samples keys gives its live keys of smallest hash, and "
    "how many it holds",
    "[conformance][sample]", conformance_factories) {
    using store_t = typename TestType::store;
    if constexpr (ds::key_sampling_store<store_t>) {
        TestType factory;
        auto store = factory.make();
        std::vector<std::string> keys{"nul\0in key"s, "\xff\x80"s, "a"s,
                                      std::string(120, 'k')};  // two MD5 blocks
        for (int i = 0; i < 300; ++i) keys.push_back(conformance::key_of(i));
        for (const auto& k : keys) store->put(k, "v");
        store->erase(conformance::key_of(7));
        std::erase(keys, conformance::key_of(7));
        for (const std::size_t n : {0U, 1U, 10U, 5000U}) {
            for (const std::uint64_t salt : {0ULL, 42ULL, ~0ULL}) {
                CAPTURE(n, salt);
                const auto sample = store->sample_keys(salt, n);
                CHECK(sample.keys == keys.size());
                CHECK(sample.smallest == conformance::smallest_of(keys, salt, n));
            }
        }
        if constexpr (ds::expiring_store<store_t> &&
                      requires(TestType f) { f.make_with_clock({}); }) {
            TestType other_factory;  // a store of its own
            auto now = ds::expiry_clock::time_point(std::chrono::hours(450'000));
            auto expiring = other_factory.make_with_clock([&] { return now; });
            expiring->put("stays", "v");
            expiring->put("expires", "v", std::chrono::seconds(10));
            now += std::chrono::seconds(11);
            const auto sample = expiring->sample_keys(1, 10);
            CHECK(sample.keys == 1);
            REQUIRE(sample.smallest.size() == 1);
            CHECK(sample.smallest[0].second == "stays");
        }
    }
}

TEMPLATE_LIST_TEST_CASE("conformance: a scan resumes from a saved cursor", "[conformance][scan]",
                        conformance_factories) {
    using store_t = typename TestType::store;
    if constexpr (ds::resumable_store<store_t>) {
        TestType factory;
        auto store = factory.make();
        for (int i = 0; i < 50; ++i) store->put(conformance::key_of(i), "v");
        auto first = store->scan({}, 20);
        REQUIRE(first.next);
        const std::string saved = store_t::encode_cursor(*first.next);
        std::set<std::string> keys;
        for (auto& [k, v] : first.items) keys.insert(k);
        std::optional<typename store_t::cursor_type> cursor = store_t::decode_cursor(saved);
        while (cursor) {
            auto p = store->scan(*cursor, 20);
            for (auto& [k, v] : p.items) CHECK(keys.insert(k).second);
            cursor = p.next;
        }
        CHECK(keys.size() == 50);
        CHECK_THROWS_AS(store_t::decode_cursor("not a cursor"), ds::error);
    }
}

TEMPLATE_LIST_TEST_CASE(
    "conformance: a scan while writing returns the keys present throughout "
    "exactly once",
    "[conformance][scan]", conformance_factories) {
    if constexpr (TestType::scan_stable_under_writes) {
        TestType factory;
        auto store = factory.make();
        for (int i = 0; i < 300; i += 2) store->put(conformance::key_of(i), "stable");
        int next = 1;
        const auto keys = conformance::scan_keys(*store, 16, [&] {
            // Between pages: add odd keys, remove the previous odd key.
            store->put(conformance::key_of(next), "transient");
            if (next > 1) store->erase(conformance::key_of(next - 2));
            next += 2;
        });
        std::map<std::string, int> seen;
        for (const auto& k : keys) ++seen[k];
        for (int i = 0; i < 300; i += 2) CHECK(seen[conformance::key_of(i)] == 1);
        for (const auto& [k, count] : seen) CHECK(count == 1);
    }
}

TEMPLATE_LIST_TEST_CASE("conformance: put_if_absent", "[conformance]", conformance_factories) {
    if constexpr (ds::conditional_store<typename TestType::store>) {
        TestType factory;
        auto store = factory.make();
        CHECK(store->put_if_absent("k", "first"));
        CHECK_FALSE(store->put_if_absent("k", "second"));
        CHECK(store->get("k") == "first");
        store->erase("k");
        CHECK(store->put_if_absent("k", "third"));
    }
}

TEMPLATE_LIST_TEST_CASE("conformance: get_many and put_many", "[conformance]",
                        conformance_factories) {
    if constexpr (ds::batch_store<typename TestType::store>) {
        TestType factory;
        auto store = factory.make();
        const std::vector<std::pair<std::string, std::string>> items{
            {"a", "1"}, {"b", "2"}, {"a", "3"}};
        store->put_many(items);
        const std::vector<std::string> keys{"a", "missing", "b"};
        CHECK(store->get_many(keys) ==
              std::vector<std::optional<std::string>>{"3", std::nullopt, "2"});
    }
}

TEMPLATE_LIST_TEST_CASE(
    "conformance: put_many_if_absent writes only the absent keys, the "
    "first of a repeated key, binary-safe",
    "[conformance]", conformance_factories) {
    using store_t = typename TestType::store;
    // Every store with batch and conditional writes has the batched conditional write.
    static_assert(!(ds::batch_store<store_t> && ds::conditional_store<store_t>) ||
                  ds::conditional_batch_store<store_t>);
    if constexpr (ds::conditional_batch_store<store_t>) {
        TestType factory;
        auto store = factory.make();
        const auto binary_key = "nul\0key\xff"s;
        const auto binary_value = "nul\0value'\"\x80"s;
        store->put("present", "old");
        const std::vector<std::pair<std::string, std::string>> items{
            {"a", "1"}, {"present", "2"}, {binary_key, binary_value}, {"a", "3"}};
        CHECK(store->put_many_if_absent(items) == std::vector<bool>{true, false, true, false});
        const std::vector<std::string> keys{"a", "present", binary_key};
        CHECK(store->get_many(keys) ==
              std::vector<std::optional<std::string>>{"1", "old", binary_value});
        CHECK(store->put_many_if_absent({}).empty());
    }
}

TEMPLATE_LIST_TEST_CASE(
    "conformance: put_many and put_many_if_absent with times to live write each record with "
    "its own expiry, keep a present key, binary-safe, and refuse a count that does not match",
    "[conformance][expiry]", conformance_factories) {
    using store_t = typename TestType::store;
    // Every store with batches that expire entries and inserts atomically
    // with a time to live carries times to live in its batches.
    static_assert(
        !(ds::conditional_batch_store<store_t> && ds::conditional_expiring_store<store_t>) ||
        ds::expiring_batch_store<store_t>);
    if constexpr (ds::expiring_batch_store<store_t> && conformance::keeps_expiry<TestType>) {
        TestType factory;
        auto store = factory.make();
        const auto binary_key = "nul\0ttl key\xff"s;
        const auto binary_value = "nul\0ttl value'\"\x80"s;
        const auto before = ds::expiry_clock::now();
        const std::vector<std::pair<std::string, std::string>> items{
            {"short", "1"}, {"forever", "2"}, {binary_key, binary_value}};
        const std::vector<ds::time_to_live> ttls{std::chrono::seconds(100), std::nullopt,
                                                 std::chrono::hours(2)};
        store->put_many(items, ttls);
        const std::vector<std::string> keys{"short", "forever", binary_key};
        CHECK(store->get_many(keys) ==
              std::vector<std::optional<std::string>>{"1", "2", binary_value});
        const auto within = [&](const std::string& key, std::chrono::milliseconds ttl) {
            const auto expires = store->expiry(key);
            return expires && *expires > before && *expires <= ds::expiry_clock::now() + ttl;
        };
        CHECK(within("short", std::chrono::seconds(100)));
        CHECK(store->expiry("forever") == std::nullopt);
        CHECK(within(binary_key, std::chrono::hours(2)));
        CHECK_FALSE(within(binary_key, std::chrono::hours(1)));

        const std::vector<std::pair<std::string, std::string>> more{
            {"short", "x"}, {"new", "3"}, {"new-forever", "4"}, {"new", "5"}};
        const std::vector<ds::time_to_live> more_ttls{
            std::chrono::hours(1), std::chrono::seconds(100), std::nullopt, std::chrono::hours(3)};
        CHECK(store->put_many_if_absent(more, more_ttls) ==
              std::vector<bool>{false, true, true, false});
        CHECK(store->get("short") == "1");
        CHECK(within("short", std::chrono::seconds(100)));  // its expiry kept
        CHECK(store->get("new") == "3");
        CHECK(within("new", std::chrono::seconds(100)));
        CHECK(store->expiry("new-forever") == std::nullopt);

        const std::vector<std::pair<std::string, std::string>> unwritten{{"unwritten", "v"}};
        CHECK_THROWS_AS(store->put_many(unwritten, std::span<const ds::time_to_live>{}), ds::error);
        CHECK_THROWS_AS(
            store->put_many_if_absent(unwritten, std::span<const ds::time_to_live>(more_ttls)),
            ds::error);
        CHECK(store->get("unwritten") == std::nullopt);
    }
}

TEMPLATE_LIST_TEST_CASE("conformance: expiry", "[conformance][expiry]", conformance_factories) {
    if constexpr (ds::expiring_store<typename TestType::store> &&
                  requires(TestType f) { f.make_with_clock({}); }) {
        TestType factory;
        auto now = ds::expiry_clock::time_point(std::chrono::hours(450'000));
        auto store = factory.make_with_clock([&] { return now; });
        store->put("ttl", "v", std::chrono::seconds(10));
        store->put("forever", "v");
        CHECK(store->expiry("ttl") == now + std::chrono::seconds(10));
        CHECK(store->expiry("forever") == std::nullopt);
        now += std::chrono::seconds(11);
        CHECK(store->get("ttl") == std::nullopt);
        CHECK(store->expiry("ttl") == std::nullopt);
        CHECK_FALSE(store->erase("ttl"));
        CHECK(conformance::scan_keys(*store, 10) == std::vector<std::string>{"forever"});
        if constexpr (ds::conditional_store<typename TestType::store>) {
            CHECK(store->put_if_absent("ttl", "again"));  // the expired entry does not count
        }
        store->put("ttl", "v");  // a plain put clears the expiry
        CHECK(store->expiry("ttl") == std::nullopt);
    }
}

TEMPLATE_LIST_TEST_CASE(
    "conformance: put_if_absent with a ttl writes only when absent or expired, "
    "with the expiry, a present key keeps its value and expiry",
    "[conformance][expiry]", conformance_factories) {
    if constexpr (ds::conditional_expiring_store<typename TestType::store> &&
                  conformance::keeps_expiry<TestType>) {
        TestType factory;
        const auto binary_key = "nul\0in key\xff"s;
        const auto binary_value = "nul\0in value'\"\x80"s;
        if constexpr (requires(TestType f) { f.make_with_clock({}); }) {
            auto now = ds::expiry_clock::time_point(std::chrono::hours(450'000));
            auto store = factory.make_with_clock([&] { return now; });
            CHECK(store->put_if_absent("k", "first", std::chrono::seconds(10)));
            CHECK(store->get("k") == "first");
            CHECK(store->expiry("k") == now + std::chrono::seconds(10));
            CHECK_FALSE(store->put_if_absent("k", "second", std::chrono::hours(1)));
            CHECK(store->get("k") == "first");
            CHECK(store->expiry("k") == now + std::chrono::seconds(10));

            store->put("forever", "v");
            CHECK_FALSE(store->put_if_absent("forever", "other", std::chrono::seconds(1)));
            CHECK(store->get("forever") == "v");
            CHECK(store->expiry("forever") == std::nullopt);

            CHECK(store->put_if_absent(binary_key, binary_value, std::chrono::seconds(20)));
            CHECK(store->get(binary_key) == binary_value);
            CHECK(store->get("nul") == std::nullopt);
            CHECK(store->put_if_absent("nul"s, "prefix", std::chrono::seconds(20)));
            CHECK_FALSE(store->put_if_absent(binary_key, "other", std::chrono::seconds(20)));
            CHECK(store->get(binary_key) == binary_value);

            now += std::chrono::seconds(11);  // "k" has expired; the binary key has not
            CHECK(store->put_if_absent("k", "third", std::chrono::seconds(5)));
            CHECK(store->get("k") == "third");
            CHECK(store->expiry("k") == now + std::chrono::seconds(5));
            CHECK_FALSE(store->put_if_absent(binary_key, "other", std::chrono::seconds(20)));
            CHECK(store->expiry(binary_key) == now + std::chrono::seconds(9));

            now += std::chrono::seconds(10);  // every entry with a ttl has expired
            CHECK(store->put_if_absent(binary_key, "again", std::chrono::seconds(1)));
            CHECK(store->get(binary_key) == "again");
            CHECK(conformance::scan_keys(*store, 10) ==
                  std::vector<std::string>{"forever", binary_key});
            CHECK(store->put_if_absent("plain-after", "v"));  // the two-argument form: no expiry
            CHECK(store->expiry("plain-after") == std::nullopt);
        } else {
            // On the server's clock: expiry is checked within bounds; writing
            // over an expired entry is tested in the store's own file.
            auto store = factory.make();
            const auto before = ds::expiry_clock::now();
            CHECK(store->put_if_absent("k", "first", std::chrono::seconds(100)));
            CHECK(store->get("k") == "first");
            const auto expires = store->expiry("k");
            REQUIRE(expires);
            CHECK(*expires > before);
            CHECK(*expires <= ds::expiry_clock::now() + std::chrono::seconds(100));
            CHECK_FALSE(store->put_if_absent("k", "second", std::chrono::hours(1)));
            CHECK(store->get("k") == "first");
            const auto kept = store->expiry("k");  // read before the bound: now() only grows
            REQUIRE(kept);
            CHECK(*kept <= ds::expiry_clock::now() + std::chrono::seconds(100));

            store->put("forever", "v");
            CHECK_FALSE(store->put_if_absent("forever", "other", std::chrono::seconds(1)));
            CHECK(store->get("forever") == "v");
            CHECK(store->expiry("forever") == std::nullopt);

            CHECK(store->put_if_absent(binary_key, binary_value, std::chrono::seconds(100)));
            CHECK(store->get(binary_key) == binary_value);
            CHECK(store->expiry(binary_key).has_value());
            CHECK(store->put_if_absent("nul"s, "prefix", std::chrono::seconds(100)));
            CHECK_FALSE(store->put_if_absent(binary_key, "other", std::chrono::seconds(100)));
            CHECK(store->get(binary_key) == binary_value);
        }
    }
}

TEMPLATE_LIST_TEST_CASE("conformance concurrency: threads writing and reading at once",
                        "[conformance][concurrency]", conformance_factories) {
    TestType factory;
    auto store = factory.make();
    constexpr int threads = 4;
    constexpr int each = 200;
    std::atomic<int> wrong_reads{0};  // Catch's assertions are not thread-safe: count, check after
    {
        std::vector<std::jthread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                for (int i = 0; i < each; ++i) {
                    const auto key = fmt::format("t{}-{}", t, i);
                    store->put(key, key);
                    if (store->get(key) != key) ++wrong_reads;
                }
            });
        }
    }
    CHECK(wrong_reads == 0);
    CHECK(conformance::scan_keys(*store, 100).size() == threads * each);
}

TEMPLATE_LIST_TEST_CASE(
    "conformance: the change stamp holds still across reads and moves with every write",
    "[conformance][stamp]", conformance_factories) {
    using store_t = typename TestType::store;
    if constexpr (ds::change_stamped_store<store_t>) {
        TestType factory;
        auto store = factory.make();
        store->put("a", "1");
        auto stamp = store->change_stamp();
        const auto moved = [&] {
            const auto now = store->change_stamp();
            const bool changed = !(now == stamp);
            stamp = now;
            return changed;
        };
        CHECK(store->get("a") == "1");
        CHECK(store->get("missing") == std::nullopt);
        CHECK(conformance::scan_keys(*store, 10) == std::vector<std::string>{"a"});
        if constexpr (conformance::exact_stamps<TestType>)
            CHECK_FALSE(moved());  // reads change nothing
        stamp = store->change_stamp();
        store->put("a", "2");
        CHECK(moved());
        store->put("a", "2");  // the same value again still counts as a write
        CHECK(moved());
        store->put("nul\0key\xff"s, "nul\0value"s);
        CHECK(moved());
        CHECK(store->erase("a"));
        CHECK(moved());
        if constexpr (ds::batch_store<store_t>) {
            const std::vector<std::pair<std::string, std::string>> items{{"b", "1"}, {"c", "1"}};
            store->put_many(items);
            CHECK(moved());
        }
        if constexpr (ds::conditional_store<store_t>) {
            CHECK(store->put_if_absent("d", "1"));
            CHECK(moved());
        }
        if constexpr (conformance::exact_stamps<TestType>) CHECK_FALSE(moved());
    }
}
