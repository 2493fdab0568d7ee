// The Redis adapter against a real server (DUALSTORE_REDIS_URL; scripts/test.sh
// starts one on 127.0.0.1:6390): the conformance suite, native TTL, the lease
// lock, errors and reconnection.

#include "support.hpp"

#include <dualstore/adapters/redis.hpp>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <thread>
#include <tuple>

namespace {
using redis = ds::adapters::redis_store;

/// The server's URL; fails the test with how to get one when unset.
std::string server_url() {
    const char* url = std::getenv("DUALSTORE_REDIS_URL");
    if (url == nullptr) {
        FAIL("DUALSTORE_REDIS_URL is not set: run the tests through scripts/test.sh, which starts "
             "a Redis server (or set it to redis://host:port)");
    }
    return url;
}

/// A store under a prefix no other test uses.
std::unique_ptr<redis> fresh_store() {
    static std::atomic<int> n{0};
    return std::make_unique<redis>(server_url(),
                                   ds::adapters::redis_options{.key_prefix = fmt::format("t{}-{}:", ::getpid(), n++)});
}

struct redis_factory {
    using store = redis;
    static constexpr bool scan_stable_under_writes = false;  // SCAN may repeat keys on a resize
    std::unique_ptr<store> make() { return fresh_store(); }
};

static_assert(ds::resumable_store<redis> && ds::expiring_store<redis> &&
              ds::conditional_store<redis> && ds::batch_store<redis> &&
              ds::conditional_expiring_store<redis> &&
              ds::lease_lock<ds::adapters::redis_lease_lock>);
}  // namespace

using conformance_factories = std::tuple<redis_factory>;
#include "conformance/store_conformance.hpp"

TEST_CASE("redis: native TTL: expiry from PTTL, gone after it", "[redis][expiry]") {
    auto store = fresh_store();
    store->put("short", "v", std::chrono::milliseconds(150));
    store->put("forever", "v");
    const auto expires = store->expiry("short");
    REQUIRE(expires);
    CHECK(*expires > ds::expiry_clock::now());
    CHECK(*expires <= ds::expiry_clock::now() + std::chrono::milliseconds(150));
    CHECK(store->expiry("forever") == std::nullopt);
    CHECK(store->expiry("missing") == std::nullopt);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    CHECK(store->get("short") == std::nullopt);
    store->put("short", "again");
    CHECK(store->expiry("short") == std::nullopt);
}

TEST_CASE(
    "redis: put_if_absent with a ttl (SET NX PX) writes over an expired key, with the new ttl",
    "[redis][expiry]") {
    auto store = fresh_store();
    CHECK(store->put_if_absent("short", "first", std::chrono::milliseconds(150)));
    CHECK_FALSE(store->put_if_absent("short", "second", std::chrono::seconds(100)));
    CHECK(store->get("short") == "first");
    const auto kept = store->expiry("short");  // read before the bound: now() only grows
    REQUIRE(kept);
    CHECK(*kept <= ds::expiry_clock::now() + std::chrono::milliseconds(150));
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    CHECK(store->put_if_absent("short", "third", std::chrono::seconds(100)));
    CHECK(store->get("short") == "third");
    const auto renewed = store->expiry("short");
    REQUIRE(renewed);
    CHECK(*renewed > ds::expiry_clock::now() + std::chrono::seconds(50));
}

TEST_CASE("redis: lease lock: SET NX PX to acquire, compare-and-delete to release", "[redis][lease]") {
    auto store = fresh_store();
    ds::adapters::redis_lease_lock lock{*store, fmt::format("lease-{}:", ::getpid())};
    const auto held = lock.try_acquire("job", std::chrono::seconds(10));
    REQUIRE(held);
    CHECK_FALSE(lock.try_acquire("job", std::chrono::seconds(10)));
    auto forged = *held;
    forged.token = "someone else";
    CHECK_FALSE(lock.release(forged));
    CHECK(lock.release(*held));
    CHECK_FALSE(lock.release(*held));

    const auto brief = lock.try_acquire("brief", std::chrono::milliseconds(100));
    REQUIRE(brief);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto next = lock.try_acquire("brief", std::chrono::seconds(10));
    REQUIRE(next);  // the lapsed lease was free
    CHECK_FALSE(lock.release(*brief));  // and the old holder cannot free the new one
    CHECK(lock.release(*next));
}

TEST_CASE("redis: bad URLs and an unreachable server are clear, bounded errors", "[redis][errors]") {
    CHECK_THROWS_WITH(redis("localhost:6379"), Catch::Matchers::Contains("redis: bad URL") &&
                                                   Catch::Matchers::Contains("redis://host"));
    CHECK_THROWS_WITH(redis("redis://localhost:99999"), Catch::Matchers::Contains("not a port number"));
    CHECK_THROWS_WITH(redis("redis://localhost:6390/abc"), Catch::Matchers::Contains("is not a number"));
    CHECK_THROWS_WITH(redis("redis://:6390"), Catch::Matchers::Contains("no host"));
    const auto start = std::chrono::steady_clock::now();
    // Port 1 on loopback: nothing listens there.
    CHECK_THROWS_WITH(redis("redis://127.0.0.1:1", {.connect_timeout = std::chrono::seconds(1)}),
                      Catch::Matchers::Contains("redis: connect to redis://127.0.0.1:1"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    CHECK_THROWS_AS(redis("redis://127.0.0.1:1"), ds::error);
}

TEST_CASE("redis: a dropped connection is an error once, then the store reconnects", "[redis][errors]") {
    auto store = fresh_store();
    store->put("k", "v");
    // Only this store's connection is killed (tests run in parallel).
    const auto id = std::to_string(store->connection().command({"CLIENT", "ID"}, "id")->integer);
    redis killer(server_url());
    killer.connection().command({"CLIENT", "KILL", "ID", id}, "kill");
    CHECK_THROWS_AS(store->get("k"), ds::adapters::redis_error);
    CHECK(store->get("k") == "v");  // reconnected
}

TEST_CASE("redis: stores with different prefixes do not see each other's keys", "[redis]") {
    auto a = fresh_store();
    auto b = fresh_store();
    a->put("k", "a");
    CHECK(b->get("k") == std::nullopt);
    CHECK(b->scan({}, 100).items.empty());
}

TEST_CASE("redis: a command on a stalled server times out with a clear error", "[redis][errors]") {
    auto store = std::make_unique<redis>(
        server_url(), ds::adapters::redis_options{.key_prefix = fmt::format("timeout-{}:", ::getpid()),
                                                  .command_timeout = std::chrono::milliseconds(100)});
    store->put("k", "v");
    std::jthread staller([] {
        redis other(server_url());
        other.connection().command({"DEBUG", "SLEEP", "0.5"}, "stall");  // blocks the server
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(store->get("k"), Catch::Matchers::Contains("redis: get on"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(450));
    staller.join();
    CHECK(store->get("k") == "v");  // reconnected once the server answers again
}
