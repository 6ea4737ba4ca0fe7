"""python -m faisslike build / search / bench: the common jobs on .npy / .fvecs / .bvecs files
(and .ivecs / .npy ground truth), with progress and a recall / QPS summary."""
import argparse
import os
import sys
import time

import numpy as np


def load_vectors(path, what):
    """float32 (n, d) rows of a .npy (memory-mapped), .fvecs or .bvecs file."""
    from .contrib import vecs_io
    if not os.path.exists(path):
        raise SystemExit(f"{what}: no such file: {path}")
    if path.endswith(".npy"):
        a = np.load(path, mmap_mode="r")
    elif path.endswith(".fvecs"):
        a = vecs_io.fvecs_mmap(path)
    elif path.endswith(".bvecs"):
        a = vecs_io.bvecs_mmap(path)
    else:
        raise SystemExit(f"{what}: {path}: expected a .npy, .fvecs or .bvecs file")
    if a.ndim != 2:
        raise SystemExit(f"{what}: {path}: expected a 2-D array, got shape {a.shape}")
    return a


def load_ids(path):
    from .contrib import vecs_io
    if path.endswith(".ivecs"):
        return vecs_io.ivecs_read(path)
    if path.endswith(".npy"):
        return np.load(path)
    raise SystemExit(f"--gt: {path}: expected a .ivecs or .npy file")


def _f32(a):
    return np.ascontiguousarray(a, dtype="float32")


def _metric(name):
    from . import METRIC_INNER_PRODUCT, METRIC_L2
    return {"l2": METRIC_L2, "ip": METRIC_INNER_PRODUCT}[name]


def recall_at(I, gt, k):
    """k-recall@k: the fraction of the true k nearest found among the k returned."""
    gt = gt[:, :k]
    return float(np.mean([len(np.intersect1d(a[:k], b)) / k for a, b in zip(I, gt)]))


def exact_gt(xb, xq, k, metric):
    from . import IndexFlat
    flat = IndexFlat(xb.shape[1], metric)
    for i in range(0, xb.shape[0], 1 << 18):
        flat.add(_f32(xb[i:i + (1 << 18)]))
    return flat.search(_f32(xq), k)[1]


def _train_and_add(index, xb, a):
    """Train on a seeded sample of train_size rows (when needed), add in chunks; returns the
    (train, total) seconds."""
    index.verbose = not a.quiet
    t0 = time.perf_counter()
    if not index.is_trained:
        n = min(a.train_size, xb.shape[0])
        rows = np.sort(np.random.default_rng(a.seed).choice(xb.shape[0], n, replace=False))
        index.train(_f32(xb[rows]))
    t_train = time.perf_counter() - t0
    for i in range(0, xb.shape[0], a.chunk):
        index.add(_f32(xb[i:i + a.chunk]))
    return t_train, time.perf_counter() - t0


def _build(a):
    from . import index_factory, write_index
    xb = load_vectors(a.data, "--data")
    d = xb.shape[1]
    index = index_factory(d, a.factory, _metric(a.metric))
    t_train, t_total = _train_and_add(index, xb, a)
    write_index(index, a.out)
    print(f"built {a.factory} on {xb.shape[0]:,} x {d} ({a.metric}): train {t_train:.2f} s, "
          f"total {t_total:.2f} s, {os.path.getsize(a.out):,} bytes -> {a.out}")
    return 0


def _set_params(index, desc):
    if desc:
        from ._autotune import ParameterSpace
        ParameterSpace().set_index_parameters(index, desc)


def _timed_search(index, xq, k):
    t0 = time.perf_counter()
    D, I = index.search(xq, k)
    return D, I, time.perf_counter() - t0


def _search(a):
    from . import IO_FLAG_MMAP, read_index
    index = read_index(a.index, IO_FLAG_MMAP if a.mmap else 0)
    xq = _f32(load_vectors(a.queries, "--queries"))
    _set_params(index, a.params)
    D, I, t = _timed_search(index, xq, a.k)
    line = (f"{xq.shape[0]:,} queries, k={a.k}{', ' + a.params if a.params else ''}: "
            f"{xq.shape[0] / t:,.0f} QPS ({t:.3f} s)")
    if a.gt:
        line += f", {a.k}-recall@{a.k} = {recall_at(I, load_ids(a.gt), a.k):.4f}"
    print(line)
    if a.out:
        np.save(a.out, I)
        print(f"ids -> {a.out}")
    return 0


