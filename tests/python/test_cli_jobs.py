"""python -m faisslike build / search / bench on .npy and .fvecs files."""
import os
import subprocess
import sys

import numpy as np

import faisslike as fl
from faisslike.contrib import vecs_io


def _run(*args):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(fl.__file__)))
    return subprocess.run([sys.executable, "-m", "faisslike", *args], capture_output=True,
                          text=True, env=env)


def test_build_search_bench(tmp_path):
    rng = np.random.default_rng(0)
    xb = rng.standard_normal((20000, 16)).astype("float32")
    xq = rng.standard_normal((100, 16)).astype("float32")
    np.save(tmp_path / "xb.npy", xb)
    vecs_io.fvecs_write(str(tmp_path / "xq.fvecs"), xq)
    flat = fl.IndexFlatL2(16)
    flat.add(xb)
    gt = flat.search(xq, 10)[1]
    vecs_io.ivecs_write(str(tmp_path / "gt.ivecs"), gt.astype("int32"))
    out = str(tmp_path / "ivf.index")
    r = _run("build", "--data", str(tmp_path / "xb.npy"), "--factory", "IVF32,Flat", "--out", out)
    assert r.returncode == 0, r.stderr
    assert "built IVF32,Flat on 20,000 x 16" in r.stdout
    assert "add: 100% 20,000/20,000 vec" in r.stderr  # progress, plain lines off a terminal
    idx = fl.read_index(out)
    assert idx.ntotal == 20000 and idx.nlist == 32
    r = _run("search", "--index", out, "--queries", str(tmp_path / "xq.fvecs"), "--gt",
             str(tmp_path / "gt.ivecs"), "--params", "nprobe=32", "--out",
             str(tmp_path / "I.npy"))
    assert r.returncode == 0, r.stderr
    assert "10-recall@10 = 1.0000" in r.stdout, r.stdout  # nprobe = nlist: exact
    np.testing.assert_array_equal(np.load(tmp_path / "I.npy"), gt)
    r = _run("bench", "--data", str(tmp_path / "xb.npy"), "--queries",
             str(tmp_path / "xq.fvecs"), "--factory", "IVF32,Flat", "--sweep", "nprobe=1,32",
             "--quiet")
    assert r.returncode == 0, r.stderr
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines()
            if line.startswith("nprobe")}
    assert float(rows["nprobe=32"][1]) == 1.0 and float(rows["nprobe=1"][1]) < 1.0
    # Mistakes: a clear message and exit status 1 (missing file, bad factory), 2 (usage).
    r = _run("search", "--index", str(tmp_path / "nope"), "--queries", str(tmp_path / "xq.fvecs"))
    assert r.returncode == 1 and "cannot open" in r.stderr
    r = _run("build", "--data", str(tmp_path / "xb.npy"), "--factory", "IVF32,Bogus", "--out", out)
    assert r.returncode == 1 and "Bogus" in r.stderr
    r = _run("build", "--data", str(tmp_path / "xb.txt"), "--factory", "Flat", "--out", out)
    assert r.returncode != 0 and "no such file" in r.stderr
    assert _run("search").returncode == 2


def test_bench_drives_the_harness(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if not os.path.exists(os.path.join(root, "benchs", "ann_bench.py")):
        import pytest
        pytest.skip("not a source checkout")
    rng = np.random.default_rng(1)
    np.save(tmp_path / "b.npy", rng.standard_normal((5000, 8)).astype("float32"))
    np.save(tmp_path / "q.npy", rng.standard_normal((50, 8)).astype("float32"))
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(fl.__file__)),
               FAISSLIKE_SOURCE_DIR=root)
    r = subprocess.run([sys.executable, "-m", "faisslike", "bench", "--data",
                        str(tmp_path / "b.npy"), "--queries", str(tmp_path / "q.npy"),
                        "--factory", "IVF16,Flat", "--sweep", "nprobe=1,16", "--libs",
                        "faisslike", "--out", str(tmp_path / "res")], capture_output=True,
                       text=True, env=env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "nprobe=16" in r.stdout and os.path.exists(tmp_path / "res" / "results.json")
    # Outside a checkout, without FAISSLIKE_SOURCE_DIR: a one-line explanation.
    env.pop("FAISSLIKE_SOURCE_DIR")
    r = subprocess.run([sys.executable, "-m", "faisslike", "bench", "--data", "b.npy",
                        "--queries", "q.npy", "--factory", "Flat", "--libs", "faisslike"],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert r.returncode != 0 and "source checkout" in r.stderr
