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


def ivf_pair(data, metric, M, residual, nlist=64):
    """Our IndexIVFPQFastScan and FAISS's over the same coarse centroids and codebooks."""
    xb, _ = data
    ours = fl.index_factory(32, f"IVF{nlist},PQ{M}x4fs" + ("r" if residual else ""), metric)
    ours.train(xb[:10000])
    ours.add(xb)
    cent = ours.quantizer.reconstruct_n(0, nlist)
    q = real_faiss.IndexFlat(32, metric)
    q.add(cent)
    theirs = real_faiss.IndexIVFPQFastScan(q, 32, nlist, M, 4, metric)
    theirs.by_residual = residual
    real_faiss.copy_array_to_vector(ours.pq.centroids.ravel(), theirs.pq.centroids)
    theirs.is_trained = True
    if residual and metric == 1:
        theirs.precompute_table()
    theirs.add(xb)
    return ours, theirs, q


@needs_faiss
@pytest.mark.parametrize("residual", [False, True], ids=["fs", "fsr"])
@pytest.mark.parametrize("metric", [1, 0], ids=["L2", "IP"])
def test_ivf_recall_equals_faiss_on_the_same_codebooks(data, metric, residual):
    xb, xq = data
    ours, theirs, q = ivf_pair(data, metric, 16, residual)
    G = truth(xb, xq, 10, metric == 0)
    for nprobe in (1, 4, 16):
        ours.nprobe = theirs.nprobe = nprobe
        _, Io = ours.search(xq, 10)
        _, It = theirs.search(xq, 10)
        assert abs(recall(Io, G) - recall(It, G)) <= 0.01, (nprobe, recall(Io, G), recall(It, G))


@pytest.mark.parametrize("residual", [False, True], ids=["fs", "fsr"])
@pytest.mark.parametrize("metric", [1, 0], ids=["L2", "IP"])
def test_ivf_distances_are_ivfpq_exact_ones(data, metric, residual):
    # The returned distances are the exact PQ distances: those to the decoded vectors (the
    # ranking against IndexIVFPQ is tests/test_fastscan.cpp's).
    xb, xq = data
    fs = fl.index_factory(32, "IVF64,PQ16x4fs" + ("r" if residual else ""), metric)
    fs.train(xb[:10000])
    fs.add(xb)
    fs.nprobe = 8
    D, I = fs.search(xq, 10)
    codes_fs = fs.sa_encode(xb[:100])
    assert codes_fs.shape[1] == fs.sa_code_size()
    fs.make_direct_map()
    for i in range(0, 500, 50):
        for j in range(10):
            if I[i, j] < 0:
                continue
            v = fs.reconstruct(int(I[i, j])).astype(np.float64)
            want = ((xq[i] - v) ** 2).sum() if metric == 1 else (xq[i].astype(np.float64) @ v)
            assert abs(D[i, j] - want) <= 1e-3 * max(1.0, abs(want)), (D[i, j], want)
        assert all(D[i, j] <= D[i, j + 1] + 1e-6 if metric == 1 else D[i, j] >= D[i, j + 1] - 1e-6
                   for j in range(9))
