"""The ANN harness: TEXMEX readers, the quick run's outputs, and one-line errors on bad input."""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchs"))
import datasets  # noqa: E402

BENCH = [sys.executable, str(ROOT / "benchs" / "ann_bench.py")]


def run_bench(*args, tmp_path):
    env = dict(os.environ, FAISSLIKE_DATA=str(tmp_path / "data"))
    return subprocess.run(BENCH + list(args), capture_output=True, text=True, env=env, timeout=600)


def test_vecs_roundtrip_all_formats(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 5)).astype("float32")
    datasets.write_fvecs(tmp_path / "a.fvecs", x)
    np.testing.assert_array_equal(datasets.read_fvecs(tmp_path / "a.fvecs"), x)
    i = rng.integers(0, 1000, (4, 3)).astype("int32")
    datasets.write_ivecs(tmp_path / "a.ivecs", i)
    np.testing.assert_array_equal(datasets.read_ivecs(tmp_path / "a.ivecs"), i)
    b = rng.integers(0, 256, (6, 9)).astype("uint8")
    datasets.write_bvecs(tmp_path / "a.bvecs", b)
    np.testing.assert_array_equal(datasets.read_bvecs(tmp_path / "a.bvecs"), b)
    # Byte layout: int32 dimension, then the values.
    raw = (tmp_path / "a.fvecs").read_bytes()
    assert len(raw) == 7 * (4 + 5 * 4) and np.frombuffer(raw[:4], "<i4")[0] == 5


@pytest.mark.parametrize("mutate,msg", [
    (lambda b: b[:-3], "not a multiple"),
    (lambda b: b"", "empty"),
    (lambda b: b[:2], "too short"),
    (lambda b: b[:24] + np.int32(4).tobytes() + b[28:], "row 1 has dimension 4"),
    (lambda b: np.int32(-1).tobytes() + b[4:], "invalid dimension"),
])
def test_malformed_vecs(tmp_path, mutate, msg):
    datasets.write_fvecs(tmp_path / "a.fvecs", np.ones((3, 5), "float32"))
    p = tmp_path / "b.fvecs"
    p.write_bytes(mutate((tmp_path / "a.fvecs").read_bytes()))
    with pytest.raises(datasets.DatasetError, match=msg):
        datasets.read_fvecs(p)


def test_synthetic_generator_is_deterministic_and_clustered():
    a = datasets.make_syn(2000, 500, 50, progress=False)
    b = datasets.make_syn(2000, 500, 50, progress=False)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    xb = a[0]
    assert xb.shape == (2000, 128) and xb.dtype == np.float32
    # Expected squared distances per the spec: same cluster 2*128*(24*0.35^2 + 0.05^2) ~ 753,
    # random pair 2*128*(1 + 24*0.35^2 + 0.05^2) ~ 1009; the nearest neighbour is closer still.
    d_rand = ((xb[:1000] - xb[1000:2000]) ** 2).sum(-1).mean()
    assert 900 < d_rand < 1100, d_rand
    d_nn = np.sort(((xb[:50, None] - xb[None, :500]) ** 2).sum(-1), axis=1)[:, 1].mean()
    assert d_nn < 0.75 * d_rand


def test_quick_run_writes_json_png_and_ratio_table(tmp_path):
    out = tmp_path / "out"
    r = run_bench("--quick", "--out", str(out), tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    res = json.loads((out / "results.json").read_text())
    libs = {p["lib"] for p in res["points"]}
    assert "faisslike" in libs
    flat = [p for p in res["points"] if p["lib"] == "faisslike" and p["index"] == "Flat"]
    assert len(flat) == 1 and flat[0]["recallk"] == 1.0 and flat[0]["recall1"] == 1.0
    for p in res["points"]:
        assert p["qps"] > 0 and p["p50_ms"] > 0 and p["p99_ms"] >= p["p50_ms"]
    for b in res["builds"]:
        assert b["size_bytes"] > 0 and b["build_s"] >= 0
    assert (out / "recall_qps.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "vs faiss" in r.stdout or "faiss" not in libs
    assert "10-R@10" in r.stdout


@pytest.mark.parametrize("args,msg", [
    (["--dataset", "nope-3"], "unknown dataset"),
    (["--dataset", "syn-12q"], "bad dataset size"),
    (["--indexes", "LSH"], "unknown index configuration"),
    (["--k", "0"], "--k must be > 0"),
])
def test_bad_options_are_one_line_errors(tmp_path, args, msg):
    r = run_bench(*args, tmp_path=tmp_path)
    assert r.returncode != 0
    assert msg in r.stderr and "Traceback" not in r.stderr, r.stderr


def _texmex_dir(tmp_path, nb=300, nq=20, d=8, gt_k=10, qd=None):
    rng = np.random.default_rng(1)
    root = tmp_path / "tx"
    root.mkdir(exist_ok=True)
    datasets.write_fvecs(root / "x_base.fvecs", rng.random((nb, d), dtype="float32"))
    datasets.write_fvecs(root / "x_query.fvecs", rng.random((nq, qd or d), dtype="float32"))
    datasets.write_ivecs(root / "x_groundtruth.ivecs", rng.integers(0, nb, (nq, gt_k)).astype("int32"))
    return root


def test_directory_dataset_and_its_errors(tmp_path):
    root = _texmex_dir(tmp_path)
    r = run_bench("--dataset", str(root), "--indexes", "Flat", "--libs", "faisslike",
                  "--single", "5", "--out", str(tmp_path / "o"), tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    # ground truth with fewer than k columns
    r = run_bench("--dataset", str(root), "--k", "20", "--libs", "faisslike", tmp_path=tmp_path)
    assert r.returncode != 0 and "fewer than k=20" in r.stderr and "Traceback" not in r.stderr
    # dimension mismatch between base and queries
    (tmp_path / "m").mkdir()
    root2 = _texmex_dir(tmp_path / "m", qd=9)
    r = run_bench("--dataset", str(root2), "--libs", "faisslike", tmp_path=tmp_path)
    assert r.returncode != 0 and "d=9" in r.stderr and "Traceback" not in r.stderr
    # missing file / truncated file
    (root2 / "x_groundtruth.ivecs").unlink()
    r = run_bench("--dataset", str(root2), tmp_path=tmp_path)
    assert r.returncode != 0 and "groundtruth" in r.stderr and "Traceback" not in r.stderr
    raw = (root / "x_base.fvecs").read_bytes()
    (root / "x_base.fvecs").write_bytes(raw[:-1])
    r = run_bench("--dataset", str(root), tmp_path=tmp_path)
    assert r.returncode != 0 and "not a multiple" in r.stderr and "Traceback" not in r.stderr


def test_matched_recall_interpolation():
    import ann_bench
    curve = [{"recallk": 0.5, "qps": 1000.0}, {"recallk": 0.9, "qps": 100.0}]
    # Halfway in recall is the geometric mean in QPS (linear in log QPS).
    assert abs(ann_bench.interp_qps(curve, 0.7, "qps") - 316.2278) < 0.01
    assert ann_bench.interp_qps(curve, 0.4, "qps") == 1000.0  # below: its fastest point
    assert ann_bench.interp_qps(curve, 0.905, "qps") == 100.0  # just above: its best point
    assert ann_bench.interp_qps(curve, 0.95, "qps") is None  # far above: no match
    # Dominated points do not count: only the Pareto envelope does.
    curve.append({"recallk": 0.6, "qps": 50.0})
    assert abs(ann_bench.interp_qps(curve, 0.7, "qps") - 316.2278) < 0.01
