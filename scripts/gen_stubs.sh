#!/usr/bin/env bash
# Regenerates python/faisslike/_faisslike.pyi (the extension's type stubs) from the built
# module, with the pinned pybind11-stubgen (tests/python/test_typing.py checks for drift).
# Usage: bash scripts/gen_stubs.sh [build/python]
set -euo pipefail
cd "$(dirname "$0")/.."
PKG_DIR=${1:-build/python}
out=$(mktemp -d)
PYTHONPATH="$PKG_DIR" python3 -m pybind11_stubgen faisslike._faisslike -o "$out"
cp "$out/faisslike/_faisslike.pyi" python/faisslike/_faisslike.pyi
rm -rf "$out"
echo "python/faisslike/_faisslike.pyi regenerated"
