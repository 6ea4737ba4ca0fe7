#!/usr/bin/env bash
# The install paths of the README, checked end to end (CTest python_wheel):
#   1. `python -m build --wheel` from a read-only copy of the source tree, with no build
#      directory given (a temporary one): the copy must be left byte-for-byte untouched;
#   2. `pip install .` from that read-only copy into a fresh virtualenv (again nothing written
#      into the copy): smoke search, BLAS, README tutorial;
#   3. `auditwheel repair`: a self-contained manylinux wheel (OpenBLAS and libgomp inside, no
#      RPATH outside the wheel) installed into another fresh virtualenv, which must load its own
#      OpenBLAS, keep AVX code out of reach at import (ISA isolation), and pass the whole Python
#      suite and the tutorial (the suite's run at the CPU's best ISA happens here, see
#      tests/python/conftest.py).
# The virtualenvs see the system site-packages for numpy and pytest (no network needed) but
# not the build tree; --no-deps keeps pip from fetching anything.
set -euo pipefail
SRC=$(cd "$1" && pwd)
WORK=$2
PY=${3:-python3}
rm -rf "$WORK"
mkdir -p "$WORK/src"

# 1. A copy of the files git knows (tracked and untracked, not ignored; deleted ones skipped),
# made read-only.
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
     xargs -0 sh -c 'for f; do [ ! -e "$f" ] || cp --parents -p "$f" "$0"; done' "$WORK/src")
else
  (cd "$SRC" && tar --exclude=./build --exclude=./.git -cf - .) | (cd "$WORK/src" && tar -xf -)
fi
chmod -R a-w "$WORK/src"
snapshot() { (cd "$WORK/src" && find . -printf '%p %s %T@ %m\n' | sort | sha256sum); }
before=$(snapshot)
unset PYTHONPATH
# Steps 1 and 2 compile the same sources with the same flags, each in its own temporary build
# directory: with ccache (scripts/setup.sh installs it) the second is served from a cache that
# this run starts empty, so the first is always a full compile. Temporary directories under
# $WORK and paths relative to it: both builds' commands hash the same.
# Only the two builds see this (the tests below need their usual temporary directory: one
# inside this checkout's build tree would look like a source checkout to them).
cc_env=(env)
if command -v ccache >/dev/null; then
  cc_env+=(CCACHE_DIR="$WORK/ccache" CCACHE_BASEDIR="$WORK" CCACHE_NOHASHDIR=1 TMPDIR="$WORK/tmp"
           CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache)
  mkdir -p "$WORK/tmp"
fi
"${cc_env[@]}" "$PY" -m build --wheel --no-isolation --outdir "$WORK/dist" "$WORK/src" \
  > "$WORK/build.log" 2>&1 ||
  { tail -40 "$WORK/build.log"; echo "wheel build failed"; exit 1; }
[ "$(snapshot)" = "$before" ] || { echo "the build wrote into the source tree"; exit 1; }
chmod -R u+w "$WORK/src"
wheel=$(ls "$WORK"/dist/faisslike-*.whl)
echo "built $wheel"

# Which OpenBLAS file the process mapped, and the package's own view of its BLAS.
cat > "$WORK/smoke.py" <<'PY'
import sys
import numpy as np
import faisslike
assert "site-packages" in faisslike.__file__, faisslike.__file__
idx = faisslike.IndexFlatIP(8)
idx.add(np.eye(8, dtype="float32"))
D, I = idx.search(np.eye(8, dtype="float32")[:3], 1)
assert I[:, 0].tolist() == [0, 1, 2], I
assert "BLAS=scipy-openblas32" in faisslike.get_compile_options(), faisslike.get_compile_options()
assert faisslike.blas_info().startswith("scipy-openblas32 OpenBLAS"), faisslike.blas_info()
# BLAS in use: a batch big enough for the sgemm path must equal brute force.
rng = np.random.default_rng(0)
xb = rng.standard_normal((5000, 32)).astype("float32")
xq = rng.standard_normal((200, 32)).astype("float32")
flat = faisslike.IndexFlatL2(32)
flat.add(xb)
_, I = flat.search(xq, 1)
ref = ((xq[:, None, :].astype(np.float64) - xb[None]) ** 2).sum(-1).argmin(1)
assert (I[:, 0] == ref).mean() > 0.999
# numpy brings its own OpenBLAS (numpy.libs/libscipy_openblas64_*): not ours, left out.
libs = sorted({l.split()[-1] for l in open("/proc/self/maps")
               if "openblas" in l and "/numpy.libs/" not in l})
