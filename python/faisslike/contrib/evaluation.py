"""Comparing search results (faiss.contrib.evaluation): k-NN intersection, range-search
precision / recall, and checks of results against a reference that tolerate ties."""
import time
import unittest

import numpy as np


def knn_intersection_measure(I1, I2):
    """Mean fraction of common ids between two (nq, k) result tables."""
    I1, I2 = np.asarray(I1), np.asarray(I2)
    nq, rank = I1.shape
    if I2.shape != (nq, rank):
        raise ValueError(f"result tables differ in shape: {I1.shape} vs {I2.shape}")
    ninter = sum(np.intersect1d(I1[i], I2[i]).size for i in range(nq))
    return ninter / I1.size


def filter_range_results(lims, D, I, thresh):
    """Keep the results with D < thresh."""
    nq = lims.size - 1
    mask = D < thresh
    new_lims = np.zeros_like(lims)
    for i in range(nq):
        new_lims[i + 1] = new_lims[i] + mask[lims[i]:lims[i + 1]].sum()
    return new_lims, D[mask], I[mask]


def range_PR(lims_ref, Iref, lims_new, Inew, mode="overall"):
    """(precision, recall) of range results against a reference, by ids only."""
    nq = lims_ref.size - 1
    if lims_new.size - 1 != nq:
        raise ValueError("the two results have different numbers of queries")
    ninter = np.array([np.intersect1d(Iref[lims_ref[q]:lims_ref[q + 1]],
                                      Inew[lims_new[q]:lims_new[q + 1]]).size for q in range(nq)],
                      dtype="int64")
    return counts_to_PR(np.diff(lims_ref).astype("int64"), np.diff(lims_new).astype("int64"),
                        ninter, mode=mode)


def counts_to_PR(ngt, nres, ninter, mode="overall"):
    """Precision and recall from per-query counts: ground-truth results, returned results,
    correct results. mode 'overall' pools the counts, 'average' averages per query."""
    ngt, nres, ninter = np.asarray(ngt).copy(), np.asarray(nres).copy(), np.asarray(ninter).copy()
    if mode == "overall":
        ngt, nres, ninter = ngt.sum(), nres.sum(), ninter.sum()
        precision = ninter / nres if nres > 0 else 1.0
        if ngt > 0:
            recall = ninter / ngt
        else:
            recall = 1.0 if nres == 0 else 0.0
        return precision, recall
    if mode == "average":
        empty_gt = ngt == 0
        ngt[empty_gt] = 1
        recalls = ninter / ngt
        recalls[empty_gt] = (nres[empty_gt] == 0).astype(float)
        empty_res = nres == 0
        if np.any(ninter[empty_res] != 0):
            raise ValueError("correct results counted for queries with no results")
        ninter[empty_res] = 1
        nres[empty_res] = 1
        return (ninter / nres).mean(), recalls.mean()
    raise ValueError(f"mode must be 'overall' or 'average', got {mode!r}")


def sort_range_res_2(lims, D, I):
    """Each query's results sorted by distance: returns (I2, D2)."""
    I2, D2 = np.empty_like(I), np.empty_like(D)
    for i in range(len(lims) - 1):
        l0, l1 = lims[i], lims[i + 1]
        o = D[l0:l1].argsort()
        I2[l0:l1] = I[l0:l1][o]
        D2[l0:l1] = D[l0:l1][o]
    return I2, D2


def sort_range_res_1(lims, I):
    """Each query's ids sorted."""
    I2 = np.empty_like(I)
    for i in range(len(lims) - 1):
        l0, l1 = lims[i], lims[i + 1]
        I2[l0:l1] = np.sort(I[l0:l1])
    return I2


