"""FAISS's pointer-level helpers, over numpy.

FAISS programs call C functions through `swig_ptr(array)`: `faiss.fvec_L2sqr(swig_ptr(x),
swig_ptr(y), d)`, `faiss.float_rand(swig_ptr(x), n, seed)`. Here `swig_ptr` returns a
`SwigPtr` that remembers the (contiguous) array, and each function reads and writes through
flat views of it, checking that the sizes it is told fit the array: a size that would read
past the end is a ValueError, never a read of foreign memory.
"""
import numpy as np

from . import _random


class SwigPtr:
    """What swig_ptr(array) returns: the flat, writable view of a contiguous array."""

    __slots__ = ("array", "flat")

    def __init__(self, array):
        self.array = array
        self.flat = array.reshape(-1)

    def __repr__(self):
        return f"<SwigPtr to {self.flat.dtype} array of {self.flat.size} elements>"

    def __int__(self):
        return int(self.array.ctypes.data)


def swig_ptr(a):
    """A pointer-like handle on a C-contiguous numpy array (for the fvec_* style calls)."""
    if isinstance(a, SwigPtr):
        return a
    if not isinstance(a, np.ndarray):
        raise TypeError(f"swig_ptr needs a numpy array, got {type(a).__name__}")
    if not a.flags.c_contiguous:
        raise ValueError("swig_ptr needs a C-contiguous array (use np.ascontiguousarray)")
    if a.dtype.kind not in "fiub" or a.dtype == np.float16:
        raise TypeError(f"swig_ptr: unsupported dtype {a.dtype}")
    return SwigPtr(a)


def _count(v, name):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(v).__name__}")
    v = int(v)
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {v}")
    return v


def _view(p, n, dtype, name, writable=False):
    """The first n elements behind p (a SwigPtr or an array), checked for dtype and size."""
    if isinstance(p, np.ndarray):
        p = swig_ptr(p)
    if not isinstance(p, SwigPtr):
        raise TypeError(f"{name} must be swig_ptr(array) or a numpy array, got {type(p).__name__}")
    flat = p.flat
    if flat.dtype != np.dtype(dtype):
        raise TypeError(f"{name} must point to {np.dtype(dtype)} data, got {flat.dtype}")
    if n > flat.size:
        raise ValueError(f"{name}: {n} elements requested, the array has {flat.size}")
    if writable and not flat.flags.writeable:
        raise ValueError(f"{name} must be writable")
    return flat[:n]


def fvec_L2sqr(x, y, d):
    """Squared L2 distance between two float32 vectors."""
    d = _count(d, "d")
    a, b = _view(x, d, "float32", "x"), _view(y, d, "float32", "y")
    t = a.astype(np.float64) - b
    return float(np.dot(t, t))


def fvec_inner_product(x, y, d):
    """Inner product of two float32 vectors."""
    d = _count(d, "d")
    return float(np.dot(_view(x, d, "float32", "x").astype(np.float64), _view(y, d, "float32", "y")))


def fvec_norm_L2sqr(x, d):
    """Squared L2 norm of a float32 vector."""
    a = _view(x, _count(d, "d"), "float32", "x").astype(np.float64)
    return float(np.dot(a, a))


def fvec_norms_L2sqr(nr, x, d, nx):
    """Squared L2 norms of the rows of a float32 matrix."""
    d, nx = _count(d, "d"), _count(nx, "nx")
    xs = _view(x, d * nx, "float32", "x").reshape(nx, d).astype(np.float64)
    _view(nr, nx, "float32", "nr", True)[:] = (xs * xs).sum(1)


def fvec_norms_L2(nr, x, d, nx):
    """L2 norms of the rows of a float32 matrix."""
    d, nx = _count(d, "d"), _count(nx, "nx")
    xs = _view(x, d * nx, "float32", "x").reshape(nx, d).astype(np.float64)
    _view(nr, nx, "float32", "nr", True)[:] = np.sqrt((xs * xs).sum(1))


def fvec_renorm_L2(d, nx, x):
    """Normalize the rows of a float32 matrix to unit L2 norm, in place."""
    d, nx = _count(d, "d"), _count(nx, "nx")
    xs = _view(x, d * nx, "float32", "x", True).reshape(nx, d)
    norms = np.sqrt((xs.astype(np.float64) ** 2).sum(1))
    norms[norms == 0] = 1
    xs /= norms[:, None].astype(np.float32)


def fvec_inner_products_ny(ip, x, y, d, ny):
    """Inner products of x with each of ny vectors y."""
    d, ny = _count(d, "d"), _count(ny, "ny")
    q = _view(x, d, "float32", "x")
    ys = _view(y, d * ny, "float32", "y").reshape(ny, d)
    _view(ip, ny, "float32", "ip", True)[:] = ys @ q


