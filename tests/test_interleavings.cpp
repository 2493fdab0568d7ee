// The write path under every bounded interleaving (testing::explore): for each
// write policy and each migration stage change, 2-3 actors put and erase 1-2
// keys while any one secondary call may fail, and after every schedule: the
// stores applied same-key writes in one order, no acknowledged write is lost,
// and after the drain the stores hold the same data. Each test prints how many
// schedules it explored (run with -s to see them).

#include "interleaving_support.hpp"

#include <dualstore/testing/unsafe_unordered.hpp>

#include <set>

namespace {

/// The write-path scenario over a dual_store built by `make(s, primary, secondary, queue)`.
template <class Make>
auto dual_store_scenario(Make make, std::vector<script> scripts) {
    return [=](dst::schedule& s) {
        history_store a, b;
        ds::memory_retry_queue queue;
        auto primary = s.wrap(a, "primary");
        auto secondary = s.wrap(b, "secondary", dst::faults::injectable);
        auto store = make(s, primary, secondary, queue);
        ack_log acks;
        s.run(writers(store, acks, scripts));
        require_same_order(s, a, b);
        require_acknowledged(s, a, acks, keys_of(scripts));
        ds::drain(queue, a, b);
        require_no_drift(s, a, b);
    };
}

}  // namespace

TEST_CASE("interleavings: write::sequential keeps per-key order and loses nothing",
          "[interleavings][sequential]") {
    explore_and_report("sequential, 1 key, 3 writers",
                       dual_store_scenario(sequential, one_key_three_writers));
    explore_and_report("sequential, 2 keys, 2 writers",
                       dual_store_scenario(sequential, two_keys_two_writers));
}

TEST_CASE("interleavings: write::parallel keeps per-key order and loses nothing",
          "[interleavings][parallel]") {
    explore_and_report("parallel, 1 key, 2 writers",
                       dual_store_scenario(parallel, std::vector<script>{{{"k", "1"}},
                                                                         {{"k", std::nullopt}}}));
    explore_and_report("parallel, 2 keys, 2 writers",
                       dual_store_scenario(parallel, std::vector<script>{{{"a", "1"}, {"b", "1"}},
                                                                         {{"b", std::nullopt}}}),
                       {.preemptions = 1});
}

TEST_CASE("interleavings: write::dual_primary with rollback::snapshot never undoes another "
          "writer's acknowledged write",
          "[interleavings][rollback]") {
    explore_and_report("dual_primary+snapshot, 1 key, 3 writers",
                       dual_store_scenario(dual_primary, one_key_three_writers));
    explore_and_report("dual_primary+snapshot, 2 keys, 2 writers",
                       dual_store_scenario(dual_primary, two_keys_two_writers));
}

namespace {

/// Appends `letter` to the value of "k"; its compensation drops the last
/// letter, an exact inverse only if no other write ran in between.
struct append_letter {
    char letter;
    template <class Store>
    void operator()(Store& store) const {
        store.put("k", store.get("k").value_or("") + letter);
    }
};
struct drop_last_letter {
    template <class Store>
    void operator()(Store& store, const append_letter& /*op*/) const {
        auto value = store.get("k").value_or("");
        if (!value.empty()) value.pop_back();
        store.put("k", value);
    }
};

template <class Order>
auto compensate_scenario(Order order) {
    return [=](dst::schedule& s) {
        history_store a, b;
        auto primary = s.wrap(a, "primary");
        auto secondary = s.wrap(b, "secondary", dst::faults::injectable);
        ds::dual_store store{primary, secondary, ds::write::dual_primary{},
                             ds::rollback::compensate{drop_last_letter{}}, order};
        std::string acknowledged;
        const auto writer = [&](char letter) {
            return [&, letter] {
                try {
                    store.write(std::string("k"), append_letter{letter});
                    acknowledged += letter;
                } catch (const ds::rolled_back&) {  // not acknowledged
                }
            };
        };
        s.run({{"A", writer('a')}, {"B", writer('b')}});
        s.require(a.get("k").value_or("") == acknowledged,
                  fmt::format("acknowledged write lost: the primary holds \"{}\", the "
                              "acknowledged appends were \"{}\"",
                              a.get("k").value_or(""), acknowledged));
    };
}

}  // namespace

