"""The FAISS module-level surface and faisslike.contrib, differentially against faiss-cpu
where it is installed (those tests skip cleanly without it)."""
import io
import pickle
import subprocess
import sys

import numpy as np
import pytest

import faisslike as fl
from faisslike.contrib import datasets, evaluation, exhaustive_search, inspect_tools, ivf_tools
from faisslike.contrib import factory_tools, vecs_io

from faiss_anchor import needs_faiss, real_faiss


@pytest.fixture(scope="module")
def ds():
    return datasets.SyntheticDataset(24, 3000, 4000, 50)


# ------------------------------------------------------------------ random arrays
@needs_faiss
@pytest.mark.parametrize("shape", [1, 7, 1023, 1024, 5001, (13, 300)])
@pytest.mark.parametrize("seed", [12345, 0, 7, -3, 2**40 + 5])
def test_random_arrays_equal_faiss(shape, seed):
    np.testing.assert_array_equal(fl.rand(shape, seed), real_faiss.rand(shape, seed))
    np.testing.assert_array_equal(fl.randn(shape, seed), real_faiss.randn(shape, seed))
    np.testing.assert_array_equal(fl.randint(shape, seed), real_faiss.randint(shape, seed))
    np.testing.assert_array_equal(fl.randint(shape, seed, 1000), real_faiss.randint(shape, seed, 1000))


@needs_faiss
def test_pointer_helpers_equal_faiss():
    for n, seed in [(10, 3), (3000, 11)]:
        a = np.empty(n, dtype="int32")
        b = np.empty(n, dtype="int32")
        fl.rand_perm(fl.swig_ptr(a), n, seed)
        real_faiss.rand_perm(real_faiss.swig_ptr(b), n, seed)
        np.testing.assert_array_equal(a, b)
    x = fl.rand((5, 16), 4)
    y = x.copy()
    fl.fvec_renorm_L2(16, 5, fl.swig_ptr(x))
    real_faiss.fvec_renorm_L2(16, 5, real_faiss.swig_ptr(y))
    np.testing.assert_allclose(x, y, rtol=1e-6)
    assert fl.fvec_L2sqr(fl.swig_ptr(x[0]), fl.swig_ptr(x[1]), 16) == pytest.approx(
        real_faiss.fvec_L2sqr(real_faiss.swig_ptr(x[0]), real_faiss.swig_ptr(x[1]), 16), rel=1e-5)
    codes = fl.randint((6, 4), 5, 256).astype("uint8")
    dis = np.empty(36, dtype="int32")
    ref = np.empty(36, dtype="int32")
    fl.hammings(fl.swig_ptr(codes), fl.swig_ptr(codes), 6, 6, 4, fl.swig_ptr(dis))
    real_faiss.hammings(real_faiss.swig_ptr(codes), real_faiss.swig_ptr(codes), 6, 6, 4,
                        real_faiss.swig_ptr(ref))
    np.testing.assert_array_equal(dis, ref)


def test_pointer_helpers_check_sizes():
    x = np.zeros(8, dtype="float32")
    with pytest.raises(ValueError):
        fl.fvec_L2sqr(fl.swig_ptr(x), fl.swig_ptr(x), 9)  # would read past the end
    with pytest.raises(TypeError):
        fl.fvec_norm_L2sqr(fl.swig_ptr(x.astype("float64")), 8)
    with pytest.raises(ValueError):
        fl.swig_ptr(np.zeros((4, 4), dtype="float32")[:, :2])  # not contiguous
    with pytest.raises(TypeError):
        fl.swig_ptr([1.0, 2.0])


