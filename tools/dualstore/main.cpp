// dualstore: the operator's tool over any two stores named by URL.
//
//   dualstore copy   FROM TO   backfill: conflict rule, rate, dry run, resume, progress;
//                              --job: one worker of a copy shared by many processes
//   dualstore diff   FROM TO   full, sampled or bisected reconciliation; exit 1 on
//                              drift, --json
//   dualstore repair FROM TO   as diff, copying each drifted key from FROM
//   dualstore drain  QUEUE FROM TO   repairs the keys a retry queue holds (--kind:
//                                    kv, redis-stream, postgresql)
//   dualstore queue stats QUEUE      entries waiting and dead letters
//   dualstore soak-report LOG        p50/p95/p99 per operation from a json_log
//
// Exit status: 0 done and in sync, 1 drift or failed records remain, 2 bad
// usage (flags, URLs), 3 a store failed (unreachable, refused). Run
// `dualstore --help` or `dualstore <command> --help` for the flags.

#include "job.hpp"
#include "queue_url.hpp"
#include "store_url.hpp"

#include <dualstore/backfill/backfill.hpp>
#include <dualstore/observe/progress_bar.hpp>
#include <dualstore/observe/soak_report.hpp>
#include <dualstore/reconcile/bisect.hpp>
#include <dualstore/reconcile/kv_reconciler.hpp>
#include <dualstore/repair/drain.hpp>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace ds = dualstore;
namespace fs = std::filesystem;
using dualstore_tool::open_store;

namespace {

enum exit_status : int { in_sync = 0, drift = 1, usage = 2, store_failed = 3 };

/// `text` as a JSON string: binary keys are escaped byte by byte.
std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20 || byte >= 0x7f) {
            out += fmt::format("\\u{:04x}", byte);
        } else {
            out += c;
        }
    }
    return out + '"';
}

/// A checkpoint in a file: the cursor bytes, replaced atomically (write a
/// temporary file, rename), removed when the copy completes.
ds::backfill_checkpoint file_checkpoint(const fs::path& path) {
    return {[path]() -> std::optional<std::string> {
                std::ifstream in(path, std::ios::binary);
                if (!in) return std::nullopt;
                return std::string(std::istreambuf_iterator<char>(in), {});
            },
            [path](const std::string& bytes) {
                const auto temporary = fs::path(path).concat(".tmp");
                std::ofstream(temporary, std::ios::binary | std::ios::trunc) << bytes;
                fs::rename(temporary, path);
            },
            [path] { fs::remove(path); }};
}

struct copy_flags {
    std::string from, to, conflict = "keep-target", checkpoint;
    dualstore_tool::job_flags job;
    std::size_t batch_size = 500;
    std::optional<std::size_t> max_batches;
    double rate = 0;
    bool dry_run = false, progress = false;
};

int run_copy(const copy_flags& f) {
    ds::backfill_options options{
        .batch_size = f.batch_size,
        .rate = f.rate,
        .dry_run = f.dry_run,
        .conflict = f.conflict == "overwrite" ? ds::conflict_rule::overwrite
                                              : ds::conflict_rule::keep_target,
        .max_batches = f.max_batches,
    };
    if (!f.job.name.empty()) {
        auto to = open_store(f.to);
        return dualstore_tool::run_copy_job(f.job, f.from, to, options) ? in_sync : drift;
    }
    auto from = open_store(f.from);
    auto to = open_store(f.to);
    ds::observe::progress_bar bar("copy");
    if (!f.checkpoint.empty()) options.checkpoint = file_checkpoint(f.checkpoint);
    if (f.progress) options.observers = ds::observe::with(bar);
    const auto report = ds::backfill(from, to, options);
    fmt::print("copy {} -> {}: {}\n", from.name(), to.name(), report);
    if (!report.complete) {
        fmt::print("stopped before the end{}\n",
                   f.checkpoint.empty() ? "" : "; run the same command again to resume");
    }
    return report.failed == 0 ? in_sync : drift;
}

struct diff_flags {
    std::string from, to;
    std::size_t sample = 0, listed = 20, batch_size = 512;
    std::uint64_t seed = 0;
    bool json = false, bisect = false;
};

/// The keys a bisection of FROM and TO finds differing (read by range
/// digests, not row by row), and what the bisection read.
std::pair<std::vector<std::string>, ds::bisect_report> bisected_keys(const diff_flags& f) {
    using dualstore_tool::with_digest_store;
    std::vector<std::string> keys;
    const auto report = with_digest_store(f.from, [&](auto& from) {
        return with_digest_store(f.to, [&](auto& to) {
            return ds::bisect_diff(from, to,
                                   [&](const ds::sample_result& r) { keys.push_back(r.key); },
                                   {.batch_size = f.batch_size});
        });
    });
    return {std::move(keys), report};
}

