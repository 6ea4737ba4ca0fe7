"""FAISS's own file format, both directions, differentially against faiss-cpu: FAISS writes,
we read and search (identical ids: the same codes, lists and graph); we write, FAISS reads and
searches (identical ids). Without faiss-cpu, the checked-in FAISS-format files under
tests/data/faiss_format (made by scripts/make_faiss_format_files.py) keep the reader tested."""
import os

import numpy as np
import pytest

import faisslike as fl
from faisslike.contrib import datasets

from faiss_anchor import needs_faiss, real_faiss

# PQ with 4-6 bits: FAISS trains 8-bit PQs slowly here (seconds each).
KEYS = ["Flat", "IVF32,Flat", "IVF32,PQ8x4", "IVF32,PQ8x4np", "IVF32,SQ8", "IVF32,SQ4", "IVF32,SQ6",
        "IVF32,SQfp16", "PQ8x4", "PQ8x6", "SQ8", "SQ4", "SQfp16", "SQbf16", "HNSW16", "HNSW16,SQ8",
        "HNSW16,PQ8x4", "IDMap,Flat", "IDMap2,Flat", "IDMap2,IVF32,Flat", "PQ8x4,RFlat",
        "L2norm,IVF32,Flat", "PCA16,IVF32,SQ8", "PCAR16,Flat", "RR32,Flat", "HR,Flat",
        "IMI2x4,Flat", "IVF16_HNSW8,Flat"]
EXACT = {"Flat", "IDMap,Flat", "IDMap2,Flat", "PCAR16,Flat", "RR32,Flat", "HR,Flat"}
DATA = os.path.join(os.path.dirname(__file__), "..", "data", "faiss_format")


@pytest.fixture(scope="module")
def ds():
    return datasets.SyntheticDataset(32, 3000, 5000, 200)


def queries(ds, key):
    # FAISS's AVX512_SPR build (CPUs with AVX512-BF16) scores SQbf16 codes against the query
    # rounded to bf16 (round to nearest even), others against the float query: queries that
    # are already bf16 values give both builds, and us, the same distances.
    xq = ds.get_queries()
    if key != "SQbf16":
        return xq
    u = xq.view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return u.astype(np.uint32).view(np.float32)


def set_probe(lib, idx):
    try:
        lib.extract_index_ivf(idx).nprobe = 4
    except Exception:  # not an IVF
        pass


def build_faiss(ds, key, metric):
    a = real_faiss.index_factory(ds.d, key, metric)
    a.train(ds.get_train())
    if "IDMap" in key:
        a.add_with_ids(ds.get_database(), np.arange(ds.nb) * 7 + 3)
    else:
        a.add(ds.get_database())
    return a


def same_results(Da, Ia, Db, Ib, key, min_equal=None):
    # Same distances; ids may differ only within a group of tied distances (coarse codes
    # give many), including a tie with the k-th, whose partners lie beyond the list.
    np.testing.assert_allclose(Db, Da, rtol=1e-4, atol=1e-4)
    for i, j in zip(*np.nonzero(Ia != Ib)):
        tied = np.abs(Da[i] - Da[i, j]) <= 1e-4 * max(1.0, abs(Da[i, j]))
        assert tied.sum() >= 2 or tied[-1], (key, i, j, Da[i], Ia[i], Ib[i])
    if min_equal is None:
        min_equal = 0.98 if key not in EXACT else 0.9999
    assert (Ia == Ib).mean() > min_equal, key


