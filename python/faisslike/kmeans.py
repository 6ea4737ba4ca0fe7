"""faisslike.Kmeans: the FAISS Python helper, over faisslike.Clustering."""
import numpy as np

from ._faisslike import (METRIC_INNER_PRODUCT, METRIC_L2, Clustering, ClusteringParameters,
                         IndexFlat)


class Kmeans:
    """Kmeans(d, k, niter=25, verbose=False, spherical=False, seed=1234, **cp)

    train(x) runs k-means; afterwards .centroids is a (k, d) float32 array, .obj the
    objective per iteration, .index a Flat index over the centroids, and assign(x)
    returns (D, I) of each row's nearest centroid. Extra keywords set ClusteringParameters
    fields (nredo, kmeanspp, max_points_per_centroid, min_points_per_centroid).
    """

    def __init__(self, d, k, niter=25, verbose=False, spherical=False, seed=1234, **kwargs):
        if d <= 0:
            raise ValueError(f"d must be > 0, got d={d}")
        if k <= 0:
            raise ValueError(f"k must be > 0, got k={k}")
        self.d, self.k = int(d), int(k)
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

    def train(self, x, weights=None):
        if weights is not None:
            raise NotImplementedError("weighted k-means is not supported")
        x = np.ascontiguousarray(x, dtype="float32")
        if x.ndim != 2 or x.shape[1] != self.d:
            raise ValueError(f"x must have shape (n, {self.d}), got {x.shape}")
        if x.shape[0] < self.k:
            raise ValueError(f"k-means needs at least k={self.k} points, got n={x.shape[0]}")
        clus = Clustering(self.d, self.k, self.cp)
        self.index = IndexFlat(self.d, METRIC_INNER_PRODUCT if self.cp.spherical else METRIC_L2)
        clus.train(x, self.index)
        self.centroids = clus.centroids
        self.obj = np.array(clus.obj)
        self.iteration_stats = clus.iteration_stats
        return float(self.obj[-1]) if len(self.obj) else 0.0

    def assign(self, x):
        if self.index is None:
            raise RuntimeError("Kmeans.assign before train")
        return self.index.search(x, 1)
