"""FAISS's CPU tutorial steps (our own copies in tutorial/) run unchanged through the
opt-in alias: `python -m faisslike.run script.py` with `import faiss` inside."""
import pathlib
import subprocess
import sys

import pytest

SCRIPTS = sorted((pathlib.Path(__file__).parent / "tutorial").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_tutorial_runs_through_alias(script):
    r = subprocess.run([sys.executable, "-m", "faisslike.run", str(script)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert " ok" in r.stdout
