#!/usr/bin/env python3
"""faisslike.distributed on one machine: what Ray costs and what it buys.

  PYTHONPATH=build/python python benchs/distributed_bench.py --dataset syn-1m \\
      --factory IVF4096,Flat --nprobe 16
  PYTHONPATH=build/python python benchs/distributed_bench.py --quick   # seconds: a smoke run

1. Build: build_sharded into 2 shards on a local Ray of 1 CPU (the tasks run one after the
   other) and of 2 CPUs (side by side), against one process adding everything with 2 OpenMP
   threads; the same trained index (training is on the driver, reported apart).
2. Search on the 2-CPU build's shards, interleaved over --rounds: in-process IndexShards
   (2 OpenMP threads) against ShardedIndex (one actor per shard, 1 CPU each), range layout
   and list layout (recut_by_list; routed = shards asked per query). Batch QPS over all
   queries, and single-query latency (one query per call); the fan-out overhead per call is
   the single-query latency difference. Recall@10 of each, against the dataset's ground
   truth, shows they answer alike.
"""
import argparse
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import datasets  # noqa: E402


def recall(I, gt, k=10):
    return float(np.mean([len(set(a[:k]) & set(b[:k])) / k for a, b in zip(I, gt)]))


def start_ray(ray, cpus):
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False,
             configure_logging=False)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dataset", default="syn-1m")
    p.add_argument("--factory", default="IVF4096,Flat")
    p.add_argument("--nprobe", type=int, default=16)
    p.add_argument("--shards", type=int, default=2)
    p.add_argument("--train-size", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--single", type=int, default=300, help="queries timed one by one")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    if a.quick:
        a.dataset, a.factory, a.train_size, a.rounds, a.single = "syn-20k", "IVF64,Flat", 5000, 1, 50
    import ray

    import faisslike
    from faisslike import distributed

    ds = datasets.load(a.dataset)
    work = pathlib.Path(tempfile.mkdtemp(prefix="fl-dist-"))
    try:
        base = work / "base.npy"
        np.save(base, ds.xb)
        n, d = ds.xb.shape
        print(f"# {a.dataset}: n={n} d={d} nq={len(ds.xq)}, {a.factory}, {a.shards} shards, "
              f"nprobe {a.nprobe}; faisslike {faisslike.__version__}")

        # 1. build throughput
        print("\n## build (add phase; training on the driver reported apart)")
        print("| workers | train s | add s | add rows/s |")
        print("|---|---|---|---|")
        builds = {}
        for cpus in (1, 2):
            start_ray(ray, cpus)
            out = work / f"b{cpus}"
            m = distributed.build_sharded(str(base), a.factory, a.shards, str(out),
                                          train_size=a.train_size)
            sec = m["seconds"]
            builds[cpus] = m
            print(f"| Ray, {cpus} CPU{'s' if cpus > 1 else ''} | {sec['train']:.1f} | "
                  f"{sec['add']:.2f} | {n / sec['add']:,.0f} |")
        faisslike.omp_set_num_threads(2)
        one = faisslike.read_index(builds[2]["trained"])
        t = time.perf_counter()
        one.add(ds.xb)
        dt = time.perf_counter() - t
        print(f"| one process, 2 OpenMP threads | (same) | {dt:.2f} | {n / dt:,.0f} |")
        del one

        # 2. search
        m = builds[2]
        start_ray(ray, 2)
        lm = distributed.recut_by_list(str(work / "b2"), a.shards, str(work / "l"))
        ref = faisslike.IndexShards(d, successive_ids=m["ids"] == "local")
        kept = [faisslike.read_index(s["path"]) for s in m["shards"]]
        for s in kept:
            ref.add_shard(s)
        ivf = isinstance(kept[0], faisslike.IndexIVF)
        ps = faisslike.SearchParametersIVF(nprobe=a.nprobe) if ivf else None
        rng = np.random.default_rng(0)
        single = rng.choice(len(ds.xq), size=min(a.single, len(ds.xq)), replace=False)
        systems = {"IndexShards (in process)": ref}
        rng_si = distributed.ShardedIndex.open(str(work / "b2"), cpus_per_actor=1)
        systems["ShardedIndex, range layout"] = rng_si
        if ivf:
            systems["ShardedIndex, list layout"] = None  # opened after the range one closes
        res = {name: {"batch": [], "single": [], "recall": None} for name in systems}

        def run(name, index):
            kw = {"params": ps}
            t = time.perf_counter()
            _, I = index.search(ds.xq, 10, **kw)
            res[name]["batch"].append(len(ds.xq) / (time.perf_counter() - t))
            res[name]["recall"] = recall(I, ds.gt)
            lat = []
            for q in single:
                t = time.perf_counter()
                index.search(ds.xq[q:q + 1], 10, **kw)
                lat.append(time.perf_counter() - t)
            res[name]["single"].append(statistics.median(lat))

        for _ in range(a.rounds):  # interleaved: noise hits all alike
            run("IndexShards (in process)", ref)
            run("ShardedIndex, range layout", rng_si)
        rng_si.close()
        if ivf:
            lst = distributed.ShardedIndex.open(str(work / "l"), cpus_per_actor=1)
            for _ in range(a.rounds):
                run("IndexShards (in process)", ref)
                run("ShardedIndex, list layout", lst)
            per_query = lst.routed.sum() / (a.rounds * (len(ds.xq) + len(single)))
            lst.close()
        print(f"\n## search, k=10 (median of {a.rounds} interleaved rounds; single query: "
              f"median latency of {len(single)} calls)")
        print("| system | batch QPS | single-query ms | overhead per call ms | 10-R@10 |")
        print("|---|---|---|---|---|")
        base_lat = statistics.median(res["IndexShards (in process)"]["single"])
        for name, r in res.items():
            if not r["batch"]:
                continue
            lat = statistics.median(r["single"])
            extra = f"{(lat - base_lat) * 1e3:.2f}" if "Sharded" in name else "-"
            note = f" (shards asked per query: {per_query:.2f})" if "list" in name else ""
            print(f"| {name}{note} | {statistics.median(r['batch']):,.0f} | {lat * 1e3:.2f} | "
                  f"{extra} | {r['recall']:.4f} |")
        print(f"\nlist shards: {[s['ntotal'] for s in lm['shards']]} vectors")
    finally:
        if ray.is_initialized():
            ray.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
