/// \file
/// The streaming algorithms against the loops a team would write by hand,
/// over two `testing::memory_store`s of 100 000 keys (16-byte keys, 32-byte
/// values). Each pair shares a prefix:
///
///   BM_backfill/hand_written    scan pages of 500, put each record
///   BM_backfill/library         ds::backfill(..., {.batch_size = 500,
///                               .conflict = overwrite}) (one put_many per page)
///   BM_reconcile/hand_written   scan the primary, get each key from the
///                               secondary, compare
///   BM_reconcile/hand_merge     merge two key-ordered scans (pages of 512),
///                               comparing values and counting keys only one
///                               side has
///   BM_reconcile/library        kv_reconciler::full_pass (a merge of the two
///                               scans: memory_store scans in key order)
///
/// Run with
///   bench_algorithms --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <dualstore/backfill/backfill.hpp>
#include <dualstore/reconcile/kv_reconciler.hpp>

#include "bench_support.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstddef>
#include <optional>
#include <string>

namespace {

namespace ds = dualstore;
using namespace bench;

constexpr std::size_t records = 100'000;

void fill_large(store_t& s) {
    const std::string value(32, 'v');
    for (std::size_t i = 0; i < records; ++i) s.put(fmt::format("key-{:012}", i), value);
}

/// Two stores holding the same data set: what the reconciliation benchmarks compare.
struct equal_stores {
    store_t primary;
    store_t secondary;
    equal_stores() {
        fill_large(primary);
        fill_large(secondary);
    }
};

void backfill_hand_written(benchmark::State& state) {
    store_t source;
    fill_large(source);
    for (auto _ : state) {
        store_t target;
        std::optional<store_t::cursor_type> cursor{store_t::cursor_type{}};
        while (cursor) {
            auto page = source.scan(*cursor, 500);
            for (const auto& [k, v] : page.items) target.put(k, v);
            cursor = page.next;
        }
        benchmark::DoNotOptimize(target);
    }
}

void backfill_library(benchmark::State& state) {
    store_t source;
    fill_large(source);
    for (auto _ : state) {
        store_t target;
        auto report = ds::backfill(source, target,
                                   {.batch_size = 500, .conflict = ds::conflict_rule::overwrite});
        benchmark::DoNotOptimize(report);
    }
}

void reconcile_hand_written(benchmark::State& state) {
    equal_stores stores;
    auto& [primary, secondary] = stores;
    for (auto _ : state) {
        std::size_t drifted = 0;
        std::optional<store_t::cursor_type> cursor{store_t::cursor_type{}};
        while (cursor) {
            auto page = primary.scan(*cursor, 512);
            for (const auto& [k, v] : page.items) drifted += secondary.get(k) == v ? 0 : 1;
            cursor = page.next;
        }
        benchmark::DoNotOptimize(drifted);
    }
}

void reconcile_hand_merge(benchmark::State& state) {
    equal_stores stores;
    auto& [primary, secondary] = stores;
    for (auto _ : state) {
        std::size_t drifted = 0;
        std::optional<store_t::cursor_type> pc{store_t::cursor_type{}}, sc{store_t::cursor_type{}};
        store_t::page_type p, q;
        std::size_t i = 0, j = 0;
        const auto refill = [](store_t& store, std::optional<store_t::cursor_type>& cursor,
                               store_t::page_type& page, std::size_t& index) {
            if (index < page.items.size() || !cursor) return;
            page = store.scan(*cursor, 512);
            cursor = page.next;
            index = 0;
        };
        for (;;) {
            refill(primary, pc, p, i);
            refill(secondary, sc, q, j);
            const bool has_p = i < p.items.size(), has_q = j < q.items.size();
            if (!has_p && !has_q) break;
            if (has_p && has_q && p.items[i].first == q.items[j].first) {
                drifted += p.items[i++].second == q.items[j++].second ? 0 : 1;
            } else if (!has_q || (has_p && p.items[i].first < q.items[j].first)) {
                ++drifted, ++i;
            } else {
                ++drifted, ++j;
            }
        }
        benchmark::DoNotOptimize(drifted);
    }
}

void reconcile_library(benchmark::State& state) {
    equal_stores stores;
    auto& [primary, secondary] = stores;
    for (auto _ : state) {
        ds::kv_reconciler r{primary, secondary, {.seed = 1}};
        std::size_t drifted = 0;
        r.full_pass([&](const auto& result) { drifted += result.in_sync ? 0 : 1; });
        benchmark::DoNotOptimize(drifted);
    }
}

}  // namespace

BENCHMARK(backfill_hand_written)->Name("BM_backfill/hand_written")->Unit(benchmark::kMillisecond);
BENCHMARK(backfill_library)->Name("BM_backfill/library")->Unit(benchmark::kMillisecond);
BENCHMARK(reconcile_hand_written)->Name("BM_reconcile/hand_written")->Unit(benchmark::kMillisecond);
BENCHMARK(reconcile_hand_merge)->Name("BM_reconcile/hand_merge")->Unit(benchmark::kMillisecond);
BENCHMARK(reconcile_library)->Name("BM_reconcile/library")->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
