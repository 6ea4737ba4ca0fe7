"""IndexFlat from Python: FAISS conventions, brute-force ground truth, bad input."""
import concurrent.futures as cf
import os
import pickle

import numpy as np
import pytest

import faisslike as faiss
from conftest import brute_force


@pytest.mark.parametrize("cls,ip", [(faiss.IndexFlatL2, False), (faiss.IndexFlatIP, True)])
@pytest.mark.parametrize("nq", [1, 7, 19, 20, 100])  # both sides of the BLAS threshold
def test_search_matches_brute_force(rng, cls, ip, nq):
    d, nb, k = 24, 2000, 10
    xb = rng.standard_normal((nb, d)).astype("float32")
    xq = rng.standard_normal((nq, d)).astype("float32")
    index = cls(d)
    assert index.d == d and index.ntotal == 0 and index.is_trained
    assert index.metric_type == (faiss.METRIC_INNER_PRODUCT if ip else faiss.METRIC_L2)
    index.add(xb)
    assert index.ntotal == nb
    D, I = index.search(xq, k)
    assert D.shape == (nq, k) and I.shape == (nq, k)
    assert D.dtype == np.float32 and I.dtype == np.int64
    Dref, Iref = brute_force(xq, xb, k, ip)
    np.testing.assert_allclose(D, Dref, rtol=1e-4, atol=1e-3)
    # Labels may differ only where distances tie within float precision.
    assert (I == Iref).mean() > 0.99


def test_k_larger_than_ntotal_pads_with_minus_one(rng):
    index = faiss.IndexFlatL2(8)
    index.add(rng.standard_normal((3, 8)))
    D, I = index.search(rng.standard_normal((2, 8)), 5)
    assert (I[:, 3:] == -1).all() and np.isinf(D[:, 3:]).all() and (D[:, 3:] > 0).all()
    assert (I[:, :3] >= 0).all()
    ip = faiss.IndexFlatIP(8)
    D, I = ip.search(rng.standard_normal((2, 8)), 2)  # empty index
    assert (I == -1).all() and (D == -np.inf).all()


def test_float64_and_noncontiguous_input_are_converted(rng):
    xb = rng.standard_normal((500, 32))  # float64
    index = faiss.IndexFlatL2(32)
    index.add(xb)
    xq64 = xb[:10]
    D1, I1 = index.search(xq64, 1)
    assert (I1[:, 0] == np.arange(10)).all()
    big = rng.standard_normal((10, 64)).astype("float32")
    strided = big[:, ::2]  # non-contiguous view, 32 columns
    assert not strided.flags.c_contiguous
    D2, I2 = index.search(strided, 3)
    D3, I3 = index.search(np.ascontiguousarray(strided), 3)
    np.testing.assert_array_equal(I2, I3)
    fortran = np.asfortranarray(xb[:5].astype("float32"))
    assert (index.search(fortran, 1)[1][:, 0] == np.arange(5)).all()
    ints = np.arange(64, dtype=np.int32).reshape(2, 32)
    index.search(ints, 1)  # integers convert too


def test_empty_batches(rng):
    index = faiss.IndexFlatL2(4)
    index.add(np.zeros((0, 4), dtype="float32"))
    assert index.ntotal == 0
    index.add(rng.standard_normal((5, 4)))
    D, I = index.search(np.zeros((0, 4), dtype="float32"), 3)
    assert D.shape == (0, 3) and I.shape == (0, 3)


def test_reconstruct_reset(rng):
    xb = rng.standard_normal((20, 6)).astype("float32")
    index = faiss.IndexFlatL2(6)
    index.add(xb)
    np.testing.assert_array_equal(index.reconstruct(7), xb[7])
    np.testing.assert_array_equal(index.reconstruct_n(5, 4), xb[5:9])
    np.testing.assert_array_equal(index.reconstruct_n(), xb)
    with pytest.raises(ValueError):
        index.reconstruct_n(18, 5)
    with pytest.raises(RuntimeError, match="out of range"):
        index.reconstruct(20)
    index.reset()
    assert index.ntotal == 0


