"""4-bit PQ fast-scan (IndexPQFastScan, factory "PQ<M>x4fs"): against faiss-cpu's fast-scan
over the same codebooks (recall within 0.01), against our IndexPQ, through the factory, files
and bad input."""
import numpy as np
import pytest

import faisslike as fl

from faiss_anchor import needs_faiss, real_faiss


@pytest.fixture(scope="module")
def data():
    rs = np.random.RandomState(11)
    # Low intrinsic dimension (8 of 32): recalls in the 0.3-0.9 range, where they say something.
    basis = rs.randn(8, 32).astype("float32")
    centers = rs.randn(50, 8).astype("float32") * 2
    xb = ((centers[rs.randint(0, 50, 20000)] + rs.randn(20000, 8)) @ basis).astype("float32")
    xq = ((centers[rs.randint(0, 50, 500)] + rs.randn(500, 8)) @ basis).astype("float32")
    return xb, xq


def truth(xb, xq, k, ip):
    s = xq.astype(np.float64) @ xb.astype(np.float64).T
    if ip:
        return np.argsort(-s, axis=1)[:, :k]
    n2 = (xb.astype(np.float64) ** 2).sum(1)
    return np.argsort(n2[None, :] - 2 * s, axis=1)[:, :k]


def recall(I, G):
    return np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(I, G)])


@needs_faiss
@pytest.mark.parametrize("metric", [1, 0], ids=["L2", "IP"])
@pytest.mark.parametrize("M", [8, 16, 32])
def test_recall_equals_faiss_fastscan_on_the_same_codebooks(data, metric, M):
    xb, xq = data
    ours = fl.IndexPQ(32, M, 4, metric)
    ours.train(xb[:10000])
    ours.add(xb)
    theirs = real_faiss.IndexPQ(32, M, 4, metric)
    real_faiss.copy_array_to_vector(ours.pq.centroids.ravel(), theirs.pq.centroids)
    theirs.is_trained = True
    theirs.add(xb)
    codes_ours = ours.sa_encode(xq)
    assert (codes_ours == theirs.sa_encode(xq)).all(axis=1).mean() > 0.99
    fs_ours, fs_theirs = fl.IndexPQFastScan(ours), real_faiss.IndexPQFastScan(theirs)
    G = truth(xb, xq, 10, metric == 0)
    for nq in (1, 500):
        _, Io = fs_ours.search(xq[:nq], 10)
        _, It = fs_theirs.search(xq[:nq], 10)
        if nq > 1:
            assert abs(recall(Io, G) - recall(It, G)) <= 0.01, (recall(Io, G), recall(It, G))
    # Against our exact PQ scan: the same ranking up to the 8-bit tables.
    _, Ip = ours.search(xq, 10)
    assert recall(Io, Ip) > 0.9


@pytest.mark.parametrize("key", ["PQ16x4fs", "PQ16x4fs_64", "IDMap2,PQ16x4fs", "L2norm,PQ8x4fs"])
def test_factory_files_and_mmap(data, tmp_path, key):
    xb, xq = data
    idx = fl.index_factory(32, key)
    idx.train(xb[:5000])
    if "IDMap" in key:
        idx.add_with_ids(xb, np.arange(len(xb)) * 3 + 1)
    else:
        idx.add(xb)
    D, I = idx.search(xq, 10)
    fn = str(tmp_path / "fs.index")
    fl.write_index(idx, fn)
    for flags in (0, fl.IO_FLAG_MMAP):
        D2, I2 = fl.read_index(fn, flags).search(xq, 10)
        np.testing.assert_array_equal(I, I2)
        np.testing.assert_array_equal(D, D2)
    if key.startswith("PQ16x4fs"):
        assert isinstance(idx, fl.IndexPQFastScan)
        assert idx.bbs == (64 if key.endswith("_64") else 32)
        assert idx.M == 16 and idx.nbits == 4 and idx.code_size == 8 and idx.d == 32


def test_bad_input():
    with pytest.raises(ValueError, match="nbits"):
        fl.IndexPQFastScan(32, 8, 8)
    with pytest.raises(ValueError, match="bbs"):
        fl.IndexPQFastScan(32, 8, 4, fl.METRIC_L2, 40)
    with pytest.raises(ValueError):
        fl.IndexPQFastScan(30, 8)  # M does not divide d
    with pytest.raises(ValueError):
        fl.index_factory(32, "PQ8x4fs_33")
    idx = fl.IndexPQFastScan(32, 8)
    x = np.random.rand(100, 32).astype("float32")
    with pytest.raises(RuntimeError, match="not trained"):
        idx.search(x, 5)
    with pytest.raises(RuntimeError, match="not trained"):
        idx.add(x)
    with pytest.raises(RuntimeError):
        idx.train(x[:10])  # fewer points than the 16 centroids
