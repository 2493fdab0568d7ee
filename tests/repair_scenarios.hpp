#pragma once
// The repair scenarios the schedule explorer runs, over any backend a
// `backend` makes (in-memory stores and queues in
// tests/test_repair_interleavings.cpp, SQLite stores and a kv_retry_queue in
// SQLite in adapters/sqlite/tests). Writers put and erase keys while repair
// runs beside them; any one secondary call may fail unless a scenario says
// otherwise. After every schedule:
//
// (a) dual_store_drain_scenario: writers through a dual_store (one maker per
//     write policy, a queue as failure sink) beside one or two drainers,
//     draining through the store (its key lock) or through the two raw
//     stores (as another process would). No acknowledged write is lost; with
//     `strict`, the secondary never received an older value over a newer one
//     (each of its writes left the key as the primary held it at that
//     moment); after a final drain the queue is empty and the stores hold
//     the same data.
// (b) migration_drain_scenario: as (a) through a migration held in one stage
//     that writes both stores (dual_write or live), any call of either store
//     may fail, one drainer. The store that is not authoritative never
//     received an older value over a newer one; the rest as (a).
// (c) backfill_scenario: one or two backfills of the old store into the new
//     one (conflict_rule keep_target, newer_wins or overwrite; all with the
//     migration's key lock, or all re-reading the source without it) beside
//     writers through a migration in dual_write (two writer actors beside one
//     backfill, one beside two backfills), with "k" and "j" in the
//     old store only at the start and no failures. No acknowledged write is
//     lost; with the lock, the new store never received an older value over
//     a newer one (without it a copy may land between a live write's two
//     sides, and the re-read corrects it); with no drain or repair at all,
//     the new store equals the old one: no key resurrected, no older value
//     left. The same with the backfill partitioned in two at "j" and done
//     by one or two workers of a partitioned_job.
// (d) stage_flip_drain_scenario: a writer through a migration in shadow, two
//     drainers and an actor that sets the stage to live, any call of either
//     store may fail. A repair never writes the store that is authoritative
//     at that moment (a drain in live refuses the entries recorded in shadow
//     rather than copy them from the old store to the new), and the other
//     store never received an older value over a newer one. After the
//     operator's procedure (drain, set the stage back to shadow, drain, set
//     it to live again) the queue is empty, no acknowledged write is lost
//     and the stores hold the same data.

#include "interleaving_support.hpp"

#include <dualstore/memory_lease_lock.hpp>
#include <dualstore/partition/job.hpp>
#include <dualstore/partition/work.hpp>

#include <fmt/ranges.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace repair_scenarios {

/// What the scenarios run over: `store()` makes an empty store and `queue()`
/// an empty retry queue, each owned by the pointer it returns.
template <class MakeStore, class MakeQueue>
struct backend {
    MakeStore store;
    MakeQueue queue;
};
template <class MakeStore, class MakeQueue>
backend(MakeStore, MakeQueue) -> backend<MakeStore, MakeQueue>;

/// A queue maker for `backend::queue`: a kv_retry_queue in a store `make()`
/// returns, as a service keeps its durable queue; the pointer owns both.
template <class Make>
auto kv_queue_in(Make make) {
    return [make] {
        using store_type = typename std::invoke_result_t<const Make&>::element_type;
        struct held {
            explicit held(std::unique_ptr<store_type> d) : data(std::move(d)), queue(*data) {}
            std::unique_ptr<store_type> data;
            ds::kv_retry_queue<store_type&> queue;
        };
        auto owner = std::make_shared<held>(make());
        return std::shared_ptr<ds::kv_retry_queue<store_type&>>(owner, &owner->queue);
    };
}

/// Two empty stores of a backend, recorded (see `recorded`).
template <class MakeStore, bool Expiring = false>
struct store_pair {
    using store_type = typename std::invoke_result_t<const MakeStore&>::element_type;

    explicit store_pair(const MakeStore& make) : a_data(make()), b_data(make()) {}

    std::unique_ptr<store_type> a_data, b_data;
    recorded<store_type, Expiring> a{*a_data}, b{*b_data};
};

/// The actors of `drainers` drainers, each draining through `drain_one()`.
template <class Drain>
void add_drainers(std::vector<dst::schedule::actor>& actors, int drainers, Drain drain_one) {
    for (int i = 1; i <= drainers; ++i) {
        actors.push_back({fmt::format("drain{}", i), drain_one});
    }
}