@needs_faiss
@pytest.mark.parametrize("metric", [1, 0], ids=["L2", "IP"])
@pytest.mark.parametrize("key", KEYS)
def test_faiss_writes_we_read(ds, tmp_path, key, metric):
    if key.startswith("IMI") and metric == 0:
        pytest.skip("the multi-index is L2 only (as FAISS)")
    a = build_faiss(ds, key, metric)
    fn = str(tmp_path / "faiss.index")
    real_faiss.write_index(a, fn)
    for flags in (0, fl.IO_FLAG_MMAP):
        b = fl.read_index(fn, flags)
        assert b.ntotal == a.ntotal and b.d == a.d and b.metric_type == a.metric_type
        set_probe(real_faiss, a)
        set_probe(fl, b)
        Da, Ia = a.search(queries(ds, key), 10)
        Db, Ib = b.search(queries(ds, key), 10)
        same_results(Da, Ia, Db, Ib, key)
    # The bytes through a file object and through memory too.
    with open(fn, "rb") as f:
        assert fl.read_index(f).ntotal == a.ntotal
    assert fl.deserialize_index(np.fromfile(fn, dtype=np.uint8)).ntotal == a.ntotal


@needs_faiss
@pytest.mark.parametrize("metric", [1, 0], ids=["L2", "IP"])
@pytest.mark.parametrize("key", KEYS)
def test_we_write_faiss_reads(ds, tmp_path, key, metric):
    if key.startswith("IMI") and metric == 0:
        pytest.skip("the multi-index is L2 only (as FAISS)")
    b = fl.index_factory(ds.d, key, metric)
    b.train(ds.get_train())
    if "IDMap" in key:
        b.add_with_ids(ds.get_database(), np.arange(ds.nb) * 7 + 3)
    else:
        b.add(ds.get_database())
    fn = str(tmp_path / "ours.index")
    fl.write_index(b, fn, format="faiss")
    a = real_faiss.read_index(fn)
    assert a.ntotal == b.ntotal
    set_probe(real_faiss, a)
    set_probe(fl, b)
    Da, Ia = a.search(queries(ds, key), 10)
    Db, Ib = b.search(queries(ds, key), 10)
    same_results(Db, Ib, Da, Ia, key)
    # And back: what FAISS writes of it reads as the same index here.
    fn2 = str(tmp_path / "faiss_again.index")
    real_faiss.write_index(a, fn2)
    c = fl.read_index(fn2)
    set_probe(fl, c)
    Dc, Ic = c.search(queries(ds, key), 10)
    np.testing.assert_array_equal(Ic, Ib)


@needs_faiss
def test_sq8_direct_on_integer_data(tmp_path):
    rs = np.random.RandomState(0)
    xb = rs.randint(0, 256, size=(2000, 16)).astype("float32")
    for key in ("SQ8_direct", "IVF8,SQ8_direct"):
        a = real_faiss.index_factory(16, key)
        if key.startswith("IVF"):
            # Direct codes of residuals (negative values) are outside the codec's range, and
            # what FAISS computes from them differs between its SIMD builds: store the
            # vectors themselves, the well-defined use of direct codes in an IVF.
            real_faiss.downcast_index(a).by_residual = False
        a.train(xb)
        a.add(xb)
        fn = str(tmp_path / "d.index")
        real_faiss.write_index(a, fn)
        b = fl.read_index(fn)
        set_probe(real_faiss, a)
        set_probe(fl, b)
        Da, Ia = a.search(xb[:50], 5)
        Db, Ib = b.search(xb[:50], 5)
        np.testing.assert_allclose(Db, Da, rtol=1e-5)


@needs_faiss
def test_unsupported_faiss_types_are_named(tmp_path):
    for key in ("LSH", "IVF16,PQ8x4fs", "NSG16,Flat"):
        try:
            a = real_faiss.index_factory(32, key)
        except Exception:
            continue
        a.train(np.random.RandomState(0).rand(2000, 32).astype("float32"))
        fn = str(tmp_path / "u.index")
        real_faiss.write_index(a, fn)
        with pytest.raises(RuntimeError, match="not supported"):
            fl.read_index(fn)