def fvec_L2sqr_ny(dis, x, y, d, ny):
    """Squared L2 distances from x to each of ny vectors y."""
    d, ny = _count(d, "d"), _count(ny, "ny")
    q = _view(x, d, "float32", "x").astype(np.float64)
    ys = _view(y, d * ny, "float32", "y").reshape(ny, d)
    _view(dis, ny, "float32", "dis", True)[:] = ((ys - q) ** 2).sum(1)


def fvec_madd(n, a, bf, b, c):
    """c = a + bf * b."""
    n = _count(n, "n")
    _view(c, n, "float32", "c", True)[:] = _view(a, n, "float32", "a") + np.float32(bf) * _view(
        b, n, "float32", "b")


def float_rand(x, n, seed):
    """Fill a float32 array with uniform [0, 1) values from seed."""
    n = _count(n, "n")
    _view(x, n, "float32", "x", True)[:] = _random.rand(n, seed)


def float_randn(x, n, seed):
    """Fill a float32 array with standard normal values from seed."""
    n = _count(n, "n")
    _view(x, n, "float32", "x", True)[:] = _random.randn(n, seed)


def int64_rand(x, n, seed):
    """Fill an int64 array with random non-negative values from seed."""
    n = _count(n, "n")
    _view(x, n, "int64", "x", True)[:] = _random.randint(n, seed)


def int64_rand_max(x, n, vmax, seed):
    """Fill an int64 array with random values in [0, max) from seed."""
    n = _count(n, "n")
    _view(x, n, "int64", "x", True)[:] = _random.randint(n, seed, vmax)


def byte_rand(x, n, seed):
    """Fill a uint8 array with random bytes from seed."""
    n = _count(n, "n")
    # FAISS draws one 32-bit value per byte and keeps its low byte.
    _view(x, n, "uint8", "x", True)[:] = (_random.randint(n, seed) & 0xFF).astype(np.uint8)


def rand_perm(perm, n, seed):
    """A random permutation of range(n) from seed, int64."""
    n = _count(n, "n")
    out = _view(perm, n, perm.flat.dtype if isinstance(perm, SwigPtr) else perm.dtype, "perm", True)
    if out.dtype.kind != "i":
        raise TypeError("perm must point to integers")
    out[:] = _random.rand_perm(n, seed)


def fvecs2bitvecs(x, b, d, n):
    """Bit j of code i is set when x[i, j] > 0 (FAISS's bit order: LSB first)."""
    d, n = _count(d, "d"), _count(n, "n")
    xs = _view(x, d * n, "float32", "x").reshape(n, d)
    nb = (d + 7) // 8
    _view(b, nb * n, "uint8", "b", True)[:] = np.packbits(xs > 0, axis=1, bitorder="little").reshape(-1)


def bitvecs2fvecs(b, x, d, n):
    """Unpack bit vectors (uint8) into float vectors of 0.0 / 1.0."""
    d, n = _count(d, "d"), _count(n, "n")
    nb = (d + 7) // 8
    bits = np.unpackbits(_view(b, nb * n, "uint8", "b").reshape(n, nb), axis=1, bitorder="little")
    _view(x, d * n, "float32", "x", True)[:] = bits[:, :d].reshape(-1).astype(np.float32)


_POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.int32)


def hamming_distances(a, b):
    """(na, nb) int32 Hamming distances between rows of two uint8 code arrays."""
    a, b = np.asarray(a), np.asarray(b)
    out = np.empty((a.shape[0], b.shape[0]), dtype=np.int32)
    for i in range(a.shape[0]):
        out[i] = _POPCOUNT8[np.bitwise_xor(b, a[i])].sum(1)
    return out


def hammings(a, b, na, nb, nbytespercode, dis):
    """Hamming distances between every row of a and every row of b (uint8 codes)."""
    na, nb, nc = _count(na, "na"), _count(nb, "nb"), _count(nbytespercode, "nbytespercode")
    av = _view(a, na * nc, "uint8", "a").reshape(na, nc)
    bv = _view(b, nb * nc, "uint8", "b").reshape(nb, nc)
    _view(dis, na * nb, "int32", "dis", True)[:] = hamming_distances(av, bv).reshape(-1)


def imbalance_factor(n, k, assign):
    """k * sum(size^2) / n^2 of an assignment of n points to k clusters (1 = balanced)."""
    n, k = _count(n, "n"), _count(k, "k")
    if isinstance(assign, SwigPtr):
        a = _view(assign, n, assign.flat.dtype, "assign")
    else:
        a = np.asarray(assign).reshape(-1)[:n]
    if a.dtype.kind not in "iu":
        raise TypeError("assign must hold integers")
    if a.size and (a.min() < 0 or a.max() >= k):
        raise ValueError("assignments must be in [0, k)")
    hist = np.bincount(a.astype(np.int64), minlength=k).astype(np.float64)
    return float(k * (hist ** 2).sum() / (float(n) ** 2)) if n else 0.0
