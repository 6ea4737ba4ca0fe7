"""Binary indexes (Hamming): differentially against faiss-cpu where installed, and against
numpy brute force everywhere."""
import pickle

import numpy as np
import pytest

import faisslike as fl
from faisslike.contrib import evaluation, ivf_tools

from faiss_anchor import needs_faiss, real_faiss
KEYS = ["BFlat", "BIVF32", "BIVF32_HNSW8", "BHNSW16", "BHash12", "BHash3x12", "IDMap,BFlat",
        "IDMap2,BIVF32"]


POP = np.array([bin(i).count("1") for i in range(256)], dtype=np.int32)


def brute(xq, xb):
    return np.stack([POP[q[None, :] ^ xb].sum(1) for q in xq]).astype(np.int32)


@pytest.fixture(scope="module")
def data():
    rs = np.random.RandomState(0)
    xb = rs.randint(0, 256, (6000, 32)).astype("uint8")
    # queries near database codes: a few flipped bits each
    noise = (rs.rand(300, 256) < 0.08).astype("uint8")
    xq = xb[:300] ^ np.packbits(noise, axis=1, bitorder="little")
    return xb, xq


def build(lib, key, xb, **kw):
    idx = lib.index_binary_factory(256, key)
    idx.train(xb)
    if "IDMap" in key:
        idx.add_with_ids(xb, np.arange(len(xb)) * 3 + 1)
    else:
        idx.add(xb)
    for k, v in kw.items():
        target = idx.index if "IDMap" in key and k == "nprobe" else idx
        setattr(target, k, v)
    return idx


def test_flat_equals_brute_force_on_every_isa(data):
    xb, xq = data
    ref = brute(xq, xb)
    old = fl.SIMDConfig.get_level()
    try:
        for lv in sorted(fl.supported_simd_levels()):
            fl.SIMDConfig.set_level(lv)
            D, I = build(fl, "BFlat", xb).search(xq, 10)
            np.testing.assert_array_equal(D, np.sort(ref, 1)[:, :10])
            np.testing.assert_array_equal(np.take_along_axis(ref, I, 1), D)
            # ties go to the smaller id
            for i in range(len(xq)):
                for j in range(9):
                    if D[i, j] == D[i, j + 1]:
                        assert I[i, j] < I[i, j + 1]
    finally:
        fl.SIMDConfig.set_level(old)


@needs_faiss
@pytest.mark.parametrize("key", ["BFlat", "BHash12", "BHash3x12", "IDMap2,BFlat"])
def test_exact_and_hash_equal_faiss(data, key):
    xb, xq = data
    ours = build(fl, key, xb, **({"nflip": 1} if "Hash" in key else {}))
    theirs = build(real_faiss, key, xb)
    if "Hash" in key:
        theirs.nflip = 1
    D, I = ours.search(xq, 10)
    Dr, Ir = theirs.search(xq, 10)
    np.testing.assert_array_equal(D, Dr)
    evaluation.check_ref_knn_with_draws(Dr.astype("float32"), Ir, D.astype("float32"), I)
    lims, Dl, Il = ours.range_search(xq[:20], 90)
    limsr, Dlr, Ilr = theirs.range_search(xq[:20], 90)
    assert Dl.dtype == np.float32
    evaluation.check_ref_range_results(limsr, Dlr, Ilr, lims, Dl, Il)


@needs_faiss
@pytest.mark.parametrize("key", ["BIVF64", "BIVF64_HNSW8", "BHNSW16"])
def test_approximate_recall_not_below_faiss(key):
    rs = np.random.RandomState(1)
    xb = rs.randint(0, 256, (20000, 32)).astype("uint8")
    noise = (rs.rand(1000, 256) < 0.08).astype("uint8")
    xq = xb[:1000] ^ np.packbits(noise, axis=1, bitorder="little")
    gt = fl.knn_hamming(xq, xb, 10)[1]  # exact (checked against brute force above)
    kw = {"nprobe": 16} if "IVF" in key else {}
    recalls = [evaluation.knn_intersection_measure(build(lib, key, xb, **kw).search(xq, 10)[1], gt)
               for lib in (fl, real_faiss)]
    assert recalls[0] >= recalls[1] - 0.01, recalls


