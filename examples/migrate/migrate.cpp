// migrate: an order book moves its data from an old embedded store (GDBM) to
// a new one (SQLite) while it keeps serving, through all six stages:
//
//   off -> dual_write (faults on the new store fill the retry queue; the
//   drain repairs) -> backfill of the history, with a progress bar -> full
//   reconciliation with repair -> shadow reads, sampled reconciliations until
//   the promotion tracker says ready -> live -> rampdown -> complete.
//
// It ends with a report per stage and latency percentiles per store, writes
// the Prometheus text to a file, and exits non-zero if any drift remains.
// Run `migrate --help` for the flags.

#include <dualstore/adapters/gdbm.hpp>
#include <dualstore/adapters/postgresql.hpp>
#include <dualstore/adapters/redis.hpp>
#include <dualstore/adapters/sqlite.hpp>
#include <dualstore/backfill/backfill.hpp>
#include <dualstore/dualstore.hpp>
#include <dualstore/kv_lease_lock.hpp>
#include <dualstore/kv_retry_queue.hpp>
#include <dualstore/observe/metrics.hpp>
#include <dualstore/observe/progress_bar.hpp>
#include <dualstore/observe/prometheus.hpp>
#include <dualstore/reconcile/harness.hpp>
#include <dualstore/reconcile/kv_reconciler.hpp>
#include <dualstore/redact.hpp>
#include <dualstore/repair/drain.hpp>
#include <dualstore/testing/faulty.hpp>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <variant>
#include <vector>

namespace ds = dualstore;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

/// A flag or URL error: printed with a hint, exit status 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct settings {
    std::string old_url, new_url;
    fs::path work_dir, metrics_file;
    bool temporary_work_dir = false;  // made here, removed at the end unless --keep
    bool keep = false;
    std::size_t orders = 20'000;
    double stage_seconds = 1.5;
    int writers = 3;
    double fault_rate = 0.2;
};

/// A CLI11 check: a number within [low, high], a whole one when `whole`.
/// The message names the value and the range: a value is refused, never
/// clamped.
CLI::Validator within(double low, double high, bool whole = false) {
    return CLI::Validator(
        [=](const std::string& text) -> std::string {
            double value = 0;
            try {
                std::size_t used = 0;
                value = std::stod(text, &used);
                if (used != text.size()) return fmt::format("not a number: {:?}", text);
            } catch (const std::exception&) {
                return fmt::format("not a number: {:?}", text);
            }
            if (whole && value != std::floor(value)) {
                return fmt::format("not a whole number: {:?}", text);
            }
            if (!(value >= low && value <= high)) {
                return fmt::format("{} is out of range: {} to {}", text, low, high);
            }
            return {};
        },
        fmt::format("{} to {}", low, high));
}

/// The flags, parsed by CLI11 into `s` ("--x v" and "--x=v"; a value out of
/// range is refused, never clamped).
void add_flags(CLI::App& app, settings& s) {
    app.add_option("--old", s.old_url, "the old store (default: gdbm:<work dir>/orders.gdbm)");
    app.add_option("--new", s.new_url, "the new store (default: sqlite:<work dir>/orders.sqlite)");
    app.add_option("--work-dir", s.work_dir,
                   "where the default stores, the retry queue and the migration state live "
                   "(default: a fresh temporary directory, removed at the end unless --keep)");
    app.add_flag("--keep", s.keep, "keep the temporary work directory");
    app.add_option("--orders", s.orders, "orders in the old store before the migration")
        ->check(within(1, 1e7, true))
        ->capture_default_str();
    app.add_option("--stage-seconds", s.stage_seconds, "how long the service runs in each stage")
        ->check(within(0.01, 3600))
        ->capture_default_str();
    app.add_option("--writers", s.writers, "writer threads")
        ->check(within(1, 64, true))
        ->capture_default_str();
    app.add_option("--fault-rate", s.fault_rate,
                   "failure rate of the new store's writes in dual_write")
        ->check(within(0, 1))
        ->capture_default_str();
    app.add_option("--metrics-file", s.metrics_file,
                   "where the Prometheus text goes (default: <work dir>/metrics.prom)");
    app.footer(
        "Store URLs: sqlite:PATH, gdbm:PATH, redis://[[user]:password@]host[:port][/db],\n"
        "unix:///path/to/redis.sock[?db=N], postgresql://user@host:port/db (a libpq URI),\n"
        "postgresql:DSN (a libpq \"key=value ...\" DSN); \"redis\" and \"postgresql\" alone read\n"
        "the address from DUALSTORE_REDIS_URL and DUALSTORE_PG_DSN, as the tests do\n"
        "(scripts/servers.sh prints both).");
}

