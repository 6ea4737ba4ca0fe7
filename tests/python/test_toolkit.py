"""index_factory, ids, removal, filtered and range search, SQ, shards: against brute force."""
import numpy as np
import pytest

import faisslike as faiss
from conftest import brute_force, clustered

D = 16
FACTORY = ["Flat", "IVF16,Flat", "PQ4", "PQ4x6", "IVF16,PQ4", "HNSW16", "IVF16,SQ8",
           "IVF16,SQfp16", "SQ8", "SQfp16", "IDMap,Flat", "IDMap2,Flat", "IDMap,HNSW8",
           "IDMap2,IVF16,SQ8", "PQ4,RFlat", "IVF16,PQ4,Refine(Flat)", "L2norm,Flat",
           "L2norm,IVF16,Flat"]


def _has_ids(index):
    inner = index.index if isinstance(index, faiss.IndexPreTransform) else index
    return isinstance(inner, faiss.IndexIDMap)


def _fill(index, xb):
    if not index.is_trained:
        index.train(xb)
    if _has_ids(index):
        index.add_with_ids(xb, 1000 + 7 * np.arange(len(xb)))
    else:
        index.add(xb)


@pytest.fixture
def data(rng):
    return clustered(rng, 2000, D, nq=20, scale=3.0)


@pytest.mark.parametrize("desc", FACTORY)
@pytest.mark.parametrize("metric", [faiss.METRIC_L2, faiss.METRIC_INNER_PRODUCT])
def test_factory_build_search_roundtrip(desc, metric, data, tmp_path):
    xb, xq = data
    index = faiss.index_factory(D, desc, metric)
    assert index.d == D and index.metric_type == metric
    _fill(index, xb)
    assert index.ntotal == len(xb)
    Dist, I = index.search(xq, 5)
    assert I.shape == (20, 5) and (I >= 0).all()
    if _has_ids(index):
        assert ((I - 1000) % 7 == 0).all()
    path = tmp_path / "idx.bin"
    faiss.write_index(index, path)
    back = faiss.read_index(path)
    assert type(back) is type(index)
    D2, I2 = back.search(xq, 5)
    np.testing.assert_array_equal(I, I2)
    np.testing.assert_array_equal(Dist, D2)


def test_factory_exact_matches_brute_force(data):
    xb, xq = data
    _, gt = brute_force(xq, xb, 10)
    for desc in ["Flat", "IVF8,Flat"]:
        index = faiss.index_factory(D, desc)
        _fill(index, xb)
        _, I = index.search(xq, 10, params=faiss.SearchParametersIVF(nprobe=8)
                            if "IVF" in desc else None)
        np.testing.assert_array_equal(I, gt)


@pytest.mark.parametrize("desc,token", [("Flatt", "Flatt"), ("IVF16,Foo", "Foo"),
                                        ("PQ3x17", "PQ3x17"), ("HNSW", "HNSW"), ("", "empty"),
                                        ("Flat,RFlat,Flat", "Flat"), ("PQ5", "PQ5")])
def test_factory_errors_name_the_token(desc, token):
    with pytest.raises(ValueError, match=token):
        faiss.index_factory(D, desc)


@pytest.mark.parametrize("desc", ["Flat", "IVF16,Flat", "PQ8", "IVF16,PQ8", "SQ8", "IVF16,SQ8",
                                  "SQfp16", "HNSW16", "IDMap2,Flat", "PQ8,RFlat"])
def test_filtered_search_never_returns_rejected_ids(desc, data):
    xb, xq = data
    index = faiss.index_factory(D, desc)
    _fill(index, xb)
    ids = 1000 + 7 * np.arange(len(xb)) if _has_ids(index) else np.arange(len(xb))
    keep = ids[3::10]
    if "IVF" in desc:
        params = faiss.SearchParametersIVF(nprobe=16, sel=faiss.IDSelectorBatch(keep))
    elif "HNSW" in desc:
        params = faiss.SearchParametersHNSW(efSearch=64, sel=faiss.IDSelectorBatch(keep))
    else:
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(keep))
    _, I = index.search(xq, 10, params=params)
    assert np.isin(I[I >= 0], keep).all()
    _, gt = brute_force(xq, xb[3::10], 10)
    recall = np.mean([len(set(I[i]) & set(keep[gt[i]])) / 10 for i in range(len(xq))])
    assert recall >= (1.0 if desc in ("Flat", "IVF16,Flat", "IDMap2,Flat") else
                      0.4 if "PQ" in desc else 0.9)


