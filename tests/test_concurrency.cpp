// Thread safety: many threads writing and reading through one dual_store.
// Every test name here contains "concurrency": the TSan run selects them.

#include "support.hpp"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <memory>
#include <thread>
#include <vector>

namespace {

constexpr int threads = 8;
constexpr int writes_per_thread = 300;

std::string key_of(int t, int i) { return fmt::format("t{}-k{}", t, i); }

template <class Store>
void hammer(Store& store) {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&store, t] {
            for (int i = 0; i < writes_per_thread; ++i) {
                store.put(key_of(t, i), fmt::format("v{}", i));
                if (i % 3 == 0) (void)store.get(key_of(t, i / 2));
                if (i % 10 == 9) store.erase(key_of(t, i - 1));
            }
        });
    }
    for (auto& w : workers) w.join();
}

void check_no_lost_write(kv& side) {
    for (int t = 0; t < threads; ++t) {
        for (int i = 0; i < writes_per_thread; ++i) {
            const bool erased = i % 10 == 8;
            const auto value = side.get(key_of(t, i));
            if (erased) {
                REQUIRE_FALSE(value.has_value());
            } else {
                REQUIRE(value == fmt::format("v{}", i));
            }
        }
    }
}

}  // namespace

TEST_CASE("concurrency: parallel writes from 8 threads lose nothing on either side",
          "[concurrency][parallel]") {
    kv a, b;
    dst::counting_observer observer;
    ds::dual_store store{a,
                         b,
                         ds::write::parallel{},
                         ds::read::shadow{},
                         ds::observe::with(observer),
                         ds::discard_secondary_failures{}};
    hammer(store);
    check_no_lost_write(a);
    check_no_lost_write(b);
    CHECK(a.size() == b.size());
    CHECK(observer.secondary_failures == 0);
}

TEST_CASE("concurrency: parallel writes on a one-thread pool still finish (the caller runs the "
          "secondary when no worker is free)",
          "[concurrency][parallel]") {
    ds::thread_pool pool(1);
    kv a, b;
    ds::dual_store store{a, b, ds::write::parallel{.executor = pool},
                         ds::discard_secondary_failures{}};
    hammer(store);
    check_no_lost_write(a);
    check_no_lost_write(b);
}

TEST_CASE("concurrency: a thread_pool of move-only tasks runs every task once, on its workers",
          "[concurrency][thread_pool]") {
    struct task {
        std::unique_ptr<int> value;
        std::atomic<int>* sum;
        void operator()() { *sum += *value; }
    };
    std::atomic<int> sum{0};
    {
        ds::basic_thread_pool<task> pool(2);
        for (int i = 1; i <= 100; ++i) pool.execute(task{std::make_unique<int>(i), &sum});
    }  // the destructor runs what is queued, then joins
    CHECK(sum == 5050);
}

TEST_CASE(
    "concurrency: a one-worker thread_pool runs tasks in the order queued, from any thread, "
    "through its queue's compactions",
    "[concurrency][thread_pool]") {
    std::vector<int> ran;  // written by the one worker only, read after it joined
    std::atomic<int> next_from_inside{1000};
    {
        ds::thread_pool pool(1);
        std::thread other([&] {
            for (int i = 0; i < 500; ++i) pool.execute([&ran, i] { ran.push_back(i); });
        });
        other.join();
        // Tasks that queue a task while the queue is partly run: the queue
        // drops its run half as it goes, keeping the order.
        for (int i = 500; i < 1000; ++i) {
            pool.execute([&, i] {
                ran.push_back(i);
                if (i % 100 == 0) {
                    pool.execute([&ran, j = next_from_inside++] { ran.push_back(j); });
                }
            });
        }
    }  // the destructor runs what is queued, then joins
    std::vector<int> ordered = ran;
    std::ranges::sort(ordered);
    CHECK(ran.size() == 1005);
    CHECK(std::ranges::adjacent_find(ordered) == ordered.end());  // each once
    CHECK(std::is_sorted(ran.begin(), ran.begin() + 500));
    std::vector<int> queued_here;
    std::ranges::copy_if(ran, std::back_inserter(queued_here), [](int i) { return i < 1000; });
    CHECK(std::ranges::is_sorted(queued_here));
    CHECK(ordered.back() == 1004);
}

TEST_CASE(
    "concurrency: a four-worker thread_pool destroyed at once still runs the tasks its tasks "
    "queue while it shuts down",
    "[concurrency][thread_pool]") {
    std::atomic<int> ran{0};
    {
        ds::thread_pool pool(4);
        for (int i = 0; i < 100; ++i) {
            pool.execute([&] {
                ++ran;
                pool.execute([&] {
                    ++ran;
                    pool.execute([&] { ++ran; });
                });
            });
        }
    }  // shutdown permits are released now, while children are still being queued
    CHECK(ran == 300);
}

TEST_CASE("concurrency: secondary faults from 8 threads are all sunk, none thrown",
          "[concurrency][sequential]") {
    kv a, b;
    flaky secondary{b};
    secondary.fail_rate(0.2, 42, dst::fault_on::writes);
    std::atomic<int> sunk{0};
    ds::dual_store store{a, secondary, ds::write::parallel{},
                         ds::on_secondary_failure{[&](const std::string&, ds::operation,
                                                      const std::exception_ptr&) { ++sunk; }}};
    REQUIRE_NOTHROW(hammer(store));
    check_no_lost_write(a);
    CHECK(sunk.load() == static_cast<int>(secondary.injected()));
    CHECK(sunk.load() > 0);
}

TEST_CASE("concurrency: dual_primary rollbacks from 8 threads leave the primary consistent",
          "[concurrency][rollback]") {
    kv a, b;
    flaky secondary{b};
    secondary.fail_rate(0.3, 7, dst::fault_on::writes);
    ds::dual_store store{a, secondary, ds::write::dual_primary{}, ds::rollback::snapshot{}};
    std::atomic<int> rolled{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                try {
                    store.put(key_of(t, i), "v");
                } catch (const ds::rolled_back&) {
                    ++rolled;
                }
            }
        });
    }
    for (auto& w : workers) w.join();
    CHECK(rolled.load() > 0);
    // Each thread owns its keys, so a key is in the primary exactly when its
    // write was acknowledged, and then it is in the secondary too.
    CHECK(a.size() == static_cast<std::size_t>(threads * 200 - rolled.load()));
    for (const auto& [k, v] : a.snapshot()) CHECK(b.get(k) == v);
}
