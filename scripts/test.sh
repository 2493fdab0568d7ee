#!/usr/bin/env bash
# THE test command (README and CI): installs dependencies, then builds and tests
# dualstore under every preset: gcc, asan (Clang with ASan+UBSan: the Clang build
# and test run; the clang preset without sanitizers stays for local use), tsan (the threaded
# tests: names containing concurrency, explorer or interleavings, and every test of
# the executables whose code runs threads: parallel writes and shadow reads,
# executors, drains beside writers, logs and metrics from threads, Redis timeouts
# and leases, reconcilers and backfills; it builds only their programs), and release (builds the benchmarks and runs
# each once briefly). Under the sanitizers the schedule explorer checks every
# interleaving up to one preemption (DUALSTORE_EXPLORE_MAX_PREEMPTIONS in
# CMakePresets.json); the gcc run checks each suite's full bound. Starts Redis and PostgreSQL on loopback for the adapter
# tests and stops them at the end. Ends with "N passed, 0 failed"; exits non-zero at the
# first failure. Usage: scripts/test.sh [preset...]   (default: all of them)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# A section header, with the minutes and seconds since the start.
section() { printf '\n========== %s (at %dm%02ds) ==========\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }

# --- Servers ------------------------------------------------------------------
# Redis and PostgreSQL on loopback for the adapter tests (scripts/servers.sh),
# stopped again on exit; the tests find them through these variables.
start_servers() {
  section "servers"
  local line
  while IFS= read -r line; do
    export "${line?}"
    echo "$line"
  done < <(bash scripts/servers.sh start)
}
stop_servers() { bash scripts/servers.sh stop || true; }

total=0

# Configure, build and ctest one preset; adds its test count to $total.
run_preset() {
  local preset=$1 log
  section "$preset: configure"
  cmake --preset "$preset"
  section "$preset: build"
  cmake --build --preset "$preset" -j2
  section "$preset: test"
  log=$(mktemp)
  if ! ctest --preset "$preset" 2>&1 | tee "$log"; then
    rm -f "$log"
    echo "FAILED: ctest --preset $preset" >&2
    exit 1
  fi
  local count
  count=$(grep -Eo 'tests failed out of [0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1 || true)
  rm -f "$log"
  if [[ -z "$count" ]]; then
    echo "FAILED: could not read the test count of preset $preset" >&2
    exit 1
  fi
  total=$((total + count))
}

# Build the benchmarks in Release and run each once, briefly, to prove it runs.
run_benchmarks() {
  section "release: configure"
  cmake --preset release
  section "release: build benchmarks"
  cmake --build --preset release --target dualstore_benchmarks -j2
  section "release: run benchmarks"
  local src name ran=0
  for src in benchmarks/*.cpp; do
    [[ -e "$src" ]] || continue
    name=$(basename "$src" .cpp)
    echo "--- $name"
    "build/release/benchmarks/$name" --benchmark_min_time=0.01
    ran=$((ran + 1))
  done
  echo "ran $ran benchmark program(s)"
  section "release: instruction counts (callgrind, informational)"
  bash scripts/instruction_counts.sh
  section "release: compile times (informational)"
  bash scripts/compile_times.sh
}

stages=("$@")
((${#stages[@]})) || stages=(gcc asan tsan release)

section "dependencies"
bash scripts/install-deps.sh

start_servers
trap stop_servers EXIT

for stage in "${stages[@]}"; do
  case "$stage" in
    release) run_benchmarks ;;
    *) run_preset "$stage" ;;
  esac
done

section "summary"
echo "$total passed, 0 failed"
