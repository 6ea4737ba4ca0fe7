"""Arrays from other libraries: any DLPack object (torch, jax, cupy on CPU, ...) is viewed in
place, never copied, when it already is C-contiguous float32; search writes into caller
arrays (D=, I=), numpy or DLPack, and returns them as given."""
import tracemalloc

import numpy as np
import pytest

import faisslike as fl


class DLPackOnly:
    """Exposes an array through DLPack alone (no __array__, no buffer): what numpy can only
    reach through np.from_dlpack."""

    def __init__(self, a):
        self._a = a

    def __dlpack__(self, **kw):
        return self._a.__dlpack__(**kw)

    def __dlpack_device__(self):
        return self._a.__dlpack_device__()


def _data():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((2000, 16)).astype("float32"),
            rng.standard_normal((50, 16)).astype("float32"))


def test_dlpack_inputs_equal_numpy():
    xb, xq = _data()
    for key in ["Flat", "IVF8,Flat", "PQ4"]:  # deterministic builds (not a parallel graph)
        a = fl.index_factory(16, key)
        b = fl.index_factory(16, key)
        a.train(xb)
        b.train(DLPackOnly(xb))
        a.add(xb)
        b.add(DLPackOnly(xb))
        Da, Ia = a.search(xq, 5)
        Db, Ib = b.search(DLPackOnly(xq), 5)
        np.testing.assert_array_equal(Ia, Ib)
        np.testing.assert_allclose(Da, Db)
    idx = fl.IndexIDMap2(fl.IndexFlatL2(16))
    idx.add_with_ids(DLPackOnly(xb), DLPackOnly(np.arange(2000, dtype="int64") * 3))
    assert idx.search(xq[:1], 1)[1][0, 0] % 3 == 0


def test_contiguous_float32_is_not_copied():
    idx = fl.IndexFlatL2(128)
    idx.add(np.random.default_rng(1).standard_normal((10, 128)).astype("float32"))
    xq = np.random.default_rng(2).standard_normal((100_000, 128)).astype("float32")  # 51 MB
    for x, copied in [(xq, False), (DLPackOnly(xq), False), (xq.astype("float64"), True),
                      (np.asfortranarray(xq), True)]:
        tracemalloc.start()
        idx.search(x, 1)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        # Results are 1.2 MB; a converted copy of the queries would be 51 MB.
        assert (peak > 40e6) == copied, (type(x), peak)


def test_out_parameters():
    xb, xq = _data()
    idx = fl.IndexFlatL2(16)
    idx.add(xb)
    D0, I0 = idx.search(xq, 4)
    D = np.empty((50, 4), dtype="float32")
    I = np.empty((50, 4), dtype="int64")
    rD, rI = idx.search(xq, 4, D=D, I=I)
    assert rD is D and rI is I
    np.testing.assert_array_equal(I, I0)
    # DLPack outputs are written in place and returned as given.
    bufD = np.zeros((50, 4), dtype="float32")
    bufI = np.zeros((50, 4), dtype="int64")
    wD, wI = DLPackOnly(bufD), DLPackOnly(bufI)
    rD, rI = idx.search(xq, 4, D=wD, I=wI)
    assert rD is wD and rI is wI
    np.testing.assert_array_equal(bufI, I0)
    np.testing.assert_allclose(bufD, D0)
    # What would need a copy (the results would be lost in it) is refused.
    for bad in [np.empty((50, 4), dtype="float64"), np.empty((4, 50), dtype="float32").T,
                np.empty((50, 5), dtype="float32"), [[0.0] * 4] * 50]:
        with pytest.raises(ValueError, match="D must be a writable C-contiguous float32"):
            idx.search(xq, 4, D=bad)
    ro = np.empty((50, 4), dtype="int64")
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="I must be"):
        idx.search(xq, 4, I=ro)


def test_torch_tensors():
    torch = pytest.importorskip("torch")
    xb, xq = _data()
    idx = fl.IndexFlatL2(16)
    idx.add(torch.from_numpy(xb))
    D = torch.empty((50, 4), dtype=torch.float32)
    I = torch.empty((50, 4), dtype=torch.int64)
    rD, rI = idx.search(torch.from_numpy(xq), 4, D=D, I=I)
    assert rD is D and rI is I
    np.testing.assert_array_equal(I.numpy(), idx.search(xq, 4)[1])
