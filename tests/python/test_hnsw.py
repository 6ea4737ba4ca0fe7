"""IndexHNSWFlat from Python."""
import concurrent.futures as cf

import numpy as np
import pytest

import faisslike as faiss
from conftest import brute_force, clustered



def test_hnsw_recall_params_and_roundtrip(rng, tmp_path):
    xb, xq = clustered(rng, 20000, 32, nq=100, ncent=50, scale=3.0)
    index = faiss.IndexHNSWFlat(32, 16)
    assert index.hnsw.efConstruction == 40 and index.hnsw.efSearch == 16 and index.is_trained
    index.add(xb)
    assert index.hnsw.max_level >= 1 and 0 <= index.hnsw.entry_point < 20000
    index.hnsw.efSearch = 64
    _, Iref = brute_force(xq, xb, 10)
    _, I = index.search(xq, 10)
    recall = np.mean([len(set(I[i]) & set(Iref[i])) / 10 for i in range(len(xq))])
    assert recall >= 0.95
    _, I16 = index.search(xq, 10, params=faiss.SearchParametersHNSW(efSearch=16))
    assert index.hnsw.efSearch == 64  # params did not touch the index
    faiss.write_index(index, tmp_path / "h.index")
    back = faiss.read_index(tmp_path / "h.index")
    assert type(back) is faiss.IndexHNSWFlat and back.hnsw.efSearch == 64
    np.testing.assert_array_equal(back.search(xq, 10)[1], I)
    with cf.ThreadPoolExecutor(3) as ex:
        outs = list(ex.map(lambda ef: index.search(xq, 10, params=faiss.SearchParametersHNSW(efSearch=ef))[1],
                           [16, 64, 16, 64]))
    np.testing.assert_array_equal(outs[0], I16)
    np.testing.assert_array_equal(outs[1], I)


def test_hnsw_bad_input(rng):
    with pytest.raises(ValueError, match=r"M must be in \[2, 512\]"):
        faiss.IndexHNSWFlat(8, 1)
    index = faiss.IndexHNSWFlat(8, 4)
    D, I = index.search(rng.standard_normal((2, 8)), 3)  # empty index
    assert (I == -1).all()
    with pytest.raises(ValueError):
        index.hnsw.efSearch = 0
    x = rng.standard_normal((10, 8)).astype("float32")
    x[3, 3] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        index.add(x)
    index.add(np.nan_to_num(x))
    D, I = index.search(x[:1] * 0, 10)  # k > efSearch: raised, all 10 found
    assert (I >= 0).all()


def test_hnsw_sq8_traversal(rng, tmp_path):
    xb, xq = clustered(rng, 5000, 32, nq=50, ncent=30, scale=3.0)
    index = faiss.IndexHNSWFlat(32, 16)
    index.add(xb)
    assert not index.sq8_traversal
    index.sq8_traversal = True  # encodes what is there; later adds are encoded too
    index.add(xq)
    D, I = index.search(xq, 10, params=faiss.SearchParametersHNSW(efSearch=64))
    assert (I[:, 0] == 5000 + np.arange(50)).all()  # the added queries find themselves
    np.testing.assert_allclose(D[:, 0], 0, atol=1e-4)  # exact distances after re-ranking
    exact = ((xq[:, None, :] - np.vstack([xb, xq])[I]) ** 2).sum(-1)
    np.testing.assert_allclose(D, exact, rtol=1e-4, atol=1e-3)
    faiss.write_index(index, tmp_path / "h.index")
    back = faiss.read_index(tmp_path / "h.index")
    assert back.sq8_traversal
    np.testing.assert_array_equal(back.search(xq, 10, params=faiss.SearchParametersHNSW(efSearch=64))[1], I)


