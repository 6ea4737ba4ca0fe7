#!/usr/bin/env python3
"""Live-index harness mode: search throughput while a writer adds at a fixed rate, against the
same searches on the same index read-only, and the writer's own throughput.

  python benchs/live_bench.py --dataset syn-1m --indexes Flat "IVF1024,Flat" HNSW32 --rate 10000
  python benchs/live_bench.py --quick        # seconds: a smoke test

For each configuration the index is built on the first n - W base vectors; W = rate x seconds
x phases more are held back for the writer. Then phases alternate (read-only, live, read-only,
live, ...), each --seconds long, so machine noise hits both alike:
  read-only  --threads search threads (1 OpenMP thread each) run batches of --batch queries
  live       the same, while one more thread adds the held-back vectors in chunks of
             --chunk, paced to --rate vectors/s (it falls behind when it cannot keep up:
             the rate it reached is reported)
Reported per configuration: read-only and live search QPS (median over phases) and their
ratio; recall@k of the read-only phases and of the live phases, where a live result counts
when it is among the exact top-k of the set committed when its batch started or when it
ended (exact ground truth: float64 numpy, independent of the library); the writer's rate;
and the unpaced write throughput beside the searches (the writer adding as fast as it can).

The machine has 2 cores: with 2 search threads the writer takes CPU time from them, so the
live/read-only ratio includes the writer's own work (an HNSW insert costs about as much as a
few searches); --threads 1 leaves it a core.
"""
import argparse
import pathlib
import statistics
import sys
import threading
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import datasets  # noqa: E402


def build(faisslike, key, d, xt, x0):
    index = faisslike.index_factory(d, key)
    if not index.is_trained:
        index.train(xt)
    index.add(x0)
    return index


def set_search_param(index, key, value):
    if key.startswith("IVF"):
        index.nprobe = value
    elif key.startswith("HNSW"):
        index.hnsw.efSearch = value


