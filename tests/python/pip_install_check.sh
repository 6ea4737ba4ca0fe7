#!/usr/bin/env bash
# `pip install .` into a fresh virtualenv, then the README tutorial and a smoke search with the
# installed package (not the build tree).
set -euo pipefail
SRC=$1
WORK=$2
PY=${3:-python3}
rm -rf "$WORK"
# System site packages provide numpy and the build backend (installed by scripts/setup.sh), so
# the check needs no network; --no-build-isolation uses them.
"$PY" -m venv --system-site-packages "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q --no-build-isolation --no-deps \
  --config-settings=build-dir="$WORK/skbuild" "$SRC"
cd "$WORK"  # not the source tree: import must find the installed package
"$WORK/venv/bin/python" - <<'PY'
import faisslike, numpy as np
assert "site-packages" in faisslike.__file__, faisslike.__file__
idx = faisslike.IndexFlatIP(8)
idx.add(np.eye(8))
D, I = idx.search(np.eye(8)[:3], 1)
assert I[:, 0].tolist() == [0, 1, 2], I
print("installed package OK:", faisslike.__file__, faisslike.simd_level())
PY
"$WORK/venv/bin/python" "$SRC/tests/python/run_readme_tutorial.py" "$SRC/README.md"
