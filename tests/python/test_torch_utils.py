"""faisslike.contrib.torch_utils: tensors in, tensors out (skipped without torch)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch not installed")

import faisslike as fl  # noqa: E402
from faisslike.contrib import torch_utils  # noqa: E402,F401


def test_tensors_in_and_out():
    x = torch.rand(500, 16)
    index = fl.IndexFlatL2(16)
    index.add(x)
    D, I = index.search(x[:5], 3)
    assert isinstance(D, torch.Tensor) and isinstance(I, torch.Tensor)
    assert (I[:, 0] == torch.arange(5)).all()
    # numpy still gives numpy
    D2, I2 = index.search(x[:5].numpy(), 3)
    assert isinstance(I2, np.ndarray)
    np.testing.assert_array_equal(I2, I.numpy())
    Dk, Ik = torch_utils.knn(x[:5], x, 3)
    assert (Ik == I).all()
    codes = torch.randint(0, 256, (100, 8), dtype=torch.uint8)
    b = fl.IndexBinaryFlat(64)
    b.add(codes)
    Db, Ib = b.search(codes[:3], 1)
    assert (Ib[:, 0] == torch.arange(3)).all()
