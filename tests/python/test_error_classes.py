"""The same mistake raises the same Python class on every index type and argument.

The class is decided in C++ (InvalidArgument -> ValueError, other Error -> RuntimeError,
FileError -> OSError); the bindings keep no checks of their own beyond numpy conversion.
"""
import numpy as np
import pytest

import faisslike as faiss

from conftest import clustered

D = 16
BIG_D = (1 << 24) + 1

CTORS = {
    "Flat": lambda d, metric=faiss.METRIC_L2: faiss.IndexFlat(d, metric),
    "FlatL2": lambda d, metric=None: faiss.IndexFlatL2(d),
    "IVFFlat": lambda d, metric=faiss.METRIC_L2: faiss.IndexIVFFlat(faiss.IndexFlatL2(max(d, 1)), d, 4, metric),
    "IVFPQ": lambda d, metric=faiss.METRIC_L2: faiss.IndexIVFPQ(faiss.IndexFlatL2(max(d, 1)), d, 4, 4, 8, metric),
    "IVFSQ": lambda d, metric=faiss.METRIC_L2: faiss.IndexIVFScalarQuantizer(
        faiss.IndexFlatL2(max(d, 1)), d, 4, faiss.QT_8bit, metric),
    "PQ": lambda d, metric=faiss.METRIC_L2: faiss.IndexPQ(d, 4, 8, metric),
    "SQ": lambda d, metric=faiss.METRIC_L2: faiss.IndexScalarQuantizer(d, faiss.QT_8bit, metric),
    "HNSW": lambda d, metric=faiss.METRIC_L2: faiss.IndexHNSWFlat(d, 8, metric),
    "Shards": lambda d, metric=faiss.METRIC_L2: faiss.IndexShards(d, True, metric),
    "factory": lambda d, metric=faiss.METRIC_L2: faiss.index_factory(d, "Flat", metric),
}


@pytest.mark.parametrize("name", sorted(CTORS))
@pytest.mark.parametrize("d", [0, -1, BIG_D])
def test_bad_dimension_is_value_error_everywhere(name, d):
    with pytest.raises(ValueError):
        CTORS[name](d)


@pytest.mark.parametrize("name", sorted(n for n in CTORS if n != "FlatL2"))
def test_unknown_metric_is_value_error_everywhere(name):
    with pytest.raises(ValueError, match="metric"):
        CTORS[name](D, 7)


@pytest.mark.parametrize("args", [(8, 1), (8, 1000), (8, -3), (8, 1 << 40)])
def test_hnsw_M_out_of_range_is_value_error(args):
    with pytest.raises(ValueError):
        faiss.IndexHNSWFlat(*args)


@pytest.mark.parametrize("M,nbits", [(0, 8), (5, 8), (4, 0), (4, 17), (-1, 8), (4, -2)])
def test_pq_parameters_are_value_errors(M, nbits):
    for make in (lambda: faiss.ProductQuantizer(D, M, nbits), lambda: faiss.IndexPQ(D, M, nbits),
                 lambda: faiss.IndexIVFPQ(faiss.IndexFlatL2(D), D, 4, M, nbits)):
        with pytest.raises(ValueError):
            make()


@pytest.mark.parametrize("nlist", [0, -1, (1 << 31) + 1])
def test_bad_nlist_is_value_error(nlist):
    q = faiss.IndexFlatL2(D)
    for make in (lambda: faiss.IndexIVFFlat(q, D, nlist), lambda: faiss.IndexIVFPQ(q, D, nlist, 4),
                 lambda: faiss.IndexIVFScalarQuantizer(q, D, nlist, faiss.QT_8bit)):
        with pytest.raises(ValueError):
            make()


def test_none_where_an_index_is_needed_is_value_error():
    for make in (lambda: faiss.IndexIVFFlat(None, D, 4), lambda: faiss.IndexIVFPQ(None, D, 4, 4),
                 lambda: faiss.IndexIDMap(None), lambda: faiss.IndexIDMap2(None),
                 lambda: faiss.IndexRefineFlat(None), lambda: faiss.IndexShards(D).add_shard(None)):
        with pytest.raises(ValueError):
            make()


FACTORY = ["Flat", "IVF4,Flat", "IVF4,PQ4", "IVF4,SQ8", "PQ4", "SQ8", "HNSW8", "IDMap2,Flat",
           "L2norm,IVF4,Flat", "PQ4,RFlat"]


@pytest.fixture(scope="module")
def filled():
    rng = np.random.default_rng(5)
    x = clustered(rng, 600, D)
    out = {}
    for desc in FACTORY:
        index = faiss.index_factory(D, desc)
        index.train(x)
        if desc.startswith("IDMap"):
            index.add_with_ids(x, np.arange(len(x)))
        else:
            index.add(x)
        out[desc] = index
    return x, out