/// Fills in the defaults that depend on the work directory, making it.
void complete(settings& s) {
    if (s.work_dir.empty()) {
        s.work_dir = fs::temp_directory_path() / fmt::format("dualstore-migrate-{}", ::getpid());
        fs::remove_all(s.work_dir);
        s.temporary_work_dir = true;
    }
    fs::create_directories(s.work_dir);
    if (s.old_url.empty()) s.old_url = "gdbm:" + (s.work_dir / "orders.gdbm").string();
    if (s.new_url.empty()) s.new_url = "sqlite:" + (s.work_dir / "orders.sqlite").string();
    if (s.metrics_file.empty()) s.metrics_file = s.work_dir / "metrics.prom";
}

using any_store = std::variant<ds::adapters::gdbm_store, ds::adapters::sqlite_store,
                               ds::adapters::redis_store, ds::adapters::postgresql_store>;

/// The address in environment variable `name`, for a store URL that names
/// only its engine.
std::string address_from(const char* name, std::string_view engine) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw usage_error(fmt::format("{:?}: no address given, and {} is not set", engine, name));
    }
    return value;
}

/// Opens the store a URL names.
void open(std::string_view url, std::optional<any_store>& out) {
    const auto colon = url.find(':');
    const auto scheme = url.substr(0, colon);
    const std::string rest(colon == std::string_view::npos ? "" : url.substr(colon + 1));
    if (scheme == "sqlite" && !rest.empty()) {
        out.emplace(std::in_place_type<ds::adapters::sqlite_store>, rest);
    } else if (scheme == "gdbm" && !rest.empty()) {
        out.emplace(std::in_place_type<ds::adapters::gdbm_store>, rest);
    } else if (scheme == "redis" || scheme == "unix") {
        out.emplace(std::in_place_type<ds::adapters::redis_store>,
                    url == "redis" ? address_from("DUALSTORE_REDIS_URL", url) : std::string(url),
                    ds::adapters::redis_options{.key_prefix = "orders:"});
    } else if (scheme == "postgresql" || scheme == "postgres") {
        // A URI is libpq's own; "postgresql:DSN" carries a key=value DSN.
        std::string dsn = rest;
        if (url == scheme) {
            dsn = address_from("DUALSTORE_PG_DSN", url);
        } else if (url.substr(colon).starts_with("://")) {
            dsn = url;
        }
        out.emplace(std::in_place_type<ds::adapters::postgresql_store>, dsn,
                    ds::adapters::postgresql_options{.table = "orders"});
    } else {
        throw usage_error(
            fmt::format("{:?}: not a store URL (sqlite:PATH, gdbm:PATH, redis://..., unix://..., "
                        "postgresql://..., postgresql:DSN, redis, postgresql)",
                        ds::redact_secrets(url)));
    }
}

/// Counters of one stage, from the metrics before and after it.
struct stage_row {
    ds::stage stage;
    std::uint64_t operations = 0, failures = 0, retries = 0, enqueued = 0, mismatches = 0;
    std::size_t queue_depth = 0;
};

std::uint64_t total(const ds::observe::metrics& m, ds::observe::outcome_kind o) {
    std::uint64_t n = 0;
    for (auto op : ds::observe::all_operations)
        for (auto s : ds::observe::all_sides) n += m.count(op, s, o);
    return n;
}

struct snapshot {
    std::uint64_t ok, failed, retried, enqueued, mismatches;
    explicit snapshot(const ds::observe::metrics& m)
        : ok(total(m, ds::observe::outcome_kind::ok)), failed(total(m, ds::observe::outcome_kind::failed)),
          retried(total(m, ds::observe::outcome_kind::retried)),
          enqueued(total(m, ds::observe::outcome_kind::enqueued)), mismatches(m.mismatches()) {}
};

std::string order_value(std::size_t id, unsigned version) {
    return fmt::format(R"({{"id":{},"item":"widget-{}","qty":{},"version":{}}})", id, id % 97,
                       1 + id % 9, version);
}