@needs_faiss
def test_pairwise_and_knn_equal_faiss(ds):
    xq, xb = ds.get_queries(), ds.get_database()
    np.testing.assert_allclose(fl.pairwise_distances(xq, xb), real_faiss.pairwise_distances(xq, xb),
                               rtol=1e-4, atol=1e-4)
    for metric in (fl.METRIC_L2, fl.METRIC_INNER_PRODUCT):
        D, I = fl.knn(xq, xb, 10, metric)
        Dr, Ir = real_faiss.knn(xq, xb, 10, metric)
        evaluation.check_ref_knn_with_draws(Dr, Ir, D, I, rtol=1e-4)
    codes = fl.randint((200, 8), 3, 256).astype("uint8")
    D, I = fl.knn_hamming(codes[:20], codes, 5)
    Dr, Ir = real_faiss.knn_hamming(codes[:20], codes, 5)
    np.testing.assert_array_equal(D, Dr)
    evaluation.check_ref_knn_with_draws(Dr.astype("float32"), Ir, D.astype("float32"), I)


def test_simd_config_switches_kernels():
    old = fl.SIMDConfig.get_level()
    assert fl.SIMDLevel_NONE in fl.supported_simd_levels()
    try:
        for lv in sorted(fl.supported_simd_levels()):
            fl.SIMDConfig.set_level(lv)
            assert fl.SIMDConfig.get_level() == lv
            assert fl.SIMDConfig.get_level_name() == {0: "NONE", 1: "AVX2", 2: "AVX512"}[lv]
        with pytest.raises(RuntimeError):
            fl.SIMDConfig.set_level(fl.SIMDLevel_ARM_NEON)
        with pytest.raises(ValueError):
            fl.SIMDConfig.set_level(99)
    finally:
        fl.SIMDConfig.set_level(old)
    assert "DD" in fl.get_compile_options().split()


# ------------------------------------------------------------------ contrib
@needs_faiss
def test_synthetic_dataset_equals_faiss():
    from faiss.contrib.datasets import SyntheticDataset as Ref
    for args in [(32, 100, 500, 20), (7, 0, 50, 5, "IP", 4)]:
        a, b = datasets.SyntheticDataset(*args), Ref(*args)
        for f in ("get_train", "get_database", "get_queries"):
            np.testing.assert_array_equal(getattr(a, f)(), getattr(b, f)())
        np.testing.assert_array_equal(a.get_groundtruth(5), b.get_groundtruth(5))


