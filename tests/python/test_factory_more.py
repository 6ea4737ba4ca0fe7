"""Factory variants beyond the first wave: IVF<n>_HNSW<M> coarse quantizers (and later
tokens), against faiss-cpu where installed."""
import numpy as np
import pytest

import faisslike as fl
from faisslike.contrib import datasets, factory_tools
from faisslike.contrib.evaluation import knn_intersection_measure

try:
    import faiss as real_faiss
except ImportError:
    real_faiss = None

needs_faiss = pytest.mark.skipif(real_faiss is None, reason="faiss-cpu not installed")


@pytest.fixture(scope="module")
def ds():
    return datasets.SyntheticDataset(32, 20000, 30000, 2000)


def _recall(lib, key, ds, **params):
    idx = lib.index_factory(32, key)
    idx.train(ds.get_train())
    idx.add(ds.get_database())
    ps = lib.ParameterSpace()
    for name, v in params.items():
        ps.set_index_parameter(idx, name, v)
    return knn_intersection_measure(idx.search(ds.get_queries(), 10)[1], ds.get_groundtruth(10)), idx


@needs_faiss
@pytest.mark.parametrize("key", ["IVF256_HNSW16,Flat", "IVF256_HNSW8,SQ8"])
def test_ivf_hnsw_quantizer_recall_matches_faiss(ds, key):
    ours, idx = _recall(fl, key, ds, nprobe=8, quantizer_efSearch=64)
    theirs, _ = _recall(real_faiss, key, ds, nprobe=8, quantizer_efSearch=64)
    assert abs(ours - theirs) <= 0.015, (ours, theirs)
    assert isinstance(fl.extract_index_ivf(idx).quantizer, fl.IndexHNSWFlat)
    assert factory_tools.reverse_index_factory(idx) == key


def test_ivf_hnsw_quantizer_round_trip(ds, tmp_path):
    _, idx = _recall(fl, "IVF64_HNSW8,Flat", ds, nprobe=4)
    D, I = idx.search(ds.get_queries(), 5)
    fl.write_index(idx, str(tmp_path / "a.index"))
    for flags in (0, fl.IO_FLAG_MMAP):
        back = fl.read_index(str(tmp_path / "a.index"), flags)
        back.nprobe = 4
        np.testing.assert_array_equal(back.search(ds.get_queries(), 5)[1], I)
    with pytest.raises(ValueError):
        fl.index_factory(32, "IVF64_HNSWx,Flat")
    with pytest.raises(ValueError):
        fl.index_factory(32, "IVF64_HNSW1,Flat")