assert len(libs) == 1, libs
want = sys.argv[1]
assert want in libs[0], (want, libs)
print("OK", faisslike.__file__, faisslike.simd_level(), "|", faisslike.blas_info(), "|", libs[0])
PY

# 2. `pip install .` from the same read-only tree into a fresh virtualenv (pip's own PEP 517
# build, temporary build directory): OpenBLAS comes from the scipy-openblas32 package (here
# the system site-packages' copy).
"$PY" -m venv --system-site-packages "$WORK/venv_plain"
chmod -R a-w "$WORK/src"
(cd "$WORK/src" && "${cc_env[@]}" "$WORK/venv_plain/bin/python" -m pip install -q --no-deps --no-build-isolation \
   --disable-pip-version-check . > "$WORK/pip.log" 2>&1) ||
  { tail -40 "$WORK/pip.log"; echo "pip install . failed"; exit 1; }
[ "$(snapshot)" = "$before" ] || { echo "pip install . wrote into the source tree"; exit 1; }
command -v ccache >/dev/null &&
  echo "ccache: $(CCACHE_DIR="$WORK/ccache" ccache -s | grep -iE '^ *hits' | head -1 | tr -s ' ')"
chmod -R u+w "$WORK/src"
(cd "$WORK" && "$WORK/venv_plain/bin/python" smoke.py "scipy_openblas32/lib/libscipy_openblas")
(cd "$WORK" && "$WORK/venv_plain/bin/python" "$SRC/tests/python/run_readme_tutorial.py" "$SRC/README.md")

# 3. auditwheel repair: everything the extension needs outside the manylinux base inside it.
# The plain wheel finds OpenBLAS through an RPATH into the scipy-openblas32 package beside it;
# auditwheel looks for it on LD_LIBRARY_PATH.
sob=$("$PY" -c "import scipy_openblas32 as s; print(s.get_lib_dir())")
LD_LIBRARY_PATH="$sob${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  auditwheel repair -w "$WORK/wheelhouse" "$wheel" > "$WORK/repair.log" 2>&1 ||
  { cat "$WORK/repair.log"; echo "auditwheel repair failed"; exit 1; }
fixed=$(ls "$WORK"/wheelhouse/faisslike-*manylinux*.whl)
echo "repaired $fixed"
mkdir -p "$WORK/unpacked"
(cd "$WORK/unpacked" && "$PY" -m zipfile -e "$fixed" .)
ls "$WORK"/unpacked/faisslike.libs/ | grep -q '^libscipy_openblas' || { echo "OpenBLAS not bundled"; exit 1; }
ls "$WORK"/unpacked/faisslike.libs/ | grep -q '^libgomp' || { echo "libgomp not bundled"; exit 1; }
n=$(find "$WORK/unpacked" -name 'libfaisslike*' | wc -l)
[ "$n" = 1 ] || { echo "expected one libfaisslike in the wheel, found $n"; exit 1; }
for so in $(find "$WORK/unpacked" -name '*.so*'); do
  rp=$(readelf -d "$so" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]/\2/p')
  for p in ${rp//:/ }; do
    case "$p" in \$ORIGIN*) ;; *) echo "$so: RPATH entry outside the wheel: $p"; exit 1 ;; esac
  done
done
"$PY" -m venv --system-site-packages "$WORK/venv_wheel"
"$WORK/venv_wheel/bin/python" -m pip install -q --no-deps --disable-pip-version-check "$fixed"
site=$("$WORK/venv_wheel/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
(cd "$WORK" && "$WORK/venv_wheel/bin/python" smoke.py "$site/faisslike.libs/libscipy_openblas")
"$PY" "$SRC/tests/check_isa_isolation.py" "$(ls "$site"/faisslike/libfaisslike.so* | head -1)"
(cd "$WORK" && "$WORK/venv_wheel/bin/python" "$SRC/tests/python/run_readme_tutorial.py" "$SRC/README.md")
cd "$WORK"  # not the source tree: every import must find the installed package
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} "$WORK/venv_wheel/bin/python" -m pytest -q -p no:cacheprovider \
  "$SRC/tests/python"
