/// \file
/// What `observe::metrics` costs on the write path. Each pair shares a prefix:
///
///   BM_metrics_put/no_observer        dual_store<memory_store x2, sequential>::put
///   BM_metrics_put/hand_written       the same two puts, each timed with steady_clock
///                                     and counted in a relaxed atomic by hand
///   BM_metrics_put/observe_metrics    dual_store with observe::with(metrics)
///                                     goal: observe_metrics / hand_written <= 1.10
///
/// Data set as in bench_dual_store (bench_support.hpp). Run with
///   bench_metrics --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <dualstore/dual_store.hpp>
#include <dualstore/observe/metrics.hpp>

#include "bench_support.hpp"

#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace {

namespace ds = dualstore;
using namespace bench;

void no_observer(benchmark::State& state) {
    const auto& [keys, value] = data();
    store_t a, b;
    fill(a);
    fill(b);
    ds::dual_store store{a, b, ds::discard_secondary_failures{}};
    std::size_t i = 0;
    for (auto _ : state) {
        auto result = store.put(keys[i], value);
        benchmark::DoNotOptimize(result);
        i = next(i);
    }
}

void hand_written(benchmark::State& state) {
    const auto& [keys, value] = data();
    store_t a, b;
    fill(a);
    fill(b);
    std::array<std::atomic<std::uint64_t>, 2> count{};
    std::array<std::atomic<std::int64_t>, 2> total_ns{};
    const auto timed = [&](store_t& s, std::size_t side, const std::string& key) {
        const auto start = std::chrono::steady_clock::now();
        s.put(key, value);
        const auto ns = (std::chrono::steady_clock::now() - start).count();
        count[side].fetch_add(1, std::memory_order_relaxed);
        total_ns[side].fetch_add(ns, std::memory_order_relaxed);
    };
    std::size_t i = 0;
    for (auto _ : state) {
        timed(a, 0, keys[i]);
        try {
            timed(b, 1, keys[i]);
        } catch (...) {
            count[1].fetch_add(1, std::memory_order_relaxed);
        }
        benchmark::ClobberMemory();
        i = next(i);
    }
}

void observe_metrics(benchmark::State& state) {
    const auto& [keys, value] = data();
    store_t a, b;
    fill(a);
    fill(b);
    ds::observe::metrics m;
    ds::dual_store store{a, b, ds::observe::with(m), ds::discard_secondary_failures{}};
    std::size_t i = 0;
    for (auto _ : state) {
        auto result = store.put(keys[i], value);
        benchmark::DoNotOptimize(result);
        i = next(i);
    }
}

}  // namespace

BENCHMARK(no_observer)->Name("BM_metrics_put/no_observer");
BENCHMARK(hand_written)->Name("BM_metrics_put/hand_written");
BENCHMARK(observe_metrics)->Name("BM_metrics_put/observe_metrics");

BENCHMARK_MAIN();
