// key_lock_table and what it is made of (detail::stripe_mutex,
// detail::hash_key_bytes): one key always maps to one stripe, keys spread over
// the stripes, a held key excludes every other thread (checked under
// ThreadSanitizer with the lock contended), and holding two keys of one table
// is an error instead of a deadlock.

#include "support.hpp"

#include <dualstore/key_lock_table.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

TEST_CASE("key_lock_table: one key maps to one stripe, whatever its string type",
          "[key_lock_table]") {
    const ds::key_lock_table table(64);
    const std::string key("order:42");
    CHECK(table.index_of(key) == table.index_of(std::string_view("order:42")));
    CHECK(table.index_of(key) == table.index_of("order:42"));
    const std::string binary("a\0b\xff", 4);
    CHECK(table.index_of(binary) == table.index_of(std::string_view(binary)));
    CHECK(table.index_of(binary) < table.stripes());
    CHECK(ds::key_lock_table(1000).stripes() == 1024);
    CHECK(ds::key_lock_table(0).stripes() == 1);
}

TEST_CASE("key_lock_table: keys that differ in one byte spread over the stripes",
          "[key_lock_table]") {
    // 1024 keys of the benchmarks' form over 1024 stripes: a uniform hash
    // fills 1 - 1/e (63%) of the stripes; a weak one piles them up.
    const ds::key_lock_table table(1024);
    std::set<std::size_t> used;
    for (int i = 0; i < 1024; ++i) used.insert(table.index_of(fmt::format("key-{:012}", i)));
    CHECK(used.size() > 560);

    // Integers hashed by std::hash (the identity) are spread by the final multiply.
    std::set<std::size_t> used_ints;
    for (std::uint64_t i = 0; i < 1024; ++i) used_ints.insert(table.index_of(i));
    CHECK(used_ints.size() > 560);
}

TEST_CASE("hash_key_bytes: every length, every byte position and the length itself change the hash",
          "[key_lock_table]") {
    for (std::size_t length = 0; length <= 40; ++length) {
        std::string key(length, 'x');
        const auto base = ds::detail::hash_key_bytes(key);
        CHECK(base != ds::detail::hash_key_bytes(key + '\0'));  // trailing zero bytes count
        for (std::size_t at = 0; at < length; ++at) {
            std::string changed = key;
            changed[at] = static_cast<char>(changed[at] ^ 1);
            CHECK(ds::detail::hash_key_bytes(changed) != base);
        }
    }
}

TEST_CASE("key_lock_table concurrency: a held key excludes every other thread",
          "[key_lock_table]") {
    // Four threads on two keys of one table, so the lock is contended (the
    // waiting path sleeps and is woken); a plain counter per key shows any
    // two holders overlapping, and ThreadSanitizer reports it as a race.
    ds::key_lock_table table(16);
    std::size_t counters[2] = {0, 0};
    const std::string keys[2] = {"a", "b"};
    constexpr int per_thread = 20000;
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < per_thread; ++i) {
                    const int which = (t + i) % 2;
                    const auto held = table.acquire(keys[which]);
                    ++counters[which];
                }
            });
        }
    }
    CHECK(counters[0] + counters[1] == 4 * per_thread);
    CHECK(counters[0] == 2 * per_thread);
}

TEST_CASE(
    "key_lock_table: a second key of the same table from one thread is an error, not a deadlock",
    "[key_lock_table]") {
    ds::key_lock_table table(8);
    ds::key_lock_table other(8);
    {
        auto held = table.acquire(std::string("a"));
        CHECK(held.owns_lock());
        CHECK_THROWS_WITH(table.acquire(std::string("b")),
                          Catch::Matchers::Contains("would deadlock"));
        const auto other_held = other.acquire(std::string("a"));  // another table is fine
        CHECK(other_held.owns_lock());

        ds::key_lock_table::lock moved = std::move(held);
        CHECK(moved.owns_lock());
        CHECK_FALSE(held.owns_lock());  // NOLINT(bugprone-use-after-move): moved-from holds nothing
    }
    // Every lock released: the thread may take a key again, and so may another thread.
    CHECK(table.acquire(std::string("b")).owns_lock());
    std::jthread([&] { CHECK(table.acquire(std::string("a")).owns_lock()); }).join();
}

TEST_CASE("key_lock_table: keys of several tables are released in any order", "[key_lock_table]") {
    ds::key_lock_table first(8);
    ds::key_lock_table second(8);
    {
        auto a = first.acquire(std::string("k"));
        auto b = second.acquire(std::string("k"));
        a = {};  // released before b, the reverse of the order they were taken in
        CHECK(first.acquire(std::string("k")).owns_lock());
        CHECK_THROWS_WITH(second.acquire(std::string("j")),
                          Catch::Matchers::Contains("would deadlock"));
    }
    CHECK(second.acquire(std::string("j")).owns_lock());

    std::vector<std::unique_ptr<ds::key_lock_table>> tables;
    std::vector<ds::key_lock_table::lock> held;
    for (std::size_t i = 0; i < ds::key_lock_table::max_tables_per_thread; ++i) {
        tables.push_back(std::make_unique<ds::key_lock_table>(1));
        held.push_back(tables.back()->acquire(std::string("k")));
    }
    ds::key_lock_table one_more(1);
    CHECK_THROWS_WITH(one_more.acquire(std::string("k")),
                      Catch::Matchers::Contains("8 key_lock_tables at once"));
    held.clear();
    CHECK(one_more.acquire(std::string("k")).owns_lock());
}
