"""The IVF coarse step on its own: many queries against a few thousand centroids (exact k-NN).

  PYTHONPATH=build/python python benchs/bench_coarse.py [--nq 10000] [--ny 4096] [--d 128 768]

Runs faisslike with its bf16 pre-filter (AVX512-BF16 CPUs), faisslike with it turned off
(FAISSLIKE_NO_BF16=1, a child process: the kernel table is chosen at start) and FAISS when it
imports, interleaved, and prints the best of --reps times per (d, k) and each side's mismatches
against float64 brute force (ids whose true distance is not the true k-th best or better).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def run_one(lib, d, nq, ny, ks, reps):
    import importlib
    mod = importlib.import_module(lib)
    mod.omp_set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    rs = np.random.RandomState(d)
    # Clustered like IVF centroids and their queries: 64 blobs.
    centres = rs.randn(64, d).astype("float32") * 2
    xb = (centres[rs.randint(0, 64, ny)] + rs.randn(ny, d)).astype("float32")
    xq = (centres[rs.randint(0, 64, nq)] + rs.randn(nq, d)).astype("float32")
    index = mod.IndexFlatL2(d)
    index.add(xb)
    times, results = {}, {}
    for k in ks:
        best = float("inf")
        for _ in range(reps):
            t = time.perf_counter()
            _, I = index.search(xq, k)
            best = min(best, time.perf_counter() - t)
        times[k], results[k] = best, I
    # The float64 check after the timings: numpy's BLAS threads spin for a while after a
    # product and would steal the cores from the timed searches.
    out = {}
    xb64, xq64 = xb.astype(np.float64), xq.astype(np.float64)
    ref = (xq64 ** 2).sum(1)[:, None] + (xb64 ** 2).sum(1)[None, :] - 2 * xq64 @ xb64.T
    ref_sorted = np.sort(ref, axis=1)
    for k in ks:
        best, I = times[k], results[k]
        got = np.take_along_axis(ref, I, axis=1)
        kth = ref_sorted[:, k - 1:k]
        bad = int((got > kth + 1e-5 * np.maximum(1, np.abs(kth))).any(1).sum())
        out[k] = (best, bad)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nq", type=int, default=10000)
    ap.add_argument("--ny", type=int, default=4096)
    ap.add_argument("--d", type=int, nargs="+", default=[128, 768])
    ap.add_argument("--k", type=int, nargs="+", default=[1, 10, 32])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        lib, d = a.child.split(":")
        res = run_one(lib, int(d), a.nq, a.ny, a.k, a.reps)
        print(json.dumps({str(k): v for k, v in res.items()}))
        return
    sides = [("faisslike", {}), ("faisslike", {"FAISSLIKE_NO_BF16": "1"})]
    try:
        import faiss  # noqa: F401
        sides.append(("faiss", {}))
    except ImportError:
        print("faiss-cpu not installed: faisslike only")
    print(f"nq={a.nq} ny={a.ny} threads={os.environ.get('OMP_NUM_THREADS', '2')}, "
          f"best of {a.reps}, ms (mismatches vs float64)")
    for d in a.d:
        rows = {}
        for lib, env in sides:
            name = lib + (" no-bf16" if env else "")
            r = subprocess.run([sys.executable, __file__, "--child", f"{lib}:{d}", "--nq", str(a.nq),
                                "--ny", str(a.ny), "--reps", str(a.reps), "--k", *map(str, a.k)],
                               env={**os.environ, **env}, capture_output=True, text=True, check=True)
            rows[name] = json.loads(r.stdout.strip().splitlines()[-1])
        for k in a.k:
            cells = [f"{n} {rows[n][str(k)][0] * 1e3:.1f} ({rows[n][str(k)][1]})" for n in rows]
            print(f"d={d} k={k}: " + " | ".join(cells))


if __name__ == "__main__":
    main()
