#!/usr/bin/env bash
# All tests: install what is missing, build, run every CTest test (C++ suite once per ISA
# the CPU has, ISA isolation, install + find_package consumer, Python tests), then the C++
# suite under ASan+UBSan and the concurrency test under TSan (scripts/sanitize.sh), then a
# 60-second libFuzzer smoke run of read_index (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/env.sh
bash scripts/build.sh
# CTest runs two tests at a time, each with 2 OpenMP threads: on 2 cores, threads spinning at
# barriers (libgomp's default) starve the other test's threads and the suite ran 4x slower.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure -j2 --timeout 1200)
bash scripts/sanitize.sh
FUZZ_SECONDS=${FUZZ_SECONDS:-60} bash scripts/fuzz.sh
