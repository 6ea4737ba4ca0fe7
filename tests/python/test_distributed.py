"""faisslike.distributed on a local Ray instance (2 CPUs): sharded builds equal a
single-process build from the same trained index; ShardedIndex answers as IndexShards / one
index over the same shards, routes list-cut shards, survives killed actors. Skipped when ray
is not installed."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import faisslike as faiss
from ivf_util import ivf_lists as lists

ray = pytest.importorskip("ray", reason="ray is not installed: the Ray tests are skipped")
from faisslike import distributed  # noqa: E402

pytestmark = pytest.mark.ray
D = 16


@pytest.fixture(scope="module")
def local_ray():
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    except Exception as e:  # the machine, not our code: say so once
        pytest.skip(f"a local Ray instance does not start here: {e}")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(3)
    centers = rng.standard_normal((16, D)).astype("float32") * 4
    xb = (centers[rng.integers(0, 16, 5000)] + rng.standard_normal((5000, D))).astype("float32")
    xq = (centers[rng.integers(0, 16, 40)] + rng.standard_normal((40, D))).astype("float32")
    root = tmp_path_factory.mktemp("ds")
    np.save(root / "base.npy", xb)
    with open(root / "base.fvecs", "wb") as f:
        rows = np.hstack([np.full((len(xb), 1), D, dtype="int32").view("float32"), xb])
        rows.tofile(f)
    return xb, xq, root


@pytest.mark.parametrize("desc", ["IVF16,Flat", "IVF16,PQ4", "IVF16,PQ8x4fs", "IVF16,SQ8"])
def test_merged_build_equals_one_process(local_ray, data, tmp_path, desc):
    xb, xq, root = data
    m = distributed.build_sharded(str(root / "base.npy"), desc, 3, str(tmp_path), merge=True,
                                  chunk_rows=700)
    assert [s["start"] for s in m["shards"]] == [0, 1666, 3333]
    assert sum(s["ntotal"] for s in m["shards"]) == len(xb)
    assert json.load(open(tmp_path / "manifest.json")) == m
    whole = faiss.read_index(m["trained"])
    whole.add(xb)
    merged = faiss.read_index(m["merged"])
    assert lists(merged) == lists(whole)  # identical codes, ids and order
    whole.nprobe = merged.nprobe = 4
    np.testing.assert_array_equal(merged.search(xq, 10)[1], whole.search(xq, 10)[1])


def test_flat_shards_search_like_one_index(local_ray, data, tmp_path):
    xb, xq, root = data
    m = distributed.build_sharded(str(root / "base.fvecs"), "Flat", 2, str(tmp_path))
    assert m["merged"] is None
    shards = faiss.IndexShards(D)
    kept = [faiss.read_index(s["path"]) for s in m["shards"]]
    for s in kept:
        shards.add_shard(s)
    ref = faiss.IndexFlatL2(D)
    ref.add(xb)
    Ds, Is = shards.search(xq, 10)
    Dr, Ir = ref.search(xq, 10)
    np.testing.assert_array_equal(Is, Ir)
    np.testing.assert_allclose(Ds, Dr, rtol=1e-5)


def test_in_memory_array_and_bad_input(local_ray, data, tmp_path):
    xb, _, _ = data
    m = distributed.build_sharded(xb, "IVF16,Flat", 2, str(tmp_path / "a"), merge=True)
    assert faiss.read_index(m["merged"]).ntotal == len(xb)
    with pytest.raises(ValueError, match="IVF"):
        distributed.build_sharded(xb, "Flat", 2, str(tmp_path / "b"), merge=True)
    with pytest.raises(ValueError, match="n_shards"):
        distributed.build_sharded(xb, "Flat", 0, str(tmp_path / "b"))
    with pytest.raises(ValueError, match="n_shards"):
        distributed.build_sharded(xb[:3], "Flat", 4, str(tmp_path / "b"))
    with pytest.raises(TypeError, match="float32"):
        distributed.build_sharded(xb.astype("float64"), "Flat", 2, str(tmp_path / "b"))
    with pytest.raises(ValueError, match="unsupported"):
        distributed.build_sharded(str(tmp_path / "x.csv"), "Flat", 2, str(tmp_path / "b"))


def test_failed_shard_leaves_no_files(local_ray, data, tmp_path):
    xb, _, _ = data
    bad = xb.copy()
    bad[4000, 3] = np.nan  # in the last shard only: training (first rows) is fine
    out = tmp_path / "out"
    with pytest.raises(Exception, match="non-finite"):
        distributed.build_sharded(bad, "IVF16,Flat", 3, str(out), train_size=2000,
                                  seed=0)
    left = sorted(p for p in os.listdir(out) if p.startswith("shard_"))
    assert left == [] and not (out / "manifest.json").exists()


# --- ShardedIndex -------------------------------------------------------------------------------

def _ref_shards(m):
    """IndexShards over the same shard files: the in-process answer ShardedIndex must give."""
    ref = faiss.IndexShards(D, successive_ids=m["ids"] == "local", metric=m["metric"])
    kept = [faiss.read_index(s["path"]) for s in m["shards"]]
    for s in kept:
        ref.add_shard(s)
    return ref, kept


def _same_range(a, b):
    (la, Da, Ia), (lb, Db, Ib) = a, b
    np.testing.assert_array_equal(la, lb)
    for i in range(len(la) - 1):
        ra = sorted(zip(Ia[la[i]:la[i + 1]].tolist(), Da[la[i]:la[i + 1]].tolist()))
        rb = sorted(zip(Ib[lb[i]:lb[i + 1]].tolist(), Db[lb[i]:lb[i + 1]].tolist()))
        assert [r[0] for r in ra] == [r[0] for r in rb]
        np.testing.assert_allclose([r[1] for r in ra], [r[1] for r in rb], rtol=1e-5)


@pytest.mark.parametrize("desc,metric", [("Flat", faiss.METRIC_L2),
                                         ("Flat", faiss.METRIC_INNER_PRODUCT),
                                         ("IVF16,Flat", faiss.METRIC_L2),
                                         ("IVF16,PQ4", faiss.METRIC_L2),
                                         ("IVF16,SQ8", faiss.METRIC_INNER_PRODUCT),
                                         ("HNSW16", faiss.METRIC_L2),
                                         ("PQ4", faiss.METRIC_L2)])
def test_sharded_index_answers_as_index_shards(local_ray, data, tmp_path, desc, metric):
    """Range layout: search, filtered search and range search through the actors equal
    IndexShards over the same files (the same C++ merge); ids are global rows."""
    xb, xq, root = data
    m = distributed.build_sharded(str(root / "base.npy"), desc, 3, str(tmp_path), metric=metric)
    ref, _ = _ref_shards(m)
    ps = faiss.SearchParametersIVF(nprobe=4) if "IVF" in desc else (
        faiss.SearchParametersHNSW(efSearch=32) if "HNSW" in desc else faiss.SearchParameters())
    with distributed.ShardedIndex.open(str(tmp_path), cpus_per_actor=0.5) as si:
        assert si.ntotal == len(xb) and si.nshards == 3
        D1, I1 = si.search(xq, 10, params=ps)
        D2, I2 = ref.search(xq, 10, params=ps)
        np.testing.assert_array_equal(I1, I2)
        np.testing.assert_allclose(D1, D2, rtol=1e-5)
        # A selector of global ids crosses the shard boundaries at 1666 and 3333.
        ps.sel = faiss.IDSelectorOr(faiss.IDSelectorRange(1600, 1700),
                                    faiss.IDSelectorBatch(np.arange(3300, 5000, 7)))
        D1, I1 = si.search(xq, 10, params=ps)
        D2, I2 = ref.search(xq, 10, params=ps)
        np.testing.assert_array_equal(I1, I2)
        assert all(ps.sel.is_member(int(i)) for i in I1.ravel() if i >= 0)
        if desc in ("Flat", "IVF16,Flat"):
            radius = float(np.quantile(D2[:, 5], 0.5))
            _same_range(si.range_search(xq, radius, params=ps),
                        ref.range_search(xq, radius, params=ps))


def test_list_layout_routes_queries_to_list_owners(local_ray, data, tmp_path):
    """recut_by_list: each shard holds whole lists; a query goes only to the shards owning
    one of its probed lists (counted), and the answers equal the merged index's."""
    xb, xq, root = data
    m = distributed.build_sharded(str(root / "base.npy"), "IVF32,Flat", 2, str(tmp_path / "r"),
                                  merge=True)
    merged = faiss.read_index(m["merged"])
    lm = distributed.recut_by_list(str(tmp_path / "r"), 3, str(tmp_path / "l"))
    owner = np.asarray(lm["owner"])
    assert sorted(set(owner.tolist())) == [0, 1, 2]
    sizes = [s["ntotal"] for s in lm["shards"]]
    assert sum(sizes) == len(xb) and max(sizes) - min(sizes) <= max(
        merged.get_list_size(l) for l in range(32))
    for i, s in enumerate(lm["shards"]):
        part = faiss.read_index(s["path"])
        for l in range(32):
            expect = lists(merged)[l] if owner[l] == i else ([], b"")
            assert lists(part)[l] == expect
    with distributed.ShardedIndex.open(str(tmp_path / "l"), cpus_per_actor=0.5) as si:
        for nprobe in (1, 3, 8):
            si.routed[:] = 0
            ps = faiss.SearchParametersIVF(nprobe=nprobe)
            D1, I1 = si.search(xq, 10, params=ps)
            D2, I2 = merged.search(xq, 10, params=ps)
            np.testing.assert_array_equal(I1, I2)
            np.testing.assert_allclose(D1, D2, rtol=1e-5)
            probed = merged.quantizer.search(xq, nprobe)[1]
            expect = [sum(bool((owner[p] == s).any()) for p in probed) for s in range(3)]
            assert si.routed.tolist() == expect
            if nprobe == 1:
                assert si.routed.sum() == len(xq)  # one shard per query, not three
        ps = faiss.SearchParametersIVF(nprobe=4, sel=faiss.IDSelectorRange(1000, 4000))
        np.testing.assert_array_equal(si.search(xq, 10, params=ps)[1],
                                      merged.search(xq, 10, params=ps)[1])
        merged.nprobe = si.nprobe = 4
        r = float(np.quantile(merged.search(xq, 5)[0][:, 4], 0.5))
        _same_range(si.range_search(xq, r), merged.range_search(xq, r))
        # Adds go to the owner of each vector's list.
        extra = xb[:300] + 0.01
        before = [i[0]["ntotal"] for i in si.shard_info()]
        si.add_with_ids(extra, np.arange(10_000, 10_300))
        merged.add_with_ids(extra, np.arange(10_000, 10_300))
        grown = np.array([i[0]["ntotal"] for i in si.shard_info()]) - before
        assigned = merged.quantizer.search(extra, 1)[1].ravel()
        assert grown.tolist() == np.bincount(owner[assigned], minlength=3).tolist()
        np.testing.assert_array_equal(si.search(xq, 10)[1], merged.search(xq, 10)[1])
    with pytest.raises(ValueError, match="sharded by list"):
        mf = distributed.build_sharded(str(root / "base.npy"), "Flat", 2, str(tmp_path / "f"))
        distributed.recut_by_list(str(tmp_path / "f"), 2, str(tmp_path / "g"))
    with pytest.raises(ValueError, match="nlist"):
        distributed.recut_by_list(str(tmp_path / "r"), 33, str(tmp_path / "g"))
    assert not os.path.exists(tmp_path / "g" / "manifest.json")


