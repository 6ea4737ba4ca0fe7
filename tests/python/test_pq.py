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
