"""OPQMatrix (factory "OPQ<M>[_<d>]"): a rotation with orthonormal rows that lowers the PQ
quantization error, recall against faiss-cpu's OPQ at the same settings, files both ways."""
import numpy as np
import pytest

import faisslike as fl

from faiss_anchor import needs_faiss, one_isa_pass, real_faiss


@pytest.fixture(scope="module")
def data():
    # Anisotropic: a few directions carry most of the variance, unevenly spread over the
    # PQ sub-spaces (what OPQ's rotation fixes).
    rs = np.random.RandomState(3)
    scales = np.exp(-np.arange(32) / 6.0).astype("float32")[rs.permutation(32)]
    basis = np.linalg.qr(rs.randn(32, 32))[0].astype("float32")
    def gen(n):
        return ((rs.randn(n, 32).astype("float32") * scales) @ basis).astype("float32")
    return gen(5000), gen(300), gen(10000)


def recall(I, xb, xq):
    xb64, xq64 = xb.astype(np.float64), xq.astype(np.float64)
    d = (xb64 ** 2).sum(1)[None, :] - 2 * xq64 @ xb64.T
    G = np.argsort(d, axis=1)[:, :10]
    return np.mean([len(set(a[:10]) & set(b)) / 10 for a, b in zip(I, G)])


def set_niter(lib, index, niter):
    vt = lib.downcast_VectorTransform(index.chain.at(0))
    vt.niter = niter
    return vt


def test_rotation_is_orthonormal_and_lowers_the_pq_error(data):
    xt, _, _ = data
    opq = fl.OPQMatrix(32, 8)
    opq.niter = 8
    opq.train(xt)
    A = opq.A.reshape(32, 32)
    np.testing.assert_allclose(A @ A.T, np.eye(32), atol=1e-4)
    def pq_mse(x):
        pq = fl.ProductQuantizer(32, 8, 8)
        pq.train(x)
        return ((pq.decode(pq.compute_codes(x)) - x) ** 2).sum(1).mean()
    xr = opq.apply(xt)
    assert pq_mse(xr) < 0.9 * pq_mse(xt)
    # A projection: d_out < d_in, rows still orthonormal.
    p = fl.OPQMatrix(32, 4, 16)
    p.niter = 3
    p.train(xt)
    B = p.A.reshape(16, 32)
    np.testing.assert_allclose(B @ B.T, np.eye(16), atol=1e-4)


@needs_faiss
@one_isa_pass
@pytest.mark.parametrize("key", ["OPQ8,PQ8", "OPQ8_16,PQ8", "OPQ16,IVF32,PQ16x4fsr"])
def test_recall_equals_faiss_opq(data, key):
    xt, xq, xb = data
    rec = {}
    for lib in (fl, real_faiss):
        idx = lib.index_factory(32, key)
        set_niter(lib, idx, 6)
        idx.train(xt)
        idx.add(xb)
        if "IVF" in key:
            lib.extract_index_ivf(idx).nprobe = 8
        rec[lib.__name__] = recall(idx.search(xq, 10)[1], xb, xq)
    # At least FAISS's (ours is often higher at few rounds: the k-means of each round starts
    # from the previous round's centroids).
    assert rec["faisslike"] >= rec["faiss"] - 0.02, rec


@needs_faiss
@one_isa_pass
def test_faiss_opq_files_both_ways(data, tmp_path):
    xt, xq, xb = data
    a = real_faiss.index_factory(32, "OPQ8,PQ8")
    set_niter(real_faiss, a, 5)
    a.train(xt)
    a.add(xb)
    fn = str(tmp_path / "opq.faiss")
    real_faiss.write_index(a, fn)
    b = fl.read_index(fn)
    np.testing.assert_array_equal(a.search(xq, 10)[1], b.search(xq, 10)[1])
    c = fl.index_factory(32, "OPQ8,PQ8")
    set_niter(fl, c, 5)
    c.train(xt)
    c.add(xb)
    fn2 = str(tmp_path / "ours.faiss")
    fl.write_index(c, fn2, format="faiss")
    np.testing.assert_array_equal(c.search(xq, 10)[1], real_faiss.read_index(fn2).search(xq, 10)[1])


def test_factory_round_trip_and_bad_input(data, tmp_path):
    xt, xq, xb = data
    idx = fl.index_factory(32, "OPQ8_16,IVF32,PQ8x4fs")
    vt = set_niter(fl, idx, 3)
    assert isinstance(vt, fl.OPQMatrix) and vt.M == 8 and vt.d_out == 16
    idx.train(xt)
    idx.add(xb)
    fn = str(tmp_path / "opq.index")
    fl.write_index(idx, fn)
    for flags in (0, fl.IO_FLAG_MMAP):
        back = fl.read_index(fn, flags)
        np.testing.assert_array_equal(idx.search(xq, 5)[1], back.search(xq, 5)[1])
        assert fl.downcast_VectorTransform(back.chain.at(0)).niter == 3
    with pytest.raises(ValueError, match="divide"):
        fl.OPQMatrix(32, 5)
    with pytest.raises(ValueError, match="exceeds"):
        fl.OPQMatrix(32, 8, 64)
    with pytest.raises(ValueError):
        fl.index_factory(32, "OPQ5,PQ8")
    o = fl.OPQMatrix(32, 8)
    with pytest.raises(RuntimeError, match="at least 256"):
        o.train(xt[:100])
    with pytest.raises(RuntimeError):
        o.apply(xt[:10])  # not trained
