import numpy as np
import pytest


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