@pytest.mark.parametrize("metric", [faiss.METRIC_L2, faiss.METRIC_INNER_PRODUCT])
def test_hnsw_qg_traversal(rng, tmp_path, metric):
    """The quantized-graph walk: recall >= 0.95 on clustered data at a moderate efSearch,
    exact distances, selectors and removals respected, adds after enabling it, the setting
    and its PQ kept in files (and memory-mapped ones); bad settings are ValueErrors."""
    xb, xq = clustered(rng, 20000, 32, nq=100, ncent=50, scale=2.0)
    if metric == faiss.METRIC_INNER_PRODUCT:
        xb /= np.linalg.norm(xb, axis=1, keepdims=True)
        xq /= np.linalg.norm(xq, axis=1, keepdims=True)
    index = faiss.IndexHNSWFlat(32, 16, metric)
    index.hnsw.efConstruction = 100
    index.add(xb[:15000])
    # One component per sub-quantizer: at d = 32, 2-component ones lose recall (0.85 at
    # efSearch 64 here, against 0.999 walking floats); at d = 128 two components are enough.
    index.qg_traversal = 32
    assert index.qg_traversal == 32
    index.add(xb[15000:])  # the packed neighbour codes follow the changed links
    ip = metric == faiss.METRIC_INNER_PRODUCT
    gt = brute_force(xq, xb, 10, ip)[1]
    ps = faiss.SearchParametersHNSW(efSearch=96)
    D, I = index.search(xq, 10, params=ps)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(I, gt)])
    assert recall >= 0.95, recall
    if metric == faiss.METRIC_L2:
        exact = ((xq[:, None, :] - xb[I]) ** 2).sum(-1)
    else:
        exact = (xq[:, None, :] * xb[I]).sum(-1)
    np.testing.assert_allclose(D, exact, rtol=1e-4, atol=1e-4)
    # Selectors and removals: never returned, the rest still found.
    keep = np.arange(0, 20000, 3)
    Ds, Is = index.search(xq, 10, params=faiss.SearchParametersHNSW(
        efSearch=96, sel=faiss.IDSelectorBatch(keep)))
    assert np.isin(Is[Is >= 0], keep).all()
    gts = keep[brute_force(xq, xb[keep], 10, ip)[1]]
    assert np.mean([len(set(a) & set(b)) / 10 for a, b in zip(Is, gts)]) >= 0.9
    index.remove_ids(faiss.IDSelectorRange(0, 5000))
    Ir = index.search(xq, 10, params=ps)[1]
    assert (Ir[Ir >= 0] >= 5000).all()
    # Round trip: the PQ travels, the blocks are rebuilt: the same results.
    faiss.write_index(index, tmp_path / "qg.index")
    for flags in (0, faiss.IO_FLAG_MMAP):
        back = faiss.read_index(tmp_path / "qg.index", flags)
        assert back.qg_traversal == 32
        np.testing.assert_array_equal(back.search(xq, 10, params=ps)[1], Ir)
    index.qg_traversal = 0  # off: the float walk again
    assert index.qg_traversal == 0
    for bad in (5, 300, -1):
        with pytest.raises(ValueError):
            index.qg_traversal = bad
    with pytest.raises(ValueError, match="2M"):
        faiss.IndexHNSWFlat(32, 48).qg_traversal = 16


def test_traversal_settings_change_beside_searches(rng):
    """Turning the 8-bit or quantized-graph walk on and off while other threads search: the
    setters wait for the searches under way (their codes are freed and rebuilt), so every
    search completes with valid results."""
    import threading

    xb, xq = clustered(rng, 4000, 16, nq=20, ncent=20, scale=3.0)
    index = faiss.IndexHNSWFlat(16, 8)
    index.add(xb)
    stop = threading.Event()
    results = []

    def searcher():
        while not stop.is_set():
            D, I = index.search(xq, 5, params=faiss.SearchParametersHNSW(efSearch=32))
            results.append(bool(((I >= 0) & (I < 4000)).all() and np.isfinite(D).all()))

    threads = [threading.Thread(target=searcher) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for i in range(100):
            index.qg_traversal = 8 if i % 2 == 0 else 0
            index.sq8_traversal = i % 3 == 0
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert results and all(results)


def _recall(I, gt):
    return np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(I, gt)])


