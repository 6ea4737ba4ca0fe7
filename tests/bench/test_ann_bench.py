"""The ANN harness: TEXMEX readers, the quick run's outputs, and one-line errors on bad input."""
import importlib
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchs"))
import anchors  # noqa: E402
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


def test_exact_knn_matches_float64_brute_force():
    rng = np.random.default_rng(3)
    xb = rng.standard_normal((500, 12)).astype("float32")
    xq = rng.standard_normal((30, 12)).astype("float32")
    for ip in (False, True):
        gt = datasets.exact_knn(xb, xq, 7, ip=ip, progress=False)
        s = xq.astype(np.float64) @ xb.T.astype(np.float64)
        if not ip:
            s = -((xq[:, None, :].astype(np.float64) - xb[None].astype(np.float64)) ** 2).sum(-1)
        np.testing.assert_array_equal(gt, np.argsort(-s, axis=1, kind="stable")[:, :7])
    n = datasets.normalized(np.array([[3.0, 4.0], [0.0, 0.0]], "float32"))
    np.testing.assert_allclose(n, [[0.6, 0.8], [0.0, 0.0]])


def _npy_pair(tmp_path, nb=3000, nq=50, d=16):
    rng = np.random.default_rng(4)
    c = rng.standard_normal((30, d)) * 3
    xb = (c[rng.integers(0, 30, nb)] + rng.standard_normal((nb, d))).astype("float32")
    xq = (c[rng.integers(0, 30, nq)] + rng.standard_normal((nq, d))).astype("float32")
    np.save(tmp_path / "b.npy", xb * 5)  # unnormalized: cosine and ip differ
    np.save(tmp_path / "q.npy", xq)
    return f"{tmp_path / 'b.npy'},{tmp_path / 'q.npy'}"


