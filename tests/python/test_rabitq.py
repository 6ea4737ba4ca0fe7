"""RaBitQ (IndexRaBitQ, IndexIVFRaBitQ, factory "RaBitQ[<b>]" / "IVF<n>,RaBitQ[<b>]"): against
faiss-cpu at the same settings (1-bit: the same codes and distances; multi-bit: recall at
least FAISS's - 0.01), against float64 brute force, through files, mmap, parameters, removal,
selectors, range search and bad input."""
import os

import numpy as np
import pytest

import faisslike as fl

from conftest import brute_force
from faiss_anchor import needs_faiss, real_faiss


@pytest.fixture(scope="module")
def data():
    rs = np.random.RandomState(5)
    d = 64
    # Clustered, anisotropic, off-centre: the centre (mean) and the per-list centroids matter.
    basis = rs.randn(d, d).astype("float32") * np.linspace(1.5, 0.2, d).astype("float32")
    centers = rs.randn(40, d).astype("float32") * 3
    xb = (centers[rs.randint(0, 40, 12000)] + rs.randn(12000, d) @ basis + 2).astype("float32")
    xq = (centers[rs.randint(0, 40, 300)] + rs.randn(300, d) @ basis + 2).astype("float32")
    return xb, xq


def truth(xb, xq, k, ip):
    return brute_force(xq, xb, k, ip)[1]


def recall(I, G):
    return np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(I, G)])


def faiss_metric(m):
    return real_faiss.METRIC_L2 if m == 1 else real_faiss.METRIC_INNER_PRODUCT


@needs_faiss
@pytest.mark.parametrize("metric", [1, 0], ids=["L2", "IP"])
@pytest.mark.parametrize("qb", [0, 4, 8])
def test_one_bit_codes_and_distances_equal_faiss(data, metric, qb):
    xb, xq = data
    ours = fl.IndexRaBitQ(64, metric, 1)
    theirs = real_faiss.IndexRaBitQ(64, faiss_metric(metric), 1)
    for ix in (ours, theirs):
        ix.qb = qb
        ix.train(xb)
        ix.add(xb)
    np.testing.assert_allclose(ours.center, real_faiss.vector_to_array(theirs.center), rtol=1e-5,
                               atol=1e-5)
    co = ours.sa_encode(xq)
    ct = theirs.sa_encode(xq)
    assert (co[:, :8] == ct[:, :8]).mean() > 0.9999  # sign bits
    # Factors: ours accumulate in double (the IP one is a difference of two large norms).
    np.testing.assert_allclose(co[:, 8:].copy().view("float32"), ct[:, 8:].copy().view("float32"),
                               rtol=1e-4, atol=1e-5 * float((xq ** 2).sum(1).max()))
    # Our decoder reads FAISS's codes (1-bit: the same reconstruction).
    np.testing.assert_allclose(ours.sa_decode(ct), theirs.sa_decode(ct), rtol=1e-4, atol=1e-4)
    Do, Io = ours.search(xq, 10)
    Dt, It = theirs.search(xq, 10)
    assert (Io == It).mean() > 0.98
    np.testing.assert_allclose(Do, Dt, rtol=1e-3, atol=1e-2 * np.abs(Dt).mean())


@needs_faiss
@pytest.mark.parametrize("metric", [1, 0], ids=["L2", "IP"])
@pytest.mark.parametrize("nb_bits", [2, 4, 5, 7])
def test_multi_bit_recall_at_least_faiss(data, metric, nb_bits):
    xb, xq = data
    G = truth(xb, xq, 10, metric == 0)
    ours = fl.IndexRaBitQ(64, metric, nb_bits)
    theirs = real_faiss.IndexRaBitQ(64, faiss_metric(metric), nb_bits)
    for ix in (ours, theirs):
        ix.train(xb)
        ix.add(xb)
    assert ours.code_size == theirs.code_size
    ro, rt = recall(ours.search(xq, 10)[1], G), recall(theirs.search(xq, 10)[1], G)
    assert ro >= rt - 0.01, (ro, rt)
    # The sign bits and 1-bit factors are FAISS's; the extra bits may pick another (never
    # worse) scale: check the reconstruction error is not larger.
    co, ct = ours.sa_encode(xq), theirs.sa_encode(xq)
    assert (co[:, :8] == ct[:, :8]).mean() > 0.9999
    err_o = ((ours.sa_decode(co) - xq) ** 2).sum()
    err_t = ((ours.sa_decode(ct) - xq) ** 2).sum()
    assert err_o <= err_t * 1.01, (err_o, err_t)


