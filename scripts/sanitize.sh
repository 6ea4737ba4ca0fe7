#!/usr/bin/env bash
# The C++ suite under AddressSanitizer + UndefinedBehaviorSanitizer (every ISA the CPU has),
# and the concurrency test under ThreadSanitizer. Separate build trees: build-asan, build-tsan.
# Called by scripts/test.sh; runnable on its own (after scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
for kind in asan tsan; do
  dir=build-$kind
  flag=$([ $kind = asan ] && echo FAISSLIKE_ASAN_UBSAN || echo FAISSLIKE_TSAN)
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -D$flag=ON -DFAISSLIKE_BUILD_PYTHON=OFF \
    -DFAISSLIKE_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build "$dir" -j"$(nproc)" --target faisslike_tests >/dev/null
done
# halt_on_error: the first report fails the run. detect_leaks: leaks are bugs too.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for isa in scalar avx2 avx512; do
  echo "[sanitize] ASan+UBSan, FAISSLIKE_SIMD=$isa"
  rc=0
  FAISSLIKE_SIMD=$isa OMP_NUM_THREADS=2 build-asan/tests/faisslike_tests --gtest_brief=1 || rc=$?
  [ $rc -eq 77 ] && { echo "[sanitize] $isa not supported by this CPU: skipped"; continue; }
  [ $rc -eq 0 ] || exit $rc
done
echo "[sanitize] TSan: concurrent searches"
TSAN_OPTIONS=halt_on_error=1 OMP_NUM_THREADS=1 \
  build-tsan/tests/faisslike_tests --gtest_filter='Concurrency.*' --gtest_brief=1
echo "[sanitize] clean"