/// The whole migration over concrete store types.
template <class Old, class New>
int migrate(const settings& cfg, Old& old_store, New& new_raw) {
    fmt::print("dualstore migrate: {} -> {}\n", ds::redact_secrets(cfg.old_url),
               ds::redact_secrets(cfg.new_url));
    fmt::print("seeding {} orders into the old store...\n", cfg.orders);
    for (std::size_t id = 0; id < cfg.orders; ++id) old_store.put(fmt::format("order:{:07}", id), order_value(id, 1));

    ds::adapters::sqlite_store ops((cfg.work_dir / "ops.sqlite").string(), {.table = "retry_queue"});
    ds::adapters::sqlite_store state((cfg.work_dir / "ops.sqlite").string(), {.table = "migration_state"});
    ds::kv_retry_queue queue{ops, "orders:"};
    ds::testing::faulty<New&> new_store{new_raw};  // to inject faults into the new store
    ds::observe::metrics metrics;
    ds::migration orders{
        old_store,
        new_store,
        ds::stage::off,
        ds::retry::exponential{.attempts = 3, .backoff = {.base = 200us, .cap = 2ms}},
        ds::on_secondary_failure{queue},
        ds::read::shadow{.sample = 0.25},
        ds::observe::with(metrics)};

    // The service: writers amend and create orders, a reader looks them up.
    std::atomic<bool> running{true};
    std::atomic<std::size_t> next_id{cfg.orders};
    std::vector<std::jthread> service;
    for (int w = 0; w < cfg.writers; ++w) {
        service.emplace_back([&, w] {
            std::mt19937 random(static_cast<unsigned>(w) + 1);
            while (running) {
                const bool create = random() % 4 == 0;
                const std::size_t id = create ? next_id++ : random() % cfg.orders;
                try {
                    orders.put(fmt::format("order:{:07}", id), order_value(id, 2 + random() % 1000));
                } catch (const std::exception& e) {
                    fmt::print(stderr, "writer: {}\n", e.what());
                }
                std::this_thread::sleep_for(200us);
            }
        });
    }
    service.emplace_back([&] {
        std::mt19937 random(99);
        while (running) {
            try {
                std::ignore = orders.get(fmt::format("order:{:07}", random() % cfg.orders));
            } catch (const std::exception& e) {
                fmt::print(stderr, "reader: {}\n", e.what());
            }
            std::this_thread::sleep_for(100us);
        }
    });

    std::vector<stage_row> rows;
    const auto run_stage = [&](ds::stage stage, auto&& during) {
        orders.set_stage(stage);
        const snapshot before(metrics);
        fmt::print("\n== stage {} ==\n", stage);
        during();
        std::this_thread::sleep_for(std::chrono::duration<double>(cfg.stage_seconds));
        const snapshot after(metrics);
        metrics.set_queue_depth(queue.size());
        rows.push_back({stage, after.ok + after.failed - before.ok - before.failed, after.failed - before.failed,
                        after.retried - before.retried, after.enqueued - before.enqueued,
                        after.mismatches - before.mismatches, queue.size()});
    };

    ds::kv_reconciler reconciler{old_store, new_raw, {.name = "orders"}};
    ds::kv_lease_lock lock{state, "lease:"};
    ds::reconcile_harness harness{state,
                                  ds::reconcile_options{.rule = {.threshold = 0.001,
                                                                 .breaches_to_alert = 2,
                                                                 .clean_runs_to_promote = 2}},
                                  ds::observe::none{}, reconciler};
    harness.guarded_by(lock);
    const auto reconcile = [&](ds::reconcile_mode mode) {
        const auto run = harness.run(mode);
        if (run.skipped) {
            fmt::print("  reconcile: {}\n", run.reason);
            return std::size_t{0};
        }
        const auto& r = run.reports.at(0);
        fmt::print("  reconcile ({}): {}\n", mode == ds::reconcile_mode::full ? "full" : "sampled", r);
        return r.drifted;
    };

    run_stage(ds::stage::off, [] { fmt::print("  the old store alone; the new one is untouched\n"); });

    run_stage(ds::stage::dual_write, [&] {
        fmt::print("  writing both; the new store now fails {:.0f}% of writes\n", cfg.fault_rate * 100);
        new_store.fail_rate(cfg.fault_rate, 42, ds::testing::fault_on::writes);
        std::this_thread::sleep_for(std::chrono::duration<double>(cfg.stage_seconds));
        new_store.heal();
        fmt::print("  faults over: {} writes waiting in the retry queue\n", queue.size());
        const auto drained = ds::drain(queue, orders);
        fmt::print("  drain: {}\n", drained);

        fmt::print("  backfill of the history (keep_target: live writes win):\n");
        std::fflush(stdout);
        ds::observe::progress_bar bar("  backfill", stdout);
        ds::backfill(old_store, new_raw,
                     {.batch_size = 1000,
                      .checkpoint = ds::checkpoint_in(state, "backfill:orders"),
                      .observers = ds::observe::with(bar),
                      .total_hint = cfg.orders});
        // GDBM may repeat or skip keys when written during a scan: a full
        // reconciliation with repair closes what the backfill missed. The
        // service is writing meanwhile, so each repair goes through the
        // migration, under the key's lock, never over a newer live write.
        ds::kv_reconciler repairer{
            old_store,
            new_raw,
            {.name = "orders-repair", .repair = true, .repair_with = [&](const std::string& key) {
                 return orders.repair(key);
             }}};
        std::size_t repaired = 0;
        repairer.full_pass([&](const ds::sample_result& r) { repaired += r.repaired ? 1 : 0; });
        fmt::print("  full reconciliation with repair: {} keys repaired\n", repaired);
    });

    run_stage(ds::stage::shadow, [&] {
        fmt::print("  reads compare both stores; sampled reconciliations until ready to promote\n");
        for (int run = 0; run < 4 && harness.state(0) != ds::promotion_state::ready_to_promote; ++run) {
            reconcile(ds::reconcile_mode::sampled);
        }
        fmt::print("  promotion: {}\n", harness.state(0));
    });
    if (harness.state(0) != ds::promotion_state::ready_to_promote) {
        fmt::print("not ready to promote: staying in shadow\n");
    } else {
        run_stage(ds::stage::live, [] { fmt::print("  the new store answers; the old is still written\n"); });
        run_stage(ds::stage::rampdown, [] { fmt::print("  the new store alone answers\n"); });
        run_stage(ds::stage::complete, [] { fmt::print("  cut over: the old store is no longer used\n"); });
    }
    running = false;
    service.clear();  // joins

    fmt::print("\n== final full reconciliation ==\n");
    const bool cut_over = orders.current_stage() == ds::stage::complete;
    // After the cutover the old store is retired: it no longer gets writes,
    // so only the old keys are compared, against the new store.
    std::size_t drift = 0;
    if (!cut_over) drift = reconcile(ds::reconcile_mode::full);
    else {
        ds::kv_reconciler final_check{old_store, new_raw, {.name = "orders-final"}};
        final_check.full_pass([&](const ds::sample_result& r) {
            // Writes of the complete stage went to the new store only.
            drift += r.reason == ds::drift_reason::missing_in_secondary ? 1 : 0;
        });
        fmt::print("  old keys missing in the new store: {}\n", drift);
    }

    fmt::print("\n== report ==\n{:<11}{:>11}{:>10}{:>9}{:>10}{:>12}{:>8}\n", "stage", "operations",
               "failures", "retries", "enqueued", "mismatches", "queue");
    for (const auto& r : rows) {
        fmt::print("{:<11}{:>11}{:>10}{:>9}{:>10}{:>12}{:>8}\n", r.stage, r.operations, r.failures,
                   r.retries, r.enqueued, r.mismatches, r.queue_depth);
    }
    // Per origin: after the live flip the primary is the new store, so per
    // role the latency would mix the two stores.
    fmt::print("\nlatency (µs)        p50      p95      p99\n");
    for (auto op : {ds::operation::put, ds::operation::get}) {
        for (auto store : ds::observe::all_origins) {
            const auto& h = metrics.latency(op, store);
            if (h.count() == 0) continue;
            const auto us = [&](double q) { return static_cast<double>(h.percentile(q).count()) / 1e3; };
            fmt::print("{:<4}{:<10}{:>9.1f}{:>9.1f}{:>9.1f}\n", op,
                       fmt::format("{} store", ds::origin_name(store)), us(0.5), us(0.95),
                       us(0.99));
        }
    }
    std::ofstream(cfg.metrics_file) << ds::observe::to_prometheus(metrics);
    if (!cfg.temporary_work_dir || cfg.keep ||
        !cfg.metrics_file.string().starts_with(cfg.work_dir.string())) {
        fmt::print("\nPrometheus metrics: {}\n", cfg.metrics_file.string());
    }
    fmt::print("drift remaining: {} -> {}\n", drift, drift == 0 ? "migration verified" : "NOT verified");
    return drift == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace

/// Removes a temporary work directory when the run ends, however it ends
/// (after the stores in it are closed: declare it before them).
struct work_dir_cleanup {
    const settings& cfg;
    explicit work_dir_cleanup(const settings& run) : cfg(run) {}
    work_dir_cleanup(const work_dir_cleanup&) = delete;
    work_dir_cleanup& operator=(const work_dir_cleanup&) = delete;
    ~work_dir_cleanup() {
        if (!cfg.temporary_work_dir) return;
        if (cfg.keep) {
            fmt::print("work directory kept: {}\n", cfg.work_dir.string());
            return;
        }
        std::error_code ignored;
        fs::remove_all(cfg.work_dir, ignored);
        fmt::print("work directory removed: {} (--keep keeps it)\n", cfg.work_dir.string());
    }
};

int main(int argc, char** argv) {
    CLI::App app{
        "migrate: moves an order book from an old store to a new one, stage by stage, while\n"
        "writer and reader threads keep using it. Needs no server."};
    settings cfg;
    add_flags(app, cfg);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        (void)app.exit(e);
        return 2;
    }
    try {
        complete(cfg);
        const work_dir_cleanup cleanup{cfg};
        std::optional<any_store> old_store, new_store;
        open(cfg.old_url, old_store);
        open(cfg.new_url, new_store);
        return std::visit([&](auto& o, auto& n) { return migrate(cfg, o, n); }, *old_store, *new_store);
    } catch (const usage_error& e) {
        fmt::print(stderr, "migrate: {}\n(run migrate --help for the flags)\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "migrate: {}\n", e.what());
        return 1;
    }
}
