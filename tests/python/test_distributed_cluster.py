"""faisslike.distributed on a two-node Ray cluster on this machine (ray.cluster_utils: a head
and a second raylet, one CPU each): shards spread over both nodes answer as in-process
IndexShards; a build's tasks run on both. Skipped when ray is not installed."""
import numpy as np
import pytest

import faisslike as faiss

ray = pytest.importorskip("ray", reason="ray is not installed: the Ray tests are skipped")
from faisslike import distributed  # noqa: E402

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def two_nodes():
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    try:
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
        cluster.add_node(num_cpus=1)
        ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
        cluster.wait_for_nodes()
    except Exception as e:  # the machine, not our code: say so once
        pytest.skip(f"a two-node local Ray cluster does not start here: {e}")
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def test_shards_spread_over_two_nodes(two_nodes, tmp_path):
    assert len([n for n in ray.nodes() if n["Alive"]]) == 2
    rng = np.random.default_rng(5)
    xb = rng.standard_normal((4000, 24)).astype("float32")
    xq = rng.standard_normal((25, 24)).astype("float32")
    np.save(tmp_path / "b.npy", xb)
    m = distributed.build_sharded(str(tmp_path / "b.npy"), "IVF8,SQ8", 2, str(tmp_path / "s"),
                                  merge=True)
    merged = faiss.read_index(m["merged"])
    ps = faiss.SearchParametersIVF(nprobe=3)
    with distributed.ShardedIndex.open(str(tmp_path / "s"), spread=True) as si:
        nodes = {reps[0]["node"] for reps in si.shard_info()}
        assert len(nodes) == 2  # one shard per node
        np.testing.assert_array_equal(si.search(xq, 10, params=ps)[1],
                                      merged.search(xq, 10, params=ps)[1])
