#!/usr/bin/env bash
# All tests: install what is missing, build, run every CTest test (C++ suite once per ISA
# the CPU has, ISA isolation, install + find_package consumer, Python tests).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/env.sh
bash scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j2 --timeout 1200
