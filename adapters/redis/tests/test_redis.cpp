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
#include <set>
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

/// Database 7 of the server: the sampling tests write thousands of keys, and
/// the table resizes that causes stay out of database 0, where the other
/// tests scan.
std::string sampling_url() {
    return server_url() + "/7";
}

using conformance::smallest_of;

TEST_CASE(
    "redis: key samples hashed on the server equal the client's: binary keys, keys of one and "
    "two MD5 blocks, a prefix with glob specials",
    "[redis][sample]") {
    const auto prefix = "s*[?]\\" + fresh_prefix();
    ds::adapters::redis_store in_client(sampling_url(), {.key_prefix = prefix});
    ds::adapters::redis_store on_server(
        sampling_url(),
        {.key_prefix = prefix, .key_sampling = ds::adapters::redis_key_sampling::on_server});
    ds::adapters::redis_store(sampling_url(), {.key_prefix = fresh_prefix()})
        .put("other prefix", "v");  // not listed
    std::vector<std::string> keys{"nul\0in key"s, "\xff\x80"s, "a"s, ""s};
    // Salt and key fill 55, 56, 63, 64 and 120 bytes: padding in one block or two.
    for (const std::size_t size : {47U, 48U, 55U, 56U, 112U}) keys.emplace_back(size, 'k');
    for (int i = 0; i < 600; ++i) keys.push_back(fmt::format("key:{}", i));
    for (const auto& k : keys) in_client.put(k, "v");
    for (const std::size_t n : {0U, 1U, 10U, 100U, 400U, 5000U}) {
        for (const std::uint64_t salt : {0ULL, 42ULL, ~0ULL}) {
            CAPTURE(n, salt);
            const auto sample = on_server.sample_keys(salt, n);
            CHECK(sample.keys == keys.size());
            CHECK(sample.smallest == smallest_of(keys, salt, n));
            CHECK(in_client.sample_keys(salt, n).smallest == sample.smallest);
        }
    }
    // Pages of any size: a few keys per call, or every key in one.
    for (const std::size_t page : {3U, 5000U}) {
        ds::adapters::redis_store paged(
            sampling_url(), {.key_prefix = prefix,
                             .key_sampling = ds::adapters::redis_key_sampling::on_server,
                             .sample_page = page});
        for (const std::size_t n : {10U, 400U}) {
            CAPTURE(page, n);
            const auto sample = paged.sample_keys(42, n);
            CHECK(sample.keys == keys.size());
            CHECK(sample.smallest == smallest_of(keys, 42, n));
        }
    }
}

TEST_CASE("redis: the sample script sends back the keys whose hash is in its range, and counts all",
          "[redis][sample]") {
    auto store = std::make_unique<redis>(sampling_url(),
                                         ds::adapters::redis_options{.key_prefix = fresh_prefix()});
    const auto prefix = fresh_prefix();
    ds::adapters::redis_store prefixed(sampling_url(), {.key_prefix = prefix});
    std::vector<std::string> keys;
    for (int i = 0; i < 300; ++i) keys.push_back(fmt::format("key:{}", i));
    for (const auto& k : keys) prefixed.put(k, "v");
    const std::uint64_t salt = 7;
    const auto sorted = smallest_of(keys, salt, keys.size());
    // Above the 10th hash (excluded), up to the 40th (included): 30 keys.
    const auto above = sorted[9].first, upper = sorted[39].first;
    auto& connection = prefixed.connection();
    const auto sha =
        connection.command({"SCRIPT", "LOAD", ds::adapters::redis_sampling::script}, "load");
    const std::string salt_bytes("\0\0\0\0\0\0\0\x07", 8);
    const auto half = [](std::uint64_t v, int shift) {
        return std::to_string((v >> shift) & 0xffffffffU);
    };
    const std::vector<std::string> range{salt_bytes, half(above, 32), half(above, 0),
                                         half(upper, 32), half(upper, 0)};
    const auto pattern = prefix + "*";
    const auto prefix_length = std::to_string(prefix.size());
    std::string cursor = "0";
    std::int64_t listed = 0;
    std::vector<std::pair<std::uint64_t, std::string>> found;
    do {
        std::vector<std::string_view> args{
            "EVALSHA",    std::string_view(sha->str, sha->len), "0", cursor, pattern, "50",
            prefix_length};
        args.insert(args.end(), range.begin(), range.end());
        const auto r = connection.command(args, "sample pass");
        cursor.assign(r->element[0]->str, r->element[0]->len);
        listed += r->element[1]->integer;
        for (std::size_t i = 2; i < r->elements; i += 2) {
            found.emplace_back(
                std::stoull(std::string(r->element[i]->str, r->element[i]->len), nullptr, 16),
                std::string(r->element[i + 1]->str, r->element[i + 1]->len));
        }
    } while (cursor != "0");
    std::ranges::sort(found);
    CHECK(listed == 300);
    CHECK(found == std::vector(sorted.begin() + 10, sorted.begin() + 40));
    CHECK(store->sample_keys(salt, 5).keys == 0);  // another prefix's keys are not listed
}

