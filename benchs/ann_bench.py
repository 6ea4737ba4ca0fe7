#!/usr/bin/env python3
"""Recall vs QPS, faisslike side by side with FAISS and hnswlib on the same data.

  python benchs/ann_bench.py --dataset syn-100k --indexes Flat "IVF1024,Flat" HNSW32
  python benchs/ann_bench.py --quick          # seconds: smoke test

Every index configuration is built by each library that has it (faisslike, and faiss /
hnswlib when installed) on the very same arrays with the same thread count. Search-time
parameters (nprobe, efSearch) are swept, and libraries are measured interleaved at each
sweep point so that machine noise hits them alike. Writes results.json and recall_qps.png
to --out and prints a table with faisslike's QPS ratio to each other library at matched
recall (interpolated between the other library's sweep points).

Graph anchors (--libs ... usearch svs symqg ngt scann; each optional, skipped with a note when
it does not import) take the HNSW<M>_efc<E> configurations, built with their authors'
recommended settings scaled to M and E (benchs/anchors.py lists them), with the efSearch sweep
mapped onto their own search knob. Another library's graph is built once for all the HNSW
configurations with the same M and E (e.g. HNSW32_efc200_sq8t beside "HNSW32,QG") and measured
again beside each of ours; its build is listed for each (marked reused).

Index configurations (FAISS factory style):
  Flat                 exact search
  IVF<nlist>,Flat      inverted file, swept over nprobe
  SQ8, SQfp16          scalar quantizer (1 or 2 bytes per component), exhaustive
  IVF<nlist>,SQ8 / IVF<nlist>,SQfp16
                       inverted file over scalar-quantized residuals, swept over nprobe
  PQ<M>x4fs, IVF<n>,PQ<M>x4fs[r][,RFlat]
                       4-bit PQ fast-scan (",RFlat": exact re-ranking of 4 x k candidates)
  RaBitQ[<b>], IVF<n>,RaBitQ[fs][<b>][,RFlat]
                       RaBitQ codes of b bits per component (default 1), query bits 4
                       ("fs": the 1-bit stage on the fast-scan kernel, 8-bit tables)
  HNSW<M>[_efc<E>][_l0M][_sq8t][_qg<m>]
                       HNSW graph, efConstruction E (default 40, FAISS's), swept over efSearch;
                       _l0M builds ours with hnswlib's rules (M links per new node at level 0,
                       lists pruned to capacity) instead of FAISS's (2M, 20% prune headroom);
                       _sq8t walks level 0 on 8-bit codes (ours only; exact re-ranking)
                       _qg<m> walks level 0 as a quantized graph: neighbours' m-sub-quantizer
                       4-bit PQ codes packed beside each node (ours only; others build HNSW)
  HNSW<M>[_efc<E>],QG[<m>]
                       ours: IndexHNSWQG (the quantized graph from the first add; efC default
                       200); the others build HNSW<M> with the same efConstruction

Metrics: --metric l2 (default), ip (inner product) or cosine (vectors L2-normalized, then inner
product). For ip and cosine the ground truth is recomputed in that metric (numpy BLAS, exact).

Data: syn-<n>, uniform-<n>, a TEXMEX directory (*base, *query, *groundtruth), or
base.npy,query.npy / base.fvecs,query.fvecs (ground truth computed).

Modes: batch (default: all queries at once on --threads threads, plus a single-query p50
sample) or --single-thread-latency (ann-benchmarks' rules: 1 thread, one query at a time, QPS =
1 / mean latency, recall over those results). Indexes are built on --build-threads (default:
the search threads), e.g. --single-thread-latency --build-threads 2 builds a 1M graph at full
speed and measures its single-thread latency.

results.json is rewritten after every sweep point; an interrupted run (Ctrl-C, SIGTERM,
--time-limit) keeps what it measured and prints the tables from it.
"""
import argparse
import gc
import importlib
import json
import os
import pathlib
import platform
import re
import signal
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import anchors  # noqa: E402
import datasets  # noqa: E402


class BenchError(Exception):
    """A one-line error for the user: bad option, unsupported configuration."""


def rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


# ------------------------------------------------------------------ configurations

