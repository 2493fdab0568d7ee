/// \file
/// What per-key ordering (`order::per_key`, the default) costs against the
/// same store without it (`order::by_caller`), in one binary:
///
///   BM_order_put/by_caller              sequential put, 1 thread, no key lock
///   BM_order_put/per_key                the same put holding the key's stripe lock
///                                       goal: per_key / by_caller <= 1.10
///   BM_order_put/{by_caller,per_key}/iterations:100000
///                                       the same puts, exactly 100000 of them: for
///                                       instruction counts under callgrind (below)
///   BM_order_threads/{by_caller,per_key}/keys:N/threads:4
///                                       4 threads putting through one store over N
///                                       keys (1024: spread out; 4: contended);
///                                       compare items_per_second
///
/// In-memory stores as in bench_dual_store (1024 pre-generated 16-byte keys,
/// a 32-byte value, stores filled before timing). Run with:
///   bench_ordering --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
/// and for instructions per put (the fixture's 2048 filling puts included):
///   valgrind --tool=callgrind --callgrind-out-file=cg.out bench_ordering
///       --benchmark_filter='put/per_key/iterations'      (one command line)
///   callgrind_annotate --inclusive=yes cg.out | grep put_one_thread

#include <dualstore/dual_store.hpp>
#include <dualstore/order.hpp>
#include <dualstore/write.hpp>

#include "bench_support.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>

namespace {

namespace ds = dualstore;
using namespace bench;

/// A sequential dual store over two filled in-memory stores, ordered per `Order`.
template <class Order>
struct fixture {
    store_t primary;
    store_t secondary;
    ds::dual_store<store_t&, store_t&, ds::write::sequential, ds::discard_secondary_failures,
                   Order>
        store{primary, secondary, ds::discard_secondary_failures{}, Order{}};

    fixture() {
        fill(primary);
        fill(secondary);
    }
};

template <class Order>
void put_one_thread(benchmark::State& state) {
    fixture<Order> f;
    const auto& [keys, value] = data();
    std::size_t i = 0;
    for (auto _ : state) {
        auto result = f.store.put(keys[i], value);
        benchmark::DoNotOptimize(result);
        i = next(i);
    }
}

/// One store shared by the benchmark's threads; each thread cycles through
/// the first `state.range(0)` keys, starting an equal share of them after the
/// previous thread (so over 1024 keys the threads do not chase each other
/// through neighbouring keys).
template <class Order>
void put_threads(benchmark::State& state) {
    static fixture<Order> shared;  // built once, before any thread times
    const auto& [keys, value] = data();
    const auto key_span = static_cast<std::size_t>(state.range(0));
    std::size_t i = static_cast<std::size_t>(state.thread_index()) * key_span /
                    static_cast<std::size_t>(state.threads());
    for (auto _ : state) {
        auto result = shared.store.put(keys[i], value);
        benchmark::DoNotOptimize(result);
        i = (i + 1) % key_span;
    }
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(put_one_thread<ds::order::by_caller>)->Name("BM_order_put/by_caller");
BENCHMARK(put_one_thread<ds::order::per_key>)->Name("BM_order_put/per_key");
BENCHMARK(put_one_thread<ds::order::by_caller>)->Name("BM_order_put/by_caller")->Iterations(100000);
BENCHMARK(put_one_thread<ds::order::per_key>)->Name("BM_order_put/per_key")->Iterations(100000);
BENCHMARK(put_threads<ds::order::by_caller>)
    ->Name("BM_order_threads/by_caller")
    ->ArgName("keys")
    ->Arg(1024)
    ->Arg(4)
    ->Threads(4)
    ->UseRealTime();
BENCHMARK(put_threads<ds::order::per_key>)
    ->Name("BM_order_threads/per_key")
    ->ArgName("keys")
    ->Arg(1024)
    ->Arg(4)
    ->Threads(4)
    ->UseRealTime();

BENCHMARK_MAIN();
