"""IndexIVF.merge_from: shards filled from one trained index and merged equal one index filled
with everything (same codes, same lists, same results); every mismatch is a ValueError that
moves nothing."""
import numpy as np
import pytest

import faisslike as faiss
from ivf_util import ivf_lists as lists

D = 32
TYPES = ["IVF16,Flat", "IVF16,PQ8", "IVF16,PQ8x4", "IVF16,PQ8x4fs", "IVF16,PQ8x4fsr",
         "IVF16,SQ8", "IVF16,SQfp16", "IVF16,RaBitQ", "IVF16,RaBitQ4"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    centers = rng.standard_normal((16, D)).astype("float32") * 4
    xb = (centers[rng.integers(0, 16, 6000)] + rng.standard_normal((6000, D))).astype("float32")
    xq = (centers[rng.integers(0, 16, 50)] + rng.standard_normal((50, D))).astype("float32")
    return xb, xq


def copy(index):
    return faiss.deserialize_index(faiss.serialize_index(index))


def trained(desc, xb, metric=faiss.METRIC_L2):
    index = faiss.index_factory(D, desc, metric)
    index.train(xb)
    return index


@pytest.mark.parametrize("metric", [faiss.METRIC_L2, faiss.METRIC_INNER_PRODUCT])
@pytest.mark.parametrize("desc", TYPES)
def test_merged_shards_equal_one_index(data, desc, metric):
    xb, xq = data
    empty = trained(desc, xb, metric)
    whole = copy(empty)
    whole.add(xb)
    cuts = [0, 1500, 1501, 4000, 6000]  # one shard of a single vector
    shards = []
    for a, b in zip(cuts, cuts[1:]):
        s = copy(empty)
        s.add(xb[a:b])  # ids 0.. in each shard
        shards.append((a, s))
    merged = copy(empty)
    for a, s in shards:
        merged.merge_from(s, a)
        assert s.ntotal == 0 and all(s.get_list_size(l) == 0 for l in range(s.nlist))
    assert merged.ntotal == whole.ntotal == len(xb)
    assert lists(merged) == lists(whole)
    for index in (merged, whole):
        index.nprobe = 4
    Dm, Im = merged.search(xq, 10)
    Dw, Iw = whole.search(xq, 10)
    np.testing.assert_array_equal(Im, Iw)
    np.testing.assert_array_equal(Dm, Dw)
    # An emptied shard searches as an empty index, and takes vectors again.
    _, I0 = shards[0][1].search(xq[:3], 5)
    assert (I0 == -1).all()
    shards[0][1].add(xb[:10])
    assert shards[0][1].ntotal == 10


def test_merge_into_mapped_and_from_mapped(data, tmp_path):
    xb, xq = data
    empty = trained("IVF16,SQ8", xb)
    a, b = copy(empty), copy(empty)
    a.add(xb[:3000])
    b.add(xb[3000:])
    whole = copy(empty)
    whole.add(xb)
    pa, pb = str(tmp_path / "a.index"), str(tmp_path / "b.index")
    faiss.write_index(a, pa)
    faiss.write_index(b, pb)
    before = open(pb, "rb").read()
    ma = faiss.read_index(pa, faiss.IO_FLAG_MMAP)
    mb = faiss.read_index(pb, faiss.IO_FLAG_MMAP)
    ma.merge_from(mb, 3000)
    assert mb.ntotal == 0 and ma.ntotal == 6000
    assert open(pb, "rb").read() == before  # the mapped file is not written
    assert lists(ma) == lists(whole)


def test_hashtable_direct_map_is_rebuilt(data):
    xb, _ = data
    empty = trained("IVF16,Flat", xb)
    a, b = copy(empty), copy(empty)
    a.set_direct_map_type(2)
    a.add_with_ids(xb[:100], np.arange(100) * 3)
    b.add_with_ids(xb[100:200], np.arange(100) * 3 + 1)
    a.merge_from(b, 0)
    for i in (0, 57, 99):
        np.testing.assert_array_equal(a.reconstruct(int(i * 3 + 1)), xb[100 + i])
        np.testing.assert_array_equal(a.reconstruct(int(i * 3)), xb[i])


def expect_refused(dst, src, add_id, match):
    n_dst, n_src = dst.ntotal, src.ntotal
    with pytest.raises(ValueError, match=match):
        dst.merge_from(src, add_id)
    assert (dst.ntotal, src.ntotal) == (n_dst, n_src)  # nothing moved


def test_mismatches_are_value_errors_that_move_nothing(data):
    xb, _ = data
    empty = trained("IVF16,PQ8", xb)
    a, b = copy(empty), copy(empty)
    a.add(xb[:100])
    b.add(xb[100:200])
    expect_refused(a, a, 0, "itself")
    expect_refused(a, b, -1, "add_id")
    flat = faiss.IndexFlatL2(D)
    flat.add(xb[:5])
    expect_refused(a, flat, 0, "not an IVF")
    sq = trained("IVF16,SQ8", xb)
    sq.add(xb[:10])
    expect_refused(a, sq, 0, "same type")
    other_nlist = trained("IVF32,PQ8", xb)
    other_nlist.add(xb[:10])
    expect_refused(a, other_nlist, 0, "nlist")
    other_q = trained("IVF16,PQ8", xb[::-1].copy())  # other data: other centroids
    other_q.add(xb[:10])
    expect_refused(a, other_q, 0, "coarse quantizers differ")
    with pytest.raises(ValueError, match="quantizers"):
        a.check_compatible_for_merge(other_q)
    # The same coarse centroids, product quantizers trained on other data.
    q = faiss.IndexFlatL2(D)
    q.add(empty.quantizer.reconstruct_n(0, 16))
    p1 = faiss.IndexIVFPQ(q, D, 16, 8, 8)
    p1.train(xb[:3000])
    q2 = faiss.IndexFlatL2(D)
    q2.add(empty.quantizer.reconstruct_n(0, 16))
    p2 = faiss.IndexIVFPQ(q2, D, 16, 8, 8)
    p2.train(xb[3000:])
    p2.add(xb[:10])
    expect_refused(p1, p2, 0, "encoders differ")
    arr = copy(empty)
    arr.make_direct_map()
    arr.add(xb[:10])
    expect_refused(arr, b, 0, "Array direct map")
    big = copy(empty)
    big.add_with_ids(xb[:2], np.array([2**62, 5]))
    expect_refused(a, big, 2**62, "overflows")
    a.merge_from(b, 100)  # still fine after all the refusals
    assert a.ntotal == 200 and b.ntotal == 0


def test_faiss_merge_from_agrees(data):
    """FAISS's own merge_from on FAISS indexes: the same ids land in the same lists."""
    faiss_ref = pytest.importorskip("faiss")
    xb, xq = data
    ref = faiss_ref.index_factory(D, "IVF16,Flat")
    ref.train(xb)
    ours = faiss.IndexIVFFlat(faiss.IndexFlatL2(D), D, 16)
    centroids = ref.quantizer.reconstruct_n(0, 16)
    ours.quantizer.add(centroids)
    ours.train(xb)  # a full quantizer is kept, as in FAISS
    np.testing.assert_array_equal(ours.quantizer.reconstruct_n(0, 16), centroids)
    for lib, index in (("faiss", ref), ("ours", ours)):
        mod = faiss_ref if lib == "faiss" else faiss
        parts = []
        for a, b in ((0, 2500), (2500, 6000)):
            s = mod.deserialize_index(mod.serialize_index(index))
            s.add(xb[a:b])
            parts.append((a, s))
        for a, s in parts:
            index.merge_from(s, a)
    ref.nprobe = ours.nprobe = 4
    _, Ir = ref.search(xq, 10)
    _, Io = ours.search(xq, 10)
    np.testing.assert_array_equal(Io, Ir)


@pytest.mark.parametrize("desc", ["IVF16,Flat", "IVF16,PQ8x4fs", "IVF16,SQ8"])
def test_copy_lists_recuts_by_list(data, desc):
    """Shards re-cut by list (copy_lists_from of each range shard) hold exactly the whole
    index's lists they own; the sources are unchanged; with them an IndexShards over
    list-owned shards answers as the whole index."""
    xb, xq = data
    empty = trained(desc, xb)
    whole = copy(empty)
    whole.add(xb)
    ranges = []
    for a, b in [(0, 2500), (2500, 6000)]:
        s = copy(empty)
        s.add(xb[a:b])
        ranges.append((a, s))
    before = [lists(s) for _, s in ranges]
    owned = [np.arange(0, 16, 3), np.setdiff1d(np.arange(16), np.arange(0, 16, 3))]
    cut = []
    for own in owned:
        c = copy(empty)
        for a, s in ranges:
            c.copy_lists_from(s, own, a)
        cut.append(c)
    assert [lists(s) for _, s in ranges] == before
    for own, c in zip(owned, cut):
        for l in range(16):
            expect = lists(whole)[l] if l in own else ([], b"")
            assert lists(c)[l] == expect
    assert sum(c.ntotal for c in cut) == whole.ntotal
    shards = faiss.IndexShards(D, successive_ids=False)
    for c in cut:
        c.nprobe = 5
        shards.add_shard(c)
    whole.nprobe = 5
    Is, Iw = shards.search(xq, 10)[1], whole.search(xq, 10)[1]
    if "fs" in desc:
        # Fast-scan re-scores its best estimates exactly: each shard re-scores its own best,
        # so the shards' answer differs, and is as close to the true neighbours.
        gt = np.argsort(((xq[:, None, :] - xb[None, :, :]) ** 2).sum(-1), axis=1)[:, :10]
        recall = [np.mean([len(set(a) & set(g)) for a, g in zip(I, gt)]) for I in (Is, Iw)]
        assert recall[0] >= recall[1] - 0.1, recall
    else:
        np.testing.assert_array_equal(Is, Iw)
    with pytest.raises(ValueError, match="list number"):
        copy(empty).copy_lists_from(ranges[0][1], [16])
    other = trained(desc, xb[::-1].copy())  # another training: refused, nothing copied
    with pytest.raises(ValueError):
        other.copy_lists_from(ranges[0][1], [0, 1])
    assert other.ntotal == 0


def test_merge_knn_results_as_faiss():
    rng = np.random.default_rng(1)
    Dall = np.sort(rng.random((3, 20, 7)).astype("float32"), axis=2)
    Iall = rng.integers(0, 1000, (3, 20, 7))
    Iall[1, :, 5:] = -1  # a short shard
    flat = np.concatenate([np.where(Iall[s] >= 0, Dall[s], np.inf) for s in range(3)], 1)
    ids = np.concatenate([Iall[s] + 1000 * s for s in range(3)], 1)
    order = np.argsort(flat, axis=1, kind="stable")[:, :7]
    D, I = faiss.merge_knn_results(Dall, Iall, offsets=[0, 1000, 2000])
    np.testing.assert_array_equal(D, np.take_along_axis(flat, order, 1))
    np.testing.assert_array_equal(I, np.take_along_axis(ids, order, 1))
    Dm, Im = faiss.merge_knn_results(-Dall[:, :, ::-1], Iall[:, :, ::-1], keep_max=True)
    assert (np.diff(Dm, axis=1) <= 0).all()
    try:
        import faiss as real
    except ImportError:
        return
    Df, If = real.merge_knn_results(Dall, np.where(Iall >= 0, Iall, -1))
    np.testing.assert_array_equal(D.shape, Df.shape)
    np.testing.assert_allclose(np.sort(D, 1), np.sort(Df, 1))
    with pytest.raises(ValueError):
        faiss.merge_knn_results(Dall[0], Iall[0])