TEST_CASE(
    "redis: a key sample hashed on the server beside a writer keeps every key present "
    "throughout that hashes below its largest",
    "[redis][sample]") {
    const auto prefix = fresh_prefix();
    const ds::adapters::redis_options options{
        .key_prefix = prefix, .key_sampling = ds::adapters::redis_key_sampling::on_server};
    ds::adapters::redis_store sampler(sampling_url(), options);
    ds::adapters::redis_store writer_store(sampling_url(), options);
    std::vector<std::string> stable;
    for (int i = 0; i < 2000; ++i) stable.push_back(fmt::format("stable:{}", i));
    for (const auto& k : stable) sampler.put(k, "v");
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        // Transient keys come and go, and a resize may make SCAN repeat keys.
        for (int i = 0; !stop.load(); ++i) {
            writer_store.put(fmt::format("transient:{}", i), "v");
            if (i >= 50) writer_store.erase(fmt::format("transient:{}", i - 50));
        }
    });
    for (const std::uint64_t salt : {1ULL, 2ULL, 3ULL}) {
        const auto sample = sampler.sample_keys(salt, 50);
        REQUIRE(sample.smallest.size() == 50);
        const auto largest = sample.smallest.back().first;
        std::set<std::string> sampled;
        for (const auto& [h, k] : sample.smallest) sampled.insert(k);
        for (const auto& k : stable) {
            if (ds::key_sample_hash(k, salt) <= largest) CHECK(sampled.contains(k));
        }
        CHECK(sample.keys >= stable.size());
    }
    stop = true;
    writer.join();
}

TEST_CASE("redis: a server-side sample whose range holds too few keys widens it until it holds n",
          "[redis][sample]") {
    std::vector<std::string> keys;
    for (int i = 0; i < 1000; ++i) keys.push_back(fmt::format("key:{}", i));
    const std::uint64_t salt = 3;
    struct pass_record {
        std::optional<std::uint64_t> above;
        std::uint64_t upper;
        std::size_t offered;
    };
    std::vector<pass_record> passes;
    const auto pass = [&](std::optional<std::uint64_t> above, std::uint64_t upper, auto offer) {
        std::size_t offered = 0;
        for (const auto& k : keys) {
            const auto h = ds::key_sample_hash(k, salt);
            if ((!above || h > *above) && h <= upper) {
                offer(h, k);
                ++offered;
            }
        }
        passes.push_back({above, upper, offered});
        return std::uint64_t{keys.size()};
    };
    SECTION("a count that was right: one pass, about n + 4 sqrt(n) keys sent") {
        const auto sample = ds::adapters::redis_sampling::draw(salt, 25, 1000, pass);
        CHECK(sample.smallest == smallest_of(keys, salt, 25));
        CHECK(sample.keys == 1000);
        REQUIRE(passes.size() == 1);
        CHECK(passes[0].offered >= 25);
        CHECK(passes[0].offered <= 70);  // 25 + 4 x 5 + 8 = 53 expected
    }
    SECTION("a count 100 times too high (keys deleted since): wider ranges, each above the last") {
        const auto sample = ds::adapters::redis_sampling::draw(salt, 25, 100'000, pass);
        CHECK(sample.smallest == smallest_of(keys, salt, 25));
        CHECK(sample.keys == 1000);
        REQUIRE(passes.size() >= 2);
        for (std::size_t i = 1; i < passes.size(); ++i) {
            CHECK(passes[i].above == passes[i - 1].upper);
            CHECK(passes[i].upper >= 2 * passes[i - 1].upper);
        }
    }
    SECTION("fewer keys than n: every key, counted exactly") {
        keys.resize(10);
        const auto sample = ds::adapters::redis_sampling::draw(salt, 25, 10, pass);
        CHECK(sample.smallest == smallest_of(keys, salt, 25));
        CHECK(sample.keys == 10);
        CHECK(passes.size() == 1);
    }
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
