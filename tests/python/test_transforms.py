"""Vector transforms (PCA, PCAR, PCAW, random rotation, linear) and IndexPreTransform,
differentially against faiss-cpu where installed."""
import numpy as np
import pytest

import faisslike as fl
from faisslike.contrib import datasets, evaluation, inspect_tools

from faiss_anchor import needs_faiss, real_faiss


@pytest.fixture(scope="module")
def ds():
    return datasets.SyntheticDataset(48, 4000, 6000, 400)


@needs_faiss
@pytest.mark.parametrize("key", ["PCA16,Flat", "PCAR16,Flat", "PCAW16,Flat", "PCA48,Flat", "RR48,Flat",
                                 "L2norm,PCA24,Flat", "PCA32,PCA16,Flat"])
def test_exact_transformed_search_equals_faiss(ds, key):
    ours, ref = fl.index_factory(48, key), real_faiss.index_factory(48, key)
    for idx in (ours, ref):
        idx.train(ds.get_train())
        idx.add(ds.get_database())
    D, I = ours.search(ds.get_queries(), 10)
    Dr, Ir = ref.search(ds.get_queries(), 10)
    # PCA directions differ only in sign (and the random rotations in draw), which leaves
    # distances alone: whitening and all.
    evaluation.check_ref_knn_with_draws(Dr, Ir, D, I, rtol=1e-3, atol=1e-4 * float(np.abs(Dr).max()))


@needs_faiss
def test_pca_eigenvalues_and_mean_equal_faiss(ds):
    pca, ref = fl.PCAMatrix(48, 8), real_faiss.PCAMatrix(48, 8)
    pca.train(ds.get_train())
    ref.train(ds.get_train())
    np.testing.assert_allclose(pca.eigenvalues, real_faiss.vector_to_array(ref.eigenvalues), rtol=1e-3,
                               atol=1e-3 * float(pca.eigenvalues[0]))
    np.testing.assert_allclose(pca.mean, real_faiss.vector_to_array(ref.mean), atol=1e-5)
    A, b = inspect_tools.get_LinearTransform_matrix(pca)
    from faiss.contrib.inspect_tools import get_LinearTransform_matrix as ref_get
    Ar, br = ref_get(ref)
    signs = np.sign((A * Ar).sum(1))
    np.testing.assert_allclose(A * signs[:, None], Ar, atol=1e-4)
    np.testing.assert_allclose(b * signs, br, atol=1e-4)


@needs_faiss
def test_pca_ivf_recall_matches_faiss(ds):
    gt = ds.get_groundtruth(10)
    recalls = []
    for lib in (fl, real_faiss):
        idx = lib.index_factory(48, "PCA24,IVF32,Flat")
        idx.train(ds.get_train())
        idx.add(ds.get_database())
        lib.extract_index_ivf(idx).nprobe = 8
        recalls.append(evaluation.knn_intersection_measure(idx.search(ds.get_queries(), 10)[1], gt))
    assert abs(recalls[0] - recalls[1]) <= 0.02, recalls


def test_transform_trained_through_the_index_is_the_callers(ds):
    pca = fl.PCAMatrix(48, 12)
    index = fl.IndexPreTransform(pca, fl.IndexFlatL2(12))
    assert not index.is_trained
    with pytest.raises(RuntimeError):
        index.add(ds.get_database())
    index.train(ds.get_train())
    assert pca.is_trained and index.is_trained and index.chain.at(0) is not None
    np.testing.assert_allclose(index.apply_chain(ds.get_queries()), pca.apply(ds.get_queries()), rtol=1e-6)
    index.add(ds.get_database())
    # reconstruct goes back through the PCA: the projection of the stored vector
    rec = index.reconstruct(5)
    y = pca.apply(ds.get_database()[5:6])
    np.testing.assert_allclose(rec, pca.reverse_transform(y)[0], rtol=1e-4, atol=1e-5)


def test_linear_transform_and_rotation(ds):
    rs = np.random.RandomState(0)
    A = rs.randn(6, 48).astype("float32")
    b = rs.randn(6).astype("float32")
    lt = inspect_tools.make_LinearTransform_matrix(A, b)
    x = ds.get_queries()
    np.testing.assert_allclose(lt.apply(x), x @ A.T + b, rtol=1e-4, atol=1e-4)
    assert not lt.is_orthonormal
    with pytest.raises(RuntimeError):
        lt.reverse_transform(lt.apply(x))
    rr = fl.RandomRotationMatrix(48, 48)
    with pytest.raises(RuntimeError):
        rr.apply(x)  # not initialized
    rr.init(7)
    np.testing.assert_allclose(rr.reverse_transform(rr.apply(x)), x, atol=1e-5)
    np.testing.assert_allclose(((rr.apply(x) ** 2).sum(1)), (x ** 2).sum(1), rtol=1e-5)
    up = fl.RandomRotationMatrix(8, 20)  # more outputs: orthonormal columns
    up.init(1)
    z = x[:, :8].copy()
    np.testing.assert_allclose(up.reverse_transform(up.apply(z)), z, atol=1e-5)


def test_transform_bad_input():
    with pytest.raises(ValueError):
        fl.PCAMatrix(8, 16)  # d_out > d_in
    with pytest.raises(ValueError):
        fl.PCAMatrix(0, 0)
    with pytest.raises(ValueError):
        fl.index_factory(8, "PCA16,Flat")
    with pytest.raises(ValueError):
        fl.index_factory(8, "PCA0,Flat")
    pca = fl.PCAMatrix(8, 4)
    with pytest.raises(RuntimeError):
        pca.train(np.zeros((1, 8), "float32"))  # needs 2 points
    with pytest.raises(ValueError):
        pca.train(np.zeros((5, 9), "float32"))
    x = np.ones((5, 8), "float32")
    x[2, 3] = np.nan
    with pytest.raises(RuntimeError):
        pca.train(x)
    with pytest.raises(ValueError):
        fl.IndexPreTransform(fl.PCAMatrix(8, 4), fl.IndexFlatL2(5))  # d mismatch
    lt = fl.LinearTransform(4, 2, True)
    with pytest.raises(ValueError):
        lt.set_matrix(np.ones((2, 4), "float32"))  # missing bias
    with pytest.raises(ValueError):
        lt.set_matrix(np.ones((3, 4), "float32"), np.ones(2, "float32"))


@pytest.mark.parametrize("key", ["PCA16,Flat", "PCAR16,IVF8,Flat", "PCAW16,HNSW8", "RR48,SQ8",
                                 "L2norm,PCA24,PQ4", "IDMap2,PCA16,Flat"])
def test_transform_io_round_trip_and_mmap(ds, key, tmp_path):
    idx = fl.index_factory(48, key)
    idx.train(ds.get_train())
    if key.startswith("IDMap"):
        idx.add_with_ids(ds.get_database(), np.arange(ds.nb) * 2)
    else:
        idx.add(ds.get_database())
    D, I = idx.search(ds.get_queries(), 5)
    fl.write_index(idx, str(tmp_path / "a.index"))
    for flags in (0, fl.IO_FLAG_MMAP):
        back = fl.read_index(str(tmp_path / "a.index"), flags)
        D2, I2 = back.search(ds.get_queries(), 5)
        np.testing.assert_array_equal(I, I2)
    # untrained transforms round-trip too
    empty = fl.index_factory(48, key)
    back = fl.deserialize_index(fl.serialize_index(empty))
    assert not back.is_trained
