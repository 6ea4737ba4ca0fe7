"""Reading and writing TEXMEX .fvecs / .ivecs / .bvecs files (faiss.contrib.vecs_io).

Each row is an int32 dimension followed by the values (float32, int32 or uint8). Every
row's header is checked and the file size must divide evenly: a malformed file is a
ValueError naming it, never a silently misaligned array.
"""
import os

import numpy as np


def _check_rows(a, fname, width_items):
    """a: the file as a flat array of 4-byte items (or bytes for bvecs); returns d."""
    if a.size == 0:
        return 0
    d = int(a[0]) if width_items == 4 else int(np.frombuffer(a[:4].tobytes(), dtype="<i4")[0])
    if d <= 0 or d > 1 << 20:
        raise ValueError(f"{fname}: bad dimension {d} in the first row header")
    return d


def _read4(fname, dtype, mmap):
    size = os.path.getsize(fname)
    if size % 4:
        raise ValueError(f"{fname}: size {size} is not a multiple of 4 bytes")
    a = np.memmap(fname, dtype="int32", mode="r") if mmap else np.fromfile(fname, dtype="int32")
    if a.size == 0:
        return np.zeros((0, 0), dtype=dtype)
    d = _check_rows(a, fname, 4)
    if a.size % (d + 1):
        raise ValueError(f"{fname}: {a.size * 4} bytes is not a whole number of rows of d={d}")
    rows = a.reshape(-1, d + 1)
    bad = np.nonzero(rows[:, 0] != d)[0]
    if bad.size:
        raise ValueError(f"{fname}: row {bad[0]} has dimension {rows[bad[0], 0]}, expected {d}")
    body = rows[:, 1:]
    return body.view(dtype) if mmap else body.copy().view(dtype)


def ivecs_read(fname):
    return _read4(fname, "int32", False)


def fvecs_read(fname):
    return _read4(fname, "float32", False)


def ivecs_mmap(fname):
    return _read4(fname, "int32", True)


def fvecs_mmap(fname):
    return _read4(fname, "float32", True)


def bvecs_mmap(fname):
    x = np.memmap(fname, dtype="uint8", mode="r")
    if x.size == 0:
        return np.zeros((0, 0), dtype="uint8")
    if x.size < 4:
        raise ValueError(f"{fname}: truncated header")
    d = int(x[:4].view("int32")[0])
    if d <= 0 or d > 1 << 20:
        raise ValueError(f"{fname}: bad dimension {d} in the first row header")
    if x.size % (d + 4):
        raise ValueError(f"{fname}: {x.size} bytes is not a whole number of rows of d={d}")
    rows = x.reshape(-1, d + 4)
    hdr = rows[:, :4].copy().view("int32").ravel()
    bad = np.nonzero(hdr != d)[0]
    if bad.size:
        raise ValueError(f"{fname}: row {bad[0]} has dimension {hdr[bad[0]]}, expected {d}")
    return rows[:, 4:]


def bvecs_read(fname):
    return np.array(bvecs_mmap(fname))


def _write(fname, m, dtype):
    m = np.asarray(m)
    if m.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {m.shape}")
    n, d = m.shape
    out = np.empty((n, d + 1), dtype="int32")
    out[:, 0] = d
    out[:, 1:] = np.ascontiguousarray(m, dtype=dtype).view("int32")
    out.tofile(fname)


def ivecs_write(fname, m):
    _write(fname, m, "int32")


def fvecs_write(fname, m):
    _write(fname, m, "float32")


def bvecs_write(fname, m):
    m = np.ascontiguousarray(m, dtype="uint8")
    if m.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {m.shape}")
    n, d = m.shape
    out = np.empty((n, d + 4), dtype="uint8")
    out[:, :4] = np.array([d], dtype="int32").view("uint8")
    out[:, 4:] = m
    out.tofile(fname)


def bvecs_iter(filepath, batch_size=100_000):
    """Batches of rows (uint8, shape (<= batch_size, d)) of a .bvecs file."""
    x = bvecs_mmap(filepath)
    for i0 in range(0, x.shape[0], batch_size):
        yield np.array(x[i0:i0 + batch_size])