def test_write_read_serialize_roundtrip(rng, tmp_path):
    xb = rng.standard_normal((300, 16)).astype("float32")
    xq = rng.standard_normal((30, 16)).astype("float32")
    for cls in (faiss.IndexFlatL2, faiss.IndexFlatIP):
        index = cls(16)
        index.add(xb)
        D, I = index.search(xq, 5)
        path = tmp_path / "x.index"
        faiss.write_index(index, path)  # os.PathLike works
        back = faiss.read_index(str(path))
        assert type(back) is cls and back.ntotal == 300
        D2, I2 = back.search(xq, 5)
        np.testing.assert_array_equal(I, I2)
        np.testing.assert_array_equal(D, D2)
        buf = faiss.serialize_index(index)
        assert buf.dtype == np.uint8 and buf.ndim == 1
        back2 = faiss.deserialize_index(buf)
        np.testing.assert_array_equal(back2.search(xq, 5)[1], I)
    assert sorted(os.listdir(tmp_path)) == ["x.index"]


def test_normalize_L2_and_knn(rng):
    x = rng.standard_normal((50, 10)).astype("float32")
    x[3] = 0
    y = x.copy()
    faiss.normalize_L2(y)
    norms = np.linalg.norm(y, axis=1)
    np.testing.assert_allclose(np.delete(norms, 3), 1, rtol=1e-5)
    assert (y[3] == 0).all()
    with pytest.raises(TypeError):
        faiss.normalize_L2(x.astype("float64"))
    with pytest.raises(ValueError):
        faiss.normalize_L2(np.asfortranarray(x))
    D, I = faiss.knn(x[:5], x, 3)
    Dref, Iref = brute_force(x[:5], x, 3)
    np.testing.assert_allclose(D, Dref, rtol=1e-4, atol=1e-4)


def test_threads_and_simd_helpers():
    n = faiss.omp_get_max_threads()
    assert n >= 1
    faiss.omp_set_num_threads(1)
    assert faiss.omp_get_max_threads() == 1
    faiss.omp_set_num_threads(n)
    assert faiss.simd_level() in ("scalar", "avx2", "avx512")
    if os.environ.get("FAISSLIKE_SIMD"):
        assert faiss.simd_level() == os.environ["FAISSLIKE_SIMD"]
    assert faiss.simd_level_supported("scalar")
    assert faiss.cvar.distance_compute_blas_threshold >= 1


def test_concurrent_searches_release_the_gil(rng):
    d, nb = 32, 20000
    xb = rng.standard_normal((nb, d)).astype("float32")
    index = faiss.IndexFlatL2(d)
    index.add(xb)
    queries = [rng.standard_normal((n, d)).astype("float32") for n in (1, 5, 40, 3, 64, 1, 25, 8)]
    expected = [index.search(q, 7) for q in queries]
    with cf.ThreadPoolExecutor(max_workers=4) as ex:
        results = list(ex.map(lambda q: index.search(q, 7), queries * 4))
    for i, (D, I) in enumerate(results):
        np.testing.assert_array_equal(I, expected[i % len(queries)][1])
        np.testing.assert_array_equal(D, expected[i % len(queries)][0])


def test_output_arrays_given_by_caller(rng):
    index = faiss.IndexFlatL2(4)
    index.add(rng.standard_normal((10, 4)))
    D = np.empty((2, 3), dtype="float32")
    I = np.empty((2, 3), dtype="int64")
    D2, I2 = index.search(rng.standard_normal((2, 4)), 3, D=D, I=I)
    assert D2 is D or np.shares_memory(D2, D)
    with pytest.raises(ValueError):
        index.search(rng.standard_normal((2, 4)), 3, D=np.empty((2, 3), dtype="float64"))