def range_PR_multiple_thresholds(lims_ref, Iref, lims_new, Dnew, Inew, thresholds,
                                 mode="overall", do_sort="ref,new"):
    """Precision and recall for each threshold on the new results' distances (kept:
    Dnew < threshold). Returns (precisions, recalls) arrays."""
    nq = lims_ref.size - 1
    if lims_new.size - 1 != nq:
        raise ValueError("the two results have different numbers of queries")
    thresholds = np.asarray(thresholds)
    nt = len(thresholds)
    ngt = np.diff(lims_ref).astype("int64")
    nres = np.zeros((nq, nt), dtype="int64")
    ninter = np.zeros((nq, nt), dtype="int64")
    for q in range(nq):
        gt = Iref[lims_ref[q]:lims_ref[q + 1]]
        d, ids = Dnew[lims_new[q]:lims_new[q + 1]], Inew[lims_new[q]:lims_new[q + 1]]
        o = np.argsort(d, kind="stable")
        d, ids = d[o], ids[o]
        nres[q] = np.searchsorted(d, thresholds, side="left")
        hit = np.cumsum(np.isin(ids, gt))
        ninter[q] = np.where(nres[q] > 0, hit[np.maximum(nres[q] - 1, 0)] if hit.size else 0, 0)
    precisions, recalls = np.zeros(nt), np.zeros(nt)
    for t in range(nt):
        precisions[t], recalls[t] = counts_to_PR(ngt, nres[:, t], ninter[:, t], mode=mode)
    return precisions, recalls


def _cluster_tables_with_tolerance(tab1, tab2, thr):
    """Cluster ids of the values of two tables, values closer than thr merged."""
    tab = np.sort(np.hstack([tab1, tab2]))
    diffs = np.ones(len(tab))
    diffs[1:] = tab[1:] - tab[:-1]
    unique_vals = tab[diffs > thr]
    return (np.searchsorted(unique_vals, tab1, side="right") - 1,
            np.searchsorted(unique_vals, tab2, side="right") - 1)


def check_ref_knn_with_draws(Dref, Iref, Dnew, Inew, rtol=1e-5, atol=0):
    """Assert that two k-NN results agree: distances within tolerance, and ids equal up to
    permutations among (nearly) equal distances; the last group of each row may be cut
    by k differently and is not compared. Raises AssertionError otherwise."""
    np.testing.assert_allclose(Dref, Dnew, rtol=rtol, atol=atol)
    tc = unittest.TestCase()
    for i in range(len(Iref)):
        if np.all(Iref[i] == Inew[i]):
            continue
        r = rtol * np.abs(Dref[i]).max() + atol
        DrefC, _ = _cluster_tables_with_tolerance(Dref[i], Dnew[i], r)
        for dis in np.unique(DrefC):
            if dis == DrefC[-1]:
                continue
            mask = DrefC == dis
            tc.assertEqual(set(Iref[i, mask]), set(Inew[i, mask]))


def check_ref_range_results(Lref, Dref, Iref, Lnew, Dnew, Inew):
    """Assert that two range-search results hold the same (id, distance) pairs per query."""
    np.testing.assert_array_equal(Lref, Lnew)
    for i in range(len(Lref) - 1):
        l0, l1 = Lref[i], Lref[i + 1]
        Ir, In, Dr, Dn = Iref[l0:l1], Inew[l0:l1], Dref[l0:l1], Dnew[l0:l1]
        if not np.all(Ir == In):
            o1, o2 = Ir.argsort(), In.argsort()
            Ir, Dr, In, Dn = Ir[o1], Dr[o1], In[o2], Dn[o2]
            np.testing.assert_array_equal(Ir, In)
        np.testing.assert_array_almost_equal(Dr, Dn, decimal=5)


class RepeatTimer:
    """for _ in RepeatTimer(warmup=1, nt=-1, runs=5, max_secs=10): ... then .ms(),
    .ms_std(), .nruns(): repeats a block and times the runs after the warm-up ones."""

    def __init__(self, warmup=0, nt=-1, runs=1, max_secs=np.inf):
        self.warmup, self.nt, self.runs, self.max_secs = warmup, nt, runs, max_secs
        self.times = []

    def __iter__(self):
        from .. import omp_get_max_threads, omp_set_num_threads
        old = omp_get_max_threads()
        if self.nt > 0:
            omp_set_num_threads(self.nt)
        try:
            t_start = time.perf_counter()
            for i in range(self.warmup + self.runs):
                t0 = time.perf_counter()
                yield i
                if i >= self.warmup:
                    self.times.append(time.perf_counter() - t0)
                if time.perf_counter() - t_start > self.max_secs:
                    break
        finally:
            omp_set_num_threads(old)

    def ms(self):
        return float(np.mean(self.times) * 1000) if self.times else float("nan")

    def ms_std(self):
        return float(np.std(self.times) * 1000) if len(self.times) > 1 else 0.0

    def nruns(self):
        return len(self.times)


