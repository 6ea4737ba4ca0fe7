"""Working with the coarse level of IVF indexes (faiss.contrib.ivf_tools)."""
import numpy as np

from .. import _faisslike as _C


def add_preassigned(index_ivf, x, a, ids=None):
    """Add x to the lists in a (one per row; -1 = skip) instead of the quantizer's choice."""
    x = np.asarray(x)
    a = np.asarray(a)
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D, got shape {x.shape}")
    if a.shape != (x.shape[0],):
        raise ValueError(f"a must have shape ({x.shape[0]},), got {a.shape}")
    binary = type(index_ivf).__name__.startswith("IndexBinary")
    if (x.shape[1] * 8 if binary else x.shape[1]) != index_ivf.d:
        raise ValueError(f"x has {x.shape[1]} columns, the index d={index_ivf.d}")
    index_ivf.add_preassigned(x, a, ids)


def search_preassigned(index_ivf, xq, k, list_nos, coarse_dis=None):
    """Search only the lists in list_nos (n, nprobe); an IndexPreTransform with one
    transform in front of the IVF index is applied first. Returns (D, I)."""
    if isinstance(index_ivf, _C.IndexPreTransform):
        xq = index_ivf.apply_chain(xq)
        index_ivf = index_ivf.index
    xq = np.asarray(xq)
    list_nos = np.asarray(list_nos)
    if list_nos.ndim != 2 or list_nos.shape[0] != xq.shape[0]:
        raise ValueError(f"list_nos must have shape ({xq.shape[0]}, nprobe), got {list_nos.shape}")
    if coarse_dis is not None and np.shape(coarse_dis) != list_nos.shape:
        raise ValueError(f"coarse_dis must have the shape of list_nos {list_nos.shape}")
    return index_ivf.search_preassigned(xq, k, list_nos, coarse_dis)


def replace_ivf_quantizer(index_ivf, new_quantizer):
    """Use new_quantizer as coarse quantizer (filled with the old centroids if empty) and
    return the old one (kept valid: the index holds on to it)."""
    if new_quantizer.ntotal == 0:
        centroids = index_ivf.quantizer.reconstruct_n()
        new_quantizer.train(centroids)
        new_quantizer.add(centroids)
    elif new_quantizer.ntotal != index_ivf.nlist:
        raise ValueError(f"the new quantizer holds {new_quantizer.ntotal} centroids, nlist={index_ivf.nlist}")
    old = index_ivf.quantizer
    index_ivf.replace_quantizer(new_quantizer)
    return old