def _kill(si, shard, replica=0):
    os.kill(si.shard_info()[shard][replica]["pid"], signal.SIGKILL)


def test_killed_shards_restart_from_file_and_log(local_ray, data, tmp_path):
    """A shard actor killed mid-stream restarts from its file and write-ahead log: every
    search of the stream is complete and equal to the reference, adds and removals survive;
    a shard gone for good is an error, or listed as missing with partial=True."""
    xb, xq, root = data
    m = distributed.build_sharded(str(root / "base.npy"), "IVF16,Flat", 2, str(tmp_path),
                                  merge=True)
    ref = faiss.read_index(m["merged"])
    ps = faiss.SearchParametersIVF(nprobe=16)
    with distributed.ShardedIndex.open(str(tmp_path), cpus_per_actor=0.5, timeout=120) as si:
        extra = xb[:200] + 0.5
        si.add(extra)  # ids 5000.. to the smaller shard
        ref.add_with_ids(extra, np.arange(5000, 5200))
        assert si.remove_ids(np.arange(0, 5200, 3)) == ref.remove_ids(
            faiss.IDSelectorBatch(np.arange(0, 5200, 3)))
        expect = ref.search(xq, 10, params=ps)[1]
        for step in range(12):
            if step in (3, 7):
                _kill(si, step % 2)
            np.testing.assert_array_equal(si.search(xq, 10, params=ps)[1], expect)
        assert si.ntotal == ref.ntotal
        assert sum(i[0]["ntotal"] for i in si.shard_info()) == ref.ntotal
        si.add(extra[:10])  # numbering goes on after the replayed mutations
        ref.add_with_ids(extra[:10], np.arange(5200, 5210))
        expect = ref.search(xq, 10, params=ps)[1]
        # A stopped shard cannot answer: TimeoutError, or partial results without it.
        pid = si.shard_info()[1][0]["pid"]
        os.kill(pid, signal.SIGSTOP)
        try:
            si.timeout = 1.0
            with pytest.raises(TimeoutError, match="shard 1"):
                si.search(xq, 10, params=ps)
            _, I, missing = si.search(xq, 10, params=ps, partial=True)
            assert missing == [1] and not ((I >= 2500) & (I < 5000)).any()
        finally:
            os.kill(pid, signal.SIGCONT)
        si.timeout = 120
        np.testing.assert_array_equal(si.search(xq, 10, params=ps)[1], expect)
        import ray as _ray
        _ray.kill(si._actors[1][0], no_restart=True)  # gone for good: an error at once
        # ray.kill is asynchronous (a search sent at once may still be answered): wait for
        # Ray to report the actor dead, the state the library checks.
        t_end = time.monotonic() + 120
        while not distributed._dead_for_good(si._actors[1][0]):
            assert time.monotonic() < t_end, "Ray never reported the killed actor dead"
            time.sleep(0.05)
        with pytest.raises(distributed.ShardUnavailableError, match="shard 1"):
            si.search(xq, 10, params=ps)
        assert si.search(xq, 10, params=ps, partial=True)[2] == [1]
    # Reopened: the logs replay the session's mutations onto the shard files.
    with distributed.ShardedIndex.open(str(tmp_path), cpus_per_actor=0.5) as si:
        assert si.ntotal == ref.ntotal
        np.testing.assert_array_equal(si.search(xq, 10, params=ps)[1],
                                      ref.search(xq, 10, params=ps)[1])
        snap = si.save(str(tmp_path / "snap"))
    back = faiss.IndexShards(D, successive_ids=False)
    parts = [faiss.read_index(s["path"]) for s in snap["shards"]]
    for p in parts:
        back.add_shard(p)
    np.testing.assert_array_equal(back.search(xq, 10, params=ps)[1],
                                  ref.search(xq, 10, params=ps)[1])


