"""faisslike.Kmeans: the FAISS Python helper, over faisslike.Clustering."""
import numpy as np

from ._faisslike import (METRIC_INNER_PRODUCT, METRIC_L2, Clustering, ClusteringParameters,
                         IndexFlat)


class _StatsList(list):
    """A list that also answers .size() / .at(i) (FAISS's vector API)."""

    def size(self):
        return len(self)

    def at(self, i):
        return self[i]


class Kmeans:
    """Kmeans(d, k, niter=25, verbose=False, spherical=False, seed=1234, **cp)

    train(x, weights=None, init_centroids=None) runs k-means and returns the final
    objective; afterwards .centroids is a (k, d) float32 array, .obj the objective per
    iteration, .iteration_stats a list of dicts (obj, time, time_search, imbalance_factor,
    nsplit), .index a Flat index over the centroids, and assign(x) returns (D, I) of each
    row's nearest centroid. Other keywords set ClusteringParameters fields (nredo, kmeanspp,
    int_centroids, frozen_centroids, max_points_per_centroid, min_points_per_centroid).
    """

    def __init__(self, d, k, niter=25, verbose=False, spherical=False, seed=1234, **kwargs):
        if d <= 0:
            raise ValueError(f"d must be > 0, got d={d}")
        if k <= 0:
            raise ValueError(f"k must be > 0, got k={k}")
        self.d, self.k = int(d), int(k)
        self.gpu = kwargs.pop("gpu", False)
        if self.gpu:
            raise ValueError("faisslike has no GPU support (gpu= must be False)")
        # FAISS-only knobs with no effect here.
        for ignored in ("update_index", "decode_block_size", "check_input_data_for_NaNs",
                        "use_faiss_rng"):
            kwargs.pop(ignored, None)
        self.cp = ClusteringParameters()
        self.cp.niter, self.cp.verbose, self.cp.spherical, self.cp.seed = niter, verbose, spherical, seed
        for name, value in kwargs.items():
            if not hasattr(self.cp, name):
                raise TypeError(f"unknown k-means parameter '{name}'")
            setattr(self.cp, name, value)
        self.centroids = None
        self.obj = None
        self.iteration_stats = None
        self.index = None

    def train(self, x, weights=None, init_centroids=None):
        """Cluster x (n, d); returns the final objective. weights: per-point weights; init_centroids: starting centroids."""
        x = np.ascontiguousarray(x, dtype="float32")
        if x.ndim != 2 or x.shape[1] != self.d:
            raise ValueError(f"x must have shape (n, {self.d}), got {x.shape}")
        if x.shape[0] < self.k:
            raise ValueError(f"k-means needs at least k={self.k} points, got n={x.shape[0]}")
        clus = Clustering(self.d, self.k, self.cp)
        if init_centroids is not None:
            init = np.ascontiguousarray(init_centroids, dtype="float32")
            if init.ndim != 2 or init.shape[1] != self.d or init.shape[0] > self.k:
                raise ValueError(f"init_centroids must have shape (<= {self.k}, {self.d}), got {init.shape}")
            clus.centroids = init
        self.index = IndexFlat(self.d, METRIC_INNER_PRODUCT if self.cp.spherical else METRIC_L2)
        clus.train(x, self.index, weights)
        self.centroids = clus.centroids
        stats = clus.iteration_stats
        self.obj = np.array([st.obj for st in stats])
        self.iteration_stats = _StatsList(
            {"obj": st.obj, "time": st.time, "time_search": st.time_search,
             "imbalance_factor": st.imbalance_factor, "nsplit": st.nsplit} for st in stats)
        return float(self.obj[-1]) if len(self.obj) else 0.0

    def assign(self, x):
        """(D, I): distance to and index of the nearest centroid of each row of x."""
        if self.index is None:
            raise RuntimeError("Kmeans.assign before train")
        return self.index.search(x, 1)
