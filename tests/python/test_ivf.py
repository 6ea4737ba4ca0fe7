"""IndexIVFFlat, Clustering and Kmeans from Python, against brute force."""
import concurrent.futures as cf
import gc

import numpy as np
import pytest

import faisslike as faiss
from conftest import brute_force, clustered



@pytest.fixture
def data(rng):
    return clustered(rng, 4000, 16, nq=40)


def make_ivf(xb, nlist=32, metric=faiss.METRIC_L2):
    d = xb.shape[1]
    q = faiss.IndexFlat(d, metric)
    ivf = faiss.IndexIVFFlat(q, d, nlist, metric)
    assert not ivf.is_trained
    ivf.train(xb)
    ivf.add(xb)
    return ivf


@pytest.mark.parametrize("metric", [faiss.METRIC_L2, faiss.METRIC_INNER_PRODUCT])
def test_full_probe_is_exact(data, metric):
    xb, xq = data
    ivf = make_ivf(xb, metric=metric)
    assert ivf.is_trained and ivf.ntotal == len(xb) and ivf.nlist == 32
    ivf.nprobe = 32
    D, I = ivf.search(xq, 10)
    Dref, Iref = brute_force(xq, xb, 10, metric == faiss.METRIC_INNER_PRODUCT)
    np.testing.assert_allclose(D, Dref, rtol=1e-4, atol=1e-2)
    assert (I == Iref).mean() > 0.99


def test_recall_monotone_in_nprobe_and_params(data):
    xb, xq = data
    ivf = make_ivf(xb)
    _, Iref = brute_force(xq, xb, 10)
    prev = -1
    for nprobe in (1, 2, 4, 8, 16, 32):
        _, I = ivf.search(xq, 10, params=faiss.SearchParametersIVF(nprobe=nprobe))
        r = np.mean([len(set(I[i]) & set(Iref[i])) / 10 for i in range(len(xq))])
        assert r >= prev, nprobe
        prev = r
    assert prev > 0.99
    assert ivf.nprobe == 1  # params did not touch the index


def test_concurrent_searches_with_different_nprobe(data):
    xb, xq = data
    ivf = make_ivf(xb)
    expected = {n: ivf.search(xq, 5, params=faiss.SearchParametersIVF(nprobe=n))[1] for n in (1, 3, 9, 27)}
    jobs = [n for n in expected for _ in range(4)]
    with cf.ThreadPoolExecutor(4) as ex:
        results = list(ex.map(lambda n: (n, ivf.search(xq, 5, params=faiss.SearchParametersIVF(nprobe=n))[1]), jobs))
    for n, I in results:
        np.testing.assert_array_equal(I, expected[n])


def test_quantizer_kept_alive_and_roundtrip(data, tmp_path):
    xb, xq = data
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatL2(16), 16, 16)  # temporary quantizer object
    gc.collect()
    ivf.train(xb)
    ivf.add(xb)
    assert ivf.quantizer.ntotal == 16
    ivf.nprobe = 4
    D, I = ivf.search(xq, 5)
    faiss.write_index(ivf, tmp_path / "ivf.index")
    back = faiss.read_index(tmp_path / "ivf.index")
    assert type(back) is faiss.IndexIVFFlat and back.nprobe == 4 and back.nlist == 16
    D2, I2 = back.search(xq, 5)
    np.testing.assert_array_equal(I, I2)
    np.testing.assert_array_equal(D, D2)
    assert sum(back.get_list_size(i) for i in range(16)) == len(xb)


def test_add_with_ids_and_reconstruct(data):
    xb, _ = data
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatL2(16), 16, 8)
    ivf.train(xb)
    ids = np.arange(len(xb), dtype="int64") * 3 + 100
    ivf.add_with_ids(xb, ids)
    _, I = ivf.search(xb[:5], 1, params=faiss.SearchParametersIVF(nprobe=8))
    np.testing.assert_array_equal(I[:, 0], ids[:5])
    with pytest.raises(RuntimeError, match="direct map"):
        ivf.reconstruct(100)
    ivf.set_direct_map_type(2)
    np.testing.assert_array_equal(ivf.reconstruct(103), xb[1])
    with pytest.raises(ValueError):
        ivf.add_with_ids(xb[:3], ids[:2])


def test_fewer_than_k_results_are_minus_one(data):
    xb, xq = data
    ivf = make_ivf(xb)
    D, I = ivf.search(xq[:1], 1000)
    assert I[0, -1] == -1 and np.isinf(D[0, -1])


def test_ivf_bad_input(data):
    xb, xq = data
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatL2(16), 16, 64)
    with pytest.raises(RuntimeError, match="not trained"):
        ivf.add(xb[:10])
    with pytest.raises(RuntimeError, match="not trained"):
        ivf.search(xq, 1)
    with pytest.raises(RuntimeError, match="nlist=64"):
        ivf.train(xb[:20])
    bad = xb.copy()
    bad[7, 3] = np.nan
    with pytest.raises(RuntimeError, match="row 7"):
        ivf.train(bad)
    ivf.train(xb)
    for v in (0, -3):
        with pytest.raises(ValueError, match="nprobe"):
            ivf.nprobe = v
    with pytest.raises(ValueError):
        faiss.SearchParametersIVF(nprobe=-1)
    with pytest.raises(TypeError):
        ivf.search(xq, 1, params="nprobe=3")
    with pytest.raises(ValueError):
        faiss.IndexIVFFlat(faiss.IndexFlatL2(16), 16, 0)
    with pytest.raises(ValueError, match="quantizer has d=8"):
        faiss.IndexIVFFlat(faiss.IndexFlatL2(8), 16, 4)
    ivf.add(xb)
    D, I = ivf.search(xq, 3, params=faiss.SearchParametersIVF(nprobe=10_000))  # clamps
    D2, I2 = ivf.search(xq, 3, params=faiss.SearchParametersIVF(nprobe=64))
    np.testing.assert_array_equal(I, I2)


def test_kmeans(rng):
    x = clustered(rng, 3000, 8, ncent=10)
    km = faiss.Kmeans(8, 10, niter=20, seed=7)
    obj = km.train(x)
    assert km.centroids.shape == (10, 8) and km.centroids.dtype == np.float32
    assert len(km.obj) == 20 and km.obj[-1] < km.obj[0] and obj == km.obj[-1]
    assert np.all(np.diff(km.obj) <= np.abs(km.obj[:-1]) * 1e-3)
    D, I = km.assign(x[:50])
    d2 = ((x[:50, None, :] - km.centroids[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(I[:, 0], d2.argmin(1))
    assert km.index.ntotal == 10
    km2 = faiss.Kmeans(8, 10, niter=20, seed=7)
    km2.train(x)
    np.testing.assert_array_equal(km.centroids, km2.centroids)
    sph = faiss.Kmeans(8, 5, spherical=True)
    sph.train(x)
    np.testing.assert_allclose(np.linalg.norm(sph.centroids, axis=1), 1, rtol=1e-4)
    with pytest.raises(ValueError, match="k=50"):
        faiss.Kmeans(8, 50).train(x[:20])
    with pytest.raises(RuntimeError, match="non-finite"):
        bad = x.copy()
        bad[0, 0] = np.inf
        faiss.Kmeans(8, 5).train(bad)
    with pytest.raises(TypeError):
        faiss.Kmeans(8, 5, bogus=1)
