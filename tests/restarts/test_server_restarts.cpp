// Real server crashes while a dual_store writes: Redis killed with kill -9 and
// PostgreSQL stopped with `pg_ctl stop -m immediate`, then started again, by
// scripts/servers.sh (the servers "redis-crash" and "pg-crash", which no other
// test uses, so the outage is seen by this test alone).
//
// A writer thread puts and erases 16 keys without pause through a dual_store
// whose failure sink is a durable retry queue (kv_retry_queue on SQLite),
// while the main thread crashes the server and starts it again. Afterwards:
// - the crashed server as the *secondary*: after a drain, both stores hold
//   the same data and every key holds its last acknowledged write;
// - the crashed server as the *primary*: every write that ran wholly within
//   the outage threw a ds::error (none was reported as a success), and every
//   key holds its last acknowledged write on both stores.
// The longest single write of each outage is printed.

#include "support.hpp"

#include <dualstore/adapters/postgresql.hpp>
#include <dualstore/adapters/redis.hpp>
#include <dualstore/adapters/sqlite.hpp>
#include <dualstore/detail/random_bits.hpp>
#include <dualstore/kv_retry_queue.hpp>
#include <dualstore/repair/drain.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace {

using clock_type = std::chrono::steady_clock;

/// The value of environment variable `name`, set by scripts/servers.sh.
std::string from_environment(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr) {
        FAIL(name << " is not set: run the tests through scripts/test.sh, which starts the "
                     "servers");
    }
    return value;
}

/// Runs `scripts/servers.sh <verb> <server>`.
void servers(std::string_view verb, std::string_view server) {
    const auto command =
        fmt::format("bash '{}' {} {}", from_environment("DUALSTORE_SERVERS"), verb, server);
    REQUIRE(std::system(command.c_str()) == 0);
}

std::string unique_name(std::string_view tag) {
    static std::atomic<int> n{0};
    // A random token too: the servers outlive a test process, whose pid recurs.
    static const auto token = ds::detail::random_bits() & 0xFFFFFFU;
    return fmt::format("{}_{}_{:06x}_{}", tag, ::getpid(), token, n++);
}

/// The crashed Redis: its own prefix in the "redis-crash" server.
std::unique_ptr<ds::adapters::redis_store> crash_redis() {
    return std::make_unique<ds::adapters::redis_store>(
        from_environment("DUALSTORE_REDIS_CRASH_URL"),
        ds::adapters::redis_options{.key_prefix = unique_name("restart") + ":",
                                    .connect_timeout = 500ms,
                                    .command_timeout = 500ms});
}

/// The crashed PostgreSQL: its own table in the "pg-crash" cluster.
std::unique_ptr<ds::adapters::postgresql_store> crash_postgresql() {
    return std::make_unique<ds::adapters::postgresql_store>(
        from_environment("DUALSTORE_PG_CRASH_DSN"),
        ds::adapters::postgresql_options{
            .table = unique_name("restart"), .statement_timeout = 500ms, .connect_timeout = 2s});
}

/// What the writer saw: the last acknowledged state of each key, and, per
/// write wholly inside the outage, whether it succeeded and how long it took.
struct writer_log {
    std::map<std::string, std::optional<std::string>> acknowledged;
    std::size_t outage_writes = 0, outage_successes = 0;
    clock_type::duration longest_outage_write{};
    std::vector<std::string> unexpected;  // errors that are not ds::error
};

/// The phases the main thread moves through; the writer tags each write with
/// the phase it began and ended in.
enum class phase : int { before, outage, after };

/// Puts and erases keys k0..k15 through `store` until `stop`.
template <class Store>
writer_log write_until(Store& store, const std::atomic<phase>& now, const std::atomic<bool>& stop,
                       std::atomic<std::size_t>& outage_writes,
                       std::atomic<std::size_t>& writes_after) {
    writer_log log;
    for (std::size_t i = 0; !stop.load(); ++i) {
        const auto key = fmt::format("k{}", i % 16);
        const bool erase = i % 5 == 4;
        const auto value = fmt::format("v{}", i);
        const auto began = now.load();
        const auto start = clock_type::now();
        bool succeeded = false;
        try {
            if (erase) {
                store.erase(key);
            } else {
                store.put(key, value);
            }
            succeeded = true;
            log.acknowledged[key] = erase ? std::nullopt : std::optional(value);
        } catch (const ds::error&) {  // the primary failed: the caller is told so
        } catch (const std::exception& e) {
            log.unexpected.emplace_back(e.what());
        }
        const auto took = clock_type::now() - start;
        const auto ended = now.load();
        if (began == phase::outage && ended == phase::outage) {
            ++log.outage_writes;
            log.outage_successes += succeeded ? 1 : 0;
            log.longest_outage_write = std::max(log.longest_outage_write, took);
            ++outage_writes;
        }
        if (began == phase::after && succeeded) ++writes_after;
    }
    return log;
}

