#!/usr/bin/env bash
# The main job: install what is missing, build, then
#   1. a Flat index on generated data (recall against brute force, QPS, write/read round trip);
#   2. a quick harness run: Flat, IVF and HNSW on 50k generated vectors, side by side with
#      FAISS and hnswlib when installed (recall, batch and single-query QPS, build time,
#      memory, matched-recall ratios), results.json + recall_qps.png. A few minutes at most.
# Extra arguments go to the harness (benchs/ann_bench.py), e.g. --metric cosine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/env.sh
bash scripts/build.sh
./"${BUILD_DIR:-build}"/benchs/demo_flat
echo
PYTHONPATH="$PWD/${BUILD_DIR:-build}/python${PYTHONPATH:+:$PYTHONPATH}" "${PYTHON:-python3}" \
  benchs/ann_bench.py --dataset syn-50k --indexes Flat "IVF256,Flat" HNSW32 --threads 2 \
  --single 200 --reps 2 --time-limit 240 --out benchs/results/main "$@"
