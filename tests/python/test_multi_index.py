"""MultiIndexQuantizer and factory "IMI2x<b>": exact multi-sequence search over the virtual
centroids, FAISS's label layout, IVF training through it, recall against faiss-cpu."""
import numpy as np
import pytest

import faisslike as fl
from faisslike.contrib import datasets

from faiss_anchor import needs_faiss, real_faiss


@pytest.fixture(scope="module")
def ds():
    return datasets.SyntheticDataset(32, 10000, 20000, 2000, seed=3)


@pytest.mark.parametrize("M, nbits", [(2, 5), (4, 3), (1, 6)])
def test_search_equals_brute_force_over_the_centroids(ds, M, nbits):
    q = fl.MultiIndexQuantizer(ds.d, M, nbits)
    assert not q.is_trained and q.ntotal == 0
    q.train(ds.get_train())
    assert q.ntotal == 2 ** (M * nbits)
    C = q.reconstruct_n(0, q.ntotal)
    ref = fl.IndexFlatL2(ds.d)
    ref.add(C)
    xq = ds.get_queries()[:300]
    for k in (1, 7, 100):
        D, I = q.search(xq, k)
        Dr, Ir = ref.search(xq, k)
        np.testing.assert_allclose(D, Dr, rtol=1e-4, atol=1e-4)
        # Ids may differ only between equal distances.
        assert (I == Ir).mean() > 0.99
    # k beyond the number of centroids: the rest is -1 / +inf.
    if q.ntotal < 100:
        D, I = q.search(xq[:3], q.ntotal + 5)
        assert (I[:, -5:] == -1).all() and np.isinf(D[:, -5:]).all()
        assert sorted(I[0, :q.ntotal]) == list(range(q.ntotal))


def test_label_layout_is_faiss(ds):
    # Sub-centroid m's number sits in bits [m * nbits, (m + 1) * nbits).
    q = fl.MultiIndexQuantizer(ds.d, 2, 4)
    q.train(ds.get_train())
    cents = q.pq.centroids  # (M, ksub, dsub)
    label = 3 + (11 << 4)
    rec = q.reconstruct(label)
    np.testing.assert_array_equal(rec[:16], cents[0, 3])
    np.testing.assert_array_equal(rec[16:], cents[1, 11])


def test_virtual_elements_and_bad_input(ds):
    q = fl.MultiIndexQuantizer(ds.d, 2, 4)
    with pytest.raises(RuntimeError):
        q.search(ds.get_queries()[:2], 1)  # untrained
    q.train(ds.get_train())
    with pytest.raises(RuntimeError, match="virtual"):
        q.add(ds.get_database()[:2])
    with pytest.raises(RuntimeError, match="virtual"):
        q.reset()
    with pytest.raises(ValueError):
        fl.MultiIndexQuantizer(ds.d, 3, 5)  # d not a multiple of M
    with pytest.raises(ValueError):
        fl.MultiIndexQuantizer(64, 4, 16)  # 64-bit labels
    with pytest.raises(ValueError):
        q.search(ds.get_queries()[:2], 1, params=fl.SearchParameters(sel=fl.IDSelectorRange(0, 5)))
    with pytest.raises(ValueError):
        fl.index_factory(ds.d, "IMI2x4,Flat", fl.METRIC_INNER_PRODUCT)
    with pytest.raises(ValueError):
        fl.index_factory(ds.d, "IMI2x16,Flat")


@pytest.mark.parametrize("key", ["IMI2x5,Flat", "IMI2x5,SQ8", "IMI2x6,PQ8"])
def test_ivf_over_multi_index_trains_searches_and_round_trips(ds, key, tmp_path):
    idx = fl.index_factory(ds.d, key)
    assert isinstance(idx.quantizer, fl.MultiIndexQuantizer)
    assert idx.nlist == idx.quantizer.pq.ksub ** 2
    idx.train(ds.get_train())
    idx.add(ds.get_database())
    idx.nprobe = 32
    D, I = idx.search(ds.get_queries(), 10)
    fn = str(tmp_path / "imi.index")
    fl.write_index(idx, fn)
    for back in (fl.read_index(fn), fl.read_index(fn, fl.IO_FLAG_MMAP)):
        back.nprobe = 32
        D2, I2 = back.search(ds.get_queries(), 10)
        np.testing.assert_array_equal(I, I2)
    codes = idx.sa_encode(ds.get_database()[:10])
    assert codes.shape[1] == idx.sa_code_size()
    assert np.isfinite(idx.sa_decode(codes)).all()


@needs_faiss
@pytest.mark.parametrize("key", ["IMI2x5,Flat", "IMI2x6,PQ8"])
def test_recall_matches_faiss(ds, key):
    gt = ds.get_groundtruth(1)[:, 0]
    recalls = {}
    for lib in (fl, real_faiss):
        idx = lib.index_factory(ds.d, key)
        idx.train(ds.get_train())
        idx.add(ds.get_database())
        for nprobe in (16, 64):
            idx.nprobe = nprobe
            _, I = idx.search(ds.get_queries(), 10)
            recalls[lib.__name__, nprobe] = (I[:, 0] == gt).mean()
    for nprobe in (16, 64):
        # Different k-means seeds: 2000 queries leave about +-0.01 of noise on each side.
        assert abs(recalls["faisslike", nprobe] - recalls["faiss", nprobe]) <= 0.025, recalls
