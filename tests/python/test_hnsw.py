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
