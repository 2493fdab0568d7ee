/// \file
/// What `dual_store` costs on top of calling the backends by hand.
///
/// Every library benchmark has a hand-written baseline in this binary, and
/// the two share a name prefix so that each pair appears together in the output:
///
///   BM_put/baseline_hand_written   primary.put, then secondary.put in a try/catch
///   BM_put/dual_store_sequential   dual_store<memory_store, memory_store, write::sequential>::put
///                                  goal: dual_store / baseline <= 1.05
///   BM_get/baseline_hand_written   primary.get
///   BM_get/dual_store_primary      dual_store<..., read::primary>::get
///                                  goal: dual_store / baseline <= 1.05
///   BM_shadow_get/baseline_hand_written  primary.get, secondary.get in a try/catch, compare
///   BM_shadow_get/dual_store_shadow      dual_store<..., read::shadow> (sample 1, no observer)
///                                  goal: dual_store / baseline <= 1.10 (100000 gets each,
///                                  so callgrind's counts divide by 100000)
///   BM_primary_only/raw_store      memory_store::put
///   BM_primary_only/dual_store     dual_store<..., write::primary_only>::put
///                                  goal: dual_store / raw_store <= 1.02
///   BM_latency/slower_side_alone   put on the 300 us faulty store alone
///   BM_latency/parallel            dual_store<faulty 200 us, faulty 300 us,
///                                             write::parallel>::put
///                                  goal: parallel / slower_side_alone <= 1.15
///   BM_latency/sum_of_sides        put on the 200 us store, then on the 300 us store
///   BM_latency/sequential          dual_store<faulty 200 us, faulty 300 us,
///                                             write::sequential>::put
///                                  expectation: sequential / sum_of_sides ~= 1
///
/// The in-memory benchmarks write and read a fixed set of 1024 pre-generated
/// 16-byte keys, cycled through, with a 32-byte value. The stores are filled
/// before timing starts, so every timed put replaces an existing value in
/// place and allocates nothing; what is left is the map lookup, the lock and
/// the library's dispatch. (A `get` returns a copy of the value, which
/// allocates; library and baseline both do it.)
///
/// The latency benchmarks sleep, so they use real time and a fixed iteration
/// count, which keeps the whole binary well under a minute.
///
/// Run with:
///   bench_dual_store --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
/// and compare medians from the same run (see benchmarks/README.md).

#include <dualstore/dual_store.hpp>
#include <dualstore/read.hpp>
#include <dualstore/testing/faulty.hpp>
#include <dualstore/testing/memory_store.hpp>
#include <dualstore/write.hpp>

#include "bench_support.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace {

namespace ds = dualstore;
using namespace std::chrono_literals;
using namespace bench;
using faulty_t = ds::testing::faulty<store_t&>;

// ---------------------------------------------------------------------------
// Pair 1a: sequential put. Goal: dual_store / baseline <= 1.05.
// The baseline is what a caller writes by hand: the primary's failure
// propagates, the secondary's is caught and counted.
// ---------------------------------------------------------------------------

void put_baseline(benchmark::State& state) {
    const auto& [keys, value] = data();
    store_t primary;
    store_t secondary;
    fill(primary);
    fill(secondary);
    std::size_t failures = 0;
    std::size_t i = 0;
    for (auto _ : state) {
        primary.put(keys[i], value);
        try {
            secondary.put(keys[i], value);
        } catch (...) {
            ++failures;
        }
        benchmark::DoNotOptimize(failures);
        i = next(i);
    }
}

void put_dual_store_sequential(benchmark::State& state) {
    const auto& [keys, value] = data();
    store_t primary;
    store_t secondary;
    fill(primary);
    fill(secondary);
    ds::dual_store store{primary, secondary, ds::write::sequential{},
                         ds::discard_secondary_failures{}};
    std::size_t i = 0;
    for (auto _ : state) {
        auto result = store.put(keys[i], value);
        benchmark::DoNotOptimize(result);
        i = next(i);
    }
}

// ---------------------------------------------------------------------------
// Pair 1b: get from the primary. Goal: dual_store / baseline <= 1.05.
// ---------------------------------------------------------------------------

void get_baseline(benchmark::State& state) {
    const auto& keys = data().keys;
    store_t primary;
    fill(primary);
    std::size_t i = 0;
    for (auto _ : state) {
        auto found = primary.get(keys[i]);
        benchmark::DoNotOptimize(found);
        i = next(i);
    }
}

void get_dual_store_primary(benchmark::State& state) {
    const auto& keys = data().keys;
    store_t primary;
    store_t secondary;
    fill(primary);
    fill(secondary);
    ds::dual_store store{primary, secondary, ds::read::primary{}, ds::discard_secondary_failures{}};
    std::size_t i = 0;
    for (auto _ : state) {
        auto found = store.get(keys[i]);
        benchmark::DoNotOptimize(found);
        i = next(i);
    }
}

// ---------------------------------------------------------------------------
// Pair 1c: a shadow read of every get, nobody observing. Goal: dual_store /
// baseline <= 1.10. The baseline reads both sides, counts a differing or
// failed secondary read and returns the primary's answer.
// ---------------------------------------------------------------------------

void shadow_get_baseline(benchmark::State& state) {
    const auto& keys = data().keys;
    store_t primary;
    store_t secondary;
    fill(primary);
    fill(secondary);
    std::size_t mismatches = 0;
    std::size_t i = 0;
    for (auto _ : state) {
        auto found = primary.get(keys[i]);
        try {
            if (secondary.get(keys[i]) != found) ++mismatches;
        } catch (...) {
            ++mismatches;
        }
        benchmark::DoNotOptimize(found);
        benchmark::DoNotOptimize(mismatches);
        i = next(i);
    }
}

