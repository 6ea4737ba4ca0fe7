"""Factory variants beyond the first wave: IVF<n>_HNSW<M> coarse quantizers (and later
tokens), against faiss-cpu where installed."""
import numpy as np
import pytest

import faisslike as fl
from faisslike.contrib import datasets, factory_tools
from faisslike.contrib.evaluation import knn_intersection_measure

from faiss_anchor import needs_faiss, real_faiss


@pytest.fixture(scope="module")
def ds():
    return datasets.SyntheticDataset(32, 20000, 30000, 2000)


def _recall(lib, key, ds, **params):
    idx = lib.index_factory(32, key)
    idx.train(ds.get_train())
    idx.add(ds.get_database())
    ps = lib.ParameterSpace()
    for name, v in params.items():
        ps.set_index_parameter(idx, name, v)
    return knn_intersection_measure(idx.search(ds.get_queries(), 10)[1], ds.get_groundtruth(10)), idx


@needs_faiss
@pytest.mark.parametrize("key", ["IVF256_HNSW16,Flat", "IVF256_HNSW8,SQ8"])
def test_ivf_hnsw_quantizer_recall_matches_faiss(ds, key):
    ours, idx = _recall(fl, key, ds, nprobe=8, quantizer_efSearch=64)
    theirs, _ = _recall(real_faiss, key, ds, nprobe=8, quantizer_efSearch=64)
    assert abs(ours - theirs) <= 0.015, (ours, theirs)
    assert isinstance(fl.extract_index_ivf(idx).quantizer, fl.IndexHNSWFlat)
    assert factory_tools.reverse_index_factory(idx) == key


def test_ivf_hnsw_quantizer_round_trip(ds, tmp_path):
    _, idx = _recall(fl, "IVF64_HNSW8,Flat", ds, nprobe=4)
    D, I = idx.search(ds.get_queries(), 5)
    fl.write_index(idx, str(tmp_path / "a.index"))
    for flags in (0, fl.IO_FLAG_MMAP):
        back = fl.read_index(str(tmp_path / "a.index"), flags)
        back.nprobe = 4
        np.testing.assert_array_equal(back.search(ds.get_queries(), 5)[1], I)
    with pytest.raises(ValueError):
        fl.index_factory(32, "IVF64_HNSWx,Flat")
    with pytest.raises(ValueError):
        fl.index_factory(32, "IVF64_HNSW1,Flat")


@pytest.mark.parametrize("metric", [fl.METRIC_L2, fl.METRIC_INNER_PRODUCT])
def test_hnsw_range_search_is_exact_where_it_looks(ds, metric):
    xb, xq = ds.get_database()[:10000], ds.get_queries()[:200]
    idx = fl.IndexHNSWFlat(32, 16, metric)
    idx.add(xb)
    flat = fl.IndexFlat(32, metric)
    flat.add(xb)
    D, _ = flat.search(xq, 20)
    radius = float(np.median(D[:, 10]))
    lims_r, D_r, I_r = flat.range_search(xq, radius)
    lims, Dh, Ih = idx.range_search(xq, radius, params=fl.SearchParametersHNSW(efSearch=128))
    # every result is really within the radius, with its exact distance
    for i in range(len(xq)):
        ids, dis = Ih[lims[i]:lims[i + 1]], Dh[lims[i]:lims[i + 1]]
        ref = dict(zip(I_r[lims_r[i]:lims_r[i + 1]], D_r[lims_r[i]:lims_r[i + 1]]))
        assert all(j in ref for j in ids)
        np.testing.assert_allclose(dis, [ref[j] for j in ids], rtol=1e-4, atol=1e-4)
    from faisslike.contrib.evaluation import range_PR
    p, r = range_PR(lims_r, I_r, lims, Ih)
    assert p == 1.0 and r > 0.9, r


@needs_faiss
def test_hnsw_range_recall_not_below_faiss(ds):
    from faisslike.contrib.evaluation import range_PR
    xb, xq = ds.get_database()[:10000], ds.get_queries()[:300]
    flat = fl.IndexFlatL2(32)
    flat.add(xb)
    radius = float(np.median(flat.search(xq, 20)[0][:, 10]))
    lims_r, _, I_r = flat.range_search(xq, radius)
    recalls = []
    for lib in (fl, real_faiss):
        idx = lib.IndexHNSWFlat(32, 16)
        idx.add(xb)
        idx.hnsw.efSearch = 32
        lims, _, I = idx.range_search(xq, radius)
        recalls.append(range_PR(lims_r, I_r, lims, I)[1])
    assert recalls[0] >= recalls[1] - 0.01, recalls