def test_selectors_and_params_keep_alive(data):
    xb, xq = data
    index = faiss.IndexFlatL2(D)
    index.add(xb)
    sel = faiss.IDSelectorAnd(faiss.IDSelectorRange(0, 1000),
                              faiss.IDSelectorNot(faiss.IDSelectorArray(np.arange(0, 1000, 2))))
    params = faiss.SearchParameters(sel=sel)
    del sel
    import gc
    gc.collect()
    _, I = index.search(xq, 10, params=params)
    assert ((I % 2 == 1) & (I < 1000)).all()
    bm = np.packbits(np.arange(len(xb)) % 5 == 0, bitorder="little")
    _, I = index.search(xq, 10, params=faiss.SearchParameters(sel=faiss.IDSelectorBitmap(bm)))
    assert (I % 5 == 0).all()
    _, I = index.search(xq, 3, params=faiss.SearchParameters(sel=faiss.IDSelectorBatch([])))
    assert (I == -1).all()
    with pytest.raises(TypeError):
        faiss.SearchParameters(sel=[1, 2])
    with pytest.raises(TypeError):
        faiss.IDSelectorBatch(np.array([1.5]))


@pytest.mark.parametrize("desc", ["Flat", "IVF16,Flat", "IVF16,SQ8", "SQ8", "PQ8", "IDMap,Flat", "IDMap2,IVF16,Flat",
                                  "IDMap2,HNSW16", "HNSW16"])
def test_remove_then_search_never_returns_removed(desc, data):
    xb, xq = data
    index = faiss.index_factory(D, desc)
    _fill(index, xb)
    ids = 1000 + 7 * np.arange(len(xb)) if _has_ids(index) else np.arange(len(xb))
    gone = ids[::3]
    assert index.remove_ids(gone) == len(gone)
    assert index.remove_ids(np.array([10**9])) == 0
    _, I = index.search(xq, 10)
    renumbered = desc in ("Flat", "SQ8", "PQ8")
    if not renumbered:
        assert not np.isin(I, gone).any()
    if "HNSW" not in desc:
        assert index.ntotal == len(xb) - len(gone)
    if desc == "HNSW16":
        assert index.ndeleted == len(gone)
        assert index.compact() == len(gone)
        assert index.ntotal == len(xb) - len(gone) and index.ndeleted == 0


def test_idmap2_duplicates_and_reconstruct(data):
    xb, _ = data
    index = faiss.IndexIDMap2(faiss.IndexFlatL2(D))
    index.add_with_ids(xb[:10], np.arange(10) + 100)
    np.testing.assert_array_equal(index.reconstruct(105), xb[5])
    with pytest.raises(RuntimeError, match="duplicate id 105"):
        index.add_with_ids(xb[:1], np.array([105]))
    with pytest.raises(RuntimeError, match="duplicate"):
        index.add_with_ids(xb[:2], np.array([7, 7]))
    assert index.ntotal == 10
    with pytest.raises(RuntimeError):
        index.add(xb[:1])
    with pytest.raises(ValueError):
        index.add_with_ids(xb[:2], np.array([1]))
    np.testing.assert_array_equal(index.id_map, np.arange(10) + 100)


@pytest.mark.parametrize("metric", [faiss.METRIC_L2, faiss.METRIC_INNER_PRODUCT])
@pytest.mark.parametrize("desc", ["Flat", "IVF16,Flat", "IDMap,Flat"])
def test_range_search_equals_brute_force(desc, metric, data):
    xb, xq = data
    index = faiss.index_factory(D, desc, metric)
    _fill(index, xb)
    ip = metric == faiss.METRIC_INNER_PRODUCT
    s = xq.astype(np.float64) @ xb.astype(np.float64).T
    if not ip:
        s = (xq.astype(np.float64) ** 2).sum(1)[:, None] + (xb.astype(np.float64) ** 2).sum(1) - 2 * s
    radius = float(np.median(np.sort(-s if ip else s, axis=1)[:, 50]))
    radius = -radius if ip else radius
    params = faiss.SearchParametersIVF(nprobe=16) if "IVF" in desc else None
    lims, Dist, I = index.range_search(xq, radius, params=params)
    assert lims.shape == (21,) and lims[-1] == len(I) == len(Dist)
    ids = 1000 + 7 * np.arange(len(xb)) if "IDMap" in desc else np.arange(len(xb))
    for i in range(len(xq)):
        got = set(I[lims[i]:lims[i + 1]])
        margin = 1e-4 * (1 + abs(radius))
        sure = ids[(s[i] > radius + margin) if ip else (s[i] < radius - margin)]
        maybe = ids[(s[i] > radius - margin) if ip else (s[i] < radius + margin)]
        assert set(sure) <= got <= set(maybe)
        d = Dist[lims[i]:lims[i + 1]]
        assert (np.diff(d) <= 0).all() if ip else (np.diff(d) >= 0).all()
    if metric == faiss.METRIC_L2:
        with pytest.raises(ValueError, match="radius"):
            index.range_search(xq, -1.0)


