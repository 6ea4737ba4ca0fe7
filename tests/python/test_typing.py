"""The typed API: the extension's stubs (python/faisslike/_faisslike.pyi, pybind11-stubgen
output) match the built module, the package is marked typed (py.typed), and the README's
Python examples pass mypy --strict against it."""
import importlib.metadata
import os
import re
import subprocess
import sys

import pytest

import faisslike

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKG = os.path.dirname(faisslike.__file__)
STUBGEN_VERSION = "3.0.0"  # the version that wrote the checked-in stubs (scripts/setup.sh pins it)


def test_package_is_typed():
    assert os.path.exists(os.path.join(PKG, "py.typed"))
    assert os.path.exists(os.path.join(PKG, "_faisslike.pyi"))


def test_stubs_match_the_module(tmp_path):
    try:
        version = importlib.metadata.version("pybind11-stubgen")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("pybind11-stubgen not installed")
    if version != STUBGEN_VERSION:
        pytest.skip(f"pybind11-stubgen {version} here, stubs written by {STUBGEN_VERSION}")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(PKG))
    r = subprocess.run([sys.executable, "-m", "pybind11_stubgen", "faisslike._faisslike", "-o",
                        str(tmp_path)], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "ERROR" not in r.stderr, r.stderr  # a C++ type leaked into a signature
    fresh = (tmp_path / "faisslike" / "_faisslike.pyi").read_text()
    shipped = open(os.path.join(PKG, "_faisslike.pyi")).read()
    assert fresh == shipped, "stubs out of date: run bash scripts/gen_stubs.sh"


def test_readme_examples_pass_mypy_strict(tmp_path):
    pytest.importorskip("mypy")
    readme = open(os.path.join(ROOT, "README.md")).read()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert len(blocks) >= 3
    # The tutorial's second block continues the first (same names): checked together.
    files = {"tutorial.py": blocks[0] + blocks[1]}
    for i, b in enumerate(blocks[2:], 2):
        files[f"example_{i}.py"] = b
    for name, code in files.items():
        (tmp_path / name).write_text(code)
    # Errors inside the package's own untyped modules are not the examples' business (an
    # installed package with py.typed is never reported on; the build tree needs saying so).
    (tmp_path / "mypy.ini").write_text("[mypy]\nstrict = True\n[mypy-faisslike.*]\n"
                                       "ignore_errors = True\n")
    env = dict(os.environ, MYPYPATH=os.path.dirname(PKG))
    if "site-packages" in PKG:
        env.pop("MYPYPATH")  # installed: found as an installed, typed package
    r = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "mypy.ini",
                        "--no-incremental", *files], cwd=tmp_path, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_help_is_useful():
    import pydoc
    text = pydoc.render_doc(faisslike.IndexHNSWFlat, renderer=pydoc.plaintext)
    for word in ["efSearch", "search(", "add(", "Returns (D, I)"]:
        assert word in text, word


def _undocumented():
    """Public classes, methods, properties and functions of the package without a docstring
    (pybind11's generated signature line alone does not count)."""
    import inspect
    import types
    C = faisslike._faisslike

    def body(obj, name):
        lines = [ln.strip() for ln in (getattr(obj, "__doc__", None) or "").splitlines()]
        return [ln for ln in lines if ln and not (ln.startswith(name + "(") and "->" in ln)
                and not ln.startswith(("1. ", "2. ", "3. ", "4. ", "Overloaded function"))]

    missing = []
    for name in dir(faisslike):
        obj = getattr(faisslike, name)
        if name.startswith("_") or isinstance(obj, types.ModuleType):
            continue
        if not (inspect.isclass(obj) or callable(obj)):
            continue
        if not body(obj, name):
            missing.append(name)
        if inspect.isclass(obj):
            for m, v in vars(obj).items():
                if m.startswith("_"):
                    continue
                if callable(v) or isinstance(v, property) or type(v).__name__ == "property":
                    if not body(v, m):
                        missing.append(f"{name}.{m}")
    for name in dir(C):  # the extension's own, including what the package renames or hides
        obj = getattr(C, name)
        if name.startswith("_") or not (inspect.isclass(obj) or callable(obj)):
            continue
        if not body(obj, name):
            missing.append(f"_faisslike.{name}")
    return sorted(set(missing))


def test_everything_public_is_documented():
    missing = _undocumented()
    assert not missing, missing
