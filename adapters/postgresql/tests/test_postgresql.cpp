// The PostgreSQL adapter against a real server (DUALSTORE_PG_DSN;
// scripts/test.sh starts one on 127.0.0.1:5440): the conformance suite,
// the lease lock, errors and reconnection.

#include "conformance/range_digest_conformance.hpp"
#include "server.hpp"
#include "support.hpp"

#include <dualstore/adapters/postgresql.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <thread>
#include <tuple>

namespace {
using postgresql = ds::adapters::postgresql_store;

using postgresql_server::fresh_table;
/// The server's DSN.
inline std::string server_dsn() {
    return postgresql_server::dsn();
}

struct postgresql_factory {
    using store = postgresql;
    static constexpr bool scan_stable_under_writes = true;  // keyset pagination
    std::unique_ptr<store> make() { return std::make_unique<store>(server_dsn(), postgresql::options{.table = fresh_table()}); }
    std::unique_ptr<store> make_with_clock(std::function<ds::expiry_clock::time_point()> now) {
        return std::make_unique<store>(server_dsn(), postgresql::options{.table = fresh_table(), .now = std::move(now)});
    }
};

static_assert(ds::resumable_store<postgresql> && ds::expiring_store<postgresql> &&
              ds::conditional_store<postgresql> && ds::batch_store<postgresql> &&
              ds::conditional_expiring_store<postgresql> &&
              ds::lease_lock<ds::adapters::postgresql_lease_lock>);
}  // namespace

using conformance_factories = std::tuple<postgresql_factory>;
#include "conformance/store_conformance.hpp"

TEST_CASE("postgresql: lease lock: one winner, compare-and-delete release, lapsed leases free",
          "[postgresql][lease]") {
    ds::adapters::postgresql_lease_lock lock(server_dsn(), fresh_table());
    const auto held = lock.try_acquire("job", std::chrono::seconds(10));
    REQUIRE(held);
    CHECK_FALSE(lock.try_acquire("job", std::chrono::seconds(10)));
    auto forged = *held;
    forged.token = "someone else";
    CHECK_FALSE(lock.release(forged));
    CHECK(lock.release(*held));
    const auto brief = lock.try_acquire("brief", std::chrono::milliseconds(50));
    REQUIRE(brief);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto next = lock.try_acquire("brief", std::chrono::seconds(10));
    REQUIRE(next);
    CHECK_FALSE(lock.release(*brief));
    CHECK(lock.release(*next));
}

TEST_CASE("postgresql concurrency: of instances racing for a lease, exactly one wins",
          "[postgresql][lease][concurrency]") {
    const auto table = fresh_table();
    std::atomic<int> winners{0};
    {
        std::vector<std::jthread> instances;
        for (int i = 0; i < 4; ++i) {
            instances.emplace_back([&] {
                ds::adapters::postgresql_lease_lock lock(server_dsn(), table);
                if (lock.try_acquire("nightly", std::chrono::minutes(1))) ++winners;
            });
        }
    }
    CHECK(winners == 1);
}

