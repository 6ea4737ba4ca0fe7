#!/usr/bin/env bash
# The C++ suite under AddressSanitizer + UndefinedBehaviorSanitizer (every ISA the CPU has;
# the ISA-independent tests on the best one only),
# then under ThreadSanitizer with 2 OpenMP threads: clang + LLVM's libomp, whose Archer tool
# gives TSan OpenMP's synchronization, so parallel build / add / train / search and the
# concurrent searches are race-checked with real threads. A canary overflow and a canary race
# must be reported first (else the runs prove nothing). Separate build trees: build-asan, build-tsan.
# Called by scripts/test.sh; runnable on its own (after scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
common=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAISSLIKE_BUILD_PYTHON=OFF
        -DFAISSLIKE_BUILD_BENCHMARKS=OFF)
# Both trees with clang: the ASan+UBSan tree built in 2.8 min with clang against 6.3 with gcc,
# and its suite ran in 95 s against 214 s (Xeon, 2 cores). A tree configured earlier with gcc
# cannot switch compilers in place.
for t in build-asan build-tsan; do
  if [ -f $t/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' $t/CMakeCache.txt; then
    rm -rf $t
  fi
done
CXX=clang++ CC=clang cmake -S . -B build-asan -DFAISSLIKE_ASAN_UBSAN=ON "${common[@]}" >/dev/null
cmake --build build-asan -j"$(nproc)" --target faisslike_tests asan_canary >/dev/null
CXX=clang++ CC=clang cmake -S . -B build-tsan -DFAISSLIKE_TSAN=ON "${common[@]}" >/dev/null
cmake --build build-tsan -j"$(nproc)" --target faisslike_tests tsan_canary >/dev/null

# halt_on_error: the first report fails the run. detect_leaks: leaks are bugs too.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
if build-asan/tests/asan_canary >/dev/null 2>&1; then
  echo "[sanitize] ASan did not report the canary overflow: the memory checking is not working" >&2
  exit 1
fi
# The whole suite on the best ISA the CPU has; on the others only what runs through the
# per-ISA kernels (file parsing, live-index locking and hostile files do not change with the
# ISA, and each costs minutes under ASan). SANITIZE_FULL=1: the whole suite on every ISA.
isa_agnostic='HostileStructures.*:HostileFaissFiles.*:HostileFiles.*:IO.*:OnDiskInvertedLists.*'
isa_agnostic+=':Types/LiveIndex.*:Types/LiveUpsert.*:LiveIndexExclusive.*:LiveUpsertErrors.*'
isa_agnostic+=':Concurrency.*:LargeAlloc.*:FlatErrors.*'
# Interrupt points, progress reports, wrapper bookkeeping and factory parsing do not change with
# the ISA either (their searches are the index tests' own).
isa_agnostic+=':Interrupt.*:Progress.*:Composition.*:CompositionRegression.*:Factory.*'
best=
for isa in avx512 avx2 scalar; do
  filter='*'
  [ -n "$best" ] && [ "${SANITIZE_FULL:-0}" != 1 ] && filter="-$isa_agnostic"
  echo "[sanitize] $(date +%T) ASan+UBSan, FAISSLIKE_SIMD=$isa, tests: $filter"
  rc=0
  FAISSLIKE_SIMD=$isa OMP_NUM_THREADS=2 build-asan/tests/faisslike_tests --gtest_brief=1 \
    "--gtest_filter=$filter" || rc=$?
  [ $rc -eq 77 ] && { echo "[sanitize] $isa not supported by this CPU: skipped"; continue; }
  [ $rc -eq 0 ] || exit $rc
  best=${best:-$isa}
done

archer=$(clang++ -print-file-name=libarcher.so)
[ -f "$archer" ] || archer=/usr/lib/llvm-14/lib/libarcher.so
export OMP_TOOL_LIBRARIES=$archer OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1
export TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1"
if build-tsan/tests/tsan_canary >/dev/null 2>&1; then
  echo "[sanitize] TSan did not report the canary race: the race checking is not working" >&2
  exit 1
fi
# Not the hostile-file tests (a quarter of the suite's time): they parse files on one thread
# (test_hostile.cpp runs each case in a forked child with one OpenMP thread), so there is no
# race for TSan to see; that parsing never crashes is ASan's part above.
# SANITIZE_FULL=1: those too.
tsan_filter='-HostileStructures.*:HostileFaissFiles.*:HostileFiles.*'
[ "${SANITIZE_FULL:-0}" = 1 ] && tsan_filter='*'
echo "[sanitize] $(date +%T) TSan (2 OpenMP threads, Archer), tests: $tsan_filter"
build-tsan/tests/faisslike_tests --gtest_brief=1 "--gtest_filter=$tsan_filter"
echo "[sanitize] $(date +%T) clean"
