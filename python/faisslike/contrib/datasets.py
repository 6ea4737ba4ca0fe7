"""Test datasets (faiss.contrib.datasets): SyntheticDataset and loaders for the standard
TEXMEX sets stored locally.

SyntheticDataset(d, nt, nb, nq, metric, seed) generates the same vectors as FAISS's for the
same arguments (a 10-dimensional Gaussian mapped into d dimensions through a random linear
map and a sine), so results can be compared with FAISS's directly.
"""
import os

import numpy as np

from .. import METRIC_INNER_PRODUCT, METRIC_L2, knn
from .vecs_io import bvecs_mmap, fvecs_mmap, fvecs_read, ivecs_read


class Dataset:
    """Base class: d, metric ('L2' or 'IP'), nq, nb, nt and the get_* methods."""

    def __init__(self):
        self.d = -1
        self.metric = "L2"
        self.nq = self.nb = self.nt = -1

    def get_queries(self):
        raise NotImplementedError()

    def get_train(self, maxtrain=None):
        raise NotImplementedError()

    def get_database(self):
        raise NotImplementedError()

    def database_iterator(self, bs=128, split=(1, 0)):
        """Batches of bs database vectors; split=(nsplit, rank) iterates over one shard."""
        xb = self.get_database()
        nsplit, rank = split
        if not (nsplit > 0 and 0 <= rank < nsplit):
            raise ValueError(f"split must be (nsplit, rank) with 0 <= rank < nsplit, got {split}")
        if bs <= 0:
            raise ValueError(f"bs must be > 0, got {bs}")
        i0, i1 = self.nb * rank // nsplit, self.nb * (rank + 1) // nsplit
        for j0 in range(i0, i1, bs):
            yield xb[j0:min(j0 + bs, i1)]

    def get_groundtruth(self, k=None):
        raise NotImplementedError()

    def get_groundtruth_range(self, thresh=None):
        raise NotImplementedError()

    def __str__(self):
        return (f"dataset in dimension {self.d}, with metric {self.metric}, "
                f"size: Q {self.nq} B {self.nb} T {self.nt}")

    def check_sizes(self):
        assert self.get_queries().shape == (self.nq, self.d)
        if self.nt > 0:
            xt = self.get_train(maxtrain=123)
            assert xt.shape == (123, self.d), f"shape={xt.shape}"
        assert self.get_database().shape == (self.nb, self.d)
        assert self.get_groundtruth(k=13).shape == (self.nq, 13)


def _metric_code(metric):
    """'L2' / 'IP', or the METRIC_* constants (FAISS's tests pass those; FAISS itself then
    computes inner-product ground truth for any value but 'L2': we honour the constant)."""
    if metric == "L2" or (isinstance(metric, (int, np.integer)) and not isinstance(metric, bool)
                          and int(metric) == METRIC_L2):
        return METRIC_L2
    if metric == "IP" or (isinstance(metric, (int, np.integer)) and not isinstance(metric, bool)
                          and int(metric) == METRIC_INNER_PRODUCT):
        return METRIC_INNER_PRODUCT
    raise ValueError(f"metric must be 'L2', 'IP', METRIC_L2 or METRIC_INNER_PRODUCT, got {metric!r}")


