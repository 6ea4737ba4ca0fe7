#!/usr/bin/env python3
"""Serialization cost against nesting depth: the same Flat vectors bare and 1-3 wrappers deep.

    python benchs/bench_serialize_depth.py [n] [d]

Each record's checksum covers its own bytes once (format v3), so the cost should not grow
with depth; before v3 every level hashed its children's bytes again. Prints the best of 5
serialize_index and deserialize_index times per layout, and the ratio to the bare index.
"""
import sys
import time

import numpy as np

import faisslike as faiss


def best(f, reps=5):
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = f()
        t.append(time.perf_counter() - t0)
    return min(t), out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    d = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    x = np.random.default_rng(0).standard_normal((n, d)).astype("float32")
    ids = np.arange(n, dtype="int64")

    def shards_of(desc):
        sh = faiss.IndexShards(d, False)
        inner = faiss.index_factory(d, desc)
        sh.add_shard(inner)
        sh.add_with_ids(x, ids)
        return sh

    layouts = [
        ("Flat", 0, lambda: faiss.index_factory(d, "Flat")),
        ("IDMap2,Flat", 1, lambda: faiss.index_factory(d, "IDMap2,Flat")),
        ("IDMap2,L2norm,Flat", 2, lambda: faiss.index_factory(d, "IDMap2,L2norm,Flat")),
        ("Shards(IDMap2,L2norm,Flat)", 3, lambda: shards_of("IDMap2,L2norm,Flat")),
    ]
    print(f"n={n} d={d} ({n * d * 4 / 2**20:.0f} MiB of vectors); best of 5")
    print(f"{'layout':<28} {'depth':>5} {'bytes':>12} {'serialize s':>12} {'ratio':>7} "
          f"{'deserialize s':>14} {'ratio':>7}")
    base = None
    for name, depth, make in layouts:
        index = make()
        if index.ntotal == 0:
            if name.startswith("IDMap"):
                index.add_with_ids(x, ids)
            else:
                index.add(x)
        ts, buf = best(lambda: faiss.serialize_index(index))
        td, _ = best(lambda: faiss.deserialize_index(buf))
        if base is None:
            base = (ts, td)
        print(f"{name:<28} {depth:>5} {buf.size:>12} {ts:>12.3f} {ts / base[0]:>6.2f}x "
              f"{td:>14.3f} {td / base[1]:>6.2f}x")


if __name__ == "__main__":
    main()