def _find_harness():
    """benchs/ann_bench.py of a source checkout: FAISSLIKE_SOURCE_DIR, else the current
    directory or one above it."""
    starts = [os.environ["FAISSLIKE_SOURCE_DIR"]] if os.environ.get("FAISSLIKE_SOURCE_DIR") else []
    d = os.path.abspath(os.getcwd())
    while True:
        starts.append(d)
        if os.path.dirname(d) == d:
            break
        d = os.path.dirname(d)
    for s in starts:
        h = os.path.join(s, "benchs", "ann_bench.py")
        if os.path.exists(h):
            return h
    raise SystemExit("bench --libs drives the ANN harness, benchs/ann_bench.py of a source "
                     "checkout: run from inside one or set FAISSLIKE_SOURCE_DIR")


def _bench_harness(a):
    """The harness on these files: faisslike against the anchor libraries, interleaved."""
    import subprocess
    harness = _find_harness()
    for path, what in ((a.data, "--data"), (a.queries, "--queries")):
        if not os.path.exists(path):
            raise SystemExit(f"{what}: no such file: {path}")
    cmd = [sys.executable, harness, "--dataset", f"{a.data},{a.queries}", "--indexes",
           a.factory, "--libs", *a.libs, "--k", str(a.k), "--metric", a.metric]
    if a.sweep:
        cmd += ["--sweep", a.sweep.partition("=")[2]]
    if a.out:
        cmd += ["--out", a.out]
    print("running:", " ".join(cmd), flush=True)
    return subprocess.run(cmd).returncode


def _bench(a):
    if a.libs:
        return _bench_harness(a)
    from . import index_factory
    xb = load_vectors(a.data, "--data")
    xq = _f32(load_vectors(a.queries, "--queries"))
    metric = _metric(a.metric)
    if a.gt:
        gt = load_ids(a.gt)
    else:
        t = time.perf_counter()
        gt = exact_gt(xb, xq, a.k, metric)
        print(f"exact ground truth: {time.perf_counter() - t:.2f} s")
    index = index_factory(xb.shape[1], a.factory, metric)
    print(f"{a.factory}: build {_train_and_add(index, xb, a)[1]:.2f} s")
    index.verbose = False
    settings = [""]
    if a.sweep:
        name, _, values = a.sweep.partition("=")
        settings = [f"{name}={v}" for v in values.split(",") if v]
    print(f"{'setting':<22} {'recall':>8} {'QPS':>12}")
    for s in settings:
        _set_params(index, s)
        _timed_search(index, xq[: min(100, len(xq))], a.k)  # warm-up
        best = None
        for _ in range(a.repeats):
            _, I, t = _timed_search(index, xq, a.k)
            best = t if best is None else min(best, t)
        print(f"{s or '(defaults)':<22} {recall_at(I, gt, a.k):>8.4f} {len(xq) / best:>12,.0f}")
    return 0


def main(command, argv):
    ap = argparse.ArgumentParser(prog=f"python -m faisslike {command}")
    if command in ("build", "bench"):
        ap.add_argument("--data", required=True, help="database vectors (.npy, .fvecs, .bvecs)")
        ap.add_argument("--factory", required=True, help='index_factory string, e.g. "IVF1024,Flat"')
        ap.add_argument("--metric", choices=["l2", "ip"], default="l2")
        ap.add_argument("--train-size", type=int, default=200_000)
        ap.add_argument("--chunk", type=int, default=1 << 18, help="rows added per call")
        ap.add_argument("--seed", type=int, default=1234)
        ap.add_argument("--quiet", action="store_true", help="no progress reports")
    if command == "build":
        ap.add_argument("--out", required=True, help="index file to write")
    if command in ("search", "bench"):
        ap.add_argument("--queries", required=True)
        ap.add_argument("-k", type=int, default=10)
        ap.add_argument("--gt", help="ground-truth ids (.ivecs or .npy); bench computes them "
                                     "exactly when not given")
    if command == "search":
        ap.add_argument("--index", required=True)
        ap.add_argument("--params", default="", help='e.g. "nprobe=16" or "efSearch=64"')
        ap.add_argument("--mmap", action="store_true", help="map the index file, do not load it")
        ap.add_argument("--out", help="write the ids found (.npy)")
    if command == "bench":
        ap.add_argument("--sweep", default="", help='e.g. "nprobe=1,4,16,64"')
        ap.add_argument("--repeats", type=int, default=3)
        ap.add_argument("--out", help="with --libs: the harness's output directory")
        ap.add_argument("--libs", nargs="+", help="drive the ANN harness of a source checkout "
                        "(benchs/ann_bench.py) with these libraries, e.g. faisslike faiss hnswlib")
    a = ap.parse_args(argv)
    try:
        return {"build": _build, "search": _search, "bench": _bench}[command](a)
    except (ValueError, RuntimeError, OSError) as e:
        print(f"python -m faisslike {command}: {e}", file=sys.stderr)
        return 1
