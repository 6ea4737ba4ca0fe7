#!/usr/bin/env bash
# The ANN harness against FAISS and hnswlib: builds, then runs benchs/ann_bench.py with the
# given options, e.g.  bash scripts/bench.sh --dataset syn-100k --indexes Flat --threads 2
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/env.sh
bash scripts/build.sh >/dev/null
PYTHONPATH="$PWD/${BUILD_DIR:-build}/python${PYTHONPATH:+:$PYTHONPATH}" exec "${PYTHON:-python3}" benchs/ann_bench.py "$@"
