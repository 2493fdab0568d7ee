#!/usr/bin/env bash
# Instructions per operation of the library beside the hand-written code it
# replaces, counted by callgrind over the benchmarks that run a fixed number
# of iterations (build/release must hold the benchmarks). Wall-clock time on
# a shared 2-core machine hides a few percent; instruction counts do not.
# Informational: prints one line per pair and never fails on a ratio, so a
# regression is visible in the CI output without making CI flaky.
#
#   bash scripts/instruction_counts.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/benchmarks
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Inclusive instructions of the function matching $3 when $1 runs only the
# benchmark named $2 (anchored), divided by the iteration count $4.
per_op() {
  local out="$work/cg.out"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin/$1" \
    --benchmark_filter="^$2\$" > /dev/null 2>&1
  # awk reads the whole report (an early exit would break the pipe).
  callgrind_annotate --inclusive=yes "$out" |
    awk -v pattern="$3" -v n="$4" '!done && $0 ~ pattern {
      gsub(",", "", $1); printf "%d", $1 / n; done = 1 }'
}

# One pair: a label, the goal, the binary, and for the hand-written side and
# the library side a benchmark name and a function pattern. 100000 iterations.
pair() {
  local label=$1 goal=$2 binary=$3 base lib
  base=$(per_op "$binary" "$4" "$5" 100000)
  lib=$(per_op "$binary" "$6" "$7" 100000)
  awk -v l="$label" -v g="$goal" -v b="$base" -v x="$lib" \
    'BEGIN { printf "%-36s %8d %8d %6.3f   %s\n", l, b, x, x / b, g }'
}

command -v valgrind > /dev/null || { echo "valgrind is not installed"; exit 1; }
printf "%-36s %8s %8s %6s   %s\n" "instructions per operation" "base" "library" "ratio" "goal"
pair "shadow get (read::shadow, sample 1)" "<= 1.10" bench_dual_store \
  "BM_shadow_get/baseline_hand_written/iterations:100000" "shadow_get_baseline[(]" \
  "BM_shadow_get/dual_store_shadow/iterations:100000" "shadow_get_dual_store[(]"
pair "put+get, plain unordered_map stores" "<= 1.05" bench_plain_map \
  "BM_plain_put_get/hand_written/iterations:100000" "plain_put_get_hand_written[(]" \
  "BM_plain_put_get/dual_store_by_caller/iterations:100000" \
  "plain_put_get_dual_store<dualstore::order::by_caller>"
pair "put, order::per_key vs by_caller" "(the cost of ordering)" bench_ordering \
  "BM_order_put/by_caller/iterations:100000" "put_one_thread<dualstore::order::by_caller>" \
  "BM_order_put/per_key/iterations:100000" "put_one_thread<dualstore::order::per_key>"
pair "put, migration in dual_write" "<= 1.05" bench_migration \
  "BM_stage_put/dual_store_sequential/iterations:100000" "put_dual_store[(]" \
  "BM_stage_put/migration_dual_write/iterations:100000" "put_migration[(]"
pair "get, migration in dual_write" "<= 1.05" bench_migration \
  "BM_stage_get/dual_store_primary/iterations:100000" "get_dual_store[(]" \
  "BM_stage_get/migration_dual_write/iterations:100000" "get_migration[(]"
