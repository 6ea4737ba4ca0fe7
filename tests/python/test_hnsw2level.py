"""IndexHNSW2Level / Index2Layer (factory "HNSW<M>_<nlist>+PQ<m>", "HNSW<M>_2x<b>+PQ<m>"):
recall against faiss-cpu at the same parameters, codes, IO, bad input."""
import numpy as np
import pytest

import faisslike as fl
from faisslike.contrib import datasets

from faiss_anchor import needs_faiss, real_faiss


@pytest.fixture(scope="module")
def ds():
    return datasets.SyntheticDataset(32, 6000, 8000, 1000, seed=5)


def r10(I, gt):
    return np.mean([len(set(I[i]) & set(gt[i])) for i in range(len(I))]) / 10


@needs_faiss
@pytest.mark.parametrize("key", ["HNSW32_256+PQ8", "HNSW32_2x4+PQ8"])
def test_recall_matches_faiss(key):
    # FAISS's add to an IndexHNSW2Level takes minutes for some nlist (64, 1024) here: nlist
    # 256 and a small database keep it to seconds.
    ds = datasets.SyntheticDataset(32, 4000, 3000, 1000, seed=6)
    gt = ds.get_groundtruth(10)
    rec = {}
    for lib in (fl, real_faiss):
        idx = lib.index_factory(ds.d, key)
        idx.train(ds.get_train())
        idx.add(ds.get_database())
        for ef in (16, 64):
            idx.hnsw.efSearch = ef
            rec[lib.__name__, ef] = r10(idx.search(ds.get_queries(), 10)[1], gt)
    for ef in (16, 64):
        # Different k-means seeds for the coarse level and the PQ: +-0.01 of noise each.
        assert abs(rec["faisslike", ef] - rec["faiss", ef]) <= 0.02, rec


def test_multi_index_variant_walks_to_the_exhaustive_answer(ds):
    # FAISS's 2x<b> variant builds in about a minute here: checked against our own
    # exhaustive scan of the same codes instead.
    gt = ds.get_groundtruth(10)
    idx = fl.index_factory(ds.d, "HNSW16_2x4+PQ16")
    assert isinstance(idx.storage.q1, fl.MultiIndexQuantizer) and idx.storage.nlist == 256
    idx.train(ds.get_train())
    idx.add(ds.get_database())
    idx.hnsw.efSearch = 128
    walked = r10(idx.search(ds.get_queries(), 10)[1], gt)
    exhaustive = r10(idx.storage.search(ds.get_queries(), 10)[1], gt)
    assert exhaustive > 0.6 and walked >= exhaustive - 0.02, (walked, exhaustive)


def test_structure_codes_and_io(ds, tmp_path):
    idx = fl.index_factory(ds.d, "HNSW16_300+PQ8")
    assert isinstance(idx, fl.IndexHNSW2Level)
    st = idx.storage
    assert isinstance(st, fl.Index2Layer) and st.nlist == 300
    assert st.code_size_1 == 2 and st.code_size_2 == 8 and st.sa_code_size() == 10
    idx.train(ds.get_train())
    idx.add(ds.get_database()[:5000])
    # Codes decode to centroid + residual: close to the vectors, and what search scores.
    xb = ds.get_database()[:200]
    dec = st.sa_decode(st.sa_encode(xb))
    assert np.linalg.norm(dec - xb) / np.linalg.norm(xb) < 0.5
    np.testing.assert_allclose(idx.reconstruct(3), st.sa_decode(st.sa_encode(xb[3:4]))[0], atol=1e-5)
    # Exhaustive search of the storage = brute force over the decoded vectors.
    ref = fl.IndexFlatL2(ds.d)
    ref.add(st.reconstruct_n(0, st.ntotal))
    D, I = st.search(ds.get_queries()[:20], 5)
    Dr, Ir = ref.search(ds.get_queries()[:20], 5)
    np.testing.assert_allclose(D, Dr, rtol=1e-4, atol=1e-4)
    D, I = idx.search(ds.get_queries(), 10)
    fn = str(tmp_path / "h2l.index")
    fl.write_index(idx, fn)
    for back in (fl.read_index(fn), fl.read_index(fn, fl.IO_FLAG_MMAP)):
        assert isinstance(back, fl.IndexHNSW2Level)
        np.testing.assert_array_equal(back.search(ds.get_queries(), 10)[1], I)


def test_inner_product_and_bad_input(ds):
    idx = fl.index_factory(ds.d, "HNSW16_64+PQ8", fl.METRIC_INNER_PRODUCT)
    idx.train(ds.get_train())
    idx.add(ds.get_database()[:3000])
    idx.hnsw.efSearch = 128
    D, I = idx.search(ds.get_queries()[:50], 5)
    assert (np.diff(D, axis=1) <= 1e-5).all()  # IP: best first
    st = idx.storage  # the codec is the storage's (FAISS's IndexHNSW has none)
    codes = st.sa_encode(ds.get_database()[:3])
    codes[:, 0] = 200  # list 200 >= nlist 64
    with pytest.raises(ValueError, match="nlist"):
        st.sa_decode(codes)
    with pytest.raises(ValueError):
        fl.index_factory(ds.d, "HNSW16_2x5+PQ8", fl.METRIC_INNER_PRODUCT)
    with pytest.raises(ValueError):
        fl.index_factory(ds.d, "HNSW16_64+PQ7")  # 32 not a multiple of 7
    q = fl.IndexFlatL2(ds.d)
    h = fl.IndexHNSW2Level(q, 10, 4, 8)
    with pytest.raises(RuntimeError):
        h.add(ds.get_database()[:3])  # untrained
    with pytest.raises(RuntimeError):
        h.train(ds.get_train()[:5])  # fewer points than lists
