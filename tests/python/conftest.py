import os

import numpy as np
import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "ray: runs a local Ray instance (skipped without ray)")
    # A suite forced onto an ISA this CPU lacks (CTest runs one per ISA) is skipped whole, as
    # the C++ suite does: CTest matches the message.
    level = os.environ.get("FAISSLIKE_SIMD")
    if not level:
        return
    try:
        import faisslike

        faisslike.simd_level()  # the level is chosen (and refused) on first use
    except RuntimeError as e:
        if "does not support" in str(e):
            pytest.exit(f"FAISSLIKE_SIMD={level} not supported by this CPU: skipping", returncode=0)
        raise
    # The whole suite at the best ISA runs against the installed wheel (CTest python_wheel).
    elsewhere = os.environ.get("FAISSLIKE_PYTEST_BEST_ISA_ELSEWHERE")
    if elsewhere and not _lower_isa_run():
        pytest.exit(f"FAISSLIKE_SIMD={level} is this CPU's best ISA: the whole suite at it "
                    f"runs in {elsewhere}: skipping", returncode=0)


# CTest runs this suite once per ISA. The run on the CPU's best ISA (what users get) is the
# whole suite; runs forced onto a lower ISA skip what does not depend on the kernels (file
# formats, the FAISS-surface checks, Milvus Lite, the tutorial, error classes, the CLI) and the
# heavy FAISS-oracle recall tests, whose kernels the C++ suite checks on every ISA against
# the scalar path. FAISSLIKE_PYTEST_FULL=1 runs everything on every ISA.
_ISA_AGNOSTIC_FILES = {
    "test_faiss_format.py", "test_milvus_lite.py", "test_distributed.py", "test_tutorial.py",
    "test_faiss_surface.py",
    "test_bad_input_matrix.py", "test_error_classes.py", "test_ondisk.py", "test_live.py",
    "test_toolkit.py", "test_torch_utils.py", "test_contrib_clustering.py",
    # File inspection, Ctrl-C between blocks, the CLI, mypy, a Ray cluster: 33 s of the 88 s
    # a lower-ISA run took, none of it kernel work.
    "test_inspect.py", "test_progress_interrupt.py", "test_cli_jobs.py", "test_typing.py",
    "test_distributed_cluster.py",
}
_HEAVY_ORACLE_TESTS = {
    "test_pq_wide_codes_equal_decoded_brute_force", "test_hnsw_over_codes_recall_not_below_faiss",
    "test_hnsw_over_codes_round_trip_and_params", "test_codec_size_and_error_match_faiss",
    "test_recall_matches_faiss", "test_multi_index_variant_walks_to_the_exhaustive_answer",
    "test_recall_equals_faiss_opq", "test_faiss_opq_files_both_ways",
}


def _lower_isa_run():
    level = os.environ.get("FAISSLIKE_SIMD")
    if not level or os.environ.get("FAISSLIKE_PYTEST_FULL") == "1":
        return False
    import faisslike

    best = next(l for l in ("avx512", "avx2", "scalar") if faisslike.simd_level_supported(l))
    return level != best


def pytest_collection_modifyitems(config, items):
    if not _lower_isa_run():
        return
    keep, drop = [], []
    for item in items:
        name = getattr(item, "originalname", None) or item.name
        if item.path.name in _ISA_AGNOSTIC_FILES or name in _HEAVY_ORACLE_TESTS:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def brute_force(xq, xb, k, metric_ip=False):
    """Exact k-NN in float64: the ground truth every test compares against."""
    xq = xq.astype(np.float64)
    xb = xb.astype(np.float64)
    if metric_ip:
        s = xq @ xb.T
        order = np.argsort(-s, axis=1, kind="stable")[:, :k]
    else:
        s = (xq ** 2).sum(1)[:, None] + (xb ** 2).sum(1)[None, :] - 2 * xq @ xb.T
        order = np.argsort(s, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(s, order, axis=1), order


def clustered(rng, n, d, nq=0, ncent=20, scale=4.0):
    """Gaussian clusters; with nq > 0 also returns nq queries from the same centres."""
    c = scale * rng.standard_normal((ncent, d))

    def pts(m):
        return (c[rng.integers(0, ncent, m)] + rng.standard_normal((m, d))).astype("float32")

    return (pts(n), pts(nq)) if nq else pts(n)
