/// \file
/// What the runtime stage of `migration` costs over the same policy fixed at
/// compile time. Each pair shares a name prefix:
///
///   BM_stage_put/dual_store_sequential   dual_store<memory_store, memory_store,
///                                                   write::sequential>::put
///   BM_stage_put/migration_dual_write    migration<...> in stage dual_write: put
///                                        goal: migration / dual_store <= 1.05
///   BM_stage_get/dual_store_primary      dual_store<..., read::primary>::get
///   BM_stage_get/migration_dual_write    migration<...> in stage dual_write: get
///                                        goal: migration / dual_store <= 1.05
///
/// The difference is the stage check: an atomic load, the in-flight count of
/// the stage gate (two atomic increments) and a switch. Data set as in
/// bench_dual_store (bench_support.hpp). Run with
///   bench_migration --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <dualstore/dual_store.hpp>
#include <dualstore/migration.hpp>

#include "bench_support.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>

namespace {

namespace ds = dualstore;
using namespace bench;

/// Times `op(store, key, value)` over the data set, with both stores filled.
template <class Make, class Op>
void run(benchmark::State& state, Make make, Op op) {
    const auto& [keys, value] = data();
    store_t old_side;
    store_t new_side;
    fill(old_side);
    fill(new_side);
    auto store = make(old_side, new_side);
    std::size_t i = 0;
    for (auto _ : state) {
        auto result = op(store, keys[i], value);
        benchmark::DoNotOptimize(result);
        i = next(i);
    }
}

const auto make_dual_store = [](store_t& a, store_t& b) {
    return ds::dual_store{a, b, ds::write::sequential{}, ds::read::primary{},
                          ds::discard_secondary_failures{}};
};
const auto make_migration = [](store_t& a, store_t& b) {
    return ds::migration{a, b, ds::stage::dual_write, ds::discard_secondary_failures{}};
};
const auto put = [](auto& store, const std::string& key, const std::string& value) {
    return store.put(key, value);
};
const auto get = [](auto& store, const std::string& key, const std::string&) {
    return store.get(key);
};

void put_dual_store(benchmark::State& state) { run(state, make_dual_store, put); }
void put_migration(benchmark::State& state) { run(state, make_migration, put); }
void get_dual_store(benchmark::State& state) { run(state, make_dual_store, get); }
void get_migration(benchmark::State& state) { run(state, make_migration, get); }

}  // namespace

BENCHMARK(put_dual_store)->Name("BM_stage_put/dual_store_sequential");
BENCHMARK(put_migration)->Name("BM_stage_put/migration_dual_write");
BENCHMARK(get_dual_store)->Name("BM_stage_get/dual_store_primary");
BENCHMARK(get_migration)->Name("BM_stage_get/migration_dual_write");
// The same at a fixed count, so that callgrind's instructions divide by it.
BENCHMARK(put_dual_store)->Name("BM_stage_put/dual_store_sequential")->Iterations(100000);
BENCHMARK(put_migration)->Name("BM_stage_put/migration_dual_write")->Iterations(100000);
BENCHMARK(get_dual_store)->Name("BM_stage_get/dual_store_primary")->Iterations(100000);
BENCHMARK(get_migration)->Name("BM_stage_get/migration_dual_write")->Iterations(100000);

BENCHMARK_MAIN();