/// Crashes `server` while `store` is written, starts it again, and returns
/// what the writer saw.
template <class Store>
writer_log crash_while_writing(Store& store, std::string_view server) {
    std::atomic<phase> now{phase::before};
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> outage_writes{0}, writes_after{0};
    writer_log log;
    std::thread writer([&] { log = write_until(store, now, stop, outage_writes, writes_after); });
    const auto wait_for = [](const std::atomic<std::size_t>& count, std::size_t n) {
        // Bounded: a writer that stalls fails the checks below instead of hanging.
        const auto give_up = clock_type::now() + 60s;
        while (count.load() < n && clock_type::now() < give_up) std::this_thread::sleep_for(1ms);
    };
    std::this_thread::sleep_for(100ms);
    servers("crash", server);
    now = phase::outage;
    wait_for(outage_writes, 20);
    now = phase::after;
    servers("start", server);
    wait_for(writes_after, 200);
    stop = true;
    writer.join();
    fmt::print(
        "{}: {} writes wholly within the outage, {} succeeded; longest single write {} ms\n",
        server, log.outage_writes, log.outage_successes,
        std::chrono::duration_cast<std::chrono::milliseconds>(log.longest_outage_write).count());
    CHECK(log.unexpected.empty());
    CHECK(log.outage_writes >= 20);
    CHECK(writes_after.load() >= 200);
    return log;
}

/// Every key holds its last acknowledged state in `a` and `b`.
template <class A, class B>
void require_acknowledged_on_both(const writer_log& log, A& a, B& b) {
    for (const auto& [key, value] : log.acknowledged) {
        INFO("key " << key);
        CHECK(a.get(key) == value);
        CHECK(b.get(key) == value);
    }
}

/// Which side the crashed server is.
enum class side { primary, secondary };

/// Writes through a dual_store of `crashed` (as `crashed_as`) and an
/// in-memory store, whose failure sink is a retry queue on SQLite, while
/// `server` crashes and comes back. As the secondary, every write is
/// acknowledged and a drain afterwards leaves no drift; as the primary, every
/// write during the outage throws and nothing is queued.
template <class Server>
void crash_while_dual_writing(Server& crashed, std::string_view server, side crashed_as) {
    temp_dir dir("restart");
    ds::adapters::sqlite_store queue_store(dir.file("queue.sqlite"));
    ds::kv_retry_queue queue{queue_store};
    kv in_memory;
    const auto run = [&](auto& primary, auto& secondary) {
        ds::dual_store store{
            primary, secondary,
            ds::retry::exponential{.attempts = 2, .backoff = {.base = 1ms, .cap = 2ms}},
            ds::on_secondary_failure{queue}};
        const auto log = crash_while_writing(store, server);
        if (crashed_as == side::secondary) {
            CHECK(log.outage_successes == log.outage_writes);  // the primary was up
            CHECK(queue.size() > 0);
            for (int round = 0; round < 3 && queue.size() > 0; ++round) {
                const auto report = ds::drain(
                    queue, store, {.clock = {.wall = [] { return ds::queue_clock::now() + 1h; }}});
                fmt::print("{}: drain: {}\n", server, report);
            }
        } else {
            CHECK(log.outage_successes == 0);  // no write reported a success it did not have
        }
        CHECK(queue.size() == 0);
        require_acknowledged_on_both(log, primary, secondary);
    };
    if (crashed_as == side::secondary) {
        run(in_memory, crashed);
    } else {
        run(crashed, in_memory);
    }
}

}  // namespace

TEST_CASE("server restarts (concurrency): Redis killed with kill -9, as each side",
          "[restart][redis]") {
    auto crashed = crash_redis();
    const auto crashed_as = GENERATE(side::secondary, side::primary);
    crash_while_dual_writing(*crashed, "redis-crash", crashed_as);
}

TEST_CASE("server restarts (concurrency): PostgreSQL stopped immediately, as each side",
          "[restart][postgresql]") {
    auto crashed = crash_postgresql();
    const auto crashed_as = GENERATE(side::secondary, side::primary);
    crash_while_dual_writing(*crashed, "pg-crash", crashed_as);
}