/// Checks the queue is empty after the final drain.
template <class Queue>
void require_drained(dst::schedule& s, const Queue& queue) {
    s.require(queue.size() == 0, "entries left after the final drain");
}

/// What the drainers of scenario (a) drain through.
enum class drain_through {
    store,       ///< `drain(queue, store)`: under the store's key lock
    raw_stores,  ///< `drain(queue, primary, secondary)`: as another process would
};

/// Scenario (a): writers through the dual_store `make_store` makes (see
/// `sequential` in interleaving_support.hpp) beside `drainers` drainers.
template <class Backend, class MakeStore>
auto dual_store_drain_scenario(Backend backend, MakeStore make_store, int drainers,
                               bool strict = true, drain_through through = drain_through::store) {
    return [=](dst::schedule& s) {
        store_pair stores{backend.store};
        if (strict) stores.b.leader = &stores.a;
        const auto queue_owner = backend.queue();
        auto& queue = *queue_owner;
        auto primary = s.wrap(stores.a, "primary");
        auto secondary = s.wrap(stores.b, "secondary", dst::faults::injectable);
        auto store = make_store(s, primary, secondary, queue);
        ack_log acks;
        auto actors = writers(store, acks, one_key_two_writers);
        add_drainers(actors, drainers, [&] {
            if (through == drain_through::store) {
                ds::drain(queue, store);
            } else {
                ds::drain(queue, primary, secondary);
            }
        });
        s.run(std::move(actors));
        require_acknowledged(s, stores.a, acks, {"k"});
        require_never_older(s, stores.b);
        ds::drain(queue, store, an_hour_later());
        require_drained(s, queue);
        require_same_data(s, stores.a, stores.b);
    };
}

/// Scenario (b): writers through a migration held in `stage` beside a drainer.
template <class Backend>
auto migration_drain_scenario(Backend backend, ds::stage stage) {
    return [=](dst::schedule& s) {
        store_pair stores{backend.store};
        auto& old_data = stores.a;
        auto& new_data = stores.b;
        const bool old_leads = ds::authoritative_store(stage) == ds::migration_store::old_store;
        auto& leader = old_leads ? old_data : new_data;
        auto& follower = old_leads ? new_data : old_data;
        follower.leader = &leader;
        const auto queue_owner = backend.queue();
        auto& queue = *queue_owner;
        auto old_side = s.wrap(old_data, "old", dst::faults::injectable);
        auto new_side = s.wrap(new_data, "new", dst::faults::injectable);
        ds::migration store{old_side, new_side, stage, ds::on_secondary_failure{queue}};
        ack_log acks;
        auto actors = writers(store, acks, one_key_two_writers);
        add_drainers(actors, 1, [&] { ds::drain(queue, store); });
        s.run(std::move(actors));
        require_acknowledged(s, leader, acks, {"k"});
        require_never_older(s, follower);
        ds::drain(queue, store, an_hour_later());
        require_drained(s, queue);
        require_same_data(s, old_data, new_data);
    };
}

/// Versions for conflict_rule::newer_wins: values are version numbers.
struct numbered_versions {
    int version(const std::string& v) const { return std::stoi(v); }
};

/// How scenario (c) copies: a record per page through a mapping (each
/// record confirmed by itself), or pages of two records with no mapping,
/// confirmed by a second scan (the stores' change stamps never equal) or,
/// when the source's stamp held still, by the stamp alone.
enum class page_confirmation { none, scan, change_stamp };

/// Every conflict rule, for scenario (c).
inline constexpr std::array all_rules{ds::conflict_rule::keep_target, ds::conflict_rule::newer_wins,
                                      ds::conflict_rule::overwrite};

/// The name of a variant of scenario (c) in reports.
inline std::string backfill_name(ds::conflict_rule rule, bool locked, int backfills = 1,
                                 page_confirmation pages = page_confirmation::none,
                                 bool partitioned = false) {
    constexpr std::array<std::string_view, 3> confirmed{"", ", pages of 2 confirmed by a scan",
                                                        ", pages of 2 confirmed by a change stamp"};
    if (partitioned) {
        return fmt::format("backfill in two partitions by {} worker{} {} x writer{}{}", backfills,
                           backfills == 1 ? "" : "s", static_cast<int>(rule),
                           locked ? ", key lock" : ", re-read",
                           confirmed.at(static_cast<std::size_t>(pages)));
    }
    return fmt::format("{}backfill {} x writer{}{}", backfills == 1 ? "" : "two ",
                       static_cast<int>(rule), locked ? ", key lock" : ", re-read",
                       confirmed.at(static_cast<std::size_t>(pages)));
}