class Config:
    def __init__(self, key):
        self.key = key
        if key == "Flat":
            self.kind, self.param, self.values = "flat", None, [None]
            return
        m = re.fullmatch(r"IVF(\d+),Flat", key)
        if m:
            self.kind, self.nlist, self.param = "ivf", int(m.group(1)), "nprobe"
            self.values = [v for v in (1, 2, 4, 8, 16, 32, 64, 128, 256) if v <= self.nlist]
            return
        m = re.fullmatch(r"PQ(\d+)x4fs(?:_\d+)?", key)
        if m:  # 4-bit fast-scan
            self.kind, self.param, self.values = "pq", None, [None]
            self.M, self.nbits = int(m.group(1)), 4
            return
        m = re.fullmatch(r"IVF(\d+),PQ(\d+)x4fsr?(?:_\d+)?(,RFlat)?", key)
        if m:  # IVF fast-scan; ",RFlat" re-ranks k_factor = 4 x k candidates (both libraries)
            self.kind, self.nlist, self.param = "ivfpq", int(m.group(1)), "nprobe"
            self.M, self.nbits = int(m.group(2)), 4
            self.k_factor = 4.0 if m.group(3) else None
            self.values = [v for v in (1, 2, 4, 8, 16, 32, 64, 128, 256) if v <= self.nlist]
            return
        m = re.fullmatch(r"RaBitQ([1-9]?)", key)
        if m:  # RaBitQ, 1..9 bits, query bits qb = 4 (both libraries' default)
            self.kind, self.param, self.values = "rabitq", None, [None]
            return
        m = re.fullmatch(r"IVF(\d+),RaBitQ(?:fs)?([1-9]?)(,RFlat)?", key)
        if m:  # IVF RaBitQ; ",RFlat" re-ranks k_factor = 4 x k candidates (both libraries)
            self.kind, self.nlist, self.param = "ivfrq", int(m.group(1)), "nprobe"
            self.k_factor = 4.0 if m.group(3) else None
            self.values = [v for v in (1, 2, 4, 8, 16, 32, 64, 128, 256) if v <= self.nlist]
            return
        m = re.fullmatch(r"PQ(\d+)(?:x(\d+))?", key)
        if m:
            self.kind, self.param, self.values = "pq", None, [None]
            self.M, self.nbits = int(m.group(1)), int(m.group(2) or 8)
            return
        m = re.fullmatch(r"IVF(\d+),PQ(\d+)(?:x(\d+))?", key)
        if m:
            self.kind, self.nlist, self.param = "ivfpq", int(m.group(1)), "nprobe"
            self.M, self.nbits = int(m.group(2)), int(m.group(3) or 8)
            self.values = [v for v in (1, 2, 4, 8, 16, 32, 64, 128, 256) if v <= self.nlist]
            return
        if key in ("SQ8", "SQfp16"):
            self.kind, self.param, self.values = "sq", None, [None]
            return
        m = re.fullmatch(r"IVF(\d+),(SQ8|SQfp16)", key)
        if m:
            self.kind, self.nlist, self.param = "ivfsq", int(m.group(1)), "nprobe"
            self.values = [v for v in (1, 2, 4, 8, 16, 32, 64, 128, 256) if v <= self.nlist]
            return
        m = re.fullmatch(r"HNSW(\d+)(?:_efc(\d+))?(_l0M)?(_sq8t)?(?:_qg(\d+)|(,QG)(\d*))?", key)
        if m:
            # HNSW<M>,QG[<m>]: IndexHNSWQG (faisslike; efConstruction 200 unless _efc<E>),
            # the anchors built with the same M and efConstruction.
            self.kind, self.M, self.param = "hnsw", int(m.group(1)), "efSearch"
            self.qg_index = bool(m.group(6))
            self.efc = int(m.group(2) or (200 if self.qg_index else 40))
            self.hnswlib_rules = bool(m.group(3))
            self.sq8_traversal = bool(m.group(4))
            self.qg = int(m.group(5) or 0)
            self.qg_key = "HNSW%d,QG%s" % (self.M, m.group(7)) if self.qg_index else None
            self.values = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024]
            return
        raise BenchError(f"unknown index configuration '{key}' (expected Flat, IVF<n>,Flat, "
                         f"PQ<M>[x<nbits>], IVF<n>,PQ<M>[x<nbits>], PQ<M>x4fs, IVF<n>,PQ<M>x4fs[r][,RFlat], "
                         f"RaBitQ[<b>], IVF<n>,RaBitQ[fs][<b>][,RFlat], "
                         f"SQ8, SQfp16, IVF<n>,SQ8, IVF<n>,SQfp16 "
                         f"or HNSW<M>[_efc<E>][_l0M][_sq8t][_qg<m> | ,QG[<m>]])")


# ------------------------------------------------------------------ adapters

class Adapter:
    lib = ""
    metric = "l2"  # set per run: "l2" or "ip" (cosine data arrives normalized)

    def __init__(self, cfg, d, threads):
        self.cfg, self.d, self.threads = cfg, d, threads

    def set_threads(self, threads):
        """Threads for searching after a build on --build-threads."""
        self.threads = threads

    def set_param(self, value):
        pass