@pytest.mark.parametrize("metric", [faiss.METRIC_L2, faiss.METRIC_INNER_PRODUCT])
def test_hnsw_qg_index(rng, tmp_path, metric):
    """IndexHNSWQG, the quantized graph, through the factory: recall >= 0.95 on clustered
    data at a moderate efSearch with exact distances, adds after the first, selectors,
    removal, range search, reconstruct, round trip and mmap keeping the type and the walk,
    and under IDMap2."""
    d = 48
    xb, xq = clustered(rng, 20000, d, nq=100, ncent=50, scale=2.0)
    ip = metric == faiss.METRIC_INNER_PRODUCT
    if ip:
        xb /= np.linalg.norm(xb, axis=1, keepdims=True)
        xq /= np.linalg.norm(xq, axis=1, keepdims=True)
    index = faiss.index_factory(d, "HNSW16,QG", metric)
    assert type(index) is faiss.IndexHNSWQG and isinstance(index, faiss.IndexHNSWFlat)
    assert index.qg_traversal == faiss.IndexHNSWQG.default_pq_M(d) == d
    assert index.hnsw.efConstruction == 200 and index.hnsw.M == 16
    index.add(xb[:12000])
    index.add(xb[12000:])  # records of the older nodes follow their changed links
    gt = brute_force(xq, xb, 10, ip)[1]
    ps = faiss.SearchParametersHNSW(efSearch=64)
    D, I = index.search(xq, 10, params=ps)
    assert _recall(I, gt) >= 0.95, _recall(I, gt)
    exact = (xq[:, None, :] * xb[I]).sum(-1) if ip else ((xq[:, None, :] - xb[I]) ** 2).sum(-1)
    np.testing.assert_allclose(D, exact, rtol=1e-4, atol=1e-4)
    # Selectors: only members returned, the members' neighbours still found.
    keep = np.arange(0, 20000, 3)
    Is = index.search(xq, 10, params=faiss.SearchParametersHNSW(
        efSearch=64, sel=faiss.IDSelectorBatch(keep)))[1]
    assert np.isin(Is[Is >= 0], keep).all()
    assert _recall(Is, keep[brute_force(xq, xb[keep], 10, ip)[1]]) >= 0.9
    # Range search: what it returns is within the radius and mostly all of it.
    thr = np.sort(exact[:, 4])[50]
    lims, Dr, Ir = index.range_search(xq, thr, params=faiss.SearchParametersHNSW(efSearch=128))
    assert ((Dr >= thr) if ip else (Dr <= thr)).all()
    sims = xq @ xb.T if ip else ((xq[:, None, :] - xb[None]) ** 2).sum(-1)
    want = ((sims >= thr) if ip else (sims <= thr)).sum()
    assert len(Ir) >= 0.9 * want
    # Removal: never returned again, reconstruct refuses it, the rest still found.
    assert index.remove_ids(faiss.IDSelectorRange(0, 5000)) == 5000
    Ir = index.search(xq, 10, params=ps)[1]
    assert (Ir[Ir >= 0] >= 5000).all()
    with pytest.raises(RuntimeError):
        index.reconstruct(10)
    np.testing.assert_array_equal(index.reconstruct(7000), xb[7000])
    # Files: the type, the walk's PQ and the removals travel; mapped files search alike.
    faiss.write_index(index, tmp_path / "qg.index")
    for flags in (0, faiss.IO_FLAG_MMAP):
        back = faiss.read_index(tmp_path / "qg.index", flags)
        assert type(back) is faiss.IndexHNSWQG and back.qg_traversal == d
        np.testing.assert_array_equal(back.search(xq, 10, params=ps)[1], Ir)
    # compact() renumbers the survivors and keeps the walk.
    index.compact()
    assert index.ntotal == 15000 and index.qg_traversal == d
    assert _recall(index.search(xq, 10, params=ps)[1] + 5000,
                   5000 + brute_force(xq, xb[5000:], 10, ip)[1]) >= 0.95
    # Under IDMap2: user ids in and out, removal by id.
    wrapped = faiss.index_factory(d, "IDMap2,HNSW16,QG24", metric)
    wrapped.add_with_ids(xb[:5000], np.arange(5000) * 7 + 3)
    Iw = wrapped.search(xq, 10, params=ps)[1]
    assert _recall(Iw, brute_force(xq, xb[:5000], 10, ip)[1] * 7 + 3) >= 0.95
    gone = np.unique(Iw[:, 0])  # user ids already
    assert wrapped.remove_ids(gone) == len(gone)
    assert not np.isin(gone, wrapped.search(xq, 10, params=ps)[1]).any()


