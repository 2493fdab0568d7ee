// ds::migration under threads (run under TSan): writers and readers keep
// going while another thread walks the stages forward and back; afterwards
// every acknowledged write is in every store its stage required.

#include "support.hpp"

#include <atomic>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

/// The stores a write under `s` must reach.
std::set<std::string> required(ds::stage s) {
    switch (s) {
        case ds::stage::off: return {"old"};
        case ds::stage::complete: return {"new"};
        default: return {"old", "new"};
    }
}

struct acknowledged {
    std::string key;
    std::uint64_t version_before;  ///< the walker's change counter before the put
    std::uint64_t version_after;   ///< and after it was acknowledged
};

}  // namespace

TEST_CASE("migration concurrency: stage changes while writing lose and half-apply no "
          "acknowledged write",
          "[migration][concurrency]") {
    kv old_side, new_side;
    ds::migration store{old_side, new_side, ds::stage::off, ds::read::shadow{},
                        ds::discard_secondary_failures{}};

    // The walker makes `version` odd while a change is in progress and even
    // when stable (a seqlock); stages[n] is the stage after change n.
    std::atomic<std::uint64_t> version{0};
    std::vector<ds::stage> stages{ds::stage::off};
    constexpr int changes = 200;
    constexpr int writers = 3;
    constexpr int writes_per_writer = 400;
    std::atomic<bool> writing{true};

    std::vector<std::vector<acknowledged>> acked(writers);
    {
        std::vector<std::jthread> threads;
        for (int w = 0; w < writers; ++w) {
            threads.emplace_back([&, w] {
                for (int i = 0; i < writes_per_writer; ++i) {
                    const std::string key = fmt::format("w{}-{}", w, i);
                    const auto before = version.load();
                    store.put(key, key);
                    acked[w].push_back({key, before, version.load()});
                }
            });
        }
        threads.emplace_back([&] {  // a reader, so shadow and live compare while stages move
            while (writing.load()) std::ignore = store.get("w0-0");
        });
        threads.emplace_back([&] {
            std::minstd_rand random{12345};
            for (int n = 0; n < changes; ++n) {
                const auto to = ds::all_stages[random() % ds::all_stages.size()];
                stages.push_back(to);
                version.fetch_add(1);  // odd: changing
                store.set_stage(to);
                version.fetch_add(1);  // even: stable
                std::this_thread::yield();
            }
        });
        for (int w = 0; w < writers; ++w) threads[static_cast<std::size_t>(w)].join();
        writing = false;
    }

    std::size_t checked = 0;
    for (const auto& list : acked) {
        for (const auto& write : list) {
            // The put ran under one of the stages in effect between the two
            // readings: it must be in every store all of them require.
            const auto first = write.version_before / 2;
            const auto last = (write.version_after + 1) / 2;
            std::set<std::string> must{"old", "new"};
            for (auto n = first; n <= last; ++n) {
                std::set<std::string> both;
                const auto need = required(stages[n]);
                std::ranges::set_intersection(must, need, std::inserter(both, both.begin()));
                must = both;
            }
            if (must.contains("old")) CHECK(old_side.get(write.key) == write.key);
            if (must.contains("new")) CHECK(new_side.get(write.key) == write.key);
            ++checked;
        }
    }
    CHECK(checked == writers * writes_per_writer);
}

TEST_CASE("migration concurrency: set_stage returns only after operations begun under the "
          "previous stage have finished",
          "[migration][concurrency]") {
    kv old_side, new_side;
    ds::migration store{old_side, new_side, ds::stage::off, ds::discard_secondary_failures{}};

    std::atomic<bool> entered{false};
    std::atomic<bool> release{false};
    std::atomic<bool> changed{false};
    std::jthread writer([&] {
        store.write([&](auto& s) {  // stage off: runs on the old store only
            entered = true;
            while (!release) std::this_thread::yield();
            s.put("k", "v");
        });
    });
    while (!entered) std::this_thread::yield();

    std::jthread changer([&] {
        store.set_stage(ds::stage::complete);
        changed = true;
    });
    // New operations see the new stage at once...
    while (store.current_stage() != ds::stage::complete) std::this_thread::yield();
    // ...but set_stage waits for the write begun under off.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK_FALSE(changed);
    CHECK(old_side.get("k") == std::nullopt);

    release = true;
    changer.join();
    CHECK(changed);
    CHECK(old_side.get("k") == "v");  // the acknowledged write landed where its stage said
    CHECK(new_side.get("k") == std::nullopt);
}