class FaisslikeAdapter(Adapter):
    lib = "faisslike"

    @staticmethod
    def supports(mod, cfg):
        return "index_factory" in dir(mod)

    def faiss_metric(self, mod):
        return mod.METRIC_INNER_PRODUCT if self.metric == "ip" else mod.METRIC_L2

    def set_threads(self, threads):
        super().set_threads(threads)
        self.mod.omp_set_num_threads(threads)

    def __init__(self, mod, cfg, d, threads):
        super().__init__(cfg, d, threads)
        self.mod = mod
        mod.omp_set_num_threads(threads)
        key = "HNSW%d" % cfg.M if cfg.kind == "hnsw" else cfg.key
        if cfg.kind == "hnsw" and cfg.qg_key and self.lib == "faisslike":
            key = cfg.qg_key
        self.index = mod.index_factory(d, key, self.faiss_metric(mod))
        if cfg.kind == "hnsw":
            self.index.hnsw.efConstruction = cfg.efc
            if cfg.hnswlib_rules:
                self.index.hnsw.level0_select_2M = False
                self.index.hnsw.prune_headroom = 0.0
            if cfg.sq8_traversal:
                self.index.sq8_traversal = True

    def build(self, xt, xb):
        if not self.index.is_trained:
            self.index.train(xt)
        self.index.add(xb)
        if getattr(self.cfg, "qg", 0) and self.lib == "faisslike":
            self.index.qg_traversal = self.cfg.qg
        if getattr(self.cfg, "k_factor", None):
            self.index.k_factor = self.cfg.k_factor

    def set_param(self, value):
        self.value = value
        if self.cfg.kind in ("ivf", "ivfpq", "ivfsq", "ivfrq"):
            self.mod.extract_index_ivf(self.index).nprobe = value
        elif self.cfg.kind == "hnsw":
            self.index.hnsw.efSearch = value

    def search(self, xq, k, keep=None):
        if keep is None:
            return self.index.search(xq, k)
        return self.index.search(xq, k, params=self.filter_params(keep))

    def filter_params(self, keep):
        # Built once per kept-id array (the selector copies the ids).
        if getattr(self, "_keep", None) is not keep:
            self._keep, self._sel = keep, self.mod.IDSelectorBatch(keep)
        return self.mod.SearchParameters(sel=self._sel)

    def size_bytes(self):
        n = int(self.mod.serialize_index(self.index).nbytes)
        # The 8-bit traversal codes are re-encoded on load, not stored: count them as memory.
        # (IndexHNSWQG above d = 256 walks on them too.)
        if self.cfg.kind == "hnsw" and self.lib == "faisslike" and self.index.sq8_traversal:
            n += self.index.ntotal * self.index.d
        # The quantized-graph records are rebuilt on load, not stored: count them as memory.
        if self.cfg.kind == "hnsw" and self.lib == "faisslike":
            n += self.index.ntotal * self.index.qg_record_bytes
        # IVF fast-scan keeps packed copies of its lists beside them (derived, not stored).
        if (self.lib == "faisslike" and self.cfg.kind.startswith("ivf")
                and ("x4fs" in self.cfg.key or "RaBitQfs" in self.cfg.key)):
            n += int(self.mod.extract_index_ivf(self.index).packed_bytes())
        return n


class FaissAdapter(FaisslikeAdapter):
    lib = "faiss"

    @staticmethod
    def supports(mod, cfg):
        return True

    def __init__(self, mod, cfg, d, threads):
        Adapter.__init__(self, cfg, d, threads)
        self.mod = mod
        mod.omp_set_num_threads(threads)
        self.index = mod.index_factory(d, "HNSW%d" % cfg.M if cfg.kind == "hnsw" else cfg.key,
                                       self.faiss_metric(mod))
        if cfg.kind == "hnsw":
            self.index.hnsw.efConstruction = cfg.efc

    def set_param(self, value):
        self.value = value
        if self.cfg.kind in ("ivf", "ivfpq", "ivfsq", "ivfrq"):
            self.mod.extract_index_ivf(self.index).nprobe = value
        elif self.cfg.kind == "hnsw":
            self.index.hnsw.efSearch = value

    def filter_params(self, keep):
        if getattr(self, "_keep", None) is not keep:
            self._keep, self._sel = keep, self.mod.IDSelectorBatch(keep)
        # FAISS's per-call parameters replace the index's settings: carry them over.
        if self.cfg.kind == "hnsw":
            return self.mod.SearchParametersHNSW(sel=self._sel, efSearch=self.value)
        if self.cfg.kind in ("ivf", "ivfpq", "ivfsq", "ivfrq"):
            return self.mod.SearchParametersIVF(sel=self._sel, nprobe=self.value)
        return self.mod.SearchParameters(sel=self._sel)