@needs_faiss
@pytest.mark.parametrize("metric", [1, 0], ids=["L2", "IP"])
@pytest.mark.parametrize("nb_bits,qb", [(1, 4), (1, 0), (4, 4), (7, 8)])
def test_ivf_equals_faiss_with_the_same_centroids(data, metric, nb_bits, qb):
    xb, xq = data
    G = truth(xb, xq, 10, metric == 0)
    theirs_q = real_faiss.IndexFlat(64, faiss_metric(metric))
    theirs = real_faiss.IndexIVFRaBitQ(theirs_q, 64, 32, faiss_metric(metric), True, nb_bits)
    theirs.train(xb)
    theirs.add(xb)
    q = fl.IndexFlat(64, metric)
    q.add(theirs_q.reconstruct_n(0, 32))
    ours = fl.IndexIVFRaBitQ(q, 64, 32, metric, nb_bits)
    ours.train(xb)
    ours.add(xb)
    for nprobe in (1, 4, 16):
        Do, Io = ours.search(xq, 10, params=fl.SearchParametersIVFRaBitQ(nprobe=nprobe, qb=qb))
        Dt, It = theirs.search(xq, 10, params=real_faiss.IVFRaBitQSearchParameters(
            nprobe=nprobe, qb=qb))
        ro, rt = recall(Io, G), recall(It, G)
        if nb_bits == 1:
            assert abs(ro - rt) <= 0.01, (nprobe, ro, rt)
            assert (Io == It).mean() > 0.97
        else:
            assert ro >= rt - 0.01, (nprobe, ro, rt)


@needs_faiss
@pytest.mark.parametrize("metric", [1, 0], ids=["L2", "IP"])
@pytest.mark.parametrize("nb_bits", [1, 4])
def test_fast_scan_recall_equals_faiss_fast_scan(data, metric, nb_bits):
    xb, xq = data
    G = truth(xb, xq, 10, metric == 0)
    theirs_q = real_faiss.IndexFlat(64, faiss_metric(metric))
    theirs = real_faiss.IndexIVFRaBitQFastScan(theirs_q, 64, 32, faiss_metric(metric), 32, True,
                                               nb_bits)
    theirs.train(xb)
    theirs.add(xb)
    q = fl.IndexFlat(64, metric)
    q.add(theirs_q.reconstruct_n(0, 32))
    ours = fl.IndexIVFRaBitQFastScan(q, 64, 32, metric, nb_bits)
    ours.train(xb)
    ours.add(xb)
    # The same codes as the plain index, and results close to its float-query ones.
    plain = fl.IndexIVFRaBitQ(q, 64, 32, metric, nb_bits)
    plain.train(xb)
    plain.add(xb)
    assert ours.packed_bytes() >= 12000 * 8
    for nprobe in (1, 4, 16):
        theirs.nprobe = ours.nprobe = nprobe
        Io, It = ours.search(xq, 10)[1], theirs.search(xq, 10)[1]
        ro, rt = recall(Io, G), recall(It, G)
        assert ro >= rt - 0.01, (nprobe, ro, rt)
        Ip = plain.search(xq, 10, params=fl.SearchParametersIVFRaBitQ(nprobe=nprobe, qb=0))[1]
        assert recall(Io, Ip) > 0.9


def test_fast_scan_follows_list_changes(data, tmp_path):
    # Packed copies stay in step through add, removal, reset and a file round trip.
    xb, xq = data
    ix = fl.index_factory(64, "IVF16,RaBitQfs3")
    ref = fl.index_factory(64, "IVF16,RaBitQ3")
    ix.train(xb[:4000])
    ref.quantizer.add(ix.quantizer.reconstruct_n(0, 16))
    ref.train(xb[:4000])
    ix.nprobe = ref.nprobe = 16
    p = fl.SearchParametersIVFRaBitQ(nprobe=16, qb=8)

    def agree():
        Io = ix.search(xq[:50], 10)[1]
        Ir = ref.search(xq[:50], 10, params=p)[1]
        assert recall(Io, Ir) > 0.9

    for part in (xb[:3000], xb[3000:3001], xb[3001:6000]):
        ix.add(part)
        ref.add(part)
        agree()
    ids = np.arange(0, 6000, 3)
    assert ix.remove_ids(ids) == ref.remove_ids(ids) == 2000
    agree()
    path = str(tmp_path / "fs.index")
    fl.write_index(ix, path)
    for flags in (0, fl.IO_FLAG_MMAP):
        back = fl.read_index(path, flags)
        assert isinstance(back, fl.IndexIVFRaBitQFastScan)
        assert (back.search(xq[:50], 10)[1] == ix.search(xq[:50], 10)[1]).all()
    sel = fl.IDSelectorRange(0, 3000)
    _, I = ix.search(xq[:20], 10, params=fl.SearchParametersIVF(nprobe=16, sel=sel))
    assert ((I >= 0) & (I < 3000) | (I == -1)).all()
    ix.reset()
    assert ix.ntotal == 0 and ix.packed_bytes() == 0
    assert (ix.search(xq[:3], 5)[1] == -1).all()


def test_estimates_against_float64(data):
    # Multi-bit distances are estimates of the true ones: 7 bits within ~1% on average.
    xb, xq = data
    ix = fl.IndexRaBitQ(64, fl.METRIC_L2, 7)
    ix.train(xb)
    ix.add(xb)
    D, I = ix.search(xq[:50], 20)
    T = ((xq[:50, None, :].astype(np.float64) - xb[I].astype(np.float64)) ** 2).sum(-1)
    assert np.mean(np.abs(D - T) / T) < 0.01