def test_types_without_a_faiss_form_leave_the_file_alone(tmp_path):
    fn = tmp_path / "keep.index"
    fn.write_bytes(b"old contents")
    idx = fl.index_factory(8, "MinMax,SQ8")
    with pytest.raises(RuntimeError, match="no FAISS form"):
        fl.write_index(idx, str(fn), format="faiss")
    assert fn.read_bytes() == b"old contents"
    with pytest.raises(ValueError):
        fl.write_index(fl.IndexFlatL2(8), str(fn), format="faiss2")


def test_checked_in_faiss_files():
    # Written by faiss-cpu (scripts/make_faiss_format_files.py): results recorded then.
    ref = np.load(os.path.join(DATA, "expected.npz"))
    xq = ref["xq"]
    names = [n for n in sorted(os.listdir(DATA)) if n.endswith(".faissindex")]
    assert len(names) >= 10
    for name in names:
        idx = fl.read_index(os.path.join(DATA, name))
        set_probe(fl, idx)
        D, I = idx.search(xq, 5)
        stem = name[: -len(".faissindex")]
        np.testing.assert_allclose(D, ref["D_" + stem], rtol=1e-4, atol=1e-4)
        assert (I == ref["I_" + stem]).mean() > 0.99, name


def test_truncated_faiss_files_are_clean_errors():
    data = open(os.path.join(DATA, "IVF8_PQ4.faissindex"), "rb").read()
    for cut in range(0, len(data), max(1, len(data) // 300)):
        with pytest.raises(RuntimeError):
            fl.deserialize_index(np.frombuffer(data[:cut], dtype=np.uint8))


BINARY_KEYS = ["BFlat", "BIVF16", "BHNSW16", "IDMap,BFlat", "IDMap2,BIVF16"]


def binary_data(n, d=64, seed=0):
    return np.random.RandomState(seed).randint(0, 256, size=(n, d // 8)).astype("uint8")


@needs_faiss
@pytest.mark.parametrize("key", BINARY_KEYS)
def test_binary_both_directions(tmp_path, key):
    xb, xq = binary_data(3000), binary_data(200, seed=1)
    ids = np.arange(len(xb)) * 5 + 2
    a = real_faiss.index_binary_factory(64, key)
    a.train(xb)
    a.add_with_ids(xb, ids) if "IDMap" in key else a.add(xb)
    fn = str(tmp_path / "fb.index")
    real_faiss.write_index_binary(a, fn)
    b = fl.read_index_binary(fn)
    for idx in (a, b):  # wrapped IVFs keep the nprobe of the file (1) on both sides
        if hasattr(idx, "nprobe"):
            idx.nprobe = 4
    Da, Ia = a.search(xq, 10)
    Db, Ib = b.search(xq, 10)
    if "HNSW" in key:
        # The same graph, but walks order tied integer distances differently: compare
        # recall against exact search instead of ids.
        ref = fl.IndexBinaryFlat(64)
        ref.add(xb)
        _, Igt = ref.search(xq, 10)
        rec = [np.mean([len(set(I[i]) & set(Igt[i])) / 10 for i in range(len(xq))]) for I in (Ia, Ib)]
        assert rec[1] >= rec[0] - 0.02, rec  # ours walks at least as well
        fl.write_index_binary(b, str(tmp_path / "ours.index"), format="faiss")
        c = real_faiss.read_index_binary(str(tmp_path / "ours.index"))
        assert c.ntotal == b.ntotal and c.hnsw.max_level == b.hnsw.max_level
        return
    np.testing.assert_array_equal(Da, Db)
    # Hamming distances tie often: the tie rule decides (ours: smaller id first).
    same_results(Da.astype("float32"), Ia, Db.astype("float32"), Ib, key, min_equal=0.8)
    fn2 = str(tmp_path / "ours.index")
    fl.write_index_binary(b, fn2, format="faiss")
    c = real_faiss.read_index_binary(fn2)
    if hasattr(c, "nprobe"):
        c.nprobe = 4
    Dc, Ic = c.search(xq, 10)
    np.testing.assert_array_equal(Dc, Db)
    same_results(Db.astype("float32"), Ib, Dc.astype("float32"), Ic, key, min_equal=0.8)


@pytest.mark.parametrize("metric", [1, 0], ids=["L2", "IP"])
def test_mapped_faiss_flat_is_used_in_place(tmp_path, metric):
    # FAISS keeps a flat index's vectors at byte 45: mapped, we use them where they are (the
    # load does not grow with n) and, unchecked, a NaN row there simply never ranks.
    rs = np.random.RandomState(5)
    xb = rs.rand(3000, 24).astype("float32")
    xq = rs.rand(40, 24).astype("float32")
    idx = fl.IndexFlat(24, metric)
    idx.add(xb)
    fn = str(tmp_path / "flat.faiss")
    fl.write_index(idx, fn, format="faiss")
    raw = bytearray(open(fn, "rb").read())
    assert np.frombuffer(bytes(raw[45:45 + 4 * 24]), dtype="float32").tolist() == xb[0].tolist()
    bad = 1234
    raw[45 + 4 * 24 * bad + 8: 45 + 4 * 24 * bad + 12] = np.float32("nan").tobytes()
    open(fn, "wb").write(raw)
    with pytest.raises(RuntimeError, match="non-finite"):
        fl.read_index(fn)
    m = fl.read_index(fn, fl.IO_FLAG_MMAP)
    ref = fl.IndexFlat(24, metric)
    ref.add(np.delete(xb, bad, axis=0))
    for k in (1, 10):
        for nq in (1, 40):  # one query: per-row kernels; many: sgemm
            D, I = m.search(xq[:nq], k)
            Dr, Ir = ref.search(xq[:nq], k)
            assert bad not in I
            np.testing.assert_array_equal(np.where(Ir >= bad, Ir + 1, Ir), I)
            np.testing.assert_allclose(D, Dr, rtol=1e-5, atol=1e-5)
    lims, D, I = m.range_search(xq, float(Dr[:, -1].max()))
    assert bad not in I and len(I) > 0
    # The first change copies the rows out of the mapping.
    m.add(xq)
    assert m.ntotal == 3040
    np.testing.assert_array_equal(m.reconstruct(3000), xq[0])
    np.testing.assert_array_equal(m.reconstruct(2999), xb[2999])


def test_mapped_faiss_binary_flat_is_used_in_place(tmp_path):
    rs = np.random.RandomState(6)
    xb = rs.randint(0, 256, (2000, 16)).astype("uint8")
    xq = rs.randint(0, 256, (30, 16)).astype("uint8")
    for key in ("BFlat", "BIDMap"):
        idx = fl.IndexBinaryFlat(128)
        if key == "BIDMap":
            idx = fl.IndexBinaryIDMap(idx)
            idx.add_with_ids(xb, np.arange(2000) * 3 + 1)
        else:
            idx.add(xb)
        fn = str(tmp_path / "b.faiss")
        fl.write_index_binary(idx, fn, format="faiss")
        copied = fl.read_index_binary(fn)
        mapped = fl.read_index_binary(fn, fl.IO_FLAG_MMAP)
        for k in (1, 10):
            Dc, Ic = copied.search(xq, k)
            Dm, Im = mapped.search(xq, k)
            np.testing.assert_array_equal(Ic, Im)
            np.testing.assert_array_equal(Dc, Dm)
        # Used in place, so watched: an in-place change is an error at the next call.
        os.utime(fn, (1600000000, 1600000000))
        mapped = fl.read_index_binary(fn, fl.IO_FLAG_MMAP)
        with open(fn, "r+b") as f:
            f.seek(200)
            f.write(b"\x7f" * 64)
        with pytest.raises(RuntimeError):
            mapped.search(xq, 5)
        # Copied loads do not watch the file.
        copied.search(xq, 5)