class Truth:
    """Exact top-k of each query over base[:n0] plus the first c written vectors, for any c:
    the top-k over base[:n0] with distances, plus the written vectors closer than its k-th."""

    def __init__(self, x0, w, xq, k):
        self.k, self.n0 = k, x0.shape[0]
        q = xq.astype(np.float64)
        qn = (q ** 2).sum(1)[:, None]
        self.ids = np.empty((len(xq), k), np.int64)
        self.dist = np.empty((len(xq), k))
        step = max(1, int(5e7 // x0.shape[0]))
        x064 = x0.astype(np.float64)
        xn = (x064 ** 2).sum(1)
        for i0 in range(0, len(xq), step):
            s = qn[i0:i0 + step] - 2 * q[i0:i0 + step] @ x064.T + xn
            part = np.argpartition(s, k - 1, axis=1)[:, :k]
            ds = np.take_along_axis(s, part, 1)
            o = np.argsort(ds, 1)
            self.ids[i0:i0 + step] = np.take_along_axis(part, o, 1)
            self.dist[i0:i0 + step] = np.take_along_axis(ds, o, 1)
        w64 = w.astype(np.float64)
        sw = qn - 2 * q @ w64.T + (w64 ** 2).sum(1)
        # Per query: written vectors that can enter its top-k (sorted by distance).
        self.extra = []
        for i in range(len(xq)):
            j = np.nonzero(sw[i] < self.dist[i, -1])[0]
            j = j[np.argsort(sw[i, j])]
            self.extra.append((j, sw[i, j]))

    def topk(self, i, c):
        j, dj = self.extra[i]
        sel = j < c
        if not sel.any():
            return set(self.ids[i].tolist())
        ids = np.concatenate([self.ids[i], self.n0 + j[sel]])
        ds = np.concatenate([self.dist[i], dj[sel]])
        return set(ids[np.argsort(ds, kind="stable")[:self.k]].tolist())


def run_phase(index, xq, batch, threads, seconds, writer, write):
    """Search threads run for `seconds`, the writer adding beside them when `write`; returns
    (queries/s, [(rows, I, c0, c1)]) with the written vectors committed around each batch."""
    import faisslike
    stop = threading.Event()
    counts = [0] * threads
    samples = [[] for _ in range(threads)]
    committed = writer.committed

    def searcher(t):
        faisslike.omp_set_num_threads(1)
        rng = np.random.default_rng(t)
        while not stop.is_set():
            rows = rng.integers(0, len(xq), batch)
            c0 = committed[0]
            _, I = index.search(xq[rows], K)
            c1 = committed[0]
            counts[t] += batch
            if len(samples[t]) < 200:
                samples[t].append((rows, I, c0, c1))

    ts = [threading.Thread(target=searcher, args=(t,)) for t in range(threads)]
    if write:
        writer.start()
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    stop.wait(seconds)
    stop.set()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - t0
    if write:
        writer.stop()
    return sum(counts) / elapsed, [s for per in samples for s in per]


class Writer:
    """Adds w[pos:] in chunks, paced to `rate` vectors/s (None: as fast as it can)."""

    def __init__(self, index, w, chunk, rate):
        self.index, self.w, self.chunk, self.rate = index, w, chunk, rate
        self.pos = 0  # vectors of w added so far (over all phases)
        self.committed = [0]  # written vectors whose add returned (read by the searchers)
        self.added = 0
        self.elapsed = 0.0

    def start(self):
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run)
        self._t.start()

    def stop(self):
        self._stop.set()
        self._t.join()

    def _run(self):
        import faisslike
        faisslike.omp_set_num_threads(1)
        t0 = time.perf_counter()
        start_pos = self.pos
        while not self._stop.is_set() and self.pos < len(self.w):
            hi = min(len(self.w), self.pos + self.chunk)
            self.index.add(self.w[self.pos:hi])
            self.pos = hi
            self.committed[0] = hi
            if self.rate:
                due = t0 + (self.pos - start_pos) / self.rate
                delay = due - time.perf_counter()
                if delay > 0:
                    self._stop.wait(delay)  # pacing, not synchronization
        self.added += self.pos - start_pos
        self.elapsed += time.perf_counter() - t0


def recall(samples, truth):
    hits = total = 0
    for rows, I, c0, c1 in samples:
        for r, res in zip(rows, I):
            want = truth.topk(r, c0)
            if c1 != c0:  # a result may be in the set committed before or after the batch
                want = want | truth.topk(r, c1)
            hits += len(set(res.tolist()) & want)
            total += truth.k
    return hits / max(total, 1)


K = 10


def main(argv=None):
    global K
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="syn-1m")
    p.add_argument("--indexes", nargs="+", default=["Flat", "IVF1024,Flat", "HNSW32"])
    p.add_argument("--params", nargs="+", default=[],
                   help="search parameter per index (nprobe / efSearch), e.g. IVF1024,Flat=16 HNSW32=64")
    p.add_argument("--rate", type=float, nargs="+", default=[10000],
                   help="writer vectors/s (default 10000); several: one row each, same build")
    p.add_argument("--chunk", type=int, default=100, help="vectors per add call")
    p.add_argument("--seconds", type=float, default=10, help="length of each phase")
    p.add_argument("--phases", type=int, default=2, help="read-only + live pairs")
    p.add_argument("--threads", type=int, default=2, help="search threads")
    p.add_argument("--batch", type=int, default=20, help="queries per search call")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.dataset, args.seconds, args.phases, args.rate = "syn-20k", 1.0, 1, [2000]
        args.indexes = ["Flat", "IVF64,Flat", "HNSW16"]
    K = args.k
    import faisslike
    params = {"IVF": 16, "HNSW": 64}  # nprobe, efSearch unless --params says otherwise
    explicit = dict(s.rsplit("=", 1) for s in args.params)
    ds = datasets.load(args.dataset)
    xb, xq = ds.xb, ds.xq[:1000]
    held = int(sum(args.rate) * args.seconds * args.phases * 1.2) + args.chunk
    if held >= len(xb) // 2:
        raise SystemExit(f"live_bench: {held} held-back vectors is too many for {len(xb)}")
    n0 = len(xb) - held
    x0, w = xb[:n0], xb[n0:]
    print(f"[live] {ds.name}: {n0} built, {held} held back for the writer; {len(xq)} queries, "
          f"k={K}, {args.threads} search threads x batches of {args.batch}, writer "
          f"{'/'.join(f'{r:g}' for r in args.rate)}/s in chunks of {args.chunk}, {args.phases} x {args.seconds:g}s phases",
          file=sys.stderr)
    t = time.perf_counter()
    truth = Truth(x0, w, xq, K)
    print(f"[live] exact ground truth: {time.perf_counter() - t:.1f}s", file=sys.stderr)
    rows = []
    for key in args.indexes:
        t = time.perf_counter()
        index = build(faisslike, key, ds.d, ds.learn(), x0)
        build_s = time.perf_counter() - t
        value = 0
        if key.startswith("IVF"):
            value = int(explicit.get(key, params["IVF"]))
        elif key.startswith("HNSW"):
            value = int(explicit.get(key, params["HNSW"]))
        set_search_param(index, key, value)
        writer = Writer(index, w, args.chunk, None)
        for rate in args.rate:
            writer.rate, writer.added, writer.elapsed = rate, 0, 0.0
            ro, lv, ro_s, lv_s = [], [], [], []
            for _ in range(args.phases):
                q, s = run_phase(index, xq, args.batch, args.threads, args.seconds, writer, False)
                ro.append(q)
                ro_s += s
                q, s = run_phase(index, xq, args.batch, args.threads, args.seconds, writer, True)
                lv.append(q)
                lv_s += s
            row = dict(index=key, param=value, build_s=build_s, rate=rate,
                       ro_qps=statistics.median(ro), live_qps=statistics.median(lv),
                       ro_recall=recall(ro_s, truth), live_recall=recall(lv_s, truth),
                       write_rate=writer.added / max(writer.elapsed, 1e-9), unpaced_rate=None)
            row["ratio"] = row["live_qps"] / row["ro_qps"]
            rows.append(row)
            print(f"[live] {key} at {rate:g}/s: read-only {row['ro_qps']:.0f} QPS, live "
                  f"{row['live_qps']:.0f} QPS ({row['ratio']:.2f}), writer {row['write_rate']:.0f}/s",
                  file=sys.stderr, flush=True)
        # Unpaced: the writer as fast as it can beside the searches.
        fast = Writer(index, w[writer.pos:], args.chunk, None)
        run_phase(index, xq, args.batch, args.threads, min(args.seconds, 5), fast, True)
        rows[-1]["unpaced_rate"] = fast.added / max(fast.elapsed, 1e-9)
        assert index.ntotal == n0 + writer.pos + fast.pos, "vectors lost"
        del index
    hdr = (f"{'index':<16}{'param':>6}{'rate':>7}{'RO QPS':>9}{'live QPS':>10}{'live/RO':>9}"
           f"{'RO R@' + str(K):>9}{'live R@' + str(K):>11}{'writes/s':>10}{'unpaced/s':>11}")
    print(hdr)
    for r in rows:
        unpaced = f"{r['unpaced_rate']:>11.0f}" if r["unpaced_rate"] is not None else f"{'':>11}"
        print(f"{r['index']:<16}{r['param']:>6}{r['rate']:>7.0f}{r['ro_qps']:>9.0f}"
              f"{r['live_qps']:>10.0f}{r['ratio']:>9.2f}{r['ro_recall']:>9.3f}"
              f"{r['live_recall']:>11.3f}{r['write_rate']:>10.0f}{unpaced}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