void shadow_get_dual_store(benchmark::State& state) {
    const auto& keys = data().keys;
    store_t primary;
    store_t secondary;
    fill(primary);
    fill(secondary);
    ds::dual_store store{primary, secondary, ds::read::shadow{}, ds::discard_secondary_failures{}};
    std::size_t i = 0;
    for (auto _ : state) {
        auto found = store.get(keys[i]);
        benchmark::DoNotOptimize(found);
        i = next(i);
    }
}

// ---------------------------------------------------------------------------
// Pair 2: dual writing switched off. Goal: dual_store / raw_store <= 1.02.
// ---------------------------------------------------------------------------

void primary_only_raw(benchmark::State& state) {
    const auto& [keys, value] = data();
    store_t primary;
    fill(primary);
    std::size_t i = 0;
    for (auto _ : state) {
        primary.put(keys[i], value);
        benchmark::ClobberMemory();
        i = next(i);
    }
}

void primary_only_dual_store(benchmark::State& state) {
    const auto& [keys, value] = data();
    store_t primary;
    store_t secondary;
    fill(primary);
    ds::dual_store store{primary, secondary, ds::write::primary_only{}};
    std::size_t i = 0;
    for (auto _ : state) {
        auto result = store.put(keys[i], value);
        benchmark::DoNotOptimize(result);
        i = next(i);
    }
}

// ---------------------------------------------------------------------------
// Pair 3: latency of parallel and sequential writes over slow backends.
// The primary sleeps 200 us per call, the secondary 300 us (real sleeps, so
// each also pays the OS's sleep overshoot). Goals:
//   parallel   / slower_side_alone <= 1.15  (latency of the slower side)
//   sequential / sum_of_sides      ~= 1     (latency of both, one after the other)
// ---------------------------------------------------------------------------

constexpr auto primary_latency = 200us;
constexpr auto secondary_latency = 300us;

/// Two filled memory stores behind faulty wrappers with the latencies above.
struct slow_pair {
    store_t primary_backend;
    store_t secondary_backend;
    faulty_t primary{primary_backend};
    faulty_t secondary{secondary_backend};

    slow_pair() {
        fill(primary_backend);
        fill(secondary_backend);
        primary.add_latency(primary_latency);
        secondary.add_latency(secondary_latency);
    }
};

void latency_slower_side_alone(benchmark::State& state) {
    const auto& [keys, value] = data();
    slow_pair stores;
    std::size_t i = 0;
    for (auto _ : state) {
        stores.secondary.put(keys[i], value);
        benchmark::ClobberMemory();
        i = next(i);
    }
}

void latency_parallel(benchmark::State& state) {
    const auto& [keys, value] = data();
    slow_pair stores;
    ds::dual_store store{stores.primary, stores.secondary, ds::write::parallel{},
                         ds::discard_secondary_failures{}};
    store.put(keys[0], value);  // start the default thread pool before timing
    std::size_t i = 0;
    for (auto _ : state) {
        auto result = store.put(keys[i], value);
        benchmark::DoNotOptimize(result);
        i = next(i);
    }
}

void latency_sum_of_sides(benchmark::State& state) {
    const auto& [keys, value] = data();
    slow_pair stores;
    std::size_t failures = 0;
    std::size_t i = 0;
    for (auto _ : state) {
        stores.primary.put(keys[i], value);
        try {
            stores.secondary.put(keys[i], value);
        } catch (...) {
            ++failures;
        }
        benchmark::DoNotOptimize(failures);
        i = next(i);
    }
}

void latency_sequential(benchmark::State& state) {
    const auto& [keys, value] = data();
    slow_pair stores;
    ds::dual_store store{stores.primary, stores.secondary, ds::write::sequential{},
                         ds::discard_secondary_failures{}};
    std::size_t i = 0;
    for (auto _ : state) {
        auto result = store.put(keys[i], value);
        benchmark::DoNotOptimize(result);
        i = next(i);
    }
}

/// Iterations per run of a latency benchmark: 1000 x ~0.4-0.7 ms, so about
/// 2.2 s for all four at one repetition, 11 s at five.
constexpr benchmark::IterationCount latency_iterations = 1000;

}  // namespace

// Registered in pairs, baseline first. The names are what the output shows.
BENCHMARK(put_baseline)->Name("BM_put/baseline_hand_written");
BENCHMARK(put_dual_store_sequential)->Name("BM_put/dual_store_sequential");
BENCHMARK(get_baseline)->Name("BM_get/baseline_hand_written");
BENCHMARK(get_dual_store_primary)->Name("BM_get/dual_store_primary");
// A fixed count, so that callgrind's instructions divide by it.
BENCHMARK(shadow_get_baseline)->Name("BM_shadow_get/baseline_hand_written")->Iterations(100000);
BENCHMARK(shadow_get_dual_store)->Name("BM_shadow_get/dual_store_shadow")->Iterations(100000);
BENCHMARK(primary_only_raw)->Name("BM_primary_only/raw_store");
BENCHMARK(primary_only_dual_store)->Name("BM_primary_only/dual_store");
BENCHMARK(latency_slower_side_alone)
    ->Name("BM_latency/slower_side_alone")
    ->UseRealTime()
    ->Iterations(latency_iterations)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(latency_parallel)
    ->Name("BM_latency/parallel")
    ->UseRealTime()
    ->Iterations(latency_iterations)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(latency_sum_of_sides)
    ->Name("BM_latency/sum_of_sides")
    ->UseRealTime()
    ->Iterations(latency_iterations)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(latency_sequential)
    ->Name("BM_latency/sequential")
    ->UseRealTime()
    ->Iterations(latency_iterations)
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
