"""Clustering helpers (faiss.contrib.clustering): two-level k-means for large nlist, and a
plain-Python k-means over a DatasetAssign (the FAISS algorithm step by step)."""
import time

import numpy as np

from .. import IndexIVF, IndexPreTransform, Kmeans, METRIC_L2, knn
from .._lowlevel import imbalance_factor as _imbalance_factor


def print_nop(*arg, **kwargs):
    pass


def two_level_clustering(xt, nc1, nc2, rebalance=True, clustering_niter=25, **args):
    """nc2 centroids for xt: nc1 coarse clusters, then k-means inside each one. rebalance
    gives each coarse cluster a number of sub-clusters proportional to its size. Extra
    keywords go to Kmeans. Returns (centroids (nc2, d), iteration stats)."""
    xt = np.ascontiguousarray(xt, dtype="float32")
    if xt.ndim != 2:
        raise ValueError(f"xt must be 2-D, got shape {xt.shape}")
    if not (0 < nc1 <= nc2 <= len(xt)):
        raise ValueError(f"need 0 < nc1={nc1} <= nc2={nc2} <= n={len(xt)}")
    d = xt.shape[1]
    log = print if args.get("verbose", False) else print_nop
    log(f"2-level clustering of {xt.shape} nb 1st level clusters = {nc1} total {nc2}")
    km = Kmeans(d, nc1, niter=clustering_niter, max_points_per_centroid=2000, **args)
    km.train(xt)
    iteration_stats = [km.iteration_stats]
    _, assign1 = km.assign(xt)
    assign1 = assign1.ravel()
    bc = np.bincount(assign1, minlength=nc1)
    o = assign1.argsort(kind="stable")
    if not rebalance:
        cc = np.arange(nc1 + 1) * nc2 // nc1
        all_nc2 = cc[1:] - cc[:-1]
    else:
        bc_sum = np.cumsum(bc)
        all_nc2 = bc_sum * nc2 // bc_sum[-1]
        all_nc2[1:] -= all_nc2[:-1].copy()
    c2 = []
    i0 = 0
    for c1 in range(nc1):
        n2 = int(all_nc2[c1])
        i1 = i0 + int(bc[c1])
        subset = o[i0:i1]
        i0 = i1
        if n2 == 0:
            continue
        xs = xt[subset]
        if len(xs) < n2:  # tiny coarse cluster: its points are the centroids, padded
            reps = xs[np.arange(n2) % max(len(xs), 1)] if len(xs) else np.zeros((n2, d), "float32")
            c2.append(reps)
            continue
        km = Kmeans(d, n2, **args)
        km.train(xs)
        iteration_stats.append(km.iteration_stats)
        c2.append(km.centroids)
    return np.vstack(c2), iteration_stats


def train_ivf_index_with_2level(index, xt, **args):
    """Trains the IVF index inside `index` (through PreTransforms) with two-level k-means
    (sqrt(nlist) coarse clusters), then the rest of the index as usual."""
    xt = np.ascontiguousarray(xt, dtype="float32")
    if isinstance(index, IndexPreTransform):
        y = xt
        for vt in index.chain:
            if not vt.is_trained:
                vt.train(y)
            y = vt.apply(y)
        train_ivf_index_with_2level(index.index, y, **args)
        index.train(xt)  # the transforms and the IVF are trained: this only updates state
        return
    if not isinstance(index, IndexIVF):
        raise ValueError(f"train_ivf_index_with_2level needs an IVF index, got {type(index).__name__}")
    if index.metric_type != METRIC_L2:
        raise ValueError("two-level clustering is for L2 IVF indexes")
    nc1 = max(1, int(np.sqrt(index.nlist)))
    centroids, _ = two_level_clustering(xt, nc1, index.nlist, **args)
    index.quantizer.train(centroids)
    index.quantizer.add(centroids)
    index.train(xt)


class DatasetAssign:
    """A matrix that assigns its rows to centroids (the interface kmeans() takes)."""

    def __init__(self, x):
        self.x = np.ascontiguousarray(x, dtype="float32")

    def count(self):
        return self.x.shape[0]

    def dim(self):
        return self.x.shape[1]

    def get_subset(self, indices):
        return self.x[indices]

    def perform_search(self, centroids):
        return knn(self.x, centroids, 1)

    def assign_to(self, centroids, weights=None):
        D, I = self.perform_search(centroids)
        I, D = I.ravel(), D.ravel()
        nc, d = centroids.shape
        sums = np.zeros((nc, d), dtype="float32")
        if weights is None:
            np.add.at(sums, I, self.x)
        else:
            np.add.at(sums, I, np.asarray(weights, dtype="float32")[:, None] * self.x)
        return I, D, sums


def imbalance_factor(k, assign):
    assign = np.ascontiguousarray(assign, dtype="int64")
    return _imbalance_factor(len(assign), k, assign)


def reassign_centroids(hassign, centroids, rs=None):
    """Split the largest clusters into the empty ones (FAISS's rule); returns how many."""
    if rs is None:
        rs = np.random
    k = centroids.shape[0]
    empty = np.where(hassign == 0)[0]
    if len(empty) == 0:
        return 0
    fac = np.ones_like(centroids[0])
    fac[::2] += 1 / 1024.0
    fac[1::2] -= 1 / 1024.0
    nsplit = 0
    while len(empty) > 0:
        probas = hassign.astype("float") - 1
        probas[probas < 0] = 0
        if probas.sum() == 0:
            break  # no cluster has two points left to give
        probas /= probas.sum()
        nreplace = min(int((probas > 0).sum()), empty.size)
        cjs = rs.choice(k, size=nreplace, p=probas)
        for ci, cj in zip(empty[:nreplace], cjs):
            c = centroids[cj].copy()
            centroids[ci] = c * fac
            centroids[cj] = c / fac
            hassign[ci] = hassign[cj] // 2
            hassign[cj] -= hassign[ci]
            nsplit += 1
        empty = empty[nreplace:]
    return nsplit


def kmeans(k, data, niter=25, seed=1234, checkpoint=None, verbose=True, return_stats=False):
    """k-means over a DatasetAssign (no redo), following the C++ algorithm."""
    n, d = data.count(), data.dim()
    if not 0 < k <= n:
        raise ValueError(f"need 0 < k={k} <= n={n}")
    log = print if verbose else print_nop
    log(f"Clustering {n} points in {d}D to {k} clusters, {niter} iterations seed {seed}")
    rs = np.random.RandomState(seed)
    t0 = time.time()
    centroids = np.array(data.get_subset(rs.choice(n, size=k, replace=False)), dtype="float32")
    stats = []
    t_search = 0.0
    for i in range(niter):
        t0s = time.time()
        assign, D, sums = data.assign_to(centroids)
        t_search += time.time() - t0s
        err = float(D.sum())
        hassign = np.bincount(assign, minlength=k)
        fac = hassign.reshape(-1, 1).astype("float32")
        fac[fac == 0] = 1
        centroids = sums / fac
        nsplit = reassign_centroids(hassign, centroids, rs)
        s = {"obj": err, "time": time.time() - t0, "time_search": t_search,
             "imbalance_factor": imbalance_factor(k, assign), "nsplit": nsplit}
        log(f"  Iteration {i} ({s['time']:.2f} s, search {t_search:.2f} s): objective={err:g} "
            f"imbalance={s['imbalance_factor']:.3f} nsplit={nsplit}")
        stats.append(s)
        if checkpoint is not None:
            np.save(checkpoint, centroids)
    return (centroids, stats) if return_stats else centroids