TEST_CASE(
    "interleavings: write::dual_primary with rollback::compensate never undoes another "
    "writer's acknowledged write, without ordering it does",
    "[interleavings][rollback]") {
    explore_and_report("dual_primary+compensate", compensate_scenario(ds::order::per_key{}));
    const auto unordered =
        dst::explore(compensate_scenario(dst::unsafe_unordered{}), {.run_cap_applies = false});
    REQUIRE_FALSE(unordered.ok());
    CHECK_THAT(unordered.failure->message, Catch::Contains("acknowledged write lost"));
}

namespace {

/// The side that answers reads in stage `s`.
bool old_is_primary(ds::stage s) { return s <= ds::stage::shadow; }
bool writes_both(ds::stage s) { return s != ds::stage::off && s != ds::stage::complete; }

/// Two writers on one key while a third actor changes the stage `from` -> `to`.
auto stage_change_scenario(ds::stage from, ds::stage to, dst::faults failing) {
    return [=](dst::schedule& s) {
        history_store old_data, new_data;
        ds::memory_retry_queue queue;
        auto old_side = s.wrap(old_data, "old", failing);
        auto new_side = s.wrap(new_data, "new", failing);
        ds::migration store{old_side, new_side, from, ds::on_secondary_failure{queue}};
        ack_log acks;
        const std::vector<script> scripts{{{"k", "1"}}, {{"k", std::nullopt}, {"k", "2"}}};
        auto actors = writers(store, acks, scripts);
        actors.push_back({"stage", [&] { store.set_stage(to); }});
        s.run(std::move(actors));

        auto& primary = old_is_primary(to) ? old_data : new_data;
        auto& secondary = old_is_primary(to) ? new_data : old_data;
        const bool flips = old_is_primary(from) != old_is_primary(to);
        if (!flips) require_acknowledged(s, primary, acks, {"k"});
        if (writes_both(from) && writes_both(to)) {
            // Across a flip the store that leads changes; with at most one
            // fault, one store's writes are still a subsequence of the other's.
            if (flips && is_subsequence(old_data.applied["k"], new_data.applied["k"])) {
                require_same_order(s, new_data, old_data);
            } else {
                require_same_order(s, flips ? old_data : primary, flips ? new_data : secondary);
            }
        }
        ds::drain(queue, store);
        if (flips) {
            // Entries recorded before the flip are refused in `to` (they
            // would copy from the store that is no longer authoritative):
            // the operator's remedy is to go back, drain them, come back.
            store.set_stage(from);
            ds::drain(queue, store, an_hour_later());
            store.set_stage(to);
            s.require(queue.size() == 0, "entries left after draining on both sides of the flip");
            require_acknowledged(s, primary, acks, {"k"});
        }
        // A key written under a stage that writes both ends equal on both
        // (writes of stage off reach the old store only: the backfill's job).
        if (writes_both(to) && !new_data.applied.empty()) {
            s.require(old_data.get("k") == new_data.get("k"),
                      fmt::format("drift after the drain: old {}, new {}",
                                  show(old_data.get("k")), show(new_data.get("k"))));
        }
    };
}

}  // namespace

TEST_CASE("interleavings: a stage change beside two writers on one key loses nothing and "
          "leaves no drift",
          "[interleavings][migration]") {
    using ds::stage;
    for (const auto& [from, to] : std::vector<std::pair<stage, stage>>{
             {stage::off, stage::dual_write},
             {stage::dual_write, stage::shadow},
             {stage::live, stage::rampdown},
             {stage::rampdown, stage::complete}}) {
        explore_and_report(fmt::format("{} -> {}", from, to).c_str(),
                           stage_change_scenario(from, to, dst::faults::injectable),
                           {.preemptions = 2, .faults = 1});
    }
    explore_and_report("shadow -> live (authority flips)",
                       stage_change_scenario(stage::shadow, stage::live, dst::faults::injectable),
                       {.preemptions = 2, .faults = 1});
}
