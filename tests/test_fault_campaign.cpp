// Fault campaign (real threads, run under TSan too): 4 threads put and erase
// over 32 shared keys while the secondary fails 20% of its writes (seeded);
// afterwards a drain leaves zero drift and every key in a state one of its
// acknowledged writes left it in. Over write::sequential, write::parallel and
// a migration switching between dual_write and shadow meanwhile.

#include "support.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace {

constexpr int threads = 4;
constexpr int operations_per_thread = 12'500;
constexpr int keys = 32;

/// The states each key was acknowledged in (absent for an acknowledged erase).
struct acknowledged_states {
    std::mutex mutex;
    std::map<std::string, std::set<std::optional<std::string>>> states;

    void add(const std::string& k, std::optional<std::string> s) {
        const std::lock_guard lock(mutex);
        states[k].insert(std::move(s));
    }
};

/// Random puts and erases from `threads` threads through `store`.
template <class Store>
void campaign(Store& store, acknowledged_states& acked) {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            std::mt19937 random(static_cast<unsigned>(t) + 1U);
            for (int i = 0; i < operations_per_thread; ++i) {
                const auto key = fmt::format("k{}", random() % keys);
                if (random() % 4 == 0) {
                    store.erase(key);
                    acked.add(key, std::nullopt);
                } else {
                    const auto value = fmt::format("t{}-{}", t, i);
                    store.put(key, value);
                    acked.add(key, value);
                }
            }
        });
    }
    for (auto& w : workers) w.join();
}

/// After the drain: no drift, and each key holds a state it was acknowledged in.
void check_outcome(kv& primary, kv& secondary, acknowledged_states& acked) {
    CHECK(primary.snapshot() == secondary.snapshot());
    for (int i = 0; i < keys; ++i) {
        const auto key = fmt::format("k{}", i);
        const auto& states = acked.states[key];
        if (states.empty()) continue;
        INFO("key " << key);
        CHECK(states.contains(primary.get(key)));
    }
}

}  // namespace

TEST_CASE("fault campaign concurrency: 4 threads, shared keys, 20% secondary faults, then a "
          "drain: zero drift",
          "[concurrency][campaign]") {
    for (const bool parallel : {false, true}) {
        DYNAMIC_SECTION((parallel ? "write::parallel" : "write::sequential")) {
            kv a, b;
            flaky secondary{b};
            secondary.fail_rate(0.2, 2026, dst::fault_on::writes);
            ds::memory_retry_queue queue;
            acknowledged_states acked;
            if (parallel) {
                ds::dual_store store{a, secondary, ds::write::parallel{},
                                     ds::on_secondary_failure{queue}};
                campaign(store, acked);
            } else {
                ds::dual_store store{a, secondary, ds::on_secondary_failure{queue}};
                campaign(store, acked);
            }
            CHECK(secondary.injected() > 0);
            CHECK(queue.size() > 0);
            const auto report = ds::drain(queue, a, b);
            CHECK(report.still_failing == 0);
            CHECK(queue.size() == 0);
            check_outcome(a, b, acked);
        }
    }
}

TEST_CASE("fault campaign concurrency: a migration walking its stages beside the writers ends "
          "with zero drift after the drain",
          "[concurrency][campaign][migration]") {
    kv old_data, new_data;
    flaky new_side{new_data};
    new_side.fail_rate(0.2, 7, dst::fault_on::writes);
    ds::memory_retry_queue queue;
    acknowledged_states acked;
    ds::migration store{old_data, new_side, ds::stage::dual_write,
                        ds::on_secondary_failure{queue}};
    std::atomic<bool> writing{true};
    std::size_t changes = 0;
    std::thread walker([&] {
        // The old store stays authoritative (dual_write <-> shadow), so every
        // queued entry repairs new from old, whenever it was queued.
        while (writing.load()) {
            store.set_stage(changes % 2 == 0 ? ds::stage::shadow : ds::stage::dual_write);
            ++changes;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    campaign(store, acked);
    writing = false;
    walker.join();
    CHECK(changes > 0);
    CHECK(new_side.injected() > 0);
    ds::drain(queue, store);
    check_outcome(old_data, new_data, acked);
}