int run_diff(const diff_flags& f, bool repair) {
    auto from = open_store(f.from);
    auto to = open_store(f.to);
    ds::kv_reconciler reconciler(from, to,
                                 {.name = repair ? "repair" : "diff",
                                  .seed = f.seed,
                                  .repair = repair,
                                  .batch_size = f.batch_size});
    std::vector<ds::sample_result> differing;
    std::uint64_t checked = 0, drifted = 0, repaired = 0;
    auto record = [&](const ds::sample_result& r) {
        ++checked;
        if (r.in_sync) return;
        ++drifted;
        if (r.repaired) ++repaired;
        if (differing.size() < f.listed) differing.push_back(r);
    };
    std::optional<ds::bisect_report> bisected;
    const bool bisect = f.bisect && dualstore_tool::has_range_digests(f.from) &&
                        dualstore_tool::has_range_digests(f.to);
    if (f.bisect && !bisect) {
        fmt::print(stderr,
                   "dualstore: --bisect: {} has no range digests (SQLite and PostgreSQL do); "
                   "comparing every key instead\n",
                   dualstore_tool::has_range_digests(f.from) ? to.name() : from.name());
    }
    if (bisect) {
        // Each key the digests single out is compared again, and repaired,
        // by the reconciler: a key a live write fixed meanwhile is in sync.
        auto [keys, report] = bisected_keys(f);
        bisected = report;
        for (const auto& key : keys) record(reconciler.reconcile(key));
    } else if (f.sample > 0) {
        for (const auto& key : reconciler.list_sample_keys(ds::reconcile_mode::sampled, f.sample)) {
            record(reconciler.reconcile(key));
        }
    } else {
        while (!reconciler.full_pass(record).complete) {
        }
    }
    const auto counts = reconciler.counts();
    const std::string_view mode = bisected ? "bisect" : f.sample > 0 ? "sampled" : "full";
    if (f.json) {
        std::string keys;
        for (const auto& r : differing) {
            keys += fmt::format("{}{{\"key\": {}, \"reason\": \"{}\", \"repaired\": {}{}}}",
                                keys.empty() ? "" : ", ", json_string(r.key),
                                ds::to_string(r.reason), r.repaired,
                                r.detail.empty() ? "" : ", \"detail\": " + json_string(r.detail));
        }
        fmt::print(
            "{{\"from\": {}, \"to\": {}, \"mode\": \"{}\", \"checked\": {}, \"population\": {}, "
            "\"matching\": {}, \"mismatched\": {}, \"extra_in_from\": {}, \"extra_in_to\": {}, "
            "\"errors\": {}, \"repaired\": {}, \"differing_keys\": [{}], \"differing_keys_limit\": "
            "{}{}}}\n",
            json_string(from.name()), json_string(to.name()), mode, checked,
            f.sample > 0 ? reconciler.population() : checked, counts.matching, counts.mismatched,
            counts.extra_in_primary, counts.extra_in_secondary, counts.errors, repaired, keys,
            f.listed,
            bisected ? fmt::format(", \"bytes_read_from\": {}, \"bytes_read_to\": {}, "
                                   "\"ranges\": {}, \"leaves\": {}",
                                   bisected->bytes_primary, bisected->bytes_secondary,
                                   bisected->ranges, bisected->leaves)
                     : "");
    } else {
        fmt::print(
            "{} {} -> {} ({}): {} keys checked: {} matching, {} mismatched, {} only in {}, {} only "
            "in {}, {} errors",
            repair ? "repair" : "diff", from.name(), to.name(), mode, checked, counts.matching,
            counts.mismatched, counts.extra_in_primary, from.name(), counts.extra_in_secondary,
            to.name(), counts.errors);
        fmt::print("{}\n", repair ? fmt::format(", {} repaired", repaired) : "");
        if (bisected) {
            fmt::print(
                "  bisect read {} bytes from {} and {} from {}: {} ranges by digest, {} "
                "row by row\n",
                bisected->bytes_primary, from.name(), bisected->bytes_secondary, to.name(),
                bisected->ranges, bisected->leaves);
        }
        for (const auto& r : differing) {
            fmt::print("  {:?}: {}{}{}\n", r.key, ds::to_string(r.reason),
                       r.repaired ? " (repaired)" : "", r.detail.empty() ? "" : ": " + r.detail);
        }
        if (drifted > differing.size()) {
            fmt::print("  ... and {} more (--list N shows more)\n", drifted - differing.size());
        }
    }
    return drifted == repaired && (!repair || counts.errors == 0) && (repair || drifted == 0)
               ? in_sync
               : drift;
}

