// The SQLite adapter: the conformance suite on a file and in memory, and its errors.

#include "conformance/range_digest_conformance.hpp"
#include "support.hpp"

#include <dualstore/adapters/sqlite.hpp>
#include <dualstore/kv_retry_queue.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <tuple>
#include <vector>

namespace {
using sqlite = ds::adapters::sqlite_store;

/// A fresh database file per store, removed with the factory.
struct sqlite_file_factory {
    using store = sqlite;
    static constexpr bool scan_stable_under_writes = true;
    temp_dir dir{"sqlite"};
    std::unique_ptr<store> make() { return std::make_unique<store>(dir.file("db.sqlite")); }
    std::unique_ptr<store> make_with_clock(sqlite::clock_function now) {
        return std::make_unique<store>(dir.file("db.sqlite"), sqlite::options{.now = std::move(now)});
    }
};

struct sqlite_memory_factory {
    using store = sqlite;
    static constexpr bool scan_stable_under_writes = true;
    std::unique_ptr<store> make() { return std::make_unique<store>(":memory:"); }
    std::unique_ptr<store> make_with_clock(sqlite::clock_function now) {
        return std::make_unique<store>(":memory:", sqlite::options{.now = std::move(now)});
    }
};

static_assert(ds::scannable_store<sqlite> && ds::resumable_store<sqlite> &&
              ds::expiring_store<sqlite> && ds::conditional_store<sqlite> &&
              ds::batch_store<sqlite> && ds::conditional_expiring_store<sqlite> &&
              ds::change_stamped_store<sqlite>);
}  // namespace

using conformance_factories = std::tuple<sqlite_file_factory, sqlite_memory_factory>;
#include "conformance/store_conformance.hpp"

namespace {
/// Queue objects over one database file, each on its own connection.
struct sqlite_queue_maker {
    using queue = ds::kv_retry_queue<sqlite&>;
    static constexpr bool shared_backing = true;
    temp_dir dir{"sqlite-queue"};
    std::vector<std::unique_ptr<sqlite>> connections;
    std::unique_ptr<queue> make() {
        connections.push_back(std::make_unique<sqlite>(dir.file("queue.sqlite")));
        return std::make_unique<queue>(*connections.back(), "q:");
    }
};
}  // namespace

using queue_makers = std::tuple<sqlite_queue_maker>;
#include "conformance/queue_conformance.hpp"

TEST_CASE("sqlite: a bad path is a clear error naming the engine, the path and the cause",
          "[sqlite][errors]") {
    CHECK_THROWS_WITH(
        sqlite("/nonexistent-dir/sub/db.sqlite"),
        Catch::Matchers::Contains("sqlite: open \"/nonexistent-dir/sub/db.sqlite\"") &&
            Catch::Matchers::Contains("unable to open database file") &&
            Catch::Matchers::Contains("No such file or directory") &&
            Catch::Matchers::Contains("the directory \"/nonexistent-dir/sub\" does not exist"));
    CHECK_THROWS_AS(sqlite("/nonexistent-dir/sub/db.sqlite"), ds::error);
}

TEST_CASE("sqlite: data survives reopening, tables are separate, purge deletes expired rows",
          "[sqlite]") {
    sqlite_file_factory files;
    const auto path = files.dir.file("db.sqlite");
    auto now = ds::expiry_clock::time_point(std::chrono::hours(450'000));
    {
        sqlite a(path, {.now = [&] { return now; }});
        sqlite b(path, {.table = "other \"table\""});
        a.put("k", "in a");
        a.put("short", "v", std::chrono::seconds(1));
        b.put("k", "in b");
    }
    sqlite a(path, {.now = [&] { return now; }});
    CHECK(a.get("k") == "in a");
    CHECK(sqlite(path, {.table = "other \"table\""}).get("k") == "in b");
    now += std::chrono::seconds(2);
    CHECK(a.purge_expired() == 1);
    CHECK(a.purge_expired() == 0);
}

TEST_CASE("sqlite: a locked database is a bounded, clear error, put_many is all or nothing",
          "[sqlite][errors]") {
    sqlite_file_factory files;
    const auto path = files.dir.file("db.sqlite");
    sqlite s(path, {.busy_timeout = std::chrono::milliseconds(50)});
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    const std::vector<std::pair<std::string, std::string>> items{{"a", "1"}, {"b", "2"}};
    CHECK_THROWS_WITH(s.put_many(items), Catch::Matchers::Contains("sqlite:") &&
                                             Catch::Matchers::Contains("locked"));
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    CHECK(s.get("a") == std::nullopt);
    s.put_many(items);
    CHECK(s.get("b") == "2");
}

TEST_CASE(
    "sqlite: the change stamp moves with a commit from another connection or another "
    "process, and holds still otherwise",
    "[sqlite][stamp]") {
    sqlite_file_factory files;
    const auto path = files.dir.file("db.sqlite");
    sqlite watched(path);
    sqlite other(path);
    sqlite other_table(path, {.table = "elsewhere"});
    watched.put("k", "1");
    auto stamp = watched.change_stamp();
    CHECK(other.get("k") == "1");
    CHECK(watched.change_stamp() == stamp);  // another connection's read

    other.put("k", "2");
    CHECK_FALSE(watched.change_stamp() == stamp);
    stamp = watched.change_stamp();
    // Another table of the same file moves it too: a needless re-read, never a missed write.
    other_table.put("k", "x");
    CHECK_FALSE(watched.change_stamp() == stamp);
    stamp = watched.change_stamp();

    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        try {
            sqlite(path).put("k", "from another process");
            _exit(0);
        } catch (...) {
            _exit(1);
        }
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    CHECK_FALSE(watched.change_stamp() == stamp);
    CHECK(watched.get("k") == "from another process");
}

TEST_CASE(
    "sqlite: range digests and key samples equal the in-memory ones, bisect_diff finds the "
    "differences",
    "[sqlite][bisect]") {
    static_assert(ds::range_digest_store<sqlite> && ds::key_sampling_store<sqlite>);
    temp_dir dir{"sqlite-digest"};
    int files = 0;
    range_digest_conformance::check(
        [&] { return std::make_unique<sqlite>(dir.file(fmt::format("db{}.sqlite", files++))); });
}
