/// \file
/// SQLite → SQLite backfill, the library beside the code a team would write
/// by hand with the SQLite C API, in one binary: 20 000 records (17-byte
/// keys, 100-byte values) from one database file into a fresh one, pages of
/// 500, both in WAL mode with `synchronous=NORMAL` (the adapter's settings).
///
///   BM_sqlite_backfill/hand_written/overwrite    one SELECT per page, the page
///                                                written in one transaction of
///                                                INSERT ... ON CONFLICT DO UPDATE
///   BM_sqlite_backfill/library/overwrite         ds::backfill(source, target,
///                                                {.conflict = overwrite})
///   BM_sqlite_backfill/hand_written/keep_target  the same with ON CONFLICT DO NOTHING
///   BM_sqlite_backfill/library/keep_target       ds::backfill(..., keep_target)
///   BM_sqlite_backfill/.../keep_target_ttl       the same from a source whose every
///                                                record expires in an hour: the loop
///                                                copies expires_at; the library
///                                                carries each time to live in the
///                                                page's batch (expiring_batch_store)
///
/// The library also confirms each page against the source after writing it
/// (one more SELECT per page), which keeps a backfill correct beside live
/// writes in another process; the hand-written loop does not.
///
/// Run with
///   bench_sqlite_backfill --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <dualstore/adapters/sqlite.hpp>
#include <dualstore/backfill/backfill.hpp>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace ds = dualstore;
namespace fs = std::filesystem;

constexpr std::size_t records = 20'000;
constexpr int page_size = 500;

/// A scratch directory for the database files, removed at exit.
struct scratch {
    fs::path dir = fs::temp_directory_path() / fmt::format("dualstore-bench-{}", ::getpid());
    scratch() { fs::create_directories(dir); }
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;
    ~scratch() { fs::remove_all(dir); }
};

const scratch& files() {
    static const scratch s;
    return s;
}

/// The source database, filled once: with records that never expire, or
/// (`expiring`) whose every record expires in an hour.
std::string source_path(bool expiring) {
    static const auto fill = [](const char* name, ds::time_to_live ttl) {
        const auto p = (files().dir / name).string();
        ds::adapters::sqlite_store source(p);
        std::vector<std::pair<std::string, std::string>> items;
        for (std::size_t i = 0; i < records; ++i) {
            items.emplace_back(fmt::format("order:{:011}", i), std::string(100, 'v'));
        }
        source.put_many(items, std::vector<ds::time_to_live>(records, ttl));
        return p;
    };
    static const std::string lasting = fill("source.db", std::nullopt);
    static const std::string expiring_path = fill("expiring.db", std::chrono::hours(1));
    return expiring ? expiring_path : lasting;
}

/// A fresh, empty target database file.
std::string fresh_target() {
    const auto p = files().dir / "target.db";
    for (const auto* suffix : {"", "-wal", "-shm"}) fs::remove(p.string() + suffix);
    return p.string();
}

// --- By hand, with the SQLite C API ------------------------------------------

void check(int rc, sqlite3* db) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        throw std::runtime_error(sqlite3_errmsg(db));
    }
}

struct database {
    sqlite3* db = nullptr;
    explicit database(const std::string& path) {
        check(sqlite3_open(path.c_str(), &db), db);
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=NORMAL");
        exec(
            "CREATE TABLE IF NOT EXISTS dualstore_kv (k BLOB PRIMARY KEY NOT NULL, v BLOB NOT "
            "NULL, expires_at INTEGER) WITHOUT ROWID");
    }
    database(const database&) = delete;
    database& operator=(const database&) = delete;
    ~database() { sqlite3_close(db); }
    void exec(const char* sql) { check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db); }
    sqlite3_stmt* prepare(const char* sql) {
        sqlite3_stmt* s = nullptr;
        check(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), db);
        return s;
    }
};