@pytest.mark.parametrize("key", KEYS)
def test_io_pickle_mmap_and_selectors(data, key, tmp_path):
    xb, xq = data
    idx = build(fl, key, xb)
    D, I = idx.search(xq, 5)
    path = str(tmp_path / "b.index")
    fl.write_index_binary(idx, path)
    for flags in (0, fl.IO_FLAG_MMAP):
        back = fl.read_index_binary(path, flags)
        assert type(back) is type(idx)
        np.testing.assert_array_equal(back.search(xq, 5)[1], I)
    back = pickle.loads(pickle.dumps(idx))
    np.testing.assert_array_equal(back.search(xq, 5)[1], I)
    with pytest.raises(RuntimeError):
        fl.read_index(path)  # a binary file is not a float index file
    # a selector restricts results to the ids it selects
    ids = np.unique(I[I >= 0])[::2]
    params = fl.SearchParameters(sel=fl.IDSelectorBatch(ids))
    D2, I2 = idx.search(xq, 5, params=params)
    assert np.isin(I2[I2 >= 0], ids).all()


def test_remove_reconstruct_and_idmap(data):
    xb, _ = data
    flat = build(fl, "BFlat", xb[:100])
    assert flat.remove_ids(np.arange(0, 100, 2)) == 50
    np.testing.assert_array_equal(flat.reconstruct_n(0, 50), xb[1:100:2])
    im = fl.IndexBinaryIDMap2(fl.IndexBinaryIVF(fl.IndexBinaryFlat(256), 256, 8))
    im.train(xb)
    im.add_with_ids(xb[:50], np.arange(50) + 1000)
    np.testing.assert_array_equal(im.reconstruct(1007), xb[7])
    assert im.remove_ids(fl.IDSelectorRange(1000, 1010)) == 10
    with pytest.raises(ValueError):
        im.reconstruct(1005)
    with pytest.raises(RuntimeError):
        im.add_with_ids(xb[:1], np.array([1020]))  # duplicate
    D, I = im.search(xb[10:20], 1)
    np.testing.assert_array_equal(I[:, 0], np.arange(1010, 1020))


def test_from_float_is_exact(data):
    xb, xq = data
    idx = fl.IndexBinaryFromFloat(fl.IndexFlatL2(256))
    idx.add(xb[:2000])
    D, I = idx.search(xq[:30], 5)
    ref = brute(xq[:30], xb[:2000])
    np.testing.assert_array_equal(D, np.sort(ref, 1)[:, :5])


def test_preassigned_binary_ivf(data):
    xb, xq = data
    idx = build(fl, "BIVF32", xb)
    _, assign = idx.quantizer.search(xq, 4)
    idx.nprobe = 4
    np.testing.assert_array_equal(ivf_tools.search_preassigned(idx, xq, 5, assign)[1], idx.search(xq, 5)[1])
    empty = fl.index_binary_factory(256, "BIVF32")
    empty.train(xb)
    ivf_tools.add_preassigned(empty, xb[:10], np.arange(10) % 32)
    assert empty.get_list_size(3) == 1


def test_binary_bad_input(data):
    xb, _ = data
    with pytest.raises(ValueError):
        fl.IndexBinaryFlat(100)  # not a multiple of 8
    with pytest.raises(ValueError):
        fl.IndexBinaryFlat(0)
    idx = fl.IndexBinaryFlat(256)
    with pytest.raises(TypeError):
        idx.add(xb.astype("float32"))
    with pytest.raises(ValueError):
        idx.add(xb[:, :16])  # wrong width
    with pytest.raises(ValueError):
        idx.search(xb[:2], 0)
    with pytest.raises(ValueError):
        fl.index_binary_factory(256, "BIVF0")
    with pytest.raises(ValueError):
        fl.index_binary_factory(256, "Flat")
    with pytest.raises(ValueError):
        fl.IndexBinaryHash(256, 65)
    with pytest.raises(ValueError):
        fl.index_binary_factory(256, "BHash").nflip  # malformed
    with pytest.raises(TypeError):
        fl.deserialize_index_binary(np.zeros(10, "float32"))
    with pytest.raises(RuntimeError):
        fl.deserialize_index_binary(fl.serialize_index(fl.IndexFlatL2(4)))