class HnswlibAdapter(Adapter):
    lib = "hnswlib"

    @staticmethod
    def supports(mod, cfg):
        return cfg.kind == "hnsw"

    def __init__(self, mod, cfg, d, threads):
        super().__init__(cfg, d, threads)
        self.index = mod.Index(space="ip" if self.metric == "ip" else "l2", dim=d)

    def build(self, xt, xb):
        self.index.init_index(max_elements=len(xb), M=self.cfg.M, ef_construction=self.cfg.efc,
                              random_seed=100)
        self.index.set_num_threads(self.threads)
        self.index.add_items(xb, np.arange(len(xb)), num_threads=self.threads)

    def set_threads(self, threads):
        super().set_threads(threads)
        self.index.set_num_threads(threads)

    def set_param(self, value):
        self.index.set_ef(value)

    def search(self, xq, k, keep=None):
        labels, dist = self.index.knn_query(xq, k=k, num_threads=self.threads)
        return dist, labels.astype(np.int64)

    def size_bytes(self):
        return anchors.saved_bytes(self.index.save_index, "h.bin")


BUILTIN_LIBS = (("faisslike", FaisslikeAdapter), ("faiss", FaissAdapter), ("hnswlib", HnswlibAdapter))


def load_libraries(wanted):
    known = [name for name, _ in BUILTIN_LIBS] + [a.lib for a in anchors.ANCHORS]
    unknown = set(wanted) - set(known)
    if unknown:
        raise BenchError(f"unknown --libs {sorted(unknown)}: expected " + ", ".join(known))
    libs = []
    for name, adapter in BUILTIN_LIBS:
        if name not in wanted:
            continue
        try:
            mod = __import__(name)
        except ImportError:
            if name == "faisslike":
                raise BenchError("cannot import faisslike: build it (bash scripts/build.sh) and "
                                 "set PYTHONPATH=build/python, or pip install .")
            print(f"[bench] {name} is not installed: skipped (pip install {name if name != 'faiss' else 'faiss-cpu'})",
                  file=sys.stderr)
            continue
        libs.append((name, mod, adapter))
    for adapter in anchors.ANCHORS:
        if adapter.lib not in wanted:
            continue
        try:
            mod = importlib.import_module(adapter.module)
        except Exception as e:  # not installed, or a wheel that does not load here
            print(f"[bench] {adapter.lib} is not available ({type(e).__name__}): skipped "
                  f"(pip install {adapter.pip})", file=sys.stderr)
            continue
        libs.append((adapter.lib, mod, adapter))
    return libs


# ------------------------------------------------------------------ measurements

def recalls(I, gt, k):
    r1 = float(np.mean(I[:, 0] == gt[:, 0]))
    hits = sum(len(np.intersect1d(I[i, :k], gt[i, :k], assume_unique=False)) for i in range(len(I)))
    return r1, hits / (len(I) * k)


