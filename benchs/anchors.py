"""Graph-search anchors for the ANN harness beyond FAISS and hnswlib: usearch, SVS (Vamana),
rabitqlib (SymphonyQG), NGT (ONNG) and ScaNN. Each is optional: a library that does not import
is skipped with a one-line note. Each is built with the settings its authors (or
ann-benchmarks' configuration for it) recommend, scaled to the harness's HNSW<M>_efc<E> where
the library has the same notions; the harness's efSearch sweep is mapped onto each library's
own search-breadth knob (listed per class).
"""
import os
import shutil
import tempfile

import numpy as np

# The harness's efSearch sweep (Config for HNSW); anchors whose knob is not a candidate-list
# size map its position onto their own list.
EF_SWEEP = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024]


def _position(value):
    return EF_SWEEP.index(value) if value in EF_SWEEP else int(np.searchsorted(EF_SWEEP, value))


def _dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def saved_bytes(save, name="index"):
    """Size of what save(path) writes (a file, or a directory tree)."""
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, name)
        save(p)
        return os.path.getsize(p) if os.path.isfile(p) else _dir_bytes(tmp)


def _labels(I, nq, k):
    I = np.asarray(I).reshape(nq, -1)[:, :k]
    out = np.full((nq, k), -1, dtype=np.int64)
    out[:, :I.shape[1]] = I.astype(np.int64)
    return out


class AnchorAdapter:
    lib = ""
    module = ""
    pip = ""
    metric = "l2"

    def __init__(self, cfg, d, threads):
        self.cfg, self.d, self.threads = cfg, d, threads

    @staticmethod
    def supports(mod, cfg):
        return cfg.kind == "hnsw"

    def set_threads(self, threads):
        """Threads for searching after a build on --build-threads."""
        self.threads = threads

    def set_param(self, value):
        self.value = value


class UsearchAdapter(AnchorAdapter):
    """usearch HNSW: connectivity M, expansion_add efConstruction (its defaults are 16 / 128);
    swept: expansion_search = efSearch."""
    lib, module, pip = "usearch", "usearch.index", "usearch"

    def __init__(self, mod, cfg, d, threads):
        super().__init__(cfg, d, threads)
        self.index = mod.Index(ndim=d, metric="ip" if self.metric == "ip" else "l2sq", dtype="f32",
                               connectivity=cfg.M, expansion_add=cfg.efc, expansion_search=64)

    def build(self, xt, xb):
        self.index.add(np.arange(len(xb), dtype=np.uint64), xb, threads=self.threads)

    def set_param(self, value):
        super().set_param(value)
        self.index.expansion_search = value

    def search(self, xq, k, keep=None):
        m = self.index.search(xq, k, threads=self.threads)
        return np.asarray(m.distances).reshape(len(xq), -1), _labels(m.keys, len(xq), k)

    def size_bytes(self):
        return saved_bytes(self.index.save, "u.usearch")


