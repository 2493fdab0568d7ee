// The Redis adapter against a real server (DUALSTORE_REDIS_URL; scripts/test.sh
// starts one on 127.0.0.1:6390): the conformance suite, native TTL, the lease
// lock, errors and reconnection.

#include "conformance/lease_renewal.hpp"
#include "server.hpp"
#include "support.hpp"

#include <dualstore/adapters/redis.hpp>
#include <dualstore/backfill/backfill.hpp>
#include <dualstore/testing/memory_store.hpp>
#include <dualstore/testing/recording_store.hpp>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <thread>
#include <tuple>

namespace {
using redis = ds::adapters::redis_store;

/// The server's URL.
std::string server_url() {
    return redis_server::url();
}

/// The URL of environment variable `name` (set by scripts/servers.sh).
std::string url_from(const char* name) {
    const char* url = std::getenv(name);
    if (url == nullptr) FAIL(name << " is not set: run the tests through scripts/test.sh");
    return url;
}

using redis_server::fresh_prefix;

/// A store under a prefix no other test uses.
std::unique_ptr<redis> fresh_store(const std::string& url = server_url()) {
    return std::make_unique<redis>(url, ds::adapters::redis_options{.key_prefix = fresh_prefix()});
}

/// The message of the `redis_error` `make` throws.
template <class Make>
std::string error_of(Make make) {
    try {
        make();
    } catch (const ds::adapters::redis_error& e) {
        return e.what();
    }
    FAIL("no redis_error was thrown");
    return {};
}

struct redis_factory {
    using store = redis;
    static constexpr bool scan_stable_under_writes = false;  // SCAN may repeat keys on a resize
    static constexpr bool relative_expiry = true;            // PTTL, dated at each call
    std::unique_ptr<store> make() { return fresh_store(); }
};

static_assert(ds::resumable_store<redis> && ds::expiring_store<redis> &&
              ds::conditional_store<redis> && ds::batch_store<redis> &&
              ds::conditional_expiring_store<redis> && ds::expiry_scannable_store<redis> &&
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

TEST_CASE("redis: a backfill reads each page's expiries with its values, no PTTL per record",
          "[redis][expiry][backfill]") {
    auto source = fresh_store();
    for (int i = 0; i < 50; ++i) {
        if (i % 2 == 0) {
            source->put(conformance::key_of(i), "v");
        } else {
            source->put(conformance::key_of(i), "v", std::chrono::hours(1));
        }
    }
    dst::recording_store<redis&> recorded(*source, "source");
    kv target;
    const auto before = ds::expiry_clock::now();
    const auto report = ds::backfill(recorded, target, {.batch_size = 16});
    CHECK(report.written == 50);
    // Each page is one scan_with_expiry (SCAN, then MULTI MGET PTTL... EXEC).
    CHECK(recorded.log().count("source", dst::call_kind::expiry) == 0);
    for (int i = 0; i < 50; ++i) {
        CAPTURE(i);
        const auto expires = target.expiry(conformance::key_of(i));
        CHECK(target.get(conformance::key_of(i)) == "v");
        if (i % 2 == 0) {
            CHECK_FALSE(expires);
        } else {
            REQUIRE(expires);
            CHECK(*expires > before + std::chrono::minutes(59));
            CHECK(*expires <= ds::expiry_clock::now() + std::chrono::hours(1));
        }
    }
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
    ds::adapters::redis_lease_lock lock{*store, fresh_prefix() + "lease:"};
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

TEST_CASE("redis: lease renewal: only the holder renews, a lapsed and taken lease is lost",
          "[redis][lease][partition]") {
    auto store = fresh_store();
    ds::adapters::redis_lease_lock lock{*store, fresh_prefix() + "lease-renew:"};
    lease_renewal::check(lock);
}

TEST_CASE("redis: bad URLs and an unreachable server are clear, bounded errors", "[redis][errors]") {
    CHECK_THROWS_WITH(redis("localhost:6379"),
                      Catch::Matchers::Contains("redis: bad URL") &&
                          Catch::Matchers::Contains("redis://[[user]:password@]host"));
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
        server_url(),
        ds::adapters::redis_options{.key_prefix = fresh_prefix() + "timeout:",
                                    .command_timeout = std::chrono::milliseconds(100)});
    store->put("k", "v");
    std::jthread staller([] {
        redis other(server_url());
        other.connection().command({"DEBUG", "SLEEP", "0.5"}, "stall");  // blocks the server
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto start = std::chrono::steady_clock::now();
    try {
        (void)store->get("k");
        FAIL("a get on a stalled server returned");
    } catch (const ds::adapters::redis_timeout& e) {
        // The command, the server and the limit.
        CHECK_THAT(e.what(), Catch::Matchers::Contains("redis: get on") &&
                                 Catch::Matchers::Contains("timed out: no reply within 100 ms "
                                                           "(command_timeout)"));
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(450));
    staller.join();
    CHECK(store->get("k") == "v");  // reconnected once the server answers again
}

TEST_CASE("redis: URLs with a password: the password never appears in an error",
          "[redis][errors][auth]") {
    using Catch::Matchers::Contains;
    const auto unreachable = error_of([] { redis("redis://:hunter2@127.0.0.1:1/0"); });
    CHECK_THAT(unreachable, Contains("redis://:***@127.0.0.1:1/0"));
    const auto bad_port = error_of([] { redis("redis://user:hunter2@localhost:99999"); });
    CHECK_THAT(bad_port,
               Contains("redis://user:***@localhost:99999") && Contains("not a port number"));
    const auto bad_escape = error_of([] { redis("redis://user:hunt%zzer2@localhost"); });
    CHECK_THAT(bad_escape, Contains("two hexadecimal digits"));
    for (const auto& message : {unreachable, bad_port, bad_escape}) {
        CHECK_THAT(message, !Contains("hunter2") && !Contains("hunt%zz"));
    }
    const auto url = server_url();
    auto wrong_url = url_from("DUALSTORE_REDIS_ACL_URL");
    wrong_url.replace(wrong_url.find("dualstore-acl-secret"), 20, "wrong-secret");
    const auto wrong = error_of([&] { redis{wrong_url}; });
    CHECK_THAT(wrong, Contains("AUTH as user \"dualstore\" refused: WRONGPASS") &&
                          Contains("dualstore:***@") && !Contains("secret"));
    CHECK_THAT(error_of([&] { redis(url.substr(0, 8) + ":hunter2@" + url.substr(8)); }),
               Contains("AUTH with a password refused") && !Contains("hunter2"));
}

TEST_CASE("redis: other URL forms and their errors", "[redis][errors]") {
    using Catch::Matchers::Contains;
    CHECK_THAT(error_of([] { redis("rediss://localhost:6390"); }),
               Contains("TLS (rediss://) needs a hiredis built with SSL"));
    CHECK_THAT(error_of([] { redis("redis://localhost:6390/999999999999"); }),
               Contains("database 999999999999 is out of range"));
    CHECK_THAT(error_of([] { redis("redis://localhost:6390/-1"); }), Contains("out of range"));
    CHECK_THAT(error_of([] { redis("unix://relative/redis.sock"); }), Contains("must be absolute"));
    CHECK_THAT(error_of([] { redis("unix:///tmp/x.sock?dbx=1"); }),
               Contains("unknown parameter \"dbx\""));
    CHECK_THAT(error_of([] { redis("redis://[::1:6390"); }), Contains("unclosed '['"));
    // A database the server does not have: refused at connect, so no command
    // runs in database 0 instead.
    CHECK_THAT(error_of([] { redis(server_url() + "/4000"); }),
               Contains("SELECT of database 4000 refused"));
}

TEST_CASE("redis: AUTH as an ACL user, from the URL or from the options", "[redis][auth]") {
    auto from_url = fresh_store(url_from("DUALSTORE_REDIS_ACL_URL") + "/2");
    from_url->put("k", "v");
    CHECK(from_url->get("k") == "v");
    CHECK(from_url->connection().command({"ACL", "WHOAMI"}, "whoami")->str ==
          std::string("dualstore"));
    // The options name the user: the same login with a URL that has none.
    redis from_options(server_url() + "/2",
                       {.username = "dualstore", .password = "dualstore-acl-secret"});
    CHECK(from_options.connection().command({"ACL", "WHOAMI"}, "whoami")->str ==
          std::string("dualstore"));
    // Percent-escapes in the URL's user information are decoded.
    redis escaped(url_from("DUALSTORE_REDIS_ACL_URL").replace(8, 9, "%64ualstore"));
    CHECK(escaped.connection().command({"ACL", "WHOAMI"}, "whoami")->str ==
          std::string("dualstore"));
}

TEST_CASE("redis: a unix socket, with a database", "[redis]") {
    const ds::adapters::redis_options options{.key_prefix = fresh_prefix()};
    redis over_socket(url_from("DUALSTORE_REDIS_SOCKET_URL") + "?db=3", options);
    over_socket.put("k", "over the socket");
    CHECK(redis(server_url() + "/3", options).get("k") == "over the socket");  // database 3
    CHECK(redis(server_url(), options).get("k") == std::nullopt);              // not 0
}

TEST_CASE("redis: an error reply in a pipeline leaves the connection in step", "[redis][errors]") {
    auto store = fresh_store();
    const auto prefix = fresh_prefix();
    const std::string a = prefix + "a", text = prefix + "text", b = prefix + "b";
    store->connection().command({"SET", text, "not a number"}, "set");
    CHECK_THROWS_WITH(
        store->connection().pipeline({{"SET", a, "1"}, {"INCR", text}, {"SET", b, "2"}}, "batch"),
        Catch::Matchers::Contains("redis: batch on") &&
            Catch::Matchers::Contains("command 2 of 3") &&
            Catch::Matchers::Contains("not an integer"));
    // Every reply was read: the next commands get their own replies, and the
    // commands after the failed one ran.
    CHECK(std::string(store->connection().command({"GET", a}, "get")->str) == "1");
    CHECK(std::string(store->connection().command({"GET", b}, "get")->str) == "2");
    store->put("x", "stored");
    CHECK(store->get("x") == "stored");
}

TEST_CASE("redis: a SELECT refused on reconnect leaves the store unusable, never in database 0",
          "[redis][errors][auth]") {
    redis admin(server_url());
    const auto user = fmt::format("ds-select-{}", ::getpid());
    admin.connection().command({"ACL", "SETUSER", user, "on", ">pw", "~*", "&*", "+@all"}, "acl");
    const auto prefix = fresh_prefix();
    auto store =
        std::make_unique<redis>(fmt::format("redis://{}:pw@{}/5", user, server_url().substr(8)),
                                ds::adapters::redis_options{.key_prefix = prefix});
    store->put("k", "v1");
    // The user loses SELECT, then its connection drops.
    admin.connection().command({"ACL", "SETUSER", user, "-select"}, "acl");
    const auto id = std::to_string(store->connection().command({"CLIENT", "ID"}, "id")->integer);
    admin.connection().command({"CLIENT", "KILL", "ID", id}, "kill");
    CHECK_THROWS_AS(store->put("k", "v2"), ds::adapters::redis_error);  // the dropped connection
    for (int attempt = 0; attempt < 2; ++attempt) {
        CHECK_THROWS_WITH(store->put("k", "v2"),
                          Catch::Matchers::Contains("put: reconnect to") &&
                              Catch::Matchers::Contains("SELECT of database 5 refused"));
    }
    CHECK(admin.get(prefix + "k") == std::nullopt);  // nothing went to database 0
    admin.connection().command({"ACL", "SETUSER", user, "+select"}, "acl");
    store->put("k", "v2");
    CHECK(store->get("k") == "v2");
    admin.connection().command({"ACL", "DELUSER", user}, "acl");
}
