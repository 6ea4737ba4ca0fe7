"""FAISS's seeded random arrays (faiss.rand / randn / randint / lrand / rand_perm).

Same values as FAISS for the same seed: FAISS splits arrays of >= 1024 elements into 1024
blocks, each drawn from its own Mersenne Twister seeded from a master one; numpy's legacy
RandomState with an integer seed is the same generator, so its raw 32-bit draws match.
"""
import numpy as np

_MT_MAX = 4294967295


def _raw(seed):
    return np.random.RandomState(int(seed) & 0xFFFFFFFF)._bit_generator


def _blocks(n, seed):
    """(start, end, generator) per block, in order."""
    nblock = 1 if n < 1024 else 1024
    master = _raw(seed).random_raw(2) & 0x7FFFFFFF
    a0, b0 = int(master[0]), int(master[1])
    for j in range(nblock):
        yield j * n // nblock, (j + 1) * n // nblock, _raw((a0 + j * b0) & 0xFFFFFFFFFFFFFFFF)


def _check_seed(seed):
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    return int(seed)


def _empty(shape, dtype):
    try:
        return np.empty(shape, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise ValueError(f"bad array shape {shape!r}: {e}") from None


def rand(n, seed=12345):
    """Uniform float32 values in [0, 1]; n is a size or a shape."""
    seed = _check_seed(seed)
    res = _empty(n, "float32")
    flat = res.reshape(-1)
    for i0, i1, g in _blocks(flat.size, seed):
        flat[i0:i1] = g.random_raw(i1 - i0).astype(np.float32) / np.float32(_MT_MAX)
    return res


def randn(n, seed=12345):
    """Standard normal float32 values (Marsaglia's polar method, as FAISS)."""
    seed = _check_seed(seed)
    res = _empty(n, "float32")
    flat = res.reshape(-1)
    for i0, i1, g in _blocks(flat.size, seed):
        need = (i1 - i0 + 1) // 2  # accepted pairs: each gives two values
        got = []
        ngot = 0
        while ngot < need:
            m = max(16, int((need - ngot) * 1.3) + 8)
            u = g.random_raw(2 * m).astype(np.float64) / float(_MT_MAX)
            a, b = 2 * u[0::2] - 1, 2 * u[1::2] - 1
            s = a * a + b * b
            ok = s < 1.0
            a, b, s = a[ok], b[ok], s[ok]
            # Drawing past the last pair needed is harmless: each block has its own generator.
            f = np.sqrt(-2.0 * np.log(s) / s)
            got.append(np.stack([a * f, b * f], axis=1).reshape(-1))
            ngot += len(s)
        vals = np.concatenate(got)[: i1 - i0] if got else np.empty(0)
        flat[i0:i1] = vals.astype(np.float32)
    return res


def _int64(g, n):
    lo = g.random_raw(2 * n)
    return ((lo[0::2] & 0x7FFFFFFF).astype(np.int64) |
            ((lo[1::2] & 0x7FFFFFFF).astype(np.int64) << 31))


def randint(n, seed=12345, vmax=None):
    """int64 values; in [0, vmax) when vmax is given, else non-negative 62-bit values."""
    seed = _check_seed(seed)
    if vmax is not None:
        if isinstance(vmax, (bool, np.bool_)) or not isinstance(vmax, (int, np.integer)):
            raise TypeError("vmax must be an integer")
        if vmax <= 0:
            raise ValueError(f"vmax must be > 0, got {vmax}")
    res = _empty(n, "int64")
    flat = res.reshape(-1)
    for i0, i1, g in _blocks(flat.size, seed):
        v = _int64(g, i1 - i0)
        if vmax is not None:
            v = (v.astype(np.uint64) % np.uint64(vmax)).astype(np.int64)
        flat[i0:i1] = v
    return res


lrand = randint


def rand_perm(n, seed=12345):
    """A permutation of 0 .. n-1 (int64), as FAISS's rand_perm."""
    seed = _check_seed(seed)
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    perm = np.arange(n, dtype=np.int64)
    g = _raw(seed)
    # Fisher-Yates from the front: i swaps with i + rand_int(n - i).
    for i in range(n - 1):
        r = int(g.random_raw()) % (n - i)
        j = i + r
        perm[i], perm[j] = perm[j], perm[i]
    return perm