std::string column(sqlite3_stmt* s, int i) {
    return {static_cast<const char*>(sqlite3_column_blob(s, i)),
            static_cast<std::size_t>(sqlite3_column_bytes(s, i))};
}

/// Milliseconds since the epoch, the unit of `expires_at`.
std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// A record as the loop copies it: key, value and expiry (0: none).
struct record {
    std::string key;
    std::string value;
    std::int64_t expires_at;
};

void hand_written(benchmark::State& state, const char* on_conflict, bool expiring) {
    const auto from = source_path(expiring);
    for (auto _ : state) {
        database source(from), target(fresh_target());
        sqlite3_stmt* select = source.prepare(
            "SELECT k, v, expires_at FROM dualstore_kv WHERE (?1 IS NULL OR k > ?1) AND "
            "(expires_at IS NULL OR expires_at > ?3) ORDER BY k LIMIT ?2");
        sqlite3_stmt* insert = target.prepare(
            fmt::format("INSERT INTO dualstore_kv (k, v, expires_at) VALUES (?1, ?2, ?3) ON "
                        "CONFLICT(k) {}",
                        on_conflict)
                .c_str());
        std::vector<record> page;
        std::string last;
        bool more = true;
        while (more) {
            page.clear();
            if (last.empty()) {
                sqlite3_bind_null(select, 1);
            } else {
                sqlite3_bind_blob(select, 1, last.data(), static_cast<int>(last.size()),
                                  SQLITE_STATIC);
            }
            sqlite3_bind_int(select, 2, page_size);
            sqlite3_bind_int64(select, 3, now_ms());
            while (sqlite3_step(select) == SQLITE_ROW) {
                page.push_back(
                    {column(select, 0), column(select, 1), sqlite3_column_int64(select, 2)});
            }
            sqlite3_reset(select);
            more = page.size() == page_size;
            if (page.empty()) break;
            target.exec("BEGIN IMMEDIATE");
            for (const auto& [k, v, expires_at] : page) {
                sqlite3_bind_blob(insert, 1, k.data(), static_cast<int>(k.size()), SQLITE_STATIC);
                sqlite3_bind_blob(insert, 2, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
                if (expires_at == 0) {
                    sqlite3_bind_null(insert, 3);
                } else {
                    sqlite3_bind_int64(insert, 3, expires_at);
                }
                check(sqlite3_step(insert), target.db);
                sqlite3_reset(insert);
            }
            target.exec("COMMIT");
            last = page.back().key;
        }
        sqlite3_finalize(select);
        sqlite3_finalize(insert);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
}

// --- The library -------------------------------------------------------------

void library(benchmark::State& state, ds::conflict_rule conflict, bool expiring) {
    const auto from = source_path(expiring);
    for (auto _ : state) {
        ds::adapters::sqlite_store source(from), target(fresh_target());
        const auto report =
            ds::backfill(source, target, {.batch_size = page_size, .conflict = conflict});
        if (report.written != records) state.SkipWithError("not every record was written");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * records));
}

}  // namespace

BENCHMARK_CAPTURE(hand_written, overwrite,
                  "DO UPDATE SET v = excluded.v, expires_at = excluded.expires_at", false)
    ->Name("BM_sqlite_backfill/hand_written/overwrite")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(library, overwrite, ds::conflict_rule::overwrite, false)
    ->Name("BM_sqlite_backfill/library/overwrite")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(hand_written, keep_target, "DO NOTHING", false)
    ->Name("BM_sqlite_backfill/hand_written/keep_target")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(library, keep_target, ds::conflict_rule::keep_target, false)
    ->Name("BM_sqlite_backfill/library/keep_target")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(hand_written, keep_target_ttl, "DO NOTHING", true)
    ->Name("BM_sqlite_backfill/hand_written/keep_target_ttl")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(library, keep_target_ttl, ds::conflict_rule::keep_target, true)
    ->Name("BM_sqlite_backfill/library/keep_target_ttl")
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