@pytest.mark.parametrize("desc", FACTORY)
def test_search_and_reconstruct_argument_errors(filled, desc):
    x, indexes = filled
    index = indexes[desc]
    for k in (0, -1):
        with pytest.raises(ValueError, match="k must be > 0"):
            index.search(x[:2], k)
    with pytest.raises(TypeError):
        index.search(x[:2], 1.5)
    with pytest.raises(ValueError):
        index.search(x[:2], 1 << 62)  # n x k results cannot be allocated
    with pytest.raises(ValueError):
        index.search(x[:2, :3], 1)
    for i0, n in ((-1, 2), (0, index.ntotal + 1), (index.ntotal, 1), (5, -1)):
        with pytest.raises(ValueError, match="reconstruct_n range"):
            index.reconstruct_n(i0, n)


@pytest.mark.parametrize("desc", ["Flat", "IVF4,Flat", "IDMap2,Flat", "L2norm,IVF4,Flat"])
def test_bad_radius_is_value_error(filled, desc):
    x, indexes = filled
    for r in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="radius"):
            indexes[desc].range_search(x[:2], r)


def test_tuning_values_are_checked_in_cpp(filled):
    x, indexes = filled
    ivf = indexes["IVF4,Flat"]
    for v in (0, -1, (1 << 31) + 1, 1 << 40):
        with pytest.raises(ValueError, match="nprobe"):
            ivf.nprobe = v
    assert ivf.nprobe == 1  # unchanged by the refused settings
    with pytest.raises(ValueError, match="nprobe"):
        ivf.search(x[:2], 1, params=faiss.SearchParametersIVF(nprobe=1 << 40))
    with pytest.raises(ValueError):
        faiss.SearchParametersIVF(nprobe=-1)
    hnsw = indexes["HNSW8"]
    for attr in ("efSearch", "efConstruction"):
        with pytest.raises(ValueError, match=attr):
            setattr(hnsw.hnsw, attr, 0)
    with pytest.raises(ValueError, match="prune_headroom"):
        hnsw.hnsw.prune_headroom = 0.9
    with pytest.raises(ValueError, match="efSearch"):
        hnsw.search(x[:2], 1, params=faiss.SearchParametersHNSW(efSearch=-5))
    refine = indexes["PQ4,RFlat"]
    with pytest.raises(ValueError, match="k_factor"):
        refine.k_factor = 0.5
    with pytest.raises(ValueError, match="k_factor"):
        refine.search(x[:2], 1, params=faiss.SearchParametersRefine(k_factor=0.5))
    ivfpq = indexes["IVF4,PQ4"]
    with pytest.raises(ValueError, match="before training"):
        ivfpq.by_residual = False


def test_state_errors_are_runtime_errors():
    x = clustered(np.random.default_rng(2), 300, D)
    for desc in ("IVF4,Flat", "IVF4,PQ4", "PQ4", "SQ8", "IDMap,IVF4,Flat"):
        with pytest.raises(RuntimeError, match="not trained"):
            faiss.index_factory(D, desc).search(x[:1], 1)
    pq = faiss.ProductQuantizer(D, 4)
    for call in (lambda: pq.compute_codes(x), lambda: pq.decode(np.zeros((1, 4), "uint8")),
                 lambda: pq.compute_distance_table(x[:1])):
        with pytest.raises(RuntimeError, match="not trained"):
            call()


def test_io_flag_and_file_errors(tmp_path):
    with pytest.raises(ValueError, match="io_flags"):
        faiss.read_index(tmp_path / "x", 64)
    with pytest.raises(OSError):
        faiss.read_index(tmp_path / "missing")


def test_arrays_too_large_to_convert_are_memory_errors(filled):
    x, indexes = filled
    huge = np.broadcast_to(x[:1], (10**10, D))  # converting needs 320 GB
    index = indexes["Flat"]
    for call in (lambda: index.search(huge, 1), lambda: index.add(huge),
                 lambda: index.train(huge), lambda: index.range_search(huge, 1.0),
                 lambda: faiss.knn(huge, x, 1)):
        with pytest.raises(MemoryError):
            call()
    with pytest.raises(ValueError, match="one id per row"):  # checked before converting
        indexes["IDMap2,Flat"].add_with_ids(x[:2], np.broadcast_to(np.int64(1), (10**10,)))
    assert index.ntotal == len(x)


def test_write_index_to_a_directory_is_os_error(filled, tmp_path):
    _, indexes = filled
    with pytest.raises(OSError, match="directory"):
        faiss.write_index(indexes["Flat"], tmp_path)
    assert list(tmp_path.iterdir()) == []