namespace {

/// Runs `innermost` inside one write of each of `stores`, nested in order.
template <class Stores, class F>
void nested_writes(Stores& stores, std::size_t from, F& innermost) {
    if (from == stores.size()) {
        innermost();
        return;
    }
    stores[from]->write([&](auto&) { nested_writes(stores, from + 1, innermost); });
}

std::size_t thread_records() {
    std::size_t n = 0;
    for (auto* r = ds::detail::thread_record::head().load(); r != nullptr; r = r->next) ++n;
    return n;
}

}  // namespace

TEST_CASE(
    "migration concurrency: a thread inside more migrations than its record has slots still "
    "holds each set_stage back, and ended threads' records are reused",
    "[migration][concurrency]") {
    constexpr std::size_t depth = ds::detail::thread_record::slot_count + 2;
    std::vector<kv> sides(2 * depth);
    using migration = decltype(ds::migration{std::declval<kv&>(), std::declval<kv&>(),
                                             ds::stage::off, ds::discard_secondary_failures{}});
    std::vector<std::unique_ptr<migration>> stores;
    for (std::size_t i = 0; i < depth; ++i) {
        stores.push_back(std::make_unique<migration>(sides[2 * i], sides[2 * i + 1], ds::stage::off,
                                                     ds::discard_secondary_failures{}));
    }
    std::atomic<bool> entered{false};
    std::atomic<bool> release{false};
    std::jthread writer([&] {
        auto wait = [&] {
            entered = true;
            while (!release) std::this_thread::yield();
        };
        nested_writes(stores, 0, wait);
    });
    while (!entered) std::this_thread::yield();

    // One gate registered in a slot of the writer's record, one in its
    // gate's shared counter (the record's slots are all taken).
    std::atomic<int> changed{0};
    std::jthread by_slot([&] {
        stores.front()->set_stage(ds::stage::dual_write);
        ++changed;
    });
    std::jthread by_counter([&] {
        stores.back()->set_stage(ds::stage::dual_write);
        ++changed;
    });
    while (stores.front()->current_stage() != ds::stage::dual_write ||
           stores.back()->current_stage() != ds::stage::dual_write) {
        std::this_thread::yield();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(changed == 0);
    release = true;
    by_slot.join();
    by_counter.join();
    CHECK(changed == 2);

    writer.join();
    const std::size_t before = thread_records();
    for (int i = 0; i < 50; ++i) {
        std::jthread([&] { stores.front()->put("k", "v"); }).join();
    }
    CHECK(thread_records() <= before + 1);
}

namespace {
/// Writes through `target` when destroyed: a thread-local made before the
/// thread's first operation, so it is destroyed after the thread's record
/// has been given back.
struct write_at_thread_exit {
    std::function<void()> write;
    ~write_at_thread_exit() {
        if (write) write();
    }
};
}  // namespace

TEST_CASE(
    "migration concurrency: an operation from a thread-local's destructor, after the thread "
    "gave its record back, still registers and lands",
    "[migration][concurrency]") {
    kv old_side, new_side;
    ds::migration store{old_side, new_side, ds::stage::dual_write,
                        ds::discard_secondary_failures{}};
    std::jthread([&] {
        thread_local write_at_thread_exit late;
        late.write = [&] { store.put("late", "v"); };
        store.put("early", "v");  // takes the thread's record
    }).join();
    CHECK(old_side.get("late") == "v");
    CHECK(new_side.get("late") == "v");
    store.set_stage(ds::stage::live);  // nothing left registered
    CHECK(store.current_stage() == ds::stage::live);
}
