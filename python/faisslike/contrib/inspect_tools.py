"""Looking inside indexes (faiss.contrib.inspect_tools)."""
import numpy as np

from .. import _faisslike as _C
from .._api import vector_to_array


def get_invlist(invlists, l):
    """(list_ids int64 (ls,), list_codes uint8 (ls, code_size)) of inverted list l.
    `invlists` is index_ivf.invlists (or the IVF index itself)."""
    if isinstance(invlists, _C.IndexIVF):
        invlists = invlists.invlists
    return invlists.get_ids(l), invlists.get_codes(l)


def get_invlist_sizes(invlists):
    """int64 array of the sizes of all inverted lists."""
    if isinstance(invlists, _C.IndexIVF):
        invlists = invlists.invlists
    return np.array([invlists.list_size(i) for i in range(invlists.nlist)], dtype="int64")


def print_object_fields(obj):
    """Print the public data fields of a wrapped object."""
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            v = getattr(obj, name)
        except Exception as e:  # a property that refuses in this state
            v = f"<{type(e).__name__}: {e}>"
        if not callable(v):
            print(f"{name} = {v}")


def get_pq_centroids(pq):
    """(M, ksub, dsub) float32 PQ centroids."""
    return np.asarray(pq.centroids).reshape(pq.M, pq.ksub, pq.dsub).copy()


def get_LinearTransform_matrix(pca):
    """(A, b) of a linear transform (PCA, random rotation, OPQ): y = A x + b."""
    A = vector_to_array(pca.A).reshape(pca.d_out, pca.d_in)
    b = vector_to_array(pca.b)
    return A, b


def make_LinearTransform_matrix(A, b=None):
    """A trained LinearTransform computing A x (+ b)."""
    A = np.ascontiguousarray(A, dtype="float32")
    if A.ndim != 2:
        raise ValueError(f"A must be 2-D, got shape {A.shape}")
    d_out, d_in = A.shape
    lt = _C.LinearTransform(d_in, d_out, b is not None)
    if b is not None:
        b = np.ascontiguousarray(b, dtype="float32")
        if b.shape != (d_out,):
            raise ValueError(f"b must have shape ({d_out},), got {b.shape}")
    lt.set_matrix(A, b)
    return lt


def get_flat_data(index):
    """The (ntotal, d) float32 vectors of an IndexFlat."""
    return np.asarray(index.codes).view("float32").reshape(index.ntotal, index.d)


def get_flat_codes(index_flat):
    """The (ntotal, code_size) uint8 codes of a PQ / SQ / flat-codes index."""
    return np.asarray(index_flat.codes).reshape(index_flat.ntotal, index_flat.code_size)