def test_replicas_share_reads_and_take_every_write(local_ray, data, tmp_path):
    xb, xq, root = data
    distributed.build_sharded(str(root / "base.npy"), "IVF16,Flat", 2, str(tmp_path))
    with distributed.ShardedIndex.open(str(tmp_path), replicas=2, cpus_per_actor=0.25,
                                       timeout=120) as si:
        for _ in range(6):
            si.search(xq, 5)
        info = si.shard_info()
        assert all(r["searches"] > 0 for reps in info for r in reps)
        si.add_with_ids(xb[:50], np.arange(9000, 9050))
        counts = [[r["ntotal"] for r in reps] for reps in si.shard_info()]
        assert all(c[0] == c[1] for c in counts) and sum(c[0] for c in counts) == 5050
        import ray as _ray
        _ray.kill(si._actors[0][0], no_restart=True)  # the other replica answers
        I = si.search(xq, 5)[1]
        assert I.shape == (len(xq), 5) and (I >= 0).all()


def test_actor_threads_follow_their_cpu_share(local_ray, data, tmp_path):
    xb, _, root = data
    distributed.build_sharded(str(root / "base.npy"), "Flat", 1, str(tmp_path))
    for cpus, threads in ((2, 2), (1, 1), (0.5, 1)):
        with distributed.ShardedIndex.open(str(tmp_path), cpus_per_actor=cpus) as si:
            assert si.shard_info()[0][0]["threads"] == threads
    with pytest.raises(ValueError, match="CPUs"):  # more than the cluster has: refused
        distributed.ShardedIndex.open(str(tmp_path), cpus_per_actor=3)