def measure_latency(adapter, xq, gt, k, keep=None):
    """ann-benchmarks' mode: one query at a time (the caller runs on 1 thread); QPS is
    1 / mean latency and recall is over these very results."""
    I = np.empty((len(xq), k), dtype=np.int64)
    lat = np.empty(len(xq))
    for i in range(len(xq)):
        q = xq[i:i + 1]
        t0 = time.perf_counter()
        _, Ii = adapter.search(q, k, keep)
        lat[i] = time.perf_counter() - t0
        I[i] = Ii[0]
    r1, rk = recalls(I, gt, k)
    ms = lat * 1e3
    return {"qps": 1.0 / float(lat.mean()), "recall1": r1, "recallk": rk,
            "p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99))}


def measure(adapter, xq, gt, k, reps, single_sample, keep=None):
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        D, I = adapter.search(xq, k, keep)
        best = min(best, time.perf_counter() - t0)
    if keep is not None and len(I[I >= 0]) and not np.isin(I[I >= 0], keep).all():
        raise BenchError(f"{adapter.lib} returned ids outside the filter")
    r1, rk = recalls(I, gt, k)
    lat = []
    for q in xq[:single_sample]:
        q = q[None, :]
        t0 = time.perf_counter()
        adapter.search(q, k, keep)
        lat.append(time.perf_counter() - t0)
    lat = np.array(lat) * 1e3
    return {"qps": len(xq) / best, "recall1": r1, "recallk": rk,
            "p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99))}


def interp_qps(points, recall, field):
    """QPS of a library's curve at a given recall (linear in log QPS); None outside its range."""
    pts = sorted((p["recallk"], p[field]) for p in points)
    # Pareto envelope: best QPS reachable at >= each recall.
    env = []
    for r, q in reversed(pts):
        if not env or q > env[-1][1]:
            env.append((r, q))
    env.reverse()
    if not env:
        return None
    if recall < env[0][0]:
        return env[0][1]  # the other library is already above this recall at its fastest
    if recall > env[-1][0]:
        # Slightly above the other's best recall (single-point configurations like Flat or
        # PQ): its best point is the fair, conservative comparison. Far above: no match.
        return env[-1][1] if recall - env[-1][0] <= 0.01 else None
    for (r0, q0), (r1, q1) in zip(env, env[1:]):
        if r0 <= recall <= r1:
            if r1 == r0:
                return max(q0, q1)
            t = (recall - r0) / (r1 - r0)
            return float(np.exp(np.log(q0) + t * (np.log(q1) - np.log(q0))))
    return env[-1][1] if abs(recall - env[-1][0]) < 1e-9 else None


# ------------------------------------------------------------------ report

def print_table(results, k, out=sys.stdout):
    pts = results["points"]
    others = sorted({p["lib"] for p in pts} - {"faisslike"})
    hdr = (f"{'index':<14}{'lib':<10}{'param':>10}{'R@1':>7}{f'{k}-R@{k}':>8}{'QPS':>10}"
           f"{'p50 ms':>9}{'p99 ms':>9}")
    for o in others:
        hdr += f"{'vs ' + o:>14}{'1q vs ' + o:>14}"
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    for key in dict.fromkeys(p["index"] for p in pts):
        for lib in ("faisslike", *others):
            for p in [q for q in pts if q["index"] == key and q["lib"] == lib]:
                param = "-" if p["value"] is None else f"{p['param']}={p['value']}"
                line = (f"{key:<14}{lib:<10}{param:>10}{p['recall1']:>7.3f}{p['recallk']:>8.3f}"
                        f"{p['qps']:>10.0f}{p['p50_ms']:>9.3f}{p['p99_ms']:>9.3f}")
                if lib == "faisslike":
                    for o in others:
                        ref = [q for q in pts if q["index"] == key and q["lib"] == o]
                        for field in ("qps", "single_qps"):
                            v = interp_qps(ref, p["recallk"], field) if ref else None
                            line += f"{(p[field] / v):>13.2f}x" if v else f"{'n/a':>14}"
                print(line, file=out)
        for b in [b for b in results["builds"] if b["index"] == key]:
            print(f"{'':<14}{b['lib']:<10} build {b['build_s']:.2f}s, {b['size_bytes'] / 1e6:.1f} MB "
                  f"({b['size_bytes'] / results['meta']['nb']:.0f} B/vector), RSS +{b['rss_delta_mb']:.0f} MB",
                  file=out)
    print("ratios: faisslike QPS / other library's QPS at the same recall (batch, and single-query 1/p50)",
          file=out)


RECALL_TARGETS = (0.5, 0.8, 0.9, 0.95, 0.99)


def pair_ratios(results):
    """{(index, a, b, field): {target: QPS_a / QPS_b}} for every ordered pair of libraries,
    at the recall targets both curves reach (interpolated on each Pareto envelope)."""
    pts = results["points"]
    out = {}
    for key in dict.fromkeys(p["index"] for p in pts):
        libs = list(dict.fromkeys(p["lib"] for p in pts if p["index"] == key))
        for i, a in enumerate(libs):  # faisslike first: it is measured first
            for b in libs[i + 1:]:
                pa = [p for p in pts if p["index"] == key and p["lib"] == a]
                pb = [p for p in pts if p["index"] == key and p["lib"] == b]
                for field in ("qps", "single_qps"):
                    row = {}
                    for t in RECALL_TARGETS:
                        # Reached by both: within their recall range (no extrapolation).
                        if max(p["recallk"] for p in pa) < t or max(p["recallk"] for p in pb) < t:
                            continue
                        qa, qb = interp_qps(pa, t, field), interp_qps(pb, t, field)
                        if qa and qb:
                            row[t] = qa / qb
                    out[(key, a, b, field)] = row
    return out


def print_pair_table(results, out=sys.stdout):
    ratios = pair_ratios(results)
    if not ratios:
        return
    hdr = f"{'index':<22}{'A / B':<22}{'mode':<8}" + "".join(f"{f'R={t:g}':>9}" for t in RECALL_TARGETS)
    print("\nQPS ratio A / B at matched recall (only where both reach the recall):", file=out)
    print(hdr, file=out)
    for (key, a, b, field), row in ratios.items():
        mode = "batch" if field == "qps" else "1-query"
        cells = "".join(f"{row[t]:>8.2f}x" if t in row else f"{'-':>9}" for t in RECALL_TARGETS)
        print(f"{key:<22}{a + ' / ' + b:<22}{mode:<8}{cells}", file=out)


def plot(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("[bench] matplotlib not installed: no plot (pip install matplotlib)", file=sys.stderr)
        return False
    meta = results["meta"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    styles = {"faisslike": ("tab:red", "o"), "faiss": ("tab:blue", "s"), "hnswlib": ("tab:green", "^"),
              "usearch": ("tab:purple", "v"), "svs": ("tab:brown", "D"), "symqg": ("tab:orange", "P"),
              "ngt": ("tab:gray", "X"), "scann": ("tab:olive", "*")}
    for ax, field, title in ((axes[0], "qps", "batch QPS"), (axes[1], "single_qps", "single-query QPS (1/p50)")):
        keys = list(dict.fromkeys(p["index"] for p in results["points"]))
        for ki, key in enumerate(keys):
            line_style = ("-", "--", ":", "-.")[ki % 4]  # one style per configuration
            for lib, (color, marker) in styles.items():
                pts = sorted((p for p in results["points"] if p["index"] == key and p["lib"] == lib),
                             key=lambda p: p["recallk"])
                if pts:
                    ax.plot([p["recallk"] for p in pts], [p[field] for p in pts], marker=marker,
                            color=color, linestyle=line_style if len(pts) > 1 else "none",
                            markersize=7, fillstyle="full" if ki == 0 else "none",
                            label=f"{lib} {key}", alpha=0.85)
        ax.set_yscale("log")
        # Honest axes: at least a factor 2 of headroom either way, so a 1.2x gap looks like one.
        vals = [p[field] for p in results["points"]]
        recs = [p["recallk"] for p in results["points"]]
        if vals:
            ax.set_ylim(min(vals) / 2, max(vals) * 2)
            ax.set_xlim(max(0.0, min(recs) - 0.02), 1.005)
        ax.set_xlabel(f"{meta['k']}-recall@{meta['k']}")
        ax.set_ylabel(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.set_title(f"{meta['dataset']} ({meta['nb']} x {meta['d']}), {meta['threads']} threads: {title}",
                     fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True


# ------------------------------------------------------------------ main

def run(args):
    if args.quick:
        args.dataset = args.dataset or "syn-20k"
        args.indexes = args.indexes or ["Flat", "HNSW16"]
        args.single = min(args.single, 50)
        args.reps = 1
    args.dataset = args.dataset or "syn-100k"
    args.indexes = args.indexes or ["Flat"]
    if args.k <= 0:
        raise BenchError(f"--k must be > 0, got {args.k}")
    if args.threads <= 0:
        raise BenchError(f"--threads must be > 0, got {args.threads}")
    configs = [Config(key) for key in args.indexes]
    if args.sweep:
        try:
            values = [int(v) for v in args.sweep.split(",")]
        except ValueError:
            raise BenchError(f"--sweep takes comma-separated integers, got '{args.sweep}'")
        if not values or min(values) <= 0:
            raise BenchError(f"--sweep values must be > 0, got '{args.sweep}'")
        for cfg in configs:
            if cfg.param:
                cfg.values = values
    if args.metric not in ("l2", "ip", "cosine"):
        raise BenchError(f"--metric must be l2, ip or cosine, got '{args.metric}'")
    if args.single_thread_latency:
        args.threads = 1
    if args.build_threads is None:
        args.build_threads = args.threads
    if args.build_threads <= 0:
        raise BenchError(f"--build-threads must be > 0, got {args.build_threads}")
    if args.time_limit is not None and args.time_limit <= 0:
        raise BenchError(f"--time-limit must be > 0, got {args.time_limit}")
    libs = load_libraries(args.libs)
    ds = datasets.load(args.dataset)
    xb, xq, xt = ds.xb, ds.xq, ds.learn()
    if args.metric == "cosine":
        xb, xq, xt = (datasets.normalized(a) for a in (xb, xq, xt))
    if args.metric != "l2" or ds.gt is None:
        # The files' ground truth is by L2: recompute it in the metric of this run.
        gt = datasets.exact_knn(xb, xq, max(args.k, 10), ip=args.metric != "l2")
    else:
        ds.validate(args.k)
        if args.k > ds.gt.shape[1]:
            raise BenchError(f"ground truth has {ds.gt.shape[1]} columns, fewer than k={args.k}")
        gt = ds.gt
    Adapter.metric = anchors.AnchorAdapter.metric = "l2" if args.metric == "l2" else "ip"
    keep = gt_keep = None
    if args.filter_keep is not None:
        if not 0 < args.filter_keep < 1:
            raise BenchError(f"--filter-keep must be in (0, 1), got {args.filter_keep}")
        # A fixed random subset of ids, and the exact top-k among it.
        keep = np.sort(np.random.default_rng(777).choice(
            len(xb), max(args.k, int(args.filter_keep * len(xb))), replace=False)).astype(np.int64)
        gt_keep = keep[datasets.exact_knn(xb[keep], xq, args.k, ip=args.metric != "l2")]
        skipped = [lib[0] for lib in libs if lib[0] not in ("faisslike", "faiss")]
        libs = [lib for lib in libs if lib[0] in ("faisslike", "faiss")]
        if skipped:
            print(f"[bench] filtered search: {len(keep)} of {len(xb)} ids kept; {', '.join(skipped)} "
                  f"skipped (no id filter, or a Python callback per candidate)", file=sys.stderr)
    out = pathlib.Path(args.out or f"benchs/results/{ds.name}")
    out.mkdir(parents=True, exist_ok=True)

    import faisslike
    meta = {"dataset": ds.name, "nb": int(xb.shape[0]), "d": int(xb.shape[1]), "nq": int(xq.shape[0]),
            "k": args.k, "threads": args.threads, "build_threads": args.build_threads,
            "single_sample": args.single, "reps": args.reps,
            "date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "faisslike_simd": faisslike.simd_level(),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "versions": {name: getattr(mod, "__version__", "?") for name, mod, _ in libs},
            "filter_keep": args.filter_keep, "metric": args.metric,
            "mode": "single-thread-latency" if args.single_thread_latency else "batch",
            "complete": False}
    results = {"meta": meta, "builds": [], "points": []}
    # SIGTERM ends the run like Ctrl-C: what was measured is kept and reported.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    deadline = time.monotonic() + args.time_limit if args.time_limit else None
    try:
        sweep(args, configs, libs, ds, xb, xq, xt, gt, keep, gt_keep, results, out, deadline)
        results["meta"]["complete"] = True
    except KeyboardInterrupt:
        print("[bench] interrupted: reporting what was measured", file=sys.stderr)
    except TimeoutError:
        print(f"[bench] --time-limit {args.time_limit:g}s reached: reporting what was measured",
              file=sys.stderr)
    save(results, out)
    png = out / "recall_qps.png"
    plotted = plot(results, png) if results["points"] else False
    print_table(results, args.k)
    print_pair_table(results)
    if not results["meta"]["complete"]:
        print("(incomplete run: the tables hold the points measured before it stopped)")
    print(f"[bench] wrote {out / 'results.json'}" + (f" and {png}" if plotted else ""), file=sys.stderr)
    return results


def save(results, out):
    """results.json, replaced atomically: a reader never sees a half-written file."""
    tmp = out / "results.json.tmp"
    tmp.write_text(json.dumps(results, indent=1))
    os.replace(tmp, out / "results.json")


def sweep(args, configs, libs, ds, xb, xq, xt, gt, keep, gt_keep, results, out, deadline):
    def check_time():
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError()

    print(f"[bench] {ds.name}: base {xb.shape}, queries {xq.shape}, learn {xt.shape}, k={args.k}, "
          f"threads={args.threads} (build {args.build_threads}), libraries: {', '.join(n for n, _, _ in libs)}", file=sys.stderr)

    # Another library's graph built for one configuration serves every later one with the
    # same graph parameters (our walks differ, theirs would not): built once, measured again
    # beside each of ours, in the same interleaved rounds.
    def reuse_key(name, cfg):
        return (name, cfg.M, cfg.efc) if name != "faisslike" and cfg.kind == "hnsw" else None

    built = {}
    for ci, cfg in enumerate(configs):
        later = configs[ci + 1:]
        adapters = []
        for name, mod, cls in libs:
            if not cls.supports(mod, cfg):
                print(f"[bench] {name}: {cfg.key} not available, skipped", file=sys.stderr)
                continue
            rk = reuse_key(name, cfg)
            if rk in built:
                a, b = built[rk]
                results["builds"].append(dict(b, index=cfg.key, reused=True))
                print(f"[bench]   {name}: the graph built for {b['index']} again", file=sys.stderr)
                adapters.append(a)
                continue
            gc.collect()
            rss0 = rss_mb()
            check_time()
            a = cls(mod, cfg, ds.d, args.build_threads)
            print(f"[bench] building {cfg.key} with {name} ...", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            try:
                a.build(xt, xb)
            except Exception as e:
                # An anchor refusing this data (e.g. a dimension its layout lacks) is a note,
                # not the end of the run; our own libraries' errors still stop it.
                if not isinstance(a, anchors.AnchorAdapter):
                    raise
                print(f"[bench] {name} cannot build {cfg.key} here: {e}; skipped", file=sys.stderr)
                continue
            build_s = time.perf_counter() - t0
            if args.build_threads != args.threads:
                a.set_threads(args.threads)
            b = {"lib": name, "index": cfg.key, "build_s": build_s, "size_bytes": a.size_bytes(),
                 "rss_delta_mb": rss_mb() - rss0}
            print(f"[bench]   {name}: {build_s:.2f}s", file=sys.stderr, flush=True)
            results["builds"].append(b)
            adapters.append(a)
            if rk is not None and any(reuse_key(name, c) == rk for c in later):
                built[rk] = (a, b)
        for value in cfg.values:
            check_time()
            for a in adapters:  # interleaved: same conditions for every library
                a.set_param(value)
                if args.single_thread_latency:
                    m = measure_latency(a, xq[:args.single], gt[:args.single], args.k)
                else:
                    m = measure(a, xq, gt, args.k, args.reps, args.single)
                m.update(lib=a.lib, index=cfg.key, param=cfg.param, value=value,
                         single_qps=1000.0 / m["p50_ms"])
                results["points"].append(m)
            for a in (adapters if keep is not None else []):
                if args.single_thread_latency:
                    m = measure_latency(a, xq[:args.single], gt_keep[:args.single], args.k, keep)
                else:
                    m = measure(a, xq, gt_keep, args.k, args.reps, args.single, keep)
                m.update(lib=a.lib, index=f"{cfg.key}|keep{args.filter_keep:g}", param=cfg.param,
                         value=value, single_qps=1000.0 / m["p50_ms"])
                results["points"].append(m)
            n_new = len(adapters) * (2 if keep is not None else 1)
            print(f"[bench]   {cfg.key} {cfg.param or ''}{'=' + str(value) if value else ''}: " +
                  ", ".join(f"{p['lib']} R={p['recallk']:.3f} {p['qps']:.0f} QPS"
                            for p in results["points"][-n_new:]), file=sys.stderr, flush=True)
            save(results, out)  # an interrupted run keeps every finished point
            # Past the point where every library is at recall 1, larger values only cost time.
            if cfg.param and all(p["recallk"] >= 0.9999 for p in results["points"][-n_new:]):
                break
        del adapters
        for rk in [rk for rk in built if not any(reuse_key(rk[0], c) == rk for c in later)]:
            del built[rk]
        gc.collect()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", help="syn-<n>, uniform-<n>, a TEXMEX directory, or "
                                     "base.npy,query.npy / base.fvecs,query.fvecs (default syn-100k)")
    p.add_argument("--metric", default="l2", help="l2 (default), ip or cosine")
    p.add_argument("--single-thread-latency", action="store_true",
                   help="ann-benchmarks mode: 1 thread, one query at a time (the first --single "
                        "queries), QPS = 1 / mean latency")
    p.add_argument("--time-limit", type=float, metavar="S",
                   help="stop after S seconds (between points) and report what was measured")
    p.add_argument("--indexes", nargs="+", help="index configurations (default: Flat)")
    p.add_argument("--libs", nargs="+", default=["faisslike", "faiss", "hnswlib"],
                   help="faisslike faiss hnswlib (default) and the graph anchors usearch svs symqg ngt scann")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--build-threads", type=int, metavar="N",
                   help="threads for building (default: the search threads; e.g. 2 with "
                        "--single-thread-latency to build at full speed and search on one)")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--single", type=int, default=300, help="queries in the single-query latency sample")
    p.add_argument("--reps", type=int, default=2, help="batch runs per point (best kept)")
    p.add_argument("--sweep", help="search-parameter values (nprobe / efSearch), e.g. 1,4,16,64")
    p.add_argument("--out", help="output directory (default benchs/results/<dataset>)")
    p.add_argument("--quick", action="store_true", help="small data, seconds: a smoke test")
    p.add_argument("--filter-keep", type=float, metavar="F",
                   help="also measure filtered search keeping a random fraction F of the ids "
                        "(IDSelectorBatch), recall against the filtered ground truth")
    args = p.parse_args(argv)
    try:
        run(args)
    except (datasets.DatasetError, BenchError, OSError, ValueError) as e:
        print(f"ann_bench: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
