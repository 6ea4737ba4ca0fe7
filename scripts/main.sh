#!/usr/bin/env bash
# The main job: install what is missing, build, then a Flat index on generated data
# (recall against brute force, batch and single-query QPS, write/read round trip).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/env.sh
bash scripts/build.sh
./"${BUILD_DIR:-build}"/benchs/demo_flat "$@"