/// The writers of scenario (c) beside one backfill: two actors.
const std::vector<script> backfill_writers{{{"k", std::nullopt}, {"j", "2"}}, {{"k", "3"}}};
/// The writer of scenario (c) beside two backfills: the same writes in one actor.
const std::vector<script> backfill_writer{{{"k", std::nullopt}, {"j", "2"}, {"k", "3"}}};

/// Scenario (c): `backfills` backfills (1 or 2) of old into new beside
/// writers through a migration in dual_write (`backfill_writers` beside one
/// backfill, `backfill_writer` beside two); with `locked`, each backfill
/// takes the migration's key lock. Records go one per page through a version
/// mapping, or, with `pages`, both keys in one page with no mapping, so an
/// unlocked overwrite confirms the whole page by scanning it again. With
/// `partitioned`, the `backfills` actors are workers of one
/// `partitioned_job` split at "j" (so "j" and "k" are in two partitions),
/// sharing leases and checkpoints in memory.
template <bool Expiring = false, class Backend>
auto backfill_scenario(Backend backend, ds::conflict_rule rule, bool locked, int backfills = 1,
                       page_confirmation confirmation = page_confirmation::none,
                       bool partitioned = false) {
    return [=](dst::schedule& s) {
        const bool pages = confirmation != page_confirmation::none;
        store_pair<decltype(backend.store), Expiring> stores{backend.store};
        auto& old_data = stores.a;
        auto& new_data = stores.b;
        old_data.stamps_move = confirmation == page_confirmation::scan;
        for (const char* key : {"k", "j"}) {
            if constexpr (Expiring) {
                stores.a_data->put(key, "1", std::chrono::hours(1));  // far from expiry
            } else {
                stores.a_data->put(key, "1");
            }
        }
        if (locked) new_data.leader = &old_data;
        auto old_side = s.wrap(old_data, "old");
        auto new_side = s.wrap(new_data, "new");
        ds::migration store{old_side, new_side, ds::stage::dual_write,
                            ds::discard_secondary_failures{}};
        ack_log acks;
        auto actors = writers(store, acks, backfills == 1 ? backfill_writers : backfill_writer);
        ds::backfill_options options{.batch_size = pages ? 2U : 1U, .conflict = rule};
        if (locked) {
            options.lock_key = [&](std::string_view k) { return store.lock_key(std::string(k)); };
        }
        ds::testing::memory_store<std::string, std::string> job_state;
        const auto epoch = [] { return std::chrono::system_clock::time_point{}; };
        ds::memory_lease_lock leases{epoch};
        ds::partitioned_job job{
            "backfill", ds::split_at_keys({"j"}), leases, job_state, {.clock = {.wall = epoch}}};
        const auto copy = [&](auto mapping) {
            if (partitioned) {
                ds::backfill_work work{old_side, new_side, options, mapping};
                job.work(work);
            } else {
                ds::backfill(old_side, new_side, options, mapping);
            }
        };
        for (int i = 1; i <= backfills; ++i) {
            actors.push_back(
                {backfills == 1 ? std::string("backfill") : fmt::format("backfill{}", i), [&] {
                     if (pages) {
                         copy(ds::identity_mapping{});
                     } else {
                         copy(numbered_versions{});
                     }
                 }});
        }
        s.run(std::move(actors));
        require_acknowledged(s, old_data, acks, {"k", "j"}, "1");
        if (locked) require_never_older(s, new_data);
        // No resurrection and no older value left: the new store equals the
        // old one with no drain or repair at all.
        require_same_data(s, old_data, new_data);
    };
}

/// Explores scenario (c) with `backfills` backfills (or, with `partitioned`,
/// workers of one partitioned backfill) in every conflict mode, with the key
/// lock and without, reporting each as `prefix` and its name.
template <class Backend>
void explore_backfills(const Backend& backend, std::string_view prefix, int backfills,
                       const dst::explore_options& bound, bool partitioned = false) {
    const auto none = page_confirmation::none;
    for (const auto rule : all_rules) {
        for (const bool locked : {true, false}) {
            explore_and_report(
                fmt::format("{}{}", prefix,
                            backfill_name(rule, locked, backfills, none, partitioned))
                    .c_str(),
                backfill_scenario(backend, rule, locked, backfills, none, partitioned), bound);
        }
    }
    // The page confirmation of an unlocked batch (identity mapping): put_many
    // to overwrite, put_many_if_absent to keep the target's keys; by a scan,
    // and by the source's change stamp.
    for (const auto rule : {ds::conflict_rule::overwrite, ds::conflict_rule::keep_target}) {
        for (const auto pages : {page_confirmation::scan, page_confirmation::change_stamp}) {
            explore_and_report(
                fmt::format("{}{}", prefix,
                            backfill_name(rule, false, backfills, pages, partitioned))
                    .c_str(),
                backfill_scenario(backend, rule, false, backfills, pages, partitioned), bound);
        }
    }
}