struct drain_flags {
    dualstore_tool::queue_spec queue;
    std::string from, to;
    std::size_t batch_size = 100;
    unsigned max_attempts = 10;
    double rate = 0;
    bool progress = false;
};

int run_drain(const drain_flags& f) {
    auto from = open_store(f.from);
    auto to = open_store(f.to);
    return dualstore_tool::with_queue(f.queue, [&](auto& queue, const std::string& name) {
        ds::observe::progress_bar bar("drain");
        ds::drain_options options{
            .batch_size = f.batch_size, .max_attempts = f.max_attempts, .rate = f.rate};
        if (f.progress) options.observers = ds::observe::with(bar);
        const auto report = ds::drain(queue, from, to, options);
        fmt::print("drain {} ({} -> {}): {}; {} waiting\n", name, from.name(), to.name(), report,
                   queue.size());
        return report.still_failing == 0 && report.dead_lettered == 0 ? in_sync : drift;
    });
}

int run_queue_stats(const dualstore_tool::queue_spec& spec, bool json) {
    return dualstore_tool::with_queue(spec, [&](auto& queue, const std::string& name) {
        const auto waiting = queue.size();
        const auto dead = queue.dead_letters().size();
        if (json) {
            fmt::print(
                "{{\"queue\": {}, \"kind\": \"{}\", \"waiting\": {}, \"dead_letters\": {}}}\n",
                json_string(name), spec.kind, waiting, dead);
        } else {
            fmt::print("queue {}: {} waiting, {} dead letters\n", name, waiting, dead);
        }
        return in_sync;
    });
}

/// The flags that name a queue: its URL, kind, prefix (kv) and name.
void add_queue_options(CLI::App& cmd, dualstore_tool::queue_spec& spec) {
    cmd.add_option("queue", spec.url, "where the queue lives (a store URL)")->required();
    cmd.add_option("--kind", spec.kind,
                   "kv: entries under --prefix in any store; redis-stream: a Redis stream and "
                   "consumer group; postgresql: a table claimed with SKIP LOCKED")
        ->check(CLI::IsMember({"kv", "redis-stream", "postgresql"}))
        ->capture_default_str();
    cmd.add_option("--prefix", spec.prefix, "kv: the queue's key prefix")->capture_default_str();
    cmd.add_option("--name", spec.name,
                   "redis-stream: the stream's key; postgresql: the table (default: the "
                   "adapter's)");
}

