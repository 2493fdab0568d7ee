/// \file
/// `dual_store` over a plain `std::unordered_map` store, which has no lock,
/// clock or tree: what is left is the library's own work per operation,
/// beside the same operations written by hand. One put to both stores and
/// one get from the primary per iteration, 100 000 iterations, so
/// callgrind's counts divide evenly (`scripts/instruction_counts.sh`).
///
///   BM_plain_put_get/hand_written          primary.put, secondary.put in a
///                                          try/catch (a failure counted),
///                                          primary.get
///   BM_plain_put_get/dual_store_by_caller  dual_store<plain, plain,
///                                          write::sequential, read::primary,
///                                          order::by_caller>: put, get
///                                          goal: dual_store / hand_written <= 1.05
///   BM_plain_put_get/dual_store_per_key    the same with order::per_key (the
///                                          default): the cost of the key lock,
///                                          which the hand-written loop does
///                                          not take
///
/// Run with
///   bench_plain_map --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <dualstore/dual_store.hpp>
#include <dualstore/order.hpp>
#include <dualstore/read.hpp>
#include <dualstore/write.hpp>

#include "bench_support.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>

namespace {

namespace ds = dualstore;
using namespace bench;

/// The least a store can be: a hash map, no lock (one thread uses it).
struct plain_map_store {
    using key_type = std::string;
    using mapped_type = std::string;
    std::unordered_map<std::string, std::string> map;

    std::optional<std::string> get(const std::string& key) const {
        const auto it = map.find(key);
        if (it == map.end()) return std::nullopt;
        return it->second;
    }
    void put(const std::string& key, const std::string& value) { map.insert_or_assign(key, value); }
    bool erase(const std::string& key) { return map.erase(key) > 0; }
};

/// A plain store holding every key of the data set.
plain_map_store filled() {
    plain_map_store store;
    for (const auto& key : data().keys) store.put(key, data().value);
    return store;
}

void plain_put_get_hand_written(benchmark::State& state) {
    const auto& [keys, value] = data();
    auto primary = filled();
    auto secondary = filled();
    std::size_t failures = 0;
    std::size_t i = 0;
    for (auto _ : state) {
        primary.put(keys[i], value);
        try {
            secondary.put(keys[i], value);
        } catch (...) {
            ++failures;
        }
        auto found = primary.get(keys[i]);
        benchmark::DoNotOptimize(found);
        benchmark::DoNotOptimize(failures);
        i = next(i);
    }
}

template <class Order>
void plain_put_get_dual_store(benchmark::State& state) {
    const auto& [keys, value] = data();
    auto primary = filled();
    auto secondary = filled();
    ds::dual_store store{primary,
                         secondary,
                         ds::write::sequential{},
                         ds::read::primary{},
                         Order{},
                         ds::discard_secondary_failures{}};
    std::size_t i = 0;
    for (auto _ : state) {
        auto result = store.put(keys[i], value);
        benchmark::DoNotOptimize(result);
        auto found = store.get(keys[i]);
        benchmark::DoNotOptimize(found);
        i = next(i);
    }
}

}  // namespace

BENCHMARK(plain_put_get_hand_written)->Name("BM_plain_put_get/hand_written")->Iterations(100000);
BENCHMARK(plain_put_get_dual_store<ds::order::by_caller>)
    ->Name("BM_plain_put_get/dual_store_by_caller")
    ->Iterations(100000);
BENCHMARK(plain_put_get_dual_store<ds::order::per_key>)
    ->Name("BM_plain_put_get/dual_store_per_key")
    ->Iterations(100000);

BENCHMARK_MAIN();
