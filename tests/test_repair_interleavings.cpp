// The drain beside live writers under every bounded interleaving
// (testing::explore): writers put and erase one key through a dual_store or
// a migration while one or two drainers repair from the retry queue, and any
// one secondary call (the drainers' included) may fail. After every
// schedule: no acknowledged write is lost, the follower never received an
// older value over a newer one (each of its writes left the key as the
// leader held it at that moment), and after a final drain the stores hold
// the same data. Each test prints how many schedules it explored (-s).

#include "interleaving_support.hpp"

#include <fmt/ranges.h>

namespace {

/// The actors of `drainers` drainers, each draining `queue` through `drain_one()`.
template <class Drain>
void add_drainers(std::vector<dst::schedule::actor>& actors, int drainers, Drain drain_one) {
    for (int i = 1; i <= drainers; ++i) {
        actors.push_back({fmt::format("drain{}", i), drain_one});
    }
}

/// What the drainers drain through.
enum class drain_through {
    store,       ///< `drain(queue, store)`: under the store's key lock
    raw_stores,  ///< `drain(queue, primary, secondary)`: as another process would
};

/// Writers through a dual_store made by `make` beside `drainers` drainers;
/// with `strict`, every secondary write is checked against the primary.
template <class Make>
auto dual_store_drain_scenario(Make make, int drainers, bool strict = true,
                               drain_through through = drain_through::store) {
    return [=](dst::schedule& s) {
        history_store a, b;
        if (strict) b.leader = &a;
        ds::memory_retry_queue queue;
        auto primary = s.wrap(a, "primary");
        auto secondary = s.wrap(b, "secondary", dst::faults::injectable);
        auto store = make(s, primary, secondary, queue);
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
        require_acknowledged(s, a, acks, {"k"});
        require_never_older(s, b);
        ds::drain(queue, store, an_hour_later());
        s.require(queue.size() == 0, "entries left after the final drain");
        require_no_drift(s, a, b);
    };
}

}  // namespace

TEST_CASE(
    "repair interleavings: a drain beside live writers never loses, resurrects or rolls "
    "back a write",
    "[interleavings][drain]") {
    const dst::explore_options bound{.preemptions = 2, .faults = 1};
    explore_and_report("sequential x drain", dual_store_drain_scenario(sequential, 1), bound);
    explore_and_report("dual_primary x drain", dual_store_drain_scenario(dual_primary, 1), bound);
    // write::parallel may write the secondary before the primary, so its
    // own writes are not checked against the leader; the final state is.
    explore_and_report("parallel x drain", dual_store_drain_scenario(parallel, 1, false),
                       {.preemptions = 0, .faults = 1});
}

TEST_CASE("repair interleavings: two drainers beside a live writer", "[interleavings][drain]") {
    explore_and_report("sequential x two drainers", dual_store_drain_scenario(sequential, 2),
                       {.preemptions = 1, .faults = 1});
}

TEST_CASE(
    "repair interleavings: a drain of two raw stores (another process's writes) ends "
    "equal, and only the key lock keeps an older value from landing at all",
    "[interleavings][drain]") {
    const auto scenario = [](bool strict) {
        return dual_store_drain_scenario(sequential, 1, strict, drain_through::raw_stores);
    };
    explore_and_report("raw drain: converges", scenario(false), {.preemptions = 2, .faults = 1});
    // Without the lock, the repair's copy can land between a live write's
    // two sides; repair_key's re-read corrects it, but it did land.
    const auto unlocked = dst::explore(scenario(true), {.preemptions = 2, .faults = 1});
    INFO(unlocked.report());
    CHECK_FALSE(unlocked.ok());
    CHECK_THAT(unlocked.report(), Catch::Matchers::Contains("older value over a newer one"));
}

TEST_CASE(
    "repair interleavings: a migration's drain beside live writers in each stage that "
    "writes both",
    "[interleavings][drain][migration]") {
    for (const auto stage : {ds::stage::dual_write, ds::stage::live}) {
        const auto scenario = [stage](dst::schedule& s) {
            history_store old_data, new_data;
            const bool old_leads = ds::authoritative_store(stage) == ds::migration_store::old_store;
            auto& leader = old_leads ? old_data : new_data;
            auto& follower = old_leads ? new_data : old_data;
            follower.leader = &leader;
            ds::memory_retry_queue queue;
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
            s.require(queue.size() == 0, "entries left after the final drain");
            require_no_drift(s, old_data, new_data);
        };
        explore_and_report(fmt::format("migration in {} x drain", stage).c_str(), scenario,
                           {.preemptions = 2, .faults = 1});
    }
}

namespace {

/// Versions for conflict_rule::newer_wins: values are version numbers.
struct numbered_versions {
    int version(const std::string& v) const { return std::stoi(v); }
};

/// A live writer through a migration in dual_write (old -> new) beside a
/// backfill of old into new that starts with "k" = 1 and "j" = 1 in the old
/// store only. With `locked`, the backfill takes the migration's key lock.
auto backfill_scenario(ds::conflict_rule rule, bool locked) {
    return [=](dst::schedule& s) {
        history_store old_data, new_data;
        old_data.data.put("k", "1");
        old_data.data.put("j", "1");
        if (locked) new_data.leader = &old_data;
        auto old_side = s.wrap(old_data, "old");
        auto new_side = s.wrap(new_data, "new");
        ds::migration store{old_side, new_side, ds::stage::dual_write,
                            ds::discard_secondary_failures{}};
        ack_log acks;
        auto actors = writers(store, acks, {{{"k", std::nullopt}, {"j", "2"}}, {{"k", "3"}}});
        ds::backfill_options options{.batch_size = 1, .conflict = rule};
        if (locked) {
            options.lock_key = [&](std::string_view k) { return store.lock_key(std::string(k)); };
        }
        actors.push_back(
            {"backfill", [&] { ds::backfill(old_side, new_side, options, numbered_versions{}); }});
        s.run(std::move(actors));
        require_acknowledged(s, old_data, acks, {"k", "j"}, "1");
        if (locked) require_never_older(s, new_data);
        // No resurrection and no older value left: the new store equals the
        // old one with no drain or repair at all.
        require_no_drift(s, old_data, new_data);
    };
}

}  // namespace

TEST_CASE(
    "repair interleavings: a backfill beside a live writer never resurrects a key or "
    "leaves an older value, in every conflict mode",
    "[interleavings][backfill]") {
    using ds::conflict_rule;
    for (const auto rule :
         {conflict_rule::keep_target, conflict_rule::newer_wins, conflict_rule::overwrite}) {
        for (const bool locked : {true, false}) {
            explore_and_report(fmt::format("backfill {} x writer{}", static_cast<int>(rule),
                                           locked ? ", key lock" : ", re-read")
                                   .c_str(),
                               backfill_scenario(rule, locked), {.preemptions = 2});
        }
    }
}