@pytest.mark.parametrize("qtype", [faiss.ScalarQuantizer.QT_8bit, faiss.ScalarQuantizer.QT_fp16])
def test_scalar_quantizer_matches_decoded_brute_force(qtype, data):
    xb, xq = data
    index = faiss.IndexScalarQuantizer(D, qtype)
    assert index.is_trained == (qtype == faiss.ScalarQuantizer.QT_fp16)
    index.train(xb)
    index.add(xb)
    dec = index.reconstruct_n(0, len(xb))
    assert np.abs(dec - xb).max() < (0.1 if qtype == faiss.QT_8bit else 0.01)
    gd, gi = brute_force(xq, dec, 10)
    Dist, I = index.search(xq, 10)
    np.testing.assert_allclose(Dist, gd, rtol=1e-3, atol=1e-3)
    assert index.code_size == (D if qtype == faiss.QT_8bit else 2 * D)


def test_shards_equal_one_index(data):
    xb, xq = data
    sh = faiss.IndexShards(D)
    for _ in range(3):
        sh.add_shard(faiss.IndexFlatL2(D))  # kept alive by the shards index
    sh.add(xb)
    assert sh.ntotal == len(xb) and sh.nshards == 3
    one = faiss.IndexFlatL2(D)
    one.add(xb)
    np.testing.assert_array_equal(sh.search(xq, 10)[1], one.search(xq, 10)[1])
    sh2 = faiss.IndexShards(D, successive_ids=False)
    for _ in range(2):
        sh2.add_shard(faiss.IndexIDMap(faiss.IndexFlatL2(D)))
    sh2.add_with_ids(xb, np.arange(len(xb)) * 2)
    np.testing.assert_array_equal(sh2.search(xq, 10)[1], one.search(xq, 10)[1] * 2)


@pytest.mark.parametrize("desc", ["Flat", "IVF16,Flat", "HNSW16", "IDMap2,IVF16,SQ8"])
def test_read_index_mmap(desc, data, tmp_path):
    xb, xq = data
    index = faiss.index_factory(D, desc)
    _fill(index, xb)
    path = tmp_path / "m.index"
    faiss.write_index(index, path)
    mapped = faiss.read_index(path, faiss.IO_FLAG_MMAP)
    copied = faiss.read_index(path)
    path.unlink()  # the mapping keeps the data
    for a, b in [(mapped.search(xq, 5), copied.search(xq, 5))]:
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_array_equal(a[0], b[0])
    if not _has_ids(index):
        mapped.add(xq)  # the first change copies the mapped arrays
        copied.add(xq)
        np.testing.assert_array_equal(mapped.search(xq, 5)[1], copied.search(xq, 5)[1])
    with pytest.raises(ValueError):
        faiss.read_index(tmp_path / "x", 0x40)
    with pytest.raises(OSError):
        faiss.read_index(tmp_path / "missing", faiss.IO_FLAG_MMAP)


def test_selectors_pickle_and_shift():
    """Selectors travel to other processes (faisslike.distributed) by pickle: every kind,
    nested, selects the same ids after the round trip; IDSelectorShifted sees id + offset."""
    import pickle

    bits = np.packbits(np.random.default_rng(0).random(300) < 0.3, bitorder="little")
    leaves = [faiss.IDSelectorRange(10, 90), faiss.IDSelectorArray([5, 77, 250]),
              faiss.IDSelectorBatch(np.arange(0, 300, 7)), faiss.IDSelectorBitmap(bits),
              faiss.IDSelectorAll()]
    sels = leaves + [faiss.IDSelectorNot(leaves[0]),
                     faiss.IDSelectorAnd(leaves[1], faiss.IDSelectorOr(leaves[2], leaves[3])),
                     faiss.IDSelectorShifted(faiss.IDSelectorNot(leaves[2]), 100)]
    ids = range(-5, 420)
    for s in sels:
        back = pickle.loads(pickle.dumps(s))
        assert type(back) is type(s)
        assert [back.is_member(i) for i in ids] == [s.is_member(i) for i in ids]
    shifted = faiss.IDSelectorShifted(leaves[0], -100)  # local i is global i - 100
    assert [i for i in ids if shifted.is_member(i)] == list(range(110, 190))