@pytest.mark.parametrize("desc", ["RaBitQ", "RaBitQ4", "IVF16,RaBitQ", "IVF16,RaBitQ5",
                                  "RR64,IVF16,RaBitQ3", "IVF16,RaBitQ,RFlat", "IVF16,RaBitQfs",
                                  "IVF16,RaBitQfs5,RFlat"])
def test_round_trip_mmap_and_wrappers(data, desc, tmp_path):
    xb, xq = data
    ix = fl.index_factory(64, desc)
    ix.train(xb[:4000])
    ix.add(xb[:4000])
    D, I = ix.search(xq[:20], 5)
    path = str(tmp_path / "rq.index")
    fl.write_index(ix, path)
    for flags in (0, fl.IO_FLAG_MMAP):
        back = fl.read_index(path, flags)
        D2, I2 = back.search(xq[:20], 5)
        assert (I == I2).all() and (D == D2).all()
    # IDMap2 over it: ids, removal, reconstruct stay consistent.
    if not desc.startswith("IVF") and "RR" not in desc:
        m = fl.IndexIDMap2(fl.index_factory(64, desc))
        m.train(xb[:4000])
        ids = np.arange(4000, dtype="int64") * 7 + 3
        m.add_with_ids(xb[:4000], ids)
        _, Im = m.search(xq[:20], 5)
        assert (Im == ids[I]).all()
        assert m.remove_ids(np.array([ids[0], ids[5]])) == 2
        assert m.ntotal == 3998
        r = m.reconstruct(int(ids[7]))
        assert r.shape == (64,)


def test_selector_range_and_removal(data):
    xb, xq = data
    for desc in ("RaBitQ4", "IVF16,RaBitQ4"):
        ix = fl.index_factory(64, desc)
        ix.train(xb[:4000])
        ix.add(xb[:4000])
        if desc.startswith("IVF"):
            ix.nprobe = 16
        # Selector: only even ids come back.
        sel = fl.IDSelectorBatch(np.arange(0, 4000, 2))
        _, I = ix.search(xq[:20], 10, params=(fl.SearchParametersIVFRaBitQ(nprobe=16, sel=sel)
                                              if desc.startswith("IVF")
                                              else fl.SearchParametersRaBitQ(sel=sel)))
        assert (I % 2 == 0).all()
        # Range search returns what search with a large k returns inside the radius.
        D, I = ix.search(xq[:5], 50)
        r = float(np.median(D[:, 20]))
        lims, Dr, Ir = ix.range_search(xq[:5], r)
        for i in range(5):
            want = set(I[i][D[i] < r])
            got = set(Ir[lims[i]:lims[i + 1]])
            assert want <= got
            assert (Dr[lims[i]:lims[i + 1]] < r).all()
        n = ix.remove_ids(np.arange(100))
        assert n == 100 and ix.ntotal == 3900
        _, I = ix.search(xq[:20], 10)
        if desc.startswith("IVF"):  # IVF keeps ids; flat codes renumber (as FAISS)
            assert (I[I >= 0] >= 100).all()
        else:
            assert (I >= 0).all() and (I < 3900).all()


def test_factory_and_bad_input(data):
    xb, xq = data
    assert isinstance(fl.index_factory(64, "RaBitQ"), fl.IndexRaBitQ)
    assert fl.index_factory(64, "RaBitQ9").rabitq.nb_bits == 9
    ivf = fl.index_factory(64, "IVF8,RaBitQ3", fl.METRIC_INNER_PRODUCT)
    assert isinstance(ivf, fl.IndexIVFRaBitQ) and ivf.rabitq.nb_bits == 3
    assert isinstance(fl.index_factory(64, "IVF8,RaBitQfs4_64"), fl.IndexIVFRaBitQFastScan)
    assert fl.index_factory(64, "IVF8,RaBitQfs4_64").bbs == 64
    for desc in ("RaBitQ0", "RaBitQ10", "RaBitQfs", "IVF8,RaBitQx", "IVF8,RaBitQfs_33",
                 "IVF8,RaBitQfs10"):
        with pytest.raises(ValueError, match="RaBitQ"):
            fl.index_factory(64, desc)
    with pytest.raises(ValueError, match="nb_bits=0"):
        fl.IndexRaBitQ(64, fl.METRIC_L2, 0)
    with pytest.raises(ValueError, match="qb=9"):
        fl.SearchParametersRaBitQ(qb=9)
    ix = fl.IndexRaBitQ(64)
    with pytest.raises(ValueError, match="qb=-1"):
        ix.qb = -1
    with pytest.raises(RuntimeError, match="not trained"):
        ix.search(xq[:2], 3)
    with pytest.raises(ValueError):  # parameters of another index type
        ix.train(xb[:100])
        ix.search(xq[:2], 3, params=fl.SearchParametersIVF(nprobe=2))
    # Wrong dimension and non-finite queries: the common checks.
    with pytest.raises(ValueError):
        ix.search(xq[:2, :10], 3)