TEST_CASE("postgresql: bad DSNs and an unreachable server are clear, bounded errors",
          "[postgresql][errors]") {
    CHECK_THROWS_WITH(postgresql("host=127.0.0.1 port"), Catch::Matchers::Contains("postgresql: bad DSN"));
    CHECK_THROWS_WITH(postgresql("nosuchkey=1"), Catch::Matchers::Contains("postgresql: bad DSN") &&
                                                     Catch::Matchers::Contains("nosuchkey"));
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(postgresql("host=127.0.0.1 port=1 connect_timeout=2"),
                      Catch::Matchers::Contains("postgresql: connect"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
    CHECK_THROWS_AS(postgresql("host=127.0.0.1 port=1 connect_timeout=2"), ds::error);
}

TEST_CASE("postgresql: a dropped connection is an error once, then the store reconnects",
          "[postgresql][errors]") {
    // Only this store's connection is dropped (tests run in parallel): it is
    // found by its application_name.
    const auto name = fmt::format("dualstore_drop_{}", ::getpid());
    postgresql store(server_dsn() + " application_name=" + name, {.table = fresh_table()});
    store.put("k", "v");
    ds::adapters::postgresql_connection admin(server_dsn());
    admin.exec(fmt::format("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{}'", name),
               "terminate");
    CHECK_THROWS_AS(store.get("k"), ds::adapters::postgresql_error);
    CHECK(store.get("k") == "v");  // reconnected, statements prepared again
}

TEST_CASE("postgresql: purge deletes expired rows, put_many is one transaction", "[postgresql]") {
    auto now = ds::expiry_clock::time_point(std::chrono::hours(450'000));
    postgresql store(server_dsn(), {.table = fresh_table(), .now = [&] { return now; }});
    store.put("a", "1", std::chrono::seconds(1));
    now += std::chrono::seconds(2);
    CHECK(store.purge_expired() == 1);
    const std::vector<std::pair<std::string, std::string>> items{{"x", "1"}, {"y", "2"}};
    store.put_many(items);
    CHECK(store.get("y") == "2");
}

TEST_CASE("postgresql: a statement blocked past statement_timeout fails with a clear error",
          "[postgresql][errors]") {
    const auto table = fresh_table();
    postgresql store(server_dsn(), {.table = table, .statement_timeout = std::chrono::milliseconds(100)});
    store.put("k", "v");
    ds::adapters::postgresql_connection admin(server_dsn());
    admin.exec("BEGIN", "begin");
    admin.exec(fmt::format("LOCK TABLE \"{}\" IN ACCESS EXCLUSIVE MODE", table), "lock");
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(store.get("k"), Catch::Matchers::Contains("postgresql: get") &&
                                          Catch::Matchers::Contains("statement timeout"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
    admin.exec("ROLLBACK", "rollback");
    CHECK(store.get("k") == "v");
}

TEST_CASE("postgresql: a DSN's password never appears in an error", "[postgresql][errors]") {
    using Catch::Matchers::Contains;
    CHECK_THROWS_WITH(postgresql("host=127.0.0.1 password=hunter2 port"),
                      Contains("password=***") && !Contains("hunter2"));
    CHECK_THROWS_WITH(postgresql("host=127.0.0.1 password = 'hunter 2' nosuchkey=1"),
                      Contains("password = ***") && !Contains("hunter"));
    CHECK_THROWS_WITH(postgresql("postgresql://me:hunter2@127.0.0.1:1/db?nosuchkey=1"),
                      Contains("postgresql://me:***@127.0.0.1:1/db") && !Contains("hunter2"));
}

TEST_CASE("postgresql: statement_timeout holds after a reconnect", "[postgresql][errors]") {
    const auto name = fmt::format("dualstore_timeout_{}", ::getpid());
    const auto table = fresh_table();
    postgresql store(server_dsn() + " application_name=" + name,
                     {.table = table, .statement_timeout = std::chrono::milliseconds(100)});
    store.put("k", "v");
    ds::adapters::postgresql_connection admin(server_dsn());
    admin.exec(
        fmt::format(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{}'",
            name),
        "terminate");
    CHECK_THROWS_AS(store.get("k"), ds::adapters::postgresql_error);  // the dropped connection
    CHECK(store.get("k") == "v");                                     // reconnected
    admin.exec("BEGIN", "begin");
    admin.exec(fmt::format("LOCK TABLE \"{}\" IN ACCESS EXCLUSIVE MODE", table), "lock");
    // Without the setting the server would wait for the lock, and the client
    // would give up later with another message ("no reply from the server").
    CHECK_THROWS_WITH(store.get("k"), Catch::Matchers::Contains(
                                          "postgresql: get: timed out: cancelled by the server "
                                          "after statement_timeout 100 ms"));
    CHECK_THROWS_AS(store.get("k"), ds::adapters::postgresql_timeout);
    admin.exec("ROLLBACK", "rollback");
    CHECK(store.get("k") == "v");
}

TEST_CASE("postgresql: a server that never answers cannot hang a connect or a statement",
          "[postgresql][errors]") {
    SECTION("connect: a DSN without connect_timeout gets the options' one") {
        // A listening socket that accepts connections and never answers them.
        const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), length) == 0);
        REQUIRE(::listen(listener, 8) == 0);
        REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
        const auto dsn = fmt::format("host=127.0.0.1 port={} user=postgres dbname=postgres",
                                     ntohs(address.sin_port));
        CHECK_THROWS_WITH(postgresql(dsn, {.connect_timeout = std::chrono::seconds(2)}),
                          Catch::Matchers::Contains("postgresql: connect") &&
                              Catch::Matchers::Contains("timeout expired"));
        ::close(listener);
    }
    SECTION("statement: a server process that stops answering") {
        const auto name = fmt::format("dualstore_stopped_{}", ::getpid());
        postgresql store(
            server_dsn() + " application_name=" + name,
            {.table = fresh_table(), .statement_timeout = std::chrono::milliseconds(200)});
        store.put("k", "v");
        // This store's own server process, found by its application name.
        ds::adapters::postgresql_connection admin(server_dsn());
        admin.prepare("pid", "SELECT pid::text FROM pg_stat_activity WHERE application_name = $1",
                      1);
        const std::array<std::optional<std::string_view>, 1> p{name};
        const auto pid = std::stoi(admin.bytes_at(admin.run("pid", p, "pid").get(), 0, 0));
        if (::kill(pid, SIGSTOP) != 0) {
            WARN("cannot stop the server process (run as root or as the server's user): skipped");
            return;
        }
        // The server cannot cancel the statement (its process is stopped): the client gives up.
        CHECK_THROWS_WITH(
            store.get("k"),
            Catch::Matchers::Contains("postgresql: get: timed out: no reply from the server "
                                      "within 2200 ms (statement_timeout 200 ms + reply_grace"));
        ::kill(pid, SIGCONT);
        CHECK(store.get("k") == "v");  // a new connection
    }
}

TEST_CASE(
    "postgresql: range digests and key samples equal the in-memory ones, bisect_diff "
    "finds the differences",
    "[postgresql][bisect]") {
    static_assert(ds::range_digest_store<postgresql> && ds::key_sampling_store<postgresql>);
    range_digest_conformance::check([] {
        return std::make_unique<postgresql>(server_dsn(),
                                            postgresql::options{.table = fresh_table()});
    });
}
