"""torch tensors in and out (faiss.contrib.torch_utils), CPU only.

Importing this module makes the index methods accept torch tensors wherever they take numpy
arrays, and return torch tensors when given them: `D, I = index.search(xq_tensor, k)` gives
tensors. numpy inputs behave as before. CUDA tensors are refused (TypeError): faisslike has
no GPU indexes. Tensors are shared with numpy without a copy when they are contiguous CPU
float32 (int64 for ids, uint8 for binary codes).
"""
import functools

import numpy as np
import torch

from .. import _faisslike as _C
from .. import knn as _knn


def _is_tensor(x):
    return isinstance(x, torch.Tensor)


def _to_numpy(x):
    if x.is_cuda if hasattr(x, "is_cuda") else False:
        raise TypeError("faisslike indexes are CPU only: move the tensor to the CPU first")
    return x.detach().contiguous().numpy()


def _to_torch(v):
    if isinstance(v, np.ndarray):
        return torch.from_numpy(v)
    if isinstance(v, tuple):
        return tuple(_to_torch(e) for e in v)
    return v


def _wrap(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        tensor_in = any(_is_tensor(a) for a in args) or any(_is_tensor(v) for v in kwargs.values())
        if not tensor_in:
            return method(self, *args, **kwargs)
        args = tuple(_to_numpy(a) if _is_tensor(a) else a for a in args)
        kwargs = {k: (_to_numpy(v) if _is_tensor(v) else v) for k, v in kwargs.items()}
        return _to_torch(method(self, *args, **kwargs))
    wrapper._faisslike_torch = True
    return wrapper


_METHODS = ("add", "add_with_ids", "train", "search", "range_search", "remove_ids",
            "reconstruct", "reconstruct_n", "sa_encode", "sa_decode", "assign",
            "search_preassigned", "add_preassigned")


def handle_torch_Index(the_class):
    """Make the methods of the_class (and the classes deriving from it) accept tensors."""
    for name in _METHODS:
        m = the_class.__dict__.get(name)
        if m is not None and not getattr(m, "_faisslike_torch", False):
            setattr(the_class, name, _wrap(m))


def _all_subclasses(cls):
    out = [cls]
    for sub in cls.__subclasses__():
        out += _all_subclasses(sub)
    return out


for _base in (_C.Index, _C.IndexBinary, _C.VectorTransform, _C.ProductQuantizer):
    for _cls in _all_subclasses(_base):
        handle_torch_Index(_cls)


def torch_replacement_knn(xq, xb, k, metric=_C.METRIC_L2, metric_arg=0):
    """faisslike.knn for tensors (and arrays)."""
    if _is_tensor(xq) or _is_tensor(xb):
        q = _to_numpy(xq) if _is_tensor(xq) else xq
        b = _to_numpy(xb) if _is_tensor(xb) else xb
        return _to_torch(_knn(q, b, k, metric))
    return _knn(xq, xb, k, metric)


knn = torch_replacement_knn