@pytest.mark.parametrize("metric", ["ip", "cosine", "l2"])
def test_metrics_with_ground_truth_in_that_metric(tmp_path, metric):
    pair = _npy_pair(tmp_path)
    out = tmp_path / "o"
    r = run_bench("--dataset", pair, "--metric", metric, "--indexes", "Flat", "IVF16,Flat",
                  "--libs", "faisslike", "faiss", "--single", "10", "--reps", "1",
                  "--out", str(out), tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    res = json.loads((out / "results.json").read_text())
    assert res["meta"]["metric"] == metric and res["meta"]["complete"]
    for p in res["points"]:
        if p["index"] == "Flat":  # exact search agrees with the metric's ground truth
            assert p["recallk"] == 1.0, p
    ivf = [p for p in res["points"] if p["index"] == "IVF16,Flat" and p["lib"] == "faisslike"]
    assert ivf[-1]["recallk"] == 1.0  # nprobe = nlist is exact too
    if any(p["lib"] == "faiss" for p in res["points"]):
        assert "faisslike / faiss" in r.stdout  # the pairwise matched-recall table


def test_interrupted_run_keeps_results_and_prints_the_table(tmp_path):
    import signal
    out = tmp_path / "o"
    env = dict(os.environ, FAISSLIKE_DATA=str(tmp_path / "data"))
    p = subprocess.Popen(BENCH + ["--dataset", _npy_pair(tmp_path, nb=5000), "--indexes",
                                  "IVF64,Flat", "HNSW16", "--libs", "faisslike", "--single", "20",
                                  "--reps", "3", "--out", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    # Synchronized on an event: the first sweep point written, then SIGINT.
    for line in p.stderr:
        if "IVF64,Flat nprobe=1:" in line:
            break
    deadline = time.monotonic() + 300
    while not (out / "results.json").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    p.send_signal(signal.SIGINT)
    stdout, _ = p.communicate(timeout=300)
    assert p.returncode == 0
    res = json.loads((out / "results.json").read_text())
    assert not res["meta"]["complete"]
    assert len(res["points"]) >= 1
    assert "10-R@10" in stdout and "incomplete run" in stdout


def test_time_limit_and_single_thread_latency_mode(tmp_path):
    out = tmp_path / "o"
    r = run_bench("--dataset", _npy_pair(tmp_path), "--indexes", "Flat", "HNSW16", "--libs",
                  "faisslike", "--single-thread-latency", "--single", "20", "--time-limit",
                  "0.001", "--out", str(out), tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    res = json.loads((out / "results.json").read_text())
    assert res["meta"]["mode"] == "single-thread-latency" and res["meta"]["threads"] == 1
    assert not res["meta"]["complete"] and "time-limit" in r.stderr
    r = run_bench("--dataset", _npy_pair(tmp_path), "--indexes", "Flat", "--libs", "faisslike",
                  "--single-thread-latency", "--single", "20", "--out", str(out),
                  tmp_path=tmp_path)
    res = json.loads((out / "results.json").read_text())
    p = res["points"][0]
    assert res["meta"]["complete"] and p["recallk"] == 1.0
    # QPS is 1 / mean latency: at most 1 / median-ish bounds, never a batch figure.
    assert p["qps"] <= 1000.0 / p["p50_ms"] * 5
    # Builds on 2 threads, searches on 1: both recorded.
    r = run_bench("--dataset", _npy_pair(tmp_path), "--indexes", "HNSW16", "--libs", "faisslike",
                  "hnswlib", "--single-thread-latency", "--build-threads", "2", "--single", "20",
                  "--sweep", "64", "--out", str(out), tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    res = json.loads((out / "results.json").read_text())
    assert (res["meta"]["threads"], res["meta"]["build_threads"]) == (1, 2)
    assert "threads=1 (build 2)" in r.stderr
    assert all(p["recallk"] > 0.9 for p in res["points"])


@pytest.mark.parametrize("args,msg", [
    (["--metric", "hamming"], "--metric must be"),
    (["--dataset", "nope.npy,nope2.npy"], "no such file"),
    (["--time-limit", "0"], "--time-limit must be > 0"),
    (["--build-threads", "0"], "--build-threads must be > 0"),
])
def test_new_options_bad_input(tmp_path, args, msg):
    r = run_bench(*args, tmp_path=tmp_path)
    assert r.returncode != 0 and msg in r.stderr and "Traceback" not in r.stderr, r.stderr


ANCHOR_LIBS = ["usearch", "svs", "symqg", "ngt", "scann"]


@pytest.mark.parametrize("metric", ["l2", "ip"])
def test_graph_anchors_reach_high_recall(tmp_path, metric):
    """Every graph anchor that imports is built, swept and compared; each one that did not
    import is named in a one-line note. A wrong id mapping or metric would show as low recall."""
    present = []
    for a in anchors.ANCHORS:
        try:
            importlib.import_module(a.module)
            present.append(a.lib)
        except Exception:
            pass
    out = tmp_path / "o"
    r = run_bench("--dataset", _npy_pair(tmp_path, nb=2000, nq=100, d=64), "--metric", metric,
                  "--indexes", "HNSW16", "--libs", "faisslike", *ANCHOR_LIBS, "--single", "10",
                  "--reps", "1", "--out", str(out), tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    for lib in set(ANCHOR_LIBS) - set(present):
        assert f"[bench] {lib} is not available" in r.stderr
    if not present:
        pytest.skip("no graph anchor installs here")
    res = json.loads((out / "results.json").read_text())
    for lib in present + ["faisslike"]:
        pts = [p for p in res["points"] if p["lib"] == lib]
        assert pts, (lib, r.stderr[-3000:])
        assert max(p["recallk"] for p in pts) >= 0.9, (lib, [p["recallk"] for p in pts])
        b = [b for b in res["builds"] if b["lib"] == lib][0]
        assert b["size_bytes"] > 2000 * 64 * 4 * 0.5, (lib, b)  # at least half the raw vectors
    for lib in present:
        assert f"faisslike / {lib}" in r.stdout


def test_unknown_library_is_a_one_line_error(tmp_path):
    r = run_bench("--libs", "faisslike", "nosuchlib", "--quick", tmp_path=tmp_path)
    assert r.returncode != 0 and "unknown --libs" in r.stderr and "Traceback" not in r.stderr


def test_anchor_graph_reused_across_our_configurations(tmp_path):
    """Two of our HNSW walks over the same graph parameters: hnswlib builds once, is measured
    beside both, and its build is listed for both (marked reused); a different efConstruction
    builds again."""
    pytest.importorskip("hnswlib")
    out = tmp_path / "o"
    r = run_bench("--dataset", _npy_pair(tmp_path, nb=2000, nq=50, d=32), "--indexes", "HNSW16",
                  "HNSW16_sq8t", "HNSW16_efc80", "--libs", "faisslike", "hnswlib", "--single", "5",
                  "--reps", "1", "--out", str(out), tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("building HNSW16 with") == 2 and "building HNSW16_sq8t with faisslike" in r.stderr
    assert "building HNSW16_sq8t with hnswlib" not in r.stderr
    assert "building HNSW16_efc80 with hnswlib" in r.stderr
    res = json.loads((out / "results.json").read_text())
    hb = [b for b in res["builds"] if b["lib"] == "hnswlib"]
    assert [b["index"] for b in hb] == ["HNSW16", "HNSW16_sq8t", "HNSW16_efc80"]
    assert [bool(b.get("reused")) for b in hb] == [False, True, False]
    assert hb[0]["build_s"] == hb[1]["build_s"]
    for key in ("HNSW16", "HNSW16_sq8t", "HNSW16_efc80"):
        pts = [p for p in res["points"] if p["lib"] == "hnswlib" and p["index"] == key]
        assert pts and max(p["recallk"] for p in pts) >= 0.9, (key, pts)
