"""faisslike.distributed on a local Ray instance (2 CPUs): sharded builds equal a
single-process build from the same trained index. Skipped when ray is not installed."""
import json
import os

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
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
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