/// Whether the calling thread is repairing (inside a drain of scenario (d)).
inline bool& repairing() {
    static thread_local bool flag = false;
    return flag;
}

/// Marks the calling thread as repairing while it lives.
struct repair_mark {
    repair_mark() { repairing() = true; }
    repair_mark(const repair_mark&) = delete;
    repair_mark& operator=(const repair_mark&) = delete;
    ~repair_mark() { repairing() = false; }
};

/// Scenario (d): a writer through a migration in shadow, two drainers and a
/// stage change to live; then the operator's procedure.
template <class Backend>
auto stage_flip_drain_scenario(Backend backend, script steps) {
    return [=](dst::schedule& s) {
        using ds::migration_store;
        using ds::stage;
        store_pair stores{backend.store};
        auto& old_data = stores.a;
        auto& new_data = stores.b;
        // The store that is authoritative now: changed by whoever changes the
        // stage once set_stage returns, which is when the last operation of
        // the previous stage has finished and before any of the next begins.
        auto authority = migration_store::old_store;
        std::vector<std::string> wrong;
        const auto check = [&](migration_store side) {
            return [&, side](const std::string& k, const key_state& written) {
                if (side != authority) {
                    note_if_older(authority == migration_store::old_store ? &old_data : &new_data,
                                  k, written, wrong);
                } else if (repairing()) {
                    wrong.push_back(
                        fmt::format("a repair wrote {} to key {} of the {}, which is "
                                    "authoritative",
                                    show(written), k, ds::to_string(side)));
                }
            };
        };
        old_data.on_write = check(migration_store::old_store);
        new_data.on_write = check(migration_store::new_store);
        const auto queue_owner = backend.queue();
        auto& queue = *queue_owner;
        auto old_side = s.wrap(old_data, "old", dst::faults::injectable);
        auto new_side = s.wrap(new_data, "new", dst::faults::injectable);
        ds::migration store{old_side, new_side, stage::shadow, ds::on_secondary_failure{queue}};
        const auto set_stage = [&](stage to) {
            store.set_stage(to);
            authority = ds::authoritative_store(to);
        };
        ack_log acks;
        auto actors = writers(store, acks, {steps});
        add_drainers(actors, 2, [&] {
            const repair_mark mark;
            ds::drain(queue, store);
        });
        actors.push_back({"stage", [&] { set_stage(stage::live); }});
        s.run(std::move(actors));
        s.require(wrong.empty(), fmt::format("during the schedule: {}", fmt::join(wrong, "; ")));

        {
            const repair_mark mark;
            ds::drain(queue, store, an_hour_later());
            set_stage(stage::shadow);
            ds::drain(queue, store,
                      {.clock = {.wall = [] { return ds::queue_clock::now() + 2h; }}});
            set_stage(stage::live);
        }
        s.require(wrong.empty(), fmt::format("in the final procedure: {}", fmt::join(wrong, "; ")));
        require_drained(s, queue);
        require_acknowledged(s, new_data, acks, keys_of({steps}));
        require_same_data(s, old_data, new_data);
    };
}

/// Explores scenario (d) with a put and an erase under one failure and a
/// preemption, and with put, erase, put under two failures (a failed write
/// and a failed repair, or two failed writes) and no preemption, reporting
/// each as `prefix` and its name.
template <class Backend>
void explore_stage_flips(const Backend& backend, std::string_view prefix) {
    explore_and_report(fmt::format("{}two drainers x writer x shadow -> live", prefix).c_str(),
                       stage_flip_drain_scenario(backend, {{"k", "1"}, {"k", std::nullopt}}),
                       {.preemptions = 1, .faults = 1});
    explore_and_report(
        fmt::format("{}two drainers x writer x shadow -> live, two faults", prefix).c_str(),
        stage_flip_drain_scenario(backend, {{"k", "1"}, {"k", std::nullopt}, {"k", "2"}}),
        {.preemptions = 0, .faults = 2});
}

}  // namespace repair_scenarios