class SvsAdapter(AnchorAdapter):
    """SVS Vamana (float32): graph_max_degree 2M, construction window max(efC, 200) (SVS's
    default 200), alpha 1.2 for L2 and 0.95 for inner product (SVS's documented values);
    swept: search_window_size = efSearch."""
    lib, module, pip = "svs", "svs", "scalable-vs"

    def __init__(self, mod, cfg, d, threads):
        super().__init__(cfg, d, threads)
        self.mod = mod

    def build(self, xt, xb):
        mod = self.mod
        ip = self.metric == "ip"
        params = mod.VamanaBuildParameters(alpha=0.95 if ip else 1.2, graph_max_degree=2 * self.cfg.M,
                                           window_size=max(self.cfg.efc, 200))
        self.index = mod.Vamana.build(params, np.ascontiguousarray(xb, dtype=np.float32),
                                      mod.DistanceType.MIP if ip else mod.DistanceType.L2,
                                      num_threads=self.threads)
        self.index.num_threads = self.threads

    def set_threads(self, threads):
        super().set_threads(threads)
        self.index.num_threads = threads

    def set_param(self, value):
        super().set_param(value)
        self.index.search_window_size = value

    def search(self, xq, k, keep=None):
        I, D = self.index.search(xq, k)
        return np.asarray(D).reshape(len(xq), -1), _labels(I, len(xq), k)

    def size_bytes(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.index.save(*(os.path.join(tmp, s) for s in ("config", "graph", "data")))
            return _dir_bytes(tmp)


class SymqgAdapter(AnchorAdapter):
    """rabitqlib's SymphonyQG (RaBitQ codes of the neighbours stored inline with each node's
    links, exact re-rank): max_degree 2M rounded up to a multiple of 32 (its layout needs
    it), ef_construction max(efC, 400) (its README's value); swept: ef = efSearch."""
    lib, module, pip = "symqg", "rabitqlib", "rabitqlib"

    def __init__(self, mod, cfg, d, threads):
        super().__init__(cfg, d, threads)
        degree = max(32, (2 * cfg.M + 31) // 32 * 32)
        self.index = mod.SymqgIndex(d, degree, metric="ip" if self.metric == "ip" else "l2")

    def build(self, xt, xb):
        self.index.build(np.ascontiguousarray(xb, dtype=np.float32), max(self.cfg.efc, 400),
                         num_threads=self.threads)

    def search(self, xq, k, keep=None):
        out = self.index.search_batch(xq, k, max(self.value, k), num_threads=self.threads)
        I, D = out if np.asarray(out[0]).dtype.kind in "iu" else out[::-1]
        return np.asarray(D).reshape(len(xq), -1), _labels(I, len(xq), k)

    def size_bytes(self):
        return saved_bytes(self.index.save, "qg.index")


class NgtAdapter(AnchorAdapter):
    """NGT ONNG (ann-benchmarks' NGT-onng recipe: ANNG with 100 creation edges, then
    reconstructed to 10 outgoing / 120 incoming edges); swept: epsilon, mapped from the
    efSearch position onto -0.02 .. 0.6 (NGT's search-range coefficient). Batches are a
    Python loop of single queries on one thread: its batch QPS at --threads 2 is understated."""
    lib, module, pip = "ngt", "ngtpy", "ngt"
    EPSILONS = [-0.02, 0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3, 0.4, 0.6]

    def __init__(self, mod, cfg, d, threads):
        super().__init__(cfg, d, threads)
        self.mod = mod
        self.tmp = tempfile.mkdtemp(prefix="ngt-")

    def __del__(self):
        shutil.rmtree(getattr(self, "tmp", ""), ignore_errors=True)

    def build(self, xt, xb):
        mod = self.mod
        anng, onng = os.path.join(self.tmp, "anng"), os.path.join(self.tmp, "onng")
        mod.create(anng, self.d, edge_size_for_creation=100, edge_size_for_search=-2,
                   distance_type="Inner Product" if self.metric == "ip" else "L2", object_type="Float")
        index = mod.Index(anng, log_disabled=True)
        index.batch_insert(np.ascontiguousarray(xb, dtype=np.float32), num_threads=self.threads)
        index.save()
        index.close()
        opt = mod.Optimizer(num_of_outgoings=10, num_of_incomings=120)
        opt.set_processing_modes(search_parameter_optimization=False, prefetch_parameter_optimization=False,
                                 accuracy_table_generation=False)
        opt.execute(anng, onng)
        shutil.rmtree(anng, ignore_errors=True)
        self.index = mod.Index(onng, read_only=True, log_disabled=True)
        self.path = onng

    def search(self, xq, k, keep=None):
        eps = self.EPSILONS[min(_position(self.value), len(self.EPSILONS) - 1)]
        I = np.full((len(xq), k), -1, dtype=np.int64)
        D = np.full((len(xq), k), np.inf, dtype=np.float32)
        for i, q in enumerate(xq):
            res = self.index.search(q, size=k, epsilon=eps, edge_size=-2)
            for j, (idx, dist) in enumerate(res[:k]):
                I[i, j], D[i, j] = idx, dist
        return D, I

    def size_bytes(self):
        return _dir_bytes(self.path)


class ScannAdapter(AnchorAdapter):
    """ScaNN (partitioning + anisotropic 4-bit AH + exact re-order; not a graph, but the
    fastest non-graph CPU anchor): num_leaves 2 sqrt(n), AH dims_per_block 2 with threshold 0.2,
    re-order 100 (its README's recipe); swept: leaves_to_search = efSearch / 4."""
    lib, module, pip = "scann", "scann", "scann"

    def __init__(self, mod, cfg, d, threads):
        super().__init__(cfg, d, threads)
        self.mod = mod

    def build(self, xt, xb):
        ops = self.mod.scann_ops_pybind
        n = len(xb)
        self.leaves = max(16, int(2 * np.sqrt(n)))
        measure = "dot_product" if self.metric == "ip" else "squared_l2"
        b = ops.builder(np.ascontiguousarray(xb, dtype=np.float32), 10, measure)
        b = b.tree(num_leaves=self.leaves, num_leaves_to_search=16,
                   training_sample_size=min(n, 250000))
        b = b.score_ah(2, anisotropic_quantization_threshold=0.2 if measure == "dot_product" else float("nan"))
        self.searcher = b.reorder(100).build()
        self.searcher.set_num_threads(self.threads)

    def set_threads(self, threads):
        super().set_threads(threads)
        self.searcher.set_num_threads(threads)

    def search(self, xq, k, keep=None):
        leaves = min(self.leaves, max(1, self.value // 4))
        I, D = self.searcher.search_batched_parallel(xq, final_num_neighbors=k, leaves_to_search=leaves,
                                                     pre_reorder_num_neighbors=max(100, 4 * k)) \
            if len(xq) > 1 and self.threads > 1 else \
            self.searcher.search_batched(xq, final_num_neighbors=k, leaves_to_search=leaves,
                                         pre_reorder_num_neighbors=max(100, 4 * k))
        return np.asarray(D), _labels(I, len(xq), k)

    def size_bytes(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.searcher.serialize(tmp)
            return _dir_bytes(tmp)


# Imported in this order: ngtpy loaded after usearch fails every batch_insert ("ngtpy.cpp:
# batchInsert:", a clash between the two extensions' bundled libraries); before it, both work.
ANCHORS = (NgtAdapter, UsearchAdapter, SvsAdapter, SymqgAdapter, ScannAdapter)