def test_dataset_iterator_and_sizes(ds):
    ds.check_sizes()
    parts = list(ds.database_iterator(bs=333, split=(3, 1)))
    np.testing.assert_array_equal(np.vstack(parts), ds.get_database()[4000 // 3:2 * 4000 // 3])
    with pytest.raises(ValueError):
        datasets.SyntheticDataset(0, 1, 1, 1)


def test_ground_truth_by_blocks_is_exact(ds):
    xq, xb = ds.get_queries(), ds.get_database()
    for metric in (fl.METRIC_L2, fl.METRIC_INNER_PRODUCT):
        D, I = exhaustive_search.knn_ground_truth(xq, ds.database_iterator(bs=777), 10, metric)
        d64 = xq.astype(np.float64) @ xb.T.astype(np.float64)
        if metric == fl.METRIC_L2:
            d64 = (xq.astype(np.float64) ** 2).sum(1)[:, None] + (xb.astype(np.float64) ** 2).sum(1)[None] - 2 * d64
            ref_I = np.argsort(d64, axis=1)[:, :10]
        else:
            ref_I = np.argsort(-d64, axis=1)[:, :10]
        ref_D = np.take_along_axis(d64, ref_I, 1)
        evaluation.check_ref_knn_with_draws(ref_D, ref_I, D, I, rtol=1e-4, atol=1e-4)
    radius = float(np.median(fl.knn(xq, xb, 20)[0][:, -1]))
    lims, D, I = exhaustive_search.range_ground_truth(xq, ds.database_iterator(bs=500), radius)
    flat = fl.IndexFlatL2(24)
    flat.add(xb)
    lims2, D2, I2 = flat.range_search(xq, radius)
    evaluation.check_ref_range_results(lims2, D2, I2, lims, D, I)


@needs_faiss
def test_range_ground_truth_equals_faiss(ds):
    from faiss.contrib import exhaustive_search as ref
    xq = ds.get_queries()
    radius = 3.0
    got = exhaustive_search.range_ground_truth(xq, ds.database_iterator(bs=1000), radius)
    exp = ref.range_ground_truth(xq, ds.database_iterator(bs=1000), radius, ngpu=0)
    evaluation.check_ref_range_results(*exp, *got)
    index = fl.IndexFlatL2(24)
    index.add(ds.get_database())
    rindex = real_faiss.IndexFlatL2(24)
    rindex.add(ds.get_database())
    r1 = exhaustive_search.range_search_max_results(index, exhaustive_search.exponential_query_iterator(xq, 8),
                                                    5.0, max_results=3000)
    r2 = ref.range_search_max_results(rindex, ref.exponential_query_iterator(xq, 8), 5.0, max_results=3000)
    assert r1[0] == pytest.approx(r2[0], rel=1e-5)
    evaluation.check_ref_range_results(r2[1], r2[2], r2[3], r1[1], r1[2], r1[3])


@needs_faiss
def test_evaluation_equals_faiss():
    from faiss.contrib import evaluation as ref
    rs = np.random.RandomState(5)
    I1, I2 = rs.randint(0, 50, (30, 10)), rs.randint(0, 50, (30, 10))
    assert evaluation.knn_intersection_measure(I1, I2) == ref.knn_intersection_measure(I1, I2)
    nres1, nres2 = rs.randint(0, 6, 30), rs.randint(0, 6, 30)
    l1 = np.r_[0, np.cumsum(nres1)].astype("uint64")
    l2 = np.r_[0, np.cumsum(nres2)].astype("uint64")
    i1, i2 = rs.randint(0, 20, int(l1[-1])), rs.randint(0, 20, int(l2[-1]))
    d2 = rs.rand(int(l2[-1])).astype("float32")
    for mode in ("overall", "average"):
        assert evaluation.range_PR(l1, i1, l2, i2, mode) == pytest.approx(ref.range_PR(l1, i1, l2, i2, mode))
    thr = [0.2, 0.5, 0.9]
    got = evaluation.range_PR_multiple_thresholds(l1, i1, l2, d2, i2, thr)
    exp = ref.range_PR_multiple_thresholds(l1, i1, l2, d2, i2, thr)
    np.testing.assert_allclose(got[0], exp[0])
    np.testing.assert_allclose(got[1], exp[1])
    a, b = evaluation.sort_range_res_2(l2, d2, i2), ref.sort_range_res_2(l2, d2, i2)
    np.testing.assert_array_equal(a[1], b[1])


def test_check_ref_knn_with_draws_catches_wrong_ids():
    D = np.array([[0.1, 0.2, 0.2, 0.5]], dtype="float32")
    evaluation.check_ref_knn_with_draws(D, np.array([[1, 2, 3, 4]]), D, np.array([[1, 3, 2, 4]]))
    with pytest.raises(AssertionError):
        evaluation.check_ref_knn_with_draws(D, np.array([[1, 2, 3, 4]]), D, np.array([[2, 1, 3, 4]]))


def test_vecs_io_round_trip_and_malformed(tmp_path):
    x = fl.rand((7, 5), 1)
    vecs_io.fvecs_write(tmp_path / "a.fvecs", x)
    np.testing.assert_array_equal(vecs_io.fvecs_read(tmp_path / "a.fvecs"), x)
    np.testing.assert_array_equal(vecs_io.fvecs_mmap(str(tmp_path / "a.fvecs")), x)
    ii = fl.randint((3, 4), 2, 100).astype("int32")
    vecs_io.ivecs_write(tmp_path / "a.ivecs", ii)
    np.testing.assert_array_equal(vecs_io.ivecs_read(tmp_path / "a.ivecs"), ii)
    b = fl.randint((3, 9), 2, 256).astype("uint8")
    vecs_io.bvecs_write(tmp_path / "a.bvecs", b)
    np.testing.assert_array_equal(vecs_io.bvecs_mmap(tmp_path / "a.bvecs"), b)
    raw = (tmp_path / "a.fvecs").read_bytes()
    (tmp_path / "trunc.fvecs").write_bytes(raw[:-4])
    with pytest.raises(ValueError):
        vecs_io.fvecs_read(tmp_path / "trunc.fvecs")
    bad = bytearray(raw)
    bad[24:28] = np.array([4], dtype="int32").tobytes()  # row 1 claims d=4
    (tmp_path / "bad.fvecs").write_bytes(bytes(bad))
    with pytest.raises(ValueError):
        vecs_io.fvecs_read(tmp_path / "bad.fvecs")


def test_inspect_and_ivf_tools(ds):
    index = fl.index_factory(24, "IVF32,Flat")
    index.train(ds.get_train())
    index.add(ds.get_database())
    sizes = inspect_tools.get_invlist_sizes(index.invlists)
    assert sizes.sum() == index.ntotal and len(sizes) == 32
    ids, codes = inspect_tools.get_invlist(index.invlists, int(np.argmax(sizes)))
    assert codes.shape == (sizes.max(), 24 * 4)
    np.testing.assert_array_equal(codes.view("float32"), ds.get_database()[ids])
    xq = ds.get_queries()
    _, assign = index.quantizer.search(xq, 5)
    D1, I1 = ivf_tools.search_preassigned(index, xq, 10, assign)
    D2, I2 = index.search(xq, 10, params=fl.SearchParametersIVF(nprobe=5))
    np.testing.assert_array_equal(I1, I2)
    # add_preassigned puts vectors where told, -1 skips (the id is still used up)
    empty = fl.index_factory(24, "IVF32,Flat")
    empty.train(ds.get_train())
    a = np.arange(10) % 32
    a[3] = -1
    ivf_tools.add_preassigned(empty, ds.get_database()[:10], a)
    assert empty.ntotal == 10
    assert list(empty.invlists.get_ids(0)) == [0]
    assert inspect_tools.get_invlist_sizes(empty).sum() == 9
    with pytest.raises(ValueError):
        ivf_tools.add_preassigned(empty, ds.get_database()[:2], np.array([0, 32]))
    with pytest.raises(ValueError):
        index.search_preassigned(xq, 10, np.full((len(xq), 2), 99))
    # replace the quantizer by an HNSW one over the same centroids
    old = ivf_tools.replace_ivf_quantizer(index, fl.IndexHNSWFlat(24, 16))
    assert old.ntotal == 32 and index.quantizer.ntotal == 32
    assert evaluation.knn_intersection_measure(index.search(xq, 10)[1], index.search(xq, 10)[1]) == 1
    flat = fl.IndexFlatL2(24)
    flat.add(ds.get_database()[:5])
    np.testing.assert_array_equal(inspect_tools.get_flat_data(flat), ds.get_database()[:5])
    pq = fl.index_factory(24, "PQ4")
    pq.train(ds.get_train())
    pq.add(ds.get_database()[:9])
    assert inspect_tools.get_flat_codes(pq).shape == (9, 4)
    assert inspect_tools.get_pq_centroids(pq.pq).shape == (4, 256, 6)


def test_factory_tools_round_trip():
    for key in ["Flat", "IVF16,Flat", "IVF16,PQ4x8", "PQ8x8", "SQ8", "SQfp16", "HNSW16",
                "IDMap,Flat", "IDMap2,HNSW8", "IVF16,SQ8", "PQ4x8,RFlat"]:
        index = fl.index_factory(16, key)
        assert factory_tools.reverse_index_factory(index) == key
    assert factory_tools.get_code_size(64, "IVF100,PQ16x8") == 16
    assert factory_tools.get_code_size(64, "SQ8") == 64


# ------------------------------------------------------------------ ParameterSpace
@needs_faiss
@pytest.mark.parametrize("key", ["IVF64,Flat", "HNSW32", "L2norm,IVF32,Flat", "Flat", "IDMap,HNSW16", "IVF16,SQ8,RFlat"])
def test_parameter_space_ranges_equal_faiss(key):
    ours, ref = fl.ParameterSpace(), real_faiss.ParameterSpace()
    ours.initialize(fl.index_factory(8, key))
    ref.initialize(real_faiss.index_factory(8, key))
    assert ours.n_combinations() == ref.n_combinations()
    assert [ours.combination_name(i) for i in range(ours.n_combinations())] == \
        [ref.combination_name(i) for i in range(ref.n_combinations())]


def test_parameter_space_sets_and_refuses(ds):
    ps = fl.ParameterSpace()
    index = fl.index_factory(24, "IDMap,IVF16,PQ4,RFlat")
    ps.set_index_parameters(index, "nprobe=7,k_factor_rf=3")
    assert fl.extract_index_ivf(index).nprobe == 7
    assert index.index.k_factor == 3
    hnsw = fl.index_factory(24, "HNSW8")
    ps.set_index_parameter(hnsw, "efSearch", 40)
    assert hnsw.hnsw.efSearch == 40
    with pytest.raises(ValueError):
        ps.set_index_parameter(fl.IndexFlatL2(4), "nprobe", 3)
    with pytest.raises(ValueError):
        ps.set_index_parameters(index, "nprobe")
    with pytest.raises(ValueError):
        ps.set_index_parameter(hnsw, "efSearch", 0)


def test_explore_finds_pareto_points(ds):
    index = fl.index_factory(24, "IVF32,Flat")
    index.train(ds.get_train())
    index.add(ds.get_database())
    ps = fl.ParameterSpace()
    ps.initialize(index)
    crit = fl.OneRecallAtRCriterion(ds.nq, 1)
    crit.set_groundtruth(10, None, ds.get_groundtruth(10))
    ops = ps.explore(index, ds.get_queries(), crit)
    assert ops.all_pts.size() == ps.n_combinations()
    perfs = [p.perf for p in ops.optimal_pts]
    assert perfs == sorted(perfs) and perfs[-1] >= 0.99


# ------------------------------------------------------------------ semantics
def test_search_parameters_default_to_faiss_depth(ds):
    xq = ds.get_queries()
    hnsw = fl.IndexHNSWFlat(24, 8)
    hnsw.add(ds.get_database())
    hnsw.hnsw.efSearch = 256
    sel = fl.IDSelectorAll()
    _, I_sel = hnsw.search(xq, 10, params=fl.SearchParametersHNSW(sel=sel))
    hnsw.hnsw.efSearch = 16
    np.testing.assert_array_equal(I_sel, hnsw.search(xq, 10)[1])
    ivf = fl.index_factory(24, "IVF32,Flat")
    ivf.train(ds.get_train())
    ivf.add(ds.get_database())
    ivf.nprobe = 16
    _, I_sel = ivf.search(xq, 10, params=fl.SearchParametersIVF(sel=sel))
    ivf.nprobe = 1
    np.testing.assert_array_equal(I_sel, ivf.search(xq, 10)[1])
    assert fl.SearchParametersIVF().nprobe == 1 and fl.SearchParametersHNSW().efSearch == 16


@pytest.mark.parametrize("key", ["Flat", "IVF16,Flat", "IVF16,PQ4", "PQ4", "SQ8", "SQfp16", "HNSW8",
                                 "IDMap2,Flat", "L2norm,IVF16,SQ8", "PQ4,RFlat"])
def test_pickle_every_index(ds, key):
    index = fl.index_factory(24, key)
    index.train(ds.get_train())
    if "IDMap" in key:
        index.add_with_ids(ds.get_database()[:500], np.arange(500) * 3)
    else:
        index.add(ds.get_database()[:500])
    back = pickle.loads(pickle.dumps(index))
    assert type(back) is type(index)
    np.testing.assert_array_equal(back.search(ds.get_queries(), 5)[1], index.search(ds.get_queries(), 5)[1])
    clone = fl.clone_index(index)
    assert clone is not index and clone.ntotal == index.ntotal


def test_callback_io_and_file_objects(ds, tmp_path):
    index = fl.index_factory(24, "IVF16,Flat")
    index.train(ds.get_train())
    index.add(ds.get_database())
    buf = io.BytesIO()
    fl.write_index(index, fl.PyCallbackIOWriter(buf.write, 1000))
    buf.seek(0)
    back = fl.read_index(fl.PyCallbackIOReader(buf.read, 777))
    assert back.ntotal == index.ntotal
    with open(tmp_path / "x.index", "wb") as f:
        fl.write_index(index, f)
    with open(tmp_path / "x.index", "rb") as f:
        assert fl.read_index(f).ntotal == index.ntotal
    buf = io.BytesIO(buf.getvalue()[:-10])
    with pytest.raises(RuntimeError):
        fl.read_index(fl.PyCallbackIOReader(buf.read))
    with pytest.raises(TypeError):
        fl.read_index(fl.PyCallbackIOReader(lambda n: "text"))
    with pytest.raises(TypeError):
        fl.write_index(index, 12)


def test_vectors_and_matrix_stats():
    v = fl.Float32Vector()
    fl.copy_array_to_vector(np.arange(5, dtype="float32"), v)
    assert v.size() == 5 and v.at(4) == 4.0
    np.testing.assert_array_equal(fl.vector_to_array(v), np.arange(5))
    x = fl.rand((50, 8), 2)
    x[:, 5] = 1.0
    assert "dimensions are constant: dim 5" in fl.MatrixStats(x).comments
    comments = fl.MatrixStats(np.vstack([x, np.zeros((3, 8), "float32")])).comments
    assert "3 rows are zero" in comments and "2 rows are duplicates" in comments


def test_ranklist_and_helpers():
    assert fl.ranklist_intersection_size(np.array([1, 2, 3, -1]), np.array([3, 2, 9, -1])) == 2
    index = fl.index_factory(8, "L2norm,IDMap,IVF4,Flat")
    assert isinstance(fl.extract_index_ivf(index), fl.IndexIVF)
    assert fl.try_extract_index_ivf(fl.IndexFlatL2(8)) is None
    with pytest.raises(ValueError):
        fl.extract_index_ivf(fl.IndexFlatL2(8))
    assert fl.downcast_index(index) is index


def test_kmeans_faiss_keywords():
    x = fl.rand((3000, 8), 1)
    init = x[:16].copy()
    km = fl.Kmeans(8, 16, niter=0)
    km.train(x, init_centroids=init)
    np.testing.assert_array_equal(km.centroids, init)
    km = fl.Kmeans(8, 16, niter=4, int_centroids=True)
    km.train(x * 100)
    np.testing.assert_array_equal(km.centroids, np.round(km.centroids))
    assert set(km.iteration_stats[0]) == {"obj", "time", "time_search", "imbalance_factor", "nsplit"}
    # a point with a huge weight pulls its centroid onto itself (n small enough that
    # k-means does not subsample)
    x = x[:800]
    w = np.ones(len(x), dtype="float32")
    w[0] = 1e6
    km = fl.Kmeans(8, 4, niter=5)
    km.train(x, weights=w)
    assert np.min(((km.centroids - x[0]) ** 2).sum(1)) < 1e-3
    with pytest.raises(ValueError):
        km.train(x, weights=-w)
    with pytest.raises(ValueError):
        fl.Kmeans(8, 4, gpu=True)


# ------------------------------------------------------------------ alias
def test_alias_is_opt_in_and_complete(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(
        "import sys\n"
        "import faiss\n"
        "from faiss.contrib.datasets import SyntheticDataset\n"
        "from faiss.contrib import evaluation\n"
        "import faiss.contrib.exhaustive_search as es\n"
        "assert faiss.__name__ == 'faisslike', faiss.__name__\n"
        "assert SyntheticDataset.__module__ == 'faisslike.contrib.datasets'\n"
        "print('ok', sys.argv[1:])\n")
    r = subprocess.run([sys.executable, "-m", "faisslike.run", str(script), "a", "b"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok ['a', 'b']"
    # importing faisslike alone never installs the alias
    r = subprocess.run([sys.executable, "-c",
                        "import sys, faisslike; print('faiss' in sys.modules)"],
                       capture_output=True, text=True, timeout=300)
    assert r.stdout.strip() == "False", r.stderr
    if real_faiss is not None:
        r = subprocess.run([sys.executable, "-c",
                            "import faiss, faisslike\n"
                            "try:\n    faisslike.install_as_faiss()\n"
                            "except RuntimeError as e:\n    print('refused')\n"],
                           capture_output=True, text=True, timeout=300)
        assert r.stdout.strip() == "refused", r.stderr


def test_synthetic_dataset_accepts_metric_constants():
    a = datasets.SyntheticDataset(8, 0, 300, 10, metric=fl.METRIC_L2)
    b = datasets.SyntheticDataset(8, 0, 300, 10, metric="L2")
    np.testing.assert_array_equal(a.get_groundtruth(5), b.get_groundtruth(5))
    c = datasets.SyntheticDataset(8, 0, 300, 10, metric=fl.METRIC_INNER_PRODUCT)
    np.testing.assert_array_equal(c.get_groundtruth(5),
                                  datasets.SyntheticDataset(8, 0, 300, 10, metric="IP").get_groundtruth(5))
    with pytest.raises(ValueError):
        datasets.SyntheticDataset(8, 0, 300, 10, metric=7)


def test_callback_reader_through_an_open_pipe():
    # FAISS's test_transfer_pipe: the writer keeps the pipe open until the reader is done,
    # so the reader must stop at the end of the index, not wait for the end of the stream.
    import os
    from multiprocessing.pool import ThreadPool
    x = fl.rand((300, 16), 2)
    index = fl.IndexFlatL2(16)
    index.add(x)
    rf, wf = os.pipe()
    try:
        with ThreadPool(1) as pool:
            fut = pool.apply_async(lambda: fl.read_index(fl.PyCallbackIOReader(lambda n: os.read(rf, n))))
            fl.write_index(index, fl.PyCallbackIOWriter(lambda b: os.write(wf, b)))
            back = fut.get(timeout=120)
    finally:
        os.close(wf)
        os.close(rf)
    np.testing.assert_array_equal(back.search(x[:5], 3)[1], index.search(x[:5], 3)[1])
    # a stream that ends early is an error, not a hang
    data = fl.serialize_index(index).tobytes()[:100]
    buf = io.BytesIO(data)
    with pytest.raises(RuntimeError):
        fl.read_index(fl.PyCallbackIOReader(buf.read))


@needs_faiss
def test_operating_points_with_ranges_equal_faiss():
    from faiss.contrib import evaluation as ref
    for mod in (evaluation, ref):
        op = mod.OperatingPointsWithRanges()
        op.add_range("nprobe", [1, 2, 4, 8, 16])
        op.add_range("k_factor", [1, 2, 4])
        exps = op.sample_experiments(6)
        keys = [op.cno_to_key(c) for c in exps]
        added = [op.add_operating_point(k, float(k.sum()) / 6, float(k[0] + k[1])) for k in keys]
        run = [op.should_run_experiment(op.cno_to_key(c)) for c in range(op.num_experiments())]
        mod.result = (exps, added, run, op.get_parameters(keys[1]))
    assert evaluation.result == ref.result
    assert fl.eval_intersection(np.array([[1, 2, 3], [4, 5, -1]]), np.array([[3, 2, 9], [-1, 4, 7]])) == 3
    assert fl.IVFSearchParameters is fl.SearchParametersIVF
