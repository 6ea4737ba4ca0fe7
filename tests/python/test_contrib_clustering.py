"""faisslike.contrib.clustering: two-level k-means and the Python k-means, against FAISS's
contrib where installed."""
import numpy as np
import pytest

import faisslike as fl
from faisslike.contrib import clustering, datasets
from faisslike.contrib.evaluation import knn_intersection_measure

from faiss_anchor import needs_faiss, real_faiss

if real_faiss is not None:
    from faiss.contrib import clustering as ref_clustering


@pytest.fixture(scope="module")
def ds():
    return datasets.SyntheticDataset(32, 20000, 20000, 500)


def test_two_level_clustering_shapes_and_balance(ds):
    for rebalance in (True, False):
        c, stats = clustering.two_level_clustering(ds.get_train(), 8, 100, rebalance=rebalance,
                                                     clustering_niter=5)
        assert c.shape == (100, 32) and np.isfinite(c).all()
        assert len(stats) >= 2
    with pytest.raises(ValueError):
        clustering.two_level_clustering(ds.get_train(), 10, 5)


def test_train_ivf_with_two_levels_works_like_normal_training(ds):
    gt = ds.get_groundtruth(10)
    recalls = []
    for two_level in (False, True):
        index = fl.index_factory(32, "PCA32,IVF256,Flat")
        if two_level:
            clustering.train_ivf_index_with_2level(index, ds.get_train(), clustering_niter=10)
        else:
            index.train(ds.get_train())
        assert index.is_trained
        index.add(ds.get_database())
        fl.extract_index_ivf(index).nprobe = 8
        recalls.append(knn_intersection_measure(index.search(ds.get_queries(), 10)[1], gt))
    assert abs(recalls[0] - recalls[1]) < 0.05, recalls


def test_python_kmeans_matches_cpp_objective(ds):
    xt = ds.get_train()[:5000]
    cent, stats = clustering.kmeans(50, clustering.DatasetAssign(xt), niter=10, verbose=False,
                                    return_stats=True)
    assert cent.shape == (50, 32)
    objs = [s["obj"] for s in stats]
    assert objs[-1] <= objs[0]
    km = fl.Kmeans(32, 50, niter=10)
    km.train(xt)
    assert abs(objs[-1] - km.obj[-1]) / km.obj[-1] < 0.05


@needs_faiss
def test_imbalance_factor_and_reassign_equal_faiss():
    rs = np.random.RandomState(3)
    a = rs.randint(0, 20, 1000)
    assert clustering.imbalance_factor(20, a) == pytest.approx(ref_clustering.imbalance_factor(20, a))
    h = np.bincount(rs.randint(0, 10, 50), minlength=12)
    c = rs.rand(12, 4).astype("float32")
    h1, c1, h2, c2 = h.copy(), c.copy(), h.copy(), c.copy()
    n1 = clustering.reassign_centroids(h1, c1, np.random.RandomState(1))
    n2 = ref_clustering.reassign_centroids(h2, c2, np.random.RandomState(1))
    assert n1 == n2
    np.testing.assert_array_equal(h1, h2)
    np.testing.assert_allclose(c1, c2)