@pytest.mark.parametrize("metric", [faiss.METRIC_L2, faiss.METRIC_INNER_PRODUCT])
def test_hnsw_qg_index_above_d256_walks_on_8bit_codes(rng, tmp_path, metric):
    """Above d = 256, "HNSW<M>,QG" walks on 8-bit codes of the vectors (4-bit PQ estimates
    cannot steer there); "QG<m>" still asks for the PQ records. Recall, exact distances,
    removal and the walk through a round trip and mmap."""
    d = 320
    xb, xq = clustered(rng, 4000, d, nq=50, ncent=40, scale=2.0)
    ip = metric == faiss.METRIC_INNER_PRODUCT
    if ip:
        xb /= np.linalg.norm(xb, axis=1, keepdims=True)
        xq /= np.linalg.norm(xq, axis=1, keepdims=True)
    index = faiss.index_factory(d, "HNSW16,QG", metric)
    assert type(index) is faiss.IndexHNSWQG
    assert index.sq8_traversal and index.qg_traversal == 0
    assert not faiss.IndexHNSWQG.pq_walk_by_default(d) and faiss.IndexHNSWQG.pq_walk_by_default(256)
    index.add(xb[:3000])
    index.add(xb[3000:])
    ps = faiss.SearchParametersHNSW(efSearch=64)
    D, I = index.search(xq, 10, params=ps)
    assert _recall(I, brute_force(xq, xb, 10, ip)[1]) >= 0.95
    exact = (xq[:, None, :] * xb[I]).sum(-1) if ip else ((xq[:, None, :] - xb[I]) ** 2).sum(-1)
    np.testing.assert_allclose(D, exact, rtol=1e-4, atol=1e-3)
    assert index.remove_ids(faiss.IDSelectorRange(0, 1000)) == 1000
    Ir = index.search(xq, 10, params=ps)[1]
    assert (Ir[Ir >= 0] >= 1000).all()
    faiss.write_index(index, tmp_path / "qg8.index")
    for flags in (0, faiss.IO_FLAG_MMAP):
        back = faiss.read_index(tmp_path / "qg8.index", flags)
        assert type(back) is faiss.IndexHNSWQG and back.sq8_traversal and back.qg_traversal == 0
        np.testing.assert_array_equal(back.search(xq, 10, params=ps)[1], Ir)
    pq = faiss.index_factory(d, "HNSW16,QG80", metric)
    assert pq.qg_traversal == 80 and not pq.sq8_traversal


def test_hnsw_qg_bad_input(rng):
    """Bad settings are ValueErrors naming them; NaN vectors RuntimeErrors; an empty index
    answers -1 (the library's contract for every type)."""
    for args in [(32, 48), (32, 16, 5), (32, 16, 300), (32, 16, -1), (32, 1), (0, 16)]:
        with pytest.raises(ValueError):
            faiss.IndexHNSWQG(*args)
    for key in ["HNSW48,QG", "HNSW16,QG7", "HNSW16,QG0", "HNSW16,QG512", "HNSW16,QGx"]:
        with pytest.raises(ValueError):
            faiss.index_factory(32, key)
    index = faiss.IndexHNSWQG(32, 8)
    D, I = index.search(rng.standard_normal((3, 32)).astype("float32"), 5)
    assert (I == -1).all()
    x = rng.standard_normal((100, 32)).astype("float32")
    x[7, 3] = np.nan
    with pytest.raises(RuntimeError, match="NaN|finite"):
        index.add(x)
    assert index.ntotal == 0
    with pytest.raises(ValueError):
        index.search(x[:2], 0)