def test_docstrings():
    for obj in (faiss.IndexFlatL2, faiss.Index.search, faiss.Index.add, faiss.read_index,
                faiss.write_index, faiss.normalize_L2, faiss.knn):
        assert obj.__doc__ and len(obj.__doc__) > 30, obj


# ---- bad input: clear exceptions, never a crash ----

def test_bad_dimension_and_shapes(rng):
    with pytest.raises(ValueError, match="d=0"):
        faiss.IndexFlatL2(0)
    with pytest.raises(ValueError, match="d=-2"):
        faiss.IndexFlatIP(-2)
    with pytest.raises(ValueError):
        faiss.IndexFlat(8, 5)
    index = faiss.IndexFlatL2(8)
    with pytest.raises(ValueError, match=r"7 columns but the index has d=8"):
        index.add(rng.standard_normal((3, 7)))
    with pytest.raises(ValueError, match="2-D"):
        index.add(rng.standard_normal(8))
    with pytest.raises(ValueError, match="2-D"):
        index.search(rng.standard_normal((2, 2, 8)), 1)
    with pytest.raises(ValueError, match="9 columns"):
        index.search(rng.standard_normal((3, 9)), 1)


def test_bad_k(rng):
    index = faiss.IndexFlatL2(4)
    index.add(rng.standard_normal((5, 4)))
    q = rng.standard_normal((2, 4))
    for k in (0, -1):
        with pytest.raises(ValueError, match=f"k={k}"):
            index.search(q, k)
    with pytest.raises(TypeError):
        index.search(q, 2.5)
    with pytest.raises(TypeError):
        index.search(q, True)
    D, I = index.search(q, np.int64(2))
    assert I.shape == (2, 2)


def test_bad_dtypes(rng):
    index = faiss.IndexFlatL2(2)
    for bad in (np.array([["a", "b"]]), np.array([[1 + 2j, 3j]]), np.array([[object(), 1]]),
                np.array([[True, False]]), "not an array"):
        with pytest.raises((TypeError, ValueError)):
            index.add(bad)
    assert index.ntotal == 0


def test_nan_and_inf_rejected(rng):
    index = faiss.IndexFlatL2(3)
    x = rng.standard_normal((4, 3)).astype("float32")
    x[2, 1] = np.nan
    with pytest.raises(RuntimeError, match="row 2, column 1"):
        index.add(x)
    assert index.ntotal == 0
    index.add(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="non-finite"):
        index.search(np.array([[np.inf, 0, 0]]), 1)


def test_bad_files(tmp_path):
    with pytest.raises(OSError, match="No such file"):
        faiss.read_index(str(tmp_path / "missing.index"))
    with pytest.raises(OSError):
        faiss.read_index(str(tmp_path))  # a directory
    (tmp_path / "junk.index").write_bytes(b"hello world, not an index at all")
    with pytest.raises(RuntimeError, match="bad magic"):
        faiss.read_index(str(tmp_path / "junk.index"))
    index = faiss.IndexFlatL2(4)
    index.add(np.ones((3, 4)))
    good = faiss.serialize_index(index)
    for n in range(len(good)):
        with pytest.raises(RuntimeError):
            faiss.deserialize_index(good[:n])
    with pytest.raises(TypeError):
        faiss.deserialize_index(np.zeros(10, dtype="float32"))
    with pytest.raises(OSError):
        faiss.write_index(index, str(tmp_path / "no_such_dir" / "x.index"))


def test_pickle_round_trip():
    # Pickling goes through the checksummed format: same class, same answers.
    index = faiss.IndexFlatL2(4)
    index.add(np.arange(40, dtype="float32").reshape(10, 4))
    back = pickle.loads(pickle.dumps(index))
    assert type(back) is faiss.IndexFlatL2
    q = np.ones((2, 4), dtype="float32")
    np.testing.assert_array_equal(back.search(q, 3)[1], index.search(q, 3)[1])
