"""Scalar quantizer types beyond SQ8/fp16: 4 and 6 bits, uniform ranges, direct 8-bit,
bfloat16, in flat and IVF indexes, against faiss-cpu where installed."""
import numpy as np
import pytest

import faisslike as fl
from faisslike.contrib import datasets
from faisslike.contrib.evaluation import knn_intersection_measure

from faiss_anchor import needs_faiss, real_faiss
KEYS = ["SQ4", "SQ6", "SQbf16", "SQ8_direct", "IVF32,SQ4", "IVF32,SQ6", "IVF32,SQbf16"]


@pytest.fixture(scope="module")
def ds():
    return datasets.SyntheticDataset(32, 5000, 20000, 1000)


def recall(lib, key, ds, metric=None):
    idx = lib.index_factory(32, key) if metric is None else lib.index_factory(32, key, metric)
    idx.train(ds.get_train())
    idx.add(ds.get_database())
    if "IVF" in key:
        lib.extract_index_ivf(idx).nprobe = 8
    return knn_intersection_measure(idx.search(ds.get_queries(), 10)[1], ds.get_groundtruth(10))


@needs_faiss
@pytest.mark.parametrize("key", [k for k in KEYS if "direct" not in k])
def test_recall_matches_faiss(ds, key):
    ours, theirs = recall(fl, key, ds), recall(real_faiss, key, ds)
    # Never worse than FAISS by more than 0.01; our 2^bits bins (FAISS: 2^bits - 1 steps)
    # and k-means may make it slightly better.
    assert theirs - 0.01 <= ours <= theirs + 0.03, (ours, theirs)


@needs_faiss
@pytest.mark.parametrize("qt", ["QT_fp16", "QT_bf16", "QT_8bit_direct", "QT_8bit_direct_signed"])
def test_exact_codecs_decode_like_faiss(qt):
    rs = np.random.RandomState(3)
    if "direct" in qt:
        x = rs.randint(-128 if "signed" in qt else 0, 128 if "signed" in qt else 256, (300, 12)).astype("float32")
    else:
        x = rs.randn(300, 12).astype("float32") * 100
    recs = []
    for lib in (fl, real_faiss):
        idx = lib.IndexScalarQuantizer(12, getattr(lib.ScalarQuantizer, qt))
        idx.train(x)
        idx.add(x)
        recs.append(idx.reconstruct_n(0, 300))
    if qt == "QT_fp16":
        # IEEE round-to-nearest-even (numpy's float16); FAISS's scalar encoder rounds exact
        # ties up, so the two may differ by one half-float step there only.
        np.testing.assert_array_equal(recs[0], x.astype(np.float16).astype(np.float32))
        np.testing.assert_allclose(recs[0], recs[1], rtol=2 ** -10)
    else:
        np.testing.assert_array_equal(recs[0], recs[1])
    if "direct" in qt:
        np.testing.assert_array_equal(recs[0], x)


@pytest.mark.parametrize("qt,size", [("QT_4bit", 7), ("QT_6bit", 10), ("QT_4bit_uniform", 7),
                                     ("QT_8bit_uniform", 13), ("QT_bf16", 26)])
def test_code_sizes_and_reconstruction_error(qt, size):
    x = fl.rand((2000, 13), 5) * 4 - 2
    idx = fl.IndexScalarQuantizer(13, getattr(fl.ScalarQuantizer, qt))
    idx.train(x)
    idx.add(x)
    assert idx.code_size == size
    err = np.abs(idx.reconstruct_n(0, 2000) - x).max()
    bound = {"QT_4bit": 4 / 16, "QT_6bit": 4 / 64, "QT_4bit_uniform": 4 / 16, "QT_8bit_uniform": 4 / 256,
             "QT_bf16": 2 ** -7 * 2}[qt]
    assert err <= bound * 0.5 + 1e-6, err


@pytest.mark.parametrize("key", KEYS + ["SQ8", "SQfp16"])
@pytest.mark.parametrize("metric", [fl.METRIC_L2, fl.METRIC_INNER_PRODUCT])
def test_scan_agrees_with_decoded_brute_force(ds, key, metric, tmp_path):
    idx = fl.index_factory(32, key, metric)
    idx.train(ds.get_train())
    idx.add(ds.get_database()[:3000])
    if "IVF" in key:
        fl.extract_index_ivf(idx).nprobe = 32  # every list: exhaustive over decoded vectors
        fl.extract_index_ivf(idx).make_direct_map()
    dec = idx.reconstruct_n(0, 3000)
    xq = ds.get_queries()[:50]
    D, I = idx.search(xq, 5)
    flat = fl.IndexFlat(32, metric)
    flat.add(dec)
    Dr, Ir = flat.search(xq, 5)
    # IVF with residual coding scores q - centroid against decoded residuals: same values
    # up to float rounding.
    np.testing.assert_allclose(D, Dr, rtol=1e-3, atol=1e-3)
    fl.write_index(idx, str(tmp_path / "a.index"))
    for flags in (0, fl.IO_FLAG_MMAP):
        back = fl.read_index(str(tmp_path / "a.index"), flags)
        if "IVF" in key:
            fl.extract_index_ivf(back).nprobe = 32
        np.testing.assert_array_equal(back.search(xq, 5)[1], I)


def test_bad_sq_type():
    with pytest.raises(ValueError):
        fl.IndexScalarQuantizer(8, 9)
    with pytest.raises(ValueError):
        fl.IndexScalarQuantizer(8, -1)
    with pytest.raises(ValueError):
        fl.index_factory(8, "SQ5")