@pytest.mark.parametrize("key", ["HNSW16,SQ8", "HNSW16_SQfp16", "HNSW16,PQ8", "HNSW16,SQ4"])
def test_hnsw_over_codes_round_trip_and_params(ds, key, tmp_path):
    idx = fl.index_factory(32, key)
    assert isinstance(idx, fl.IndexHNSWSQ if "SQ" in key else fl.IndexHNSWPQ)
    idx.train(ds.get_train())
    idx.add(ds.get_database()[:5000])
    xq = ds.get_queries()[:100]
    D, I = idx.search(xq, 5, params=fl.SearchParametersHNSW(efSearch=64))
    assert (I >= 0).all()
    # distances are the codec's: equal to brute force over the decoded vectors for SQ
    if "SQ" in key:
        dec = idx.reconstruct_n(0, 5000)
        exact = np.stack([((dec[I[i]] - xq[i]) ** 2).sum(1) for i in range(len(xq))])
        np.testing.assert_allclose(D, exact, rtol=1e-3, atol=1e-3)
    fl.write_index(idx, str(tmp_path / "h.index"))
    for flags in (0, fl.IO_FLAG_MMAP):
        back = fl.read_index(str(tmp_path / "h.index"), flags)
        assert type(back) is type(idx)
        np.testing.assert_array_equal(back.search(xq, 5, params=fl.SearchParametersHNSW(efSearch=64))[1], I)
    sel = fl.IDSelectorRange(0, 2500)
    _, Is = idx.search(xq, 5, params=fl.SearchParametersHNSW(efSearch=64, sel=sel))
    assert ((Is >= 0) & (Is < 2500) | (Is == -1)).all()
    with pytest.raises(RuntimeError):
        idx.remove_ids(np.array([1]))


@needs_faiss
@pytest.mark.parametrize("key", ["HNSW32,SQ8", "HNSW16,PQ16x4", "HNSW16,SQ4"])
def test_hnsw_over_codes_recall_not_below_faiss(key):
    big = datasets.SyntheticDataset(64, 10000, 20000, 1000)
    gt = big.get_groundtruth(10)
    rec = []
    for lib in (fl, real_faiss):
        idx = lib.index_factory(64, key)
        idx.train(big.get_train()[:3000])  # FAISS's PQ training is slow: keep it short
        idx.add(big.get_database())
        idx.hnsw.efSearch = 64
        rec.append(knn_intersection_measure(idx.search(big.get_queries(), 10)[1], gt))
    assert rec[0] >= rec[1] - 0.01, rec


def test_pq_np_token():
    idx = fl.index_factory(32, "IVF16,PQ8np")
    assert isinstance(idx, fl.IndexIVFPQ) and idx.use_precomputed_table is False
    assert fl.index_factory(32, "IVF16,PQ8").use_precomputed_table is True
    assert fl.index_factory(32, "IVF16,PQ8x4np").pq.nbits == 4
    assert isinstance(fl.index_factory(32, "PQ8np"), fl.IndexPQ)
    with pytest.raises(ValueError):
        fl.index_factory(32, "IVF16,PQ8nq")


@pytest.mark.parametrize("nbits", [9, 10, 12, 16])
def test_pq_wide_codes_equal_decoded_brute_force(nbits, tmp_path):
    rs = np.random.RandomState(nbits)
    x = rs.randn(70000 if nbits == 16 else 6000, 8).astype("float32")
    idx = fl.IndexPQ(8, 2, nbits)
    idx.pq.cp.niter = 3 if nbits == 16 else 10
    idx.train(x)
    idx.add(x[:3000])
    assert idx.code_size == (2 * nbits + 7) // 8
    dec = idx.reconstruct_n(0, 3000)
    xq = x[-50:]
    D, I = idx.search(xq, 5)
    ref = np.stack([((dec - q) ** 2).sum(1) for q in xq])
    np.testing.assert_allclose(D, np.sort(ref, 1)[:, :5], rtol=1e-4, atol=1e-4)
    # more bits, smaller quantization error than 8 bits
    err = ((dec - x[:3000]) ** 2).sum(1).mean()
    idx8 = fl.IndexPQ(8, 2, 8)
    idx8.train(x)
    idx8.add(x[:3000])
    assert err < ((idx8.reconstruct_n(0, 3000) - x[:3000]) ** 2).sum(1).mean()
    back = fl.deserialize_index(fl.serialize_index(idx))
    np.testing.assert_array_equal(back.search(xq, 5)[1], I)
    ivf = fl.index_factory(8, f"IVF4,PQ2x{nbits}")
    assert ivf.pq.nbits == nbits


@pytest.mark.parametrize("key", ["Flat", "HNSW16", "HNSW16,SQ8", "HNSW16,PQ4x4", "IVF4,Flat",
                                 "PQ4x4", "IDMap,HNSW8", "PCA8,HNSW8", "SQ4"])
def test_adding_nothing_to_an_empty_index(ds, key):
    # FAISS's test_add_0_vecs: an empty HNSW once crashed here.
    idx = fl.index_factory(32, key)
    if not idx.is_trained:
        idx.train(ds.get_train()[:2000])
    if "IDMap" in key:  # add() is refused on an IDMap whatever n (as FAISS)
        idx.add_with_ids(np.zeros((0, 32), dtype="float32"), np.zeros(0, dtype="int64"))
    else:
        idx.add(np.zeros((0, 32), dtype="float32"))
    assert idx.ntotal == 0
    D, I = idx.search(ds.get_queries()[:3], 2)
    assert (I == -1).all()