def test_sharded_index_bad_input(local_ray, data, tmp_path):
    xb, xq, root = data
    m = distributed.build_sharded(str(root / "base.npy"), "Flat", 2, str(tmp_path / "a"))
    other = distributed.build_sharded(xb[:, :8].copy(), "Flat", 2, str(tmp_path / "b"))
    bad = dict(m, shards=[m["shards"][0], other["shards"][1]])
    with pytest.raises(ValueError, match=r"shard 1 .*d=8"):
        distributed.ShardedIndex(bad, cpus_per_actor=0.5)
    broken = tmp_path / "broken.index"
    raw = bytearray(open(m["shards"][1]["path"], "rb").read())
    raw[len(raw) // 2] ^= 0xFF
    broken.write_bytes(bytes(raw))
    with pytest.raises(OSError, match="shard 1"):
        distributed.ShardedIndex(dict(m, shards=[m["shards"][0], {"path": str(broken)}]),
                                 cpus_per_actor=0.5, max_restarts=0, timeout=30)
    with pytest.raises(FileNotFoundError, match="shard 0"):
        distributed.ShardedIndex(dict(m, shards=[{"path": str(tmp_path / "none")}]))
    with distributed.ShardedIndex.open(str(tmp_path / "a"), cpus_per_actor=0.5) as si:
        with pytest.raises(ValueError, match="successive"):
            si.add_with_ids(xb[:2], [1, 2])
        with pytest.raises(ValueError, match="successive"):
            si.remove_ids([1])
        with pytest.raises(ValueError, match="k must"):
            si.search(xq, 0)
        with pytest.raises(ValueError, match="shape"):
            si.search(xq[:, :5], 3)
        with pytest.raises(TypeError):
            si.search(xq, 3, params="nprobe=3")
    code = ("import faisslike.distributed as d\n"
            "try:\n d.ShardedIndex.open(%r, address='127.0.0.1:1')\n"
            "except ConnectionError as e:\n print('refused', e)\n" % str(tmp_path / "a"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert "refused" in out.stdout and "127.0.0.1:1" in out.stdout, out.stderr


def test_parquet_input_equals_npy(local_ray, data, tmp_path):
    pa = pytest.importorskip("pyarrow", reason="pyarrow is not installed")
    import pyarrow.parquet as pq

    xb, _, root = data
    col = pa.FixedSizeListArray.from_arrays(pa.array(xb.ravel()), D)
    pq.write_table(pa.table({"id": np.arange(len(xb)), "emb": col}), tmp_path / "b.parquet",
                   row_group_size=700)
    a = distributed.build_sharded(str(tmp_path / "b.parquet"), "IVF16,SQ8", 3,
                                  str(tmp_path / "p"), merge=True, column="emb", chunk_rows=500)
    b = distributed.build_sharded(str(root / "base.npy"), "IVF16,SQ8", 3, str(tmp_path / "n"),
                                  merge=True)
    assert lists(faiss.read_index(a["merged"])) == lists(faiss.read_index(b["merged"]))
    with pytest.raises(ValueError, match="name the vector column"):
        distributed.build_sharded(str(tmp_path / "b.parquet"), "Flat", 2, str(tmp_path / "q"))