class OperatingPoints:
    """Search settings with their (performance, time); keeps the Pareto-optimal ones.
    Subclasses define compare_keys (1: k1 dominates k2 in effort, -1: the reverse, 0: neither)
    and do_nothing_key."""

    def __init__(self):
        self.operating_points = []  # (key, perf, t), Pareto-optimal
        self.suboptimal_points = []

    def compare_keys(self, k1, k2):
        raise NotImplementedError

    def do_nothing_key(self):
        raise NotImplementedError

    def is_pareto_optimal(self, perf_new, t_new):
        return not any(perf >= perf_new and t <= t_new for _, perf, t in self.operating_points)

    def predict_bounds(self, key):
        """(max perf, min time) implied for key by the points measured so far (more effort:
        at least as slow; less effort: at most as good)."""
        min_time, max_perf = 0.0, 1.0
        for key2, perf, t in self.operating_points + self.suboptimal_points:
            cmp = self.compare_keys(key, key2)
            if cmp > 0:
                min_time = max(min_time, t)
            if cmp < 0:
                max_perf = min(max_perf, perf)
        return max_perf, min_time

    def should_run_experiment(self, key):
        return self.is_pareto_optimal(*self.predict_bounds(key))

    def add_operating_point(self, key, perf, t):
        if not self.is_pareto_optimal(perf, t):
            self.suboptimal_points.append((key, perf, t))
            return False
        keep = []
        for p in self.operating_points:
            (self.suboptimal_points if perf >= p[1] and t <= p[2] else keep).append(p)
        keep.append((key, perf, t))
        self.operating_points = keep
        return True


class OperatingPointsWithRanges(OperatingPoints):
    """Parameters each taken from an ordered range of values; a key is the array of indices,
    and a larger index is assumed slower and more accurate."""

    def __init__(self):
        OperatingPoints.__init__(self)
        self.ranges = []  # (name, values)

    def add_range(self, name, values):
        self.ranges.append((name, values))

    def compare_keys(self, k1, k2):
        if np.all(k1 >= k2):
            return 1
        if np.all(k2 >= k1):
            return -1
        return 0

    def do_nothing_key(self):
        return np.zeros(len(self.ranges), dtype=int)

    def num_experiments(self):
        return int(np.prod([len(values) for _, values in self.ranges]))

    def sample_experiments(self, n_autotune, rs=np.random):
        """Experiment numbers to run: the cheapest, the most expensive, then at most
        n_autotune - 2 others in a random order (all of them when n_autotune is 0)."""
        if not (n_autotune == 0 or n_autotune >= 2):
            raise ValueError("n_autotune must be 0 or >= 2")
        totex = self.num_experiments()
        rs = np.random.RandomState(123)
        if n_autotune == 0 or totex < n_autotune:
            experiments = rs.permutation(totex - 2)
        else:
            experiments = rs.choice(totex - 2, size=n_autotune - 2, replace=False)
        return [0, totex - 1] + [int(cno) + 1 for cno in experiments]

    def cno_to_key(self, cno):
        k = np.zeros(len(self.ranges), dtype=int)
        for i, (_, values) in enumerate(self.ranges):
            k[i] = cno % len(values)
            cno //= len(values)
        if cno != 0:
            raise ValueError("experiment number out of range")
        return k

    def get_parameters(self, k):
        return {name: values[k[i]] for i, (name, values) in enumerate(self.ranges)}

    def restrict_range(self, name, max_val):
        for name2, values in self.ranges:
            if name == name2:
                values[:] = [v for v in values if v < max_val]
                return
        raise RuntimeError(f"parameter {name} not found")
