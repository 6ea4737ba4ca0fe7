#!/usr/bin/env bash
# Builds the libFuzzer target with clang (build-fuzz), generates the seed corpus (one small
# valid file per index type) and fuzzes read_index for ${FUZZ_SECONDS:-60} seconds.
# Any crash, sanitizer report, leak or timeout fails the run; the reproducer is left in
# build-fuzz/artifacts/. Called by scripts/test.sh; longer runs: FUZZ_SECONDS=1800.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
dir=build-fuzz
CXX=clang++ CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAISSLIKE_FUZZ=ON \
  -DFAISSLIKE_BUILD_TESTS=OFF -DFAISSLIKE_BUILD_PYTHON=OFF -DFAISSLIKE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$dir" -j"$(nproc)" --target fuzz_read_index make_fuzz_corpus >/dev/null
mkdir -p "$dir/seeds" "$dir/corpus" "$dir/artifacts"
OMP_NUM_THREADS=1 "$dir/tests/fuzz/make_fuzz_corpus" "$dir/seeds"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# tests/fuzz/regressions: inputs that once crashed, replayed first on every run.
OMP_NUM_THREADS=1 "$dir/tests/fuzz/fuzz_read_index" "$dir/corpus" "$dir/seeds" tests/fuzz/regressions \
  -max_total_time="${FUZZ_SECONDS:-60}" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$dir/artifacts/" -print_final_stats=1 2>&1 | tail -n 25
echo "[fuzz] no crash in ${FUZZ_SECONDS:-60} s"
