"""Exact ground truth over data that may not fit in memory (faiss.contrib.exhaustive_search)."""
import logging
import time

import numpy as np

from .. import IndexFlat, METRIC_L2, ResultHeap, is_similarity_metric
from .. import knn  # noqa: F401  (FAISS keeps knn importable from here)

LOG = logging.getLogger(__name__)


def knn_ground_truth(xq, db_iterator, k, metric_type=METRIC_L2, shard=False, ngpu=-1):
    """Exact (D, I) of the k nearest database vectors, the database given block by block
    (ids are positions in the concatenation of the blocks)."""
    xq = np.ascontiguousarray(xq, dtype="float32")
    nq, d = xq.shape
    rh = ResultHeap(nq, k, keep_max=is_similarity_metric(metric_type))
    index = IndexFlat(d, metric_type)
    t0 = time.time()
    i0 = 0
    for xbi in db_iterator:
        index.add(xbi)
        D, I = index.search(xq, k)
        I[I >= 0] += i0
        rh.add_result(D, I)
        index.reset()
        i0 += len(xbi)
        LOG.info("%d db elements, %.3f s", i0, time.time() - t0)
    rh.finalize()
    return rh.D, rh.I


def range_ground_truth(xq, db_iterator, threshold, metric_type=METRIC_L2, shard=False, ngpu=-1):
    """Exact range search (lims, D, I) over a database given block by block."""
    xq = np.ascontiguousarray(xq, dtype="float32")
    nq, d = xq.shape
    index = IndexFlat(d, metric_type)
    D = [[] for _ in range(nq)]
    I = [[] for _ in range(nq)]
    i0 = 0
    for xbi in db_iterator:
        index.add(xbi)
        lims_i, Di, Ii = index.range_search(xq, threshold)
        index.reset()
        Ii = Ii + i0
        for j in range(nq):
            l0, l1 = lims_i[j], lims_i[j + 1]
            if l1 > l0:
                D[j].append(Di[l0:l1])
                I[j].append(Ii[l0:l1])
        i0 += len(xbi)
    D = [np.hstack(x) if x else np.zeros(0, dtype="float32") for x in D]
    I = [np.hstack(x) if x else np.zeros(0, dtype="int64") for x in I]
    lims = np.zeros(nq + 1, dtype="uint64")
    lims[1:] = np.cumsum([len(x) for x in I])
    return (lims, np.hstack(D) if D else np.zeros(0, dtype="float32"),
            np.hstack(I) if I else np.zeros(0, dtype="int64"))


def threshold_radius_nres(nres, dis, ids, thresh, keep_max=False):
    """Restrict results given as per-query counts to those within thresh."""
    mask = dis > thresh if keep_max else dis < thresh
    new_nres = np.zeros_like(nres)
    o = 0
    for i, nr in enumerate(nres):
        nr = int(nr)
        new_nres[i] = mask[o:o + nr].sum()
        o += nr
    return new_nres, dis[mask], ids[mask]


def threshold_radius(lims, dis, ids, thresh, keep_max=False):
    """Restrict range results (lims form) to those within thresh."""
    mask = dis > thresh if keep_max else dis < thresh
    new_lims = np.zeros_like(lims)
    for i in range(len(lims) - 1):
        new_lims[i + 1] = new_lims[i] + mask[lims[i]:lims[i + 1]].sum()
    return new_lims, dis[mask], ids[mask]


def apply_maxres(res_batches, target_nres, keep_max=False):
    """Find the radius that leaves target_nres results and apply it to the batches in place;
    returns (radius, total results)."""
    alldis = np.hstack([dis for _, dis, _ in res_batches])
    if len(alldis) <= target_nres:
        raise ValueError(f"only {len(alldis)} results, cannot cut to {target_nres}")
    if keep_max:
        alldis.partition(len(alldis) - target_nres - 1)
        radius = alldis[-1 - target_nres]
    else:
        alldis.partition(target_nres)
        radius = alldis[target_nres]
    radius = float(radius) if alldis.dtype == np.float32 else int(radius)
    totres = 0
    for i, (nres, dis, ids) in enumerate(res_batches):
        nres, dis, ids = threshold_radius_nres(nres, dis, ids, radius, keep_max=keep_max)
        totres += len(dis)
        res_batches[i] = nres, dis, ids
    return radius, totres


def range_search_max_results(index, query_iterator, radius, max_results=None, min_results=None,
                             shard=False, ngpu=0, clip_to_min=False):
    """Range search over batches of queries, shrinking the radius whenever the results
    exceed max_results (down to min_results). Returns (radius, lims, D, I)."""
    if min_results is None:
        if max_results is None:
            raise ValueError("give max_results or min_results")
        min_results = int(0.8 * max_results)
    if max_results is None:
        max_results = int(min_results * 1.5)
    keep_max = is_similarity_metric(index.metric_type)
    is_binary = hasattr(index, "code_size") and type(index).__name__.startswith("IndexBinary")
    totres = 0
    res_batches = []
    for xqi in query_iterator:
        lims_i, Di, Ii = index.range_search(xqi, radius)
        if is_binary:
            Di = Di.astype("int16")
        totres += len(Di)
        res_batches.append((lims_i[1:] - lims_i[:-1], Di, Ii))
        if max_results is not None and totres > max_results:
            LOG.info("too many results %d > %d, scaling back radius", totres, max_results)
            radius, totres = apply_maxres(res_batches, min_results, keep_max=keep_max)
    if clip_to_min and totres > min_results:
        radius, totres = apply_maxres(res_batches, min_results, keep_max=keep_max)
    if res_batches:
        nres = np.hstack([b[0] for b in res_batches])
        dis = np.hstack([b[1] for b in res_batches])
        ids = np.hstack([b[2] for b in res_batches])
    else:
        nres, dis, ids = np.zeros(0, dtype="int64"), np.zeros(0, dtype="float32"), np.zeros(0, dtype="int64")
    lims = np.zeros(len(nres) + 1, dtype="uint64")
    lims[1:] = np.cumsum(nres)
    return radius, lims, dis, ids


def exponential_query_iterator(xq, start_bs=32, max_bs=20000):
    """Query batches of doubling size (to adjust the radius early on few queries)."""
    nq = len(xq)
    bs = start_bs
    i = 0
    while i < nq:
        xqi = xq[i:i + bs]
        yield xqi
        if bs < max_bs:
            bs *= 2
        i += len(xqi)
