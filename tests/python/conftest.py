import os

import numpy as np
import pytest


def pytest_configure(config):
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
