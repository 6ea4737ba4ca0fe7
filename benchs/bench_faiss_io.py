"""Loading FAISS-format files: faisslike.read_index against faiss.read_index on the same
file (issue 17's performance point), interleaved, best of `--reps`; and faisslike's
memory-mapped load (IO_FLAG_MMAP: in place for Flat, whose cost must not grow with n), with
its search results checked against the copied load. The indexes are built
with faisslike and written in FAISS's format (FAISS's own HNSW build of 1M vectors takes far
longer here); FAISS's reader is checked to load them first.

    OPENBLAS_CORETYPE=SkylakeX python3 benchs/bench_faiss_io.py [--n 1000000] [--reps 3]
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "build", "python"))
import faisslike as fl  # noqa: E402

try:
    import faiss
except ImportError:
    sys.exit("faiss-cpu is not installed: nothing to compare against")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--keys", default="Flat,IVF1024,PQ16,HNSW32")
    args = ap.parse_args()
    rs = np.random.RandomState(0)
    xb = rs.rand(args.n, args.d).astype("float32")
    xq = rs.rand(100, args.d).astype("float32")
    tmp = tempfile.mkdtemp()
    keys = ["Flat", "IVF1024,PQ16", "HNSW32"] if args.keys == "Flat,IVF1024,PQ16,HNSW32" else args.keys.split(";")
    print(f"n={args.n} d={args.d}, best of {args.reps} interleaved loads from the page cache")
    print(f"{'index':14s} {'file MB':>8s} {'faiss s':>8s} {'faisslike s':>12s} {'ratio':>6s}"
          f" {'faisslike mmap s':>17s}")
    for key in keys:
        t0 = time.time()
        idx = fl.index_factory(args.d, key)
        idx.train(xb[:100_000])
        idx.add(xb)
        build = time.time() - t0
        fn = os.path.join(tmp, key.replace(",", "_") + ".faissindex")
        fl.write_index(idx, fn, format="faiss")
        size = os.path.getsize(fn) / 2**20
        tf, tl, tm = [], [], []
        for _ in range(args.reps):
            t = time.perf_counter()
            a = faiss.read_index(fn)
            tf.append(time.perf_counter() - t)
            t = time.perf_counter()
            b = fl.read_index(fn)
            tl.append(time.perf_counter() - t)
            t = time.perf_counter()
            m = fl.read_index(fn, fl.IO_FLAG_MMAP)
            tm.append(time.perf_counter() - t)
            assert a.ntotal == b.ntotal == m.ntotal == args.n
            assert (b.search(xq, 10)[1] == m.search(xq, 10)[1]).all()
            del a, b, m
        print(f"{key:14s} {size:8.0f} {min(tf):8.3f} {min(tl):12.3f} {min(tf) / min(tl):6.2f}x"
              f" {min(tm):17.5f}   (built in {build:.0f} s)")
        os.unlink(fn)


if __name__ == "__main__":
    main()
