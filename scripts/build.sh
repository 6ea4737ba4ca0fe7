#!/usr/bin/env bash
# Configures and builds into ${BUILD_DIR:-build} (Release). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DFAISSLIKE_BUILD_PYTHON=ON \
  -DPython3_EXECUTABLE="$(command -v "${PYTHON:-python3}")" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