class SyntheticDataset(Dataset):
    """Not completely random, still challenging to index (FAISS's generator, same values)."""

    def __init__(self, d, nt, nb, nq, metric="L2", seed=1338):
        Dataset.__init__(self)
        for name, v in (("d", d), ("nt", nt), ("nb", nb), ("nq", nq)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{name} must be an integer")
            if v < 0 or (name == "d" and v == 0):
                raise ValueError(f"{name} must be {'> 0' if name == 'd' else '>= 0'}, got {v}")
        _metric_code(metric)  # checked here, kept as given
        self.d, self.nt, self.nb, self.nq = int(d), int(nt), int(nb), int(nq)
        d1 = 10  # intrinsic dimension
        n = self.nb + self.nt + self.nq
        rs = np.random.RandomState(seed)
        x = rs.normal(size=(n, d1))
        x = np.dot(x, rs.rand(d1, self.d))
        # a d1-dim ellipsoid in d dimensions, bent by the sine (higher factor: less linear)
        x = x * (rs.rand(self.d) * 4 + 0.1)
        x = np.sin(x).astype("float32")
        self.metric = metric
        self.xt = x[:self.nt]
        self.xb = x[self.nt:self.nt + self.nb]
        self.xq = x[self.nt + self.nb:]

    def get_queries(self):
        return self.xq

    def get_train(self, maxtrain=None):
        return self.xt[:(maxtrain if maxtrain is not None else self.nt)]

    def get_database(self):
        return self.xb

    def get_groundtruth(self, k=100):
        return knn(self.xq, self.xb, k, _metric_code(self.metric))[1]


# Standard datasets live under one directory: FAISS's guesses, then ./data/.
dataset_basedir = os.environ.get("FAISSLIKE_DATASETS", "")
if not dataset_basedir:
    for _d in ("/datasets01/simsearch/041218/", os.path.expanduser("~/simsearch/data/")):
        if os.path.exists(_d):
            dataset_basedir = _d
            break
    else:
        dataset_basedir = "data/"


def set_dataset_basedir(path):
    global dataset_basedir
    dataset_basedir = os.path.join(str(path), "")


def _base():
    return os.path.join(dataset_basedir, "")


def sanitize(x):
    return np.ascontiguousarray(x, dtype="float32")


def _gt(fname, k, kmax=None):
    gt = ivecs_read(fname)
    if k is not None:
        if k > gt.shape[1]:
            raise ValueError(f"k={k} but the ground truth has {gt.shape[1]} neighbours")
        gt = gt[:, :k]
    return gt


class DatasetSIFT1M(Dataset):
    """ANN_SIFT1M from http://corpus-texmex.irisa.fr/, in <basedir>/sift1M/."""

    def __init__(self):
        Dataset.__init__(self)
        self.d, self.nt, self.nb, self.nq = 128, 100000, 1000000, 10000
        self.basedir = _base() + "sift1M/"

    def get_queries(self):
        return fvecs_read(self.basedir + "sift_query.fvecs")

    def get_train(self, maxtrain=None):
        return fvecs_read(self.basedir + "sift_learn.fvecs")[:(maxtrain if maxtrain is not None else self.nt)]

    def get_database(self):
        return fvecs_read(self.basedir + "sift_base.fvecs")

    def get_groundtruth(self, k=None):
        return _gt(self.basedir + "sift_groundtruth.ivecs", k)


class DatasetGIST1M(Dataset):
    """ANN_GIST1M, in <basedir>/gist1M/."""

    def __init__(self):
        Dataset.__init__(self)
        self.d, self.nt, self.nb, self.nq = 960, 100000, 1000000, 10000
        self.basedir = _base() + "gist1M/"

    def get_queries(self):
        return fvecs_read(self.basedir + "gist_query.fvecs")

    def get_train(self, maxtrain=None):
        return fvecs_read(self.basedir + "gist_learn.fvecs")[:(maxtrain if maxtrain is not None else self.nt)]

    def get_database(self):
        return fvecs_read(self.basedir + "gist_base.fvecs")

    def get_groundtruth(self, k=None):
        return _gt(self.basedir + "gist_groundtruth.ivecs", k)


class DatasetBigANN(Dataset):
    """ANN_SIFT1B (uint8 .bvecs), first nb_M million vectors, in <basedir>/bigann/."""

    def __init__(self, nb_M=1000):
        Dataset.__init__(self)
        if nb_M not in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
            raise ValueError(f"nb_M must be one of the sizes with ground truth, got {nb_M}")
        self.nb_M = nb_M
        self.d, self.nt, self.nb, self.nq = 128, 10**8, nb_M * 10**6, 10000
        self.basedir = _base() + "bigann/"

    def get_queries(self):
        return sanitize(bvecs_mmap(self.basedir + "bigann_query.bvecs")[:])

    def get_train(self, maxtrain=None):
        maxtrain = maxtrain if maxtrain is not None else self.nt
        return sanitize(bvecs_mmap(self.basedir + "bigann_learn.bvecs")[:maxtrain])

    def get_groundtruth(self, k=None):
        return _gt(self.basedir + f"gnd/idx_{self.nb_M}M.ivecs", k)

    def get_database(self):
        if self.nb_M > 100:
            raise MemoryError("too large to load: use database_iterator")
        return sanitize(bvecs_mmap(self.basedir + "bigann_base.bvecs")[:self.nb])

    def database_iterator(self, bs=128, split=(1, 0)):
        xb = bvecs_mmap(self.basedir + "bigann_base.bvecs")
        nsplit, rank = split
        i0, i1 = self.nb * rank // nsplit, self.nb * (rank + 1) // nsplit
        for j0 in range(i0, i1, bs):
            yield sanitize(xb[j0:min(j0 + bs, i1)])


class DatasetDeep1B(Dataset):
    """Deep1B (float32 .fvecs), first nb vectors, in <basedir>/deep1b/."""

    def __init__(self, nb=10**9):
        Dataset.__init__(self)
        nb_to_name = {10**5: "100k", 10**6: "1M", 10**7: "10M", 10**8: "100M", 10**9: "1B"}
        if nb not in nb_to_name:
            raise ValueError(f"nb must be one of {sorted(nb_to_name)}, got {nb}")
        self.d, self.nt, self.nb, self.nq = 96, 358480000, nb, 10000
        self.basedir = _base() + "deep1b/"
        self.gt_fname = f"{self.basedir}deep{nb_to_name[nb]}_groundtruth.ivecs"

    def get_queries(self):
        return sanitize(fvecs_read(self.basedir + "deep1B_queries.fvecs"))

    def get_train(self, maxtrain=None):
        maxtrain = maxtrain if maxtrain is not None else self.nt
        return sanitize(fvecs_mmap(self.basedir + "learn.fvecs")[:maxtrain])

    def get_groundtruth(self, k=None):
        return _gt(self.gt_fname, k)

    def get_database(self):
        if self.nb > 10**8:
            raise MemoryError("too large to load: use database_iterator")
        return sanitize(fvecs_mmap(self.basedir + "base.fvecs")[:self.nb])

    def database_iterator(self, bs=128, split=(1, 0)):
        xb = fvecs_mmap(self.basedir + "base.fvecs")
        nsplit, rank = split
        i0, i1 = self.nb * rank // nsplit, self.nb * (rank + 1) // nsplit
        for j0 in range(i0, i1, bs):
            yield sanitize(xb[j0:min(j0 + bs, i1)])


class DatasetTexmexDir(Dataset):
    """Any TEXMEX-style directory: <prefix>_base/_query/_learn(.fvecs|.bvecs) and
    <prefix>_groundtruth.ivecs (learn and ground truth optional)."""

    def __init__(self, directory, prefix=None, metric="L2"):
        Dataset.__init__(self)
        self.dir = directory
        if prefix is None:
            cands = [f[:-len("_base.fvecs")] for f in os.listdir(directory) if f.endswith("_base.fvecs")]
            cands += [f[:-len("_base.bvecs")] for f in os.listdir(directory) if f.endswith("_base.bvecs")]
            if len(cands) != 1:
                raise ValueError(f"{directory}: expected one *_base.fvecs or *_base.bvecs, found {cands}")
            prefix = cands[0]
        self.prefix = os.path.join(directory, prefix)
        _metric_code(metric)
        self.metric = metric
        xb, xq = self._load("base"), self._load("query")
        self.d, self.nb, self.nq = xb.shape[1], xb.shape[0], xq.shape[0]
        self.nt = self._load("learn").shape[0] if self._exists("learn") else 0

    def _exists(self, part):
        return any(os.path.exists(f"{self.prefix}_{part}{ext}") for ext in (".fvecs", ".bvecs"))

    def _load(self, part):
        if os.path.exists(f"{self.prefix}_{part}.fvecs"):
            return fvecs_mmap(f"{self.prefix}_{part}.fvecs")
        return bvecs_mmap(f"{self.prefix}_{part}.bvecs")

    def get_queries(self):
        return sanitize(self._load("query"))

    def get_database(self):
        return sanitize(self._load("base"))

    def get_train(self, maxtrain=None):
        if not self.nt:
            raise RuntimeError(f"{self.prefix}: no _learn file")
        return sanitize(self._load("learn")[:(maxtrain if maxtrain is not None else self.nt)])

    def get_groundtruth(self, k=None):
        f = f"{self.prefix}_groundtruth.ivecs"
        if os.path.exists(f):
            return _gt(f, k)
        return knn(self.get_queries(), self.get_database(), k or 100, _metric_code(self.metric))[1]


def dataset_from_name(dataset="deep1M", download=False):
    """'sift1M', 'gist1M', 'bigann<n>M', 'deep<n>M' / 'deep1B', 'syn-<d>-<nb>' style names."""
    if download:
        raise RuntimeError("faisslike does not download datasets: place them under dataset_basedir")
    if dataset == "sift1M":
        return DatasetSIFT1M()
    if dataset == "gist1M":
        return DatasetGIST1M()
    if dataset.startswith("bigann") and dataset.endswith("M"):
        return DatasetBigANN(nb_M=int(dataset[6:-1]))
    if dataset.startswith("deep"):
        szsuf = dataset[4:]
        mult = {"k": 10**3, "M": 10**6, "B": 10**9}.get(szsuf[-1:])
        if mult is None:
            raise ValueError(f"unknown dataset {dataset}")
        return DatasetDeep1B(nb=int(szsuf[:-1]) * mult)
    raise ValueError(f"unknown dataset {dataset}")
