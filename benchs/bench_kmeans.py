#!/usr/bin/env python3
"""k-means training time and objective: faisslike.Kmeans vs faiss.Kmeans, same data/params.

  PYTHONPATH=build/python python benchs/bench_kmeans.py --dataset syn-1m --k 1024 --niter 10 25
"""
import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import datasets  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="syn-1m")
    p.add_argument("--n", type=int, default=100000, help="training points (from the learn set)")
    p.add_argument("--k", type=int, default=1024)
    p.add_argument("--niter", type=int, nargs="+", default=[10, 25])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=2)
    a = p.parse_args()
    import faisslike
    try:
        import faiss
    except ImportError:
        faiss = None
    ds = datasets.load(a.dataset)
    x = np.ascontiguousarray(ds.learn()[: a.n])
    libs = [("faisslike", faisslike)] + ([("faiss", faiss)] if faiss else [])
    for _, mod in libs:
        mod.omp_set_num_threads(a.threads)
    print(f"k-means on {a.dataset}: n={len(x)} d={x.shape[1]} k={a.k} threads={a.threads}")
    print(f"{'niter':>6} {'library':<10} {'seconds':>8} {'final objective':>16}")
    for niter in a.niter:
        times = {}
        for rep in range(a.reps):
            for name, mod in libs:  # interleaved
                km = mod.Kmeans(x.shape[1], a.k, niter=niter, seed=1234)
                t0 = time.perf_counter()
                km.train(x)
                dt = time.perf_counter() - t0
                times.setdefault(name, []).append((dt, float(km.obj[-1])))
        for name, _ in libs:
            best = min(times[name])
            print(f"{niter:>6} {name:<10} {best[0]:>8.2f} {best[1]:>16.6g}")
        if "faiss" in times:
            print(f"{'':>6} time ratio faisslike/faiss = {min(times['faisslike'])[0] / min(times['faiss'])[0]:.2f}")


if __name__ == "__main__":
    main()
