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
