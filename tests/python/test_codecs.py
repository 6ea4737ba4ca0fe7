"""Standalone codecs (sa_code_size / sa_encode / sa_decode) on every type that has one,
IndexRowwiseMinMax(FP16) and HadamardRotation ("MinMax,", "MinMaxFP16,", "HR" factory
tokens), differentially against faiss-cpu where installed."""
import pickle

import numpy as np
import pytest

import faisslike as fl
from faisslike.contrib import datasets

from faiss_anchor import needs_faiss, real_faiss

CODEC_KEYS = ["Flat", "SQ8", "SQfp16", "PQ6", "PQ6x4", "IVF16,Flat", "IVF16,SQ8", "IVF300,PQ6",
              "PCA16,SQ8", "HR,Flat", "MinMax,SQ8", "MinMaxFP16,SQ8", "MinMax,PQ6",
              "MinMax,IVF16,SQ8", "L2norm,MinMax,SQ4"]


@pytest.fixture(scope="module")
def ds():
    ds = datasets.SyntheticDataset(24, 4000, 1000, 50)
    return ds


def trained(key, ds):
    idx = fl.index_factory(ds.d, key)
    idx.train(ds.get_train())
    return idx


@pytest.mark.parametrize("key", CODEC_KEYS)
def test_codec_round_trip_and_io(ds, key):
    idx = trained(key, ds)
    xb = ds.get_database()[:300]
    if "MinMax" in key:
        xb = xb * 3 + 1  # off-centre and wider: min-max scaling absorbs it
    codes = idx.sa_encode(xb)
    assert codes.dtype == np.uint8 and codes.shape == (300, idx.sa_code_size())
    dec = idx.sa_decode(codes)
    assert dec.shape == xb.shape and np.isfinite(dec).all()
    ref = xb / np.linalg.norm(xb, axis=1, keepdims=True) if key.startswith("L2norm") else xb
    rel = np.linalg.norm(dec - ref) / np.linalg.norm(ref)
    assert rel < (1e-6 if key in ("Flat", "HR,Flat", "IVF16,Flat") else 0.6), rel  # coarse codecs (PQ6x4, PCA16) lose much
    # Through serialization and pickling: the same codes and decodings.
    for back in (fl.deserialize_index(fl.serialize_index(idx)), pickle.loads(pickle.dumps(idx))):
        np.testing.assert_array_equal(back.sa_encode(xb), codes)
        np.testing.assert_array_equal(back.sa_decode(codes), dec)
    assert idx.ntotal == 0  # encoding adds nothing


@needs_faiss
@pytest.mark.parametrize("key", CODEC_KEYS)
def test_codec_size_and_error_match_faiss(ds, key):
    if key.startswith("L2norm,MinMax"):
        pytest.skip("FAISS takes MinMax only as the outermost prefix")
    ours, theirs = trained(key, ds), real_faiss.index_factory(ds.d, key)
    theirs.train(ds.get_train())
    assert ours.sa_code_size() == theirs.sa_code_size()
    xb = ds.get_database()[:300]
    err_ours = np.abs(ours.sa_decode(ours.sa_encode(xb)) - xb).mean()
    if key == "HR,Flat":  # FAISS cannot reverse a padded Hadamard rotation: compare the codes
        np.testing.assert_array_equal(ours.sa_encode(xb), theirs.sa_encode(xb))
        return
    err_theirs = np.abs(theirs.sa_decode(theirs.sa_encode(xb)) - xb).mean()
    assert err_ours <= err_theirs * 1.15 + 1e-6, (err_ours, err_theirs)
    if key in ("Flat", "IVF16,Flat"):  # exact codes (list number + raw floats)
        np.testing.assert_array_equal(ours.sa_decode(theirs.sa_encode(xb)), xb)


@needs_faiss
@pytest.mark.parametrize("d, seed", [(32, 12345), (24, 7), (1, 3), (100, 0)])
def test_hadamard_rotation_equals_faiss(d, seed):
    x = np.random.RandomState(d).randn(50, d).astype("float32")
    ours, theirs = fl.HadamardRotation(d, seed), real_faiss.HadamardRotation(d, seed)
    assert ours.d_out == theirs.d_out
    np.testing.assert_allclose(ours.apply(x), theirs.apply(x), rtol=1e-5, atol=1e-6)
    # Orthonormal: norms kept, and the reverse undoes it (also when padded).
    y = ours.apply(x)
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), np.linalg.norm(x, axis=1), rtol=1e-5)
    np.testing.assert_allclose(ours.reverse_transform(y), x, atol=1e-5)


def test_hadamard_search_is_exact(ds):
    idx = fl.index_factory(ds.d, "HR,Flat")
    idx.train(ds.get_train())
    idx.add(ds.get_database())
    D, I = idx.search(ds.get_queries(), 10)
    ref = fl.IndexFlatL2(ds.d)
    ref.add(ds.get_database())
    Dr, Ir = ref.search(ds.get_queries(), 10)
    assert (I == Ir).mean() > 0.99
    np.testing.assert_allclose(D, Dr, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(idx.reconstruct(5), ds.get_database()[5], atol=1e-5)


def test_minmax_is_codec_only_and_checks(ds):
    mm = fl.IndexRowwiseMinMax(fl.IndexScalarQuantizer(ds.d, fl.ScalarQuantizer.QT_8bit))
    assert not mm.is_trained
    with pytest.raises(RuntimeError):
        mm.sa_encode(ds.get_database()[:2])
    mm.train(ds.get_train())
    assert mm.is_trained and mm.sa_code_size() == 8 + ds.d
    with pytest.raises(RuntimeError, match="codec"):
        mm.add(ds.get_database()[:2])
    with pytest.raises(RuntimeError, match="codec"):
        mm.search(ds.get_queries()[:2], 1)
    with pytest.raises(ValueError):
        mm.sa_decode(np.zeros((2, 5), dtype=np.uint8))  # wrong width
    # A constant row is coded as scale 0 and decodes back exactly.
    const = np.full((1, ds.d), 2.5, dtype="float32")
    np.testing.assert_array_equal(mm.sa_decode(mm.sa_encode(const)), const)
    with pytest.raises(ValueError):
        fl.IndexRowwiseMinMax(fl.IndexHNSWFlat(ds.d, 8))  # no standalone codec
    with pytest.raises(ValueError):
        fl.index_factory(ds.d, "MinMax,HNSW8")


def test_codec_errors(ds):
    hnsw = fl.IndexHNSWFlat(ds.d, 8)
    with pytest.raises(RuntimeError, match="standalone codec"):
        hnsw.sa_code_size()
    with pytest.raises(RuntimeError, match="standalone codec"):
        hnsw.sa_encode(ds.get_database()[:2])
    ivf = trained("IVF300,SQ8", ds)
    codes = ivf.sa_encode(ds.get_database()[:4])
    codes[:, :2] = 0xFF  # list number 65535 >= nlist
    with pytest.raises(ValueError, match="nlist"):
        ivf.sa_decode(codes)
    with pytest.raises(TypeError):
        ivf.sa_decode(codes.astype(np.float32))
    with pytest.raises(RuntimeError):  # NaN input is refused as for add
        ivf.sa_encode(np.full((1, ds.d), np.nan, dtype="float32"))
    untrained = fl.index_factory(ds.d, "PQ6")
    with pytest.raises(RuntimeError, match="not trained"):
        untrained.sa_decode(np.zeros((1, 6), dtype=np.uint8))
