"""ProductQuantizer, IndexPQ, IndexIVFPQ and IndexRefineFlat from Python."""
import numpy as np
import pytest

import faisslike as faiss
from conftest import brute_force, clustered



def test_product_quantizer_standalone(rng):
    x = clustered(rng, 4000, 32, ncent=30, scale=3.0)
    errs = []
    for M in (2, 4, 8, 16):
        pq = faiss.ProductQuantizer(32, M, 6)
        pq.cp.niter = 8
        pq.train(x)
        codes = pq.compute_codes(x)
        assert codes.dtype == np.uint8 and codes.shape == (4000, pq.code_size)
        assert pq.code_size == (M * 6 + 7) // 8
        errs.append(((pq.decode(codes) - x) ** 2).mean())
    assert all(a > b for a, b in zip(errs, errs[1:])), errs
    assert pq.centroids.shape == (16, 64, 2)
    table = pq.compute_distance_table(x[:1])
    rec = pq.decode(pq.compute_codes(x[:1]))
    # Encoding picks each row's nearest centroid, so the row minima sum to the distance to
    # the reconstruction.
    assert table.shape == (16, 64)
    np.testing.assert_allclose(table.min(axis=1).sum(), ((x[:1] - rec) ** 2).sum(), rtol=1e-3)


def test_index_pq_adc_is_exact_on_reconstructions(rng):
    x, xq = clustered(rng, 3000, 32, nq=10, ncent=30, scale=3.0)
    for metric in (faiss.METRIC_L2, faiss.METRIC_INNER_PRODUCT):
        index = faiss.IndexPQ(32, 8, 8, metric)
        index.train(x)
        index.add(x)
        rec = index.reconstruct_n(0, index.ntotal)
        D, I = index.search(xq, 10)
        Dref, Iref = brute_force(xq, rec, 10, metric == faiss.METRIC_INNER_PRODUCT)
        np.testing.assert_allclose(D, Dref, rtol=1e-3, atol=1e-2)
        codes = index.sa_encode(x[:50])
        np.testing.assert_array_equal(index.sa_decode(codes), rec[:50])


def test_ivfpq_full_probe_and_refine(rng):
    x, xq = clustered(rng, 5000, 32, nq=20, ncent=30, scale=3.0)
    ivf = faiss.IndexIVFPQ(faiss.IndexFlatL2(32), 32, 16, 8)
    assert ivf.by_residual and ivf.use_precomputed_table
    ivf.train(x)
    ivf.add(x)
    ivf.make_direct_map()
    rec = np.stack([ivf.reconstruct(i) for i in range(ivf.ntotal)])
    D, I = ivf.search(xq, 10, params=faiss.SearchParametersIVF(nprobe=16))
    Dref, _ = brute_force(xq, rec, 10)
    np.testing.assert_allclose(D, Dref, rtol=1e-3, atol=1e-2)
    ivf.use_precomputed_table = False
    D2, I2 = ivf.search(xq, 10, params=faiss.SearchParametersIVF(nprobe=16))
    np.testing.assert_allclose(D2, D, rtol=1e-3, atol=1e-2)

    rf = faiss.IndexRefineFlat(faiss.IndexIVFPQ(faiss.IndexFlatL2(32), 32, 16, 8))
    rf.train(x)
    rf.add(x)
    _, Igt = brute_force(xq, x, 10)
    p = faiss.SearchParametersRefine(k_factor=20, base_params=faiss.SearchParametersIVF(nprobe=16))
    D3, I3 = rf.search(xq, 10, params=p)
    recall = np.mean([len(set(I3[i]) & set(Igt[i])) / 10 for i in range(len(xq))])
    assert recall >= 0.95
    back = faiss.deserialize_index(faiss.serialize_index(rf))
    assert type(back) is faiss.IndexRefineFlat


def test_pq_roundtrip(rng, tmp_path):
    x = clustered(rng, 2000, 16, ncent=30, scale=3.0)
    for index in (faiss.IndexPQ(16, 4, 8), faiss.IndexIVFPQ(faiss.IndexFlatL2(16), 16, 8, 4, 8)):
        index.train(x)
        index.add(x)
        faiss.write_index(index, tmp_path / "pq.index")
        back = faiss.read_index(tmp_path / "pq.index")
        assert type(back) is type(index)
        np.testing.assert_array_equal(back.search(x[:5], 4)[1], index.search(x[:5], 4)[1])


def test_pq_bad_input(rng):
    x = clustered(rng, 300, 16, ncent=30, scale=3.0)
    with pytest.raises(ValueError, match="not a multiple of M=5"):
        faiss.ProductQuantizer(16, 5)
    with pytest.raises(ValueError, match="nbits=17"):
        faiss.IndexPQ(16, 4, 17)
    with pytest.raises(RuntimeError, match="at least ksub=256"):
        faiss.IndexPQ(16, 4).train(x[:100])
    index = faiss.IndexPQ(16, 4)
    with pytest.raises(RuntimeError, match="not trained"):
        index.add(x)
    with pytest.raises(RuntimeError, match="not trained"):
        faiss.ProductQuantizer(16, 4).compute_codes(x)
    index.train(x)
    with pytest.raises(TypeError):
        index.sa_decode(np.zeros((3, 4), dtype="float32"))
    with pytest.raises(ValueError):
        index.sa_decode(np.zeros((3, 5), dtype="uint8"))
    with pytest.raises(ValueError):
        faiss.IndexRefineFlat(faiss.IndexFlatL2(16), k_factor=0.5)


def test_ivf_residual_pq_is_as_good_as_one_trained_on_a_random_sample():
    # Regression: k-means once drew its subsample with the stream that seeds its centroids, so
    # with nlist x 1 = ksub x 256 training points the residual PQ was trained on exactly the
    # coarse centroids' seed points (the smallest residuals): 4.5% more error on syn-1m.
    rng = np.random.default_rng(3)
    d, nlist, n = 16, 1024, 30000
    centers = rng.standard_normal((200, d)).astype(np.float32) * 4
    def draw(m):
        return (centers[rng.integers(0, 200, m)] + rng.standard_normal((m, d))).astype(np.float32)
    xt, xv = draw(n), draw(20000)
    ix = faiss.IndexIVFPQ(faiss.IndexFlatL2(d), d, nlist, 4, 4)
    ix.cp.niter = 4
    ix.pq.cp.max_points_per_centroid = nlist // 16  # the subsample the same size as nlist
    ix.train(xt)
    cq = ix.quantizer.reconstruct_n(0, nlist)
    def residuals(x):
        _, a = ix.quantizer.search(x, 1)
        return x - cq[a[:, 0]]
    rv = residuals(xv)
    def err(pq):
        return float(np.mean(np.sum((rv - pq.decode(pq.compute_codes(rv))) ** 2, 1)))
    rt = residuals(xt)
    ref = []
    for _ in range(3):  # a PQ on random samples of the same size, three draws
        pq = faiss.ProductQuantizer(d, 4, 4)
        pq.train(rt[rng.choice(n, nlist, replace=False)])
        ref.append(err(pq))
    assert err(ix.pq) <= max(ref) * 1.02, (err(ix.pq), ref)