int run_soak_report(const std::string& path) {
    if (path == "-") {
        fmt::print("{}", ds::observe::soak_report(std::cin));
        return in_sync;
    }
    std::ifstream in(path);
    if (!in) throw dualstore_tool::usage_error(fmt::format("{:?}: cannot be read", path));
    fmt::print("{}", ds::observe::soak_report(in));
    return in_sync;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "dualstore: copy, compare, repair and drain between two stores named by URL.\n"
        "Store URLs: " +
        std::string(dualstore_tool::url_forms)};
    app.require_subcommand(1);
    int status = in_sync;

    copy_flags copy;
    auto* copy_cmd = app.add_subcommand("copy", "Copy every record of FROM into TO (a backfill)");
    copy_cmd->add_option("from", copy.from, "the store to copy from")->required();
    copy_cmd->add_option("to", copy.to, "the store to copy into")->required();
    copy_cmd
        ->add_option("--conflict", copy.conflict,
                     "keep-target: never overwrite a key TO has (beside live writes); "
                     "overwrite: write every record")
        ->check(CLI::IsMember({"keep-target", "overwrite"}))
        ->capture_default_str();
    copy_cmd->add_option("--batch-size", copy.batch_size, "records per page and batch")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
        ->capture_default_str();
    copy_cmd->add_option("--max-batches", copy.max_batches, "stop after this many batches")
        ->check(CLI::PositiveNumber);
    copy_cmd->add_option("--rate", copy.rate, "records per second at most (0: unlimited)")
        ->check(CLI::NonNegativeNumber);
    copy_cmd->add_flag("--dry-run", copy.dry_run, "scan and count, write nothing");
    copy_cmd->add_option("--checkpoint", copy.checkpoint,
                         "a file that keeps the position: an interrupted copy resumes from it");
    copy_cmd->add_flag("--progress", copy.progress, "show progress on stderr");
    auto* job_opt = copy_cmd->add_option(
        "--job", copy.job.name,
        "work on the shared copy of this name: run the same command in any number of "
        "processes, on any machines; each claims partitions until all are copied");
    auto* coordinate_opt = copy_cmd->add_option(
        "--coordinate", copy.job.coordinate,
        "the Redis or PostgreSQL server that holds the job's leases, checkpoints and plan");
    job_opt->needs(coordinate_opt)
        ->excludes("--checkpoint")
        ->excludes("--max-batches")
        ->excludes("--dry-run")
        ->excludes("--progress");
    coordinate_opt->needs(job_opt);
    copy_cmd
        ->add_option("--partitions", copy.job.partitions,
                     "--job: key ranges (SQLite, PostgreSQL sources) or hash buckets")
        ->check(CLI::Range(1U, 65536U))
        ->capture_default_str();
    copy_cmd
        ->add_option("--lease", copy.job.lease,
                     "--job: seconds a dead worker's partition waits before another takes it")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    copy_cmd->callback([&] { status = run_copy(copy); });

    diff_flags diff;
    auto add_diff = [&](const char* name, const char* what, bool repair) {
        auto* cmd = app.add_subcommand(name, what);
        cmd->add_option("from", diff.from, "the authoritative store")->required();
        cmd->add_option("to", diff.to, "the store compared with it")->required();
        cmd->add_option("--sample", diff.sample,
                        "check a uniform sample of this many keys instead of every key")
            ->check(CLI::PositiveNumber);
        cmd->add_option("--seed", diff.seed, "seed of the sample (0: random)");
        cmd->add_option("--list", diff.listed, "differing keys shown at most")
            ->capture_default_str();
        cmd->add_option("--batch-size", diff.batch_size, "keys per scan page")
            ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
            ->capture_default_str();
        cmd->add_flag("--json", diff.json, "print one JSON object (VDiff-style counts)");
        cmd->add_flag("--bisect", diff.bisect,
                      "compare digests of key ranges on the servers, reading rows only where "
                      "they differ (sqlite: and postgresql URLs; any other store: every key)")
            ->excludes("--sample");
        cmd->callback([&, repair] { status = run_diff(diff, repair); });
    };
    add_diff("diff", "Compare FROM with TO; exit status 1 when they differ", false);
    add_diff("repair", "Compare FROM with TO and copy each drifted key from FROM", true);

    drain_flags drain;
    auto* drain_cmd =
        app.add_subcommand("drain", "Repair the keys a retry queue holds, from FROM to TO");
    add_queue_options(*drain_cmd, drain.queue);
    drain_cmd->add_option("from", drain.from, "the authoritative store")->required();
    drain_cmd->add_option("to", drain.to, "the store repaired")->required();
    drain_cmd->add_option("--batch-size", drain.batch_size, "entries per batch")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
        ->capture_default_str();
    drain_cmd
        ->add_option("--max-attempts", drain.max_attempts,
                     "repairs per entry before it is dead-lettered")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    drain_cmd->add_option("--rate", drain.rate, "entries per second at most (0: unlimited)")
        ->check(CLI::NonNegativeNumber);
    drain_cmd->add_flag("--progress", drain.progress, "show progress on stderr");
    drain_cmd->callback([&] { status = run_drain(drain); });

    dualstore_tool::queue_spec queue;
    bool queue_json = false;
    auto* queue_cmd = app.add_subcommand("queue", "Inspect a retry queue");
    queue_cmd->require_subcommand(1);
    auto* stats_cmd = queue_cmd->add_subcommand("stats", "Entries waiting and dead letters");
    add_queue_options(*stats_cmd, queue);
    stats_cmd->add_flag("--json", queue_json, "print one JSON object");
    stats_cmd->callback([&] { status = run_queue_stats(queue, queue_json); });

    std::string soak_log;
    auto* soak_cmd = app.add_subcommand(
        "soak-report", "Latency per operation and side, cold and warm, from a json_log (Markdown)");
    soak_cmd
        ->add_option("log", soak_log,
                     "NDJSON from json_log with operations::every ('-': standard input)")
        ->required();
    soak_cmd->callback([&] { status = run_soak_report(soak_log); });

    const auto commands = app.get_subcommands([](const CLI::App*) { return true; });
    const auto known = [&](std::string_view name) {
        return std::any_of(commands.begin(), commands.end(),
                           [&](const CLI::App* c) { return c->get_name() == name; });
    };
    if (argc > 1 && argv[1][0] != '-' && !known(argv[1])) {
        fmt::print(stderr,
                   "dualstore: unknown command {:?} (copy, diff, repair, drain, queue stats, "
                   "soak-report; --help)\n",
                   argv[1]);
        return usage;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        (void)app.exit(e);
        return usage;
    } catch (const dualstore_tool::usage_error& e) {
        fmt::print(stderr, "dualstore: {}\n", e.what());
        return usage;
    } catch (const std::exception& e) {
        fmt::print(stderr, "dualstore: {}\n", e.what());
        return store_failed;
    }
    return status;
}
