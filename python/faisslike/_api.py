"""Module-level FAISS API that is plain Python over the extension: SIMD levels, vectors,
MatrixStats, clone/downcast/extract helpers, callback I/O, pickling, pairwise distances."""
import io as _io
import os as _os

import numpy as np

from . import _faisslike as _C

# ---------------------------------------------------------------------------- SIMD levels
# FAISS's numbering (faiss/utils/simd_levels.h). We have three kernel sets; the levels we
# lack are listed so that programs comparing against them run, and are never "available".
SIMDLevel_NONE = 0
SIMDLevel_AVX2 = 1
SIMDLevel_AVX512 = 2
SIMDLevel_AVX512_SPR = 3
SIMDLevel_ARM_NEON = 4
SIMDLevel_ARM_SVE = 5
SIMDLevel_RISCV_RVV = 6
SIMDLevel_AVX512_VPOPCNT = 7
SIMDLevel_COUNT = 8

_LEVEL_NAMES = {SIMDLevel_NONE: "NONE", SIMDLevel_AVX2: "AVX2", SIMDLevel_AVX512: "AVX512",
                SIMDLevel_AVX512_SPR: "AVX512_SPR", SIMDLevel_ARM_NEON: "ARM_NEON",
                SIMDLevel_ARM_SVE: "ARM_SVE", SIMDLevel_RISCV_RVV: "RISCV_RVV",
                SIMDLevel_AVX512_VPOPCNT: "AVX512_VPOPCNT"}
_OURS = {SIMDLevel_NONE: "scalar", SIMDLevel_AVX2: "avx2", SIMDLevel_AVX512: "avx512"}
_FROM_OURS = {v: k for k, v in _OURS.items()}


def _level_arg(level):
    if isinstance(level, str):
        return to_simd_level(level)
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, np.integer)):
        raise TypeError(f"SIMD level must be an int or a name, got {type(level).__name__}")
    if int(level) not in _LEVEL_NAMES:
        raise ValueError(f"unknown SIMD level {level}")
    return int(level)


def to_simd_level(name):
    """SIMD level number from its FAISS name ('NONE', 'AVX2', 'AVX512', ...) or ours."""
    if not isinstance(name, str):
        raise TypeError("SIMD level name must be a string")
    key = name.strip().upper()
    for v, n in _LEVEL_NAMES.items():
        if n == key:
            return v
    if name.strip().lower() in _FROM_OURS:
        return _FROM_OURS[name.strip().lower()]
    raise ValueError(f"unknown SIMD level '{name}'")


class SIMDConfig:
    """FAISS's SIMDConfig: which kernel set runs. We dispatch at run time (like FAISS's DD
    builds) between NONE (scalar), AVX2 and AVX512; set_level switches every kernel."""

    @staticmethod
    def get_level():
        """The SIMD level the kernels run at (SIMDLevel_NONE / _AVX2 / _AVX512)."""
        return _FROM_OURS[_C.simd_level()]

    @staticmethod
    def get_dispatched_level():
        """Same as get_level (one library, dispatched at run time)."""
        return SIMDConfig.get_level()

    @staticmethod
    def get_level_name():
        """The current level's name: 'NONE', 'AVX2' or 'AVX512'."""
        return _LEVEL_NAMES[SIMDConfig.get_level()]

    @staticmethod
    def set_level(level):
        """Switch every kernel to level; RuntimeError if this CPU cannot run it."""
        level = _level_arg(level)
        if level not in _OURS:
            raise RuntimeError(f"SIMD level {_LEVEL_NAMES[level]} is not built into faisslike")
        _C.set_simd_level(_OURS[level])

    @staticmethod
    def is_simd_level_available(level):
        """Whether this CPU can run level."""
        level = _level_arg(level)
        return level in _OURS and _C.simd_level_supported(_OURS[level])

    @staticmethod
    def has_dynamic_dispatch():
        """True: kernels are chosen at run time."""
        return True

    @staticmethod
    def auto_detect_simd_level():
        """The best level this CPU runs."""
        for lv in (SIMDLevel_AVX512, SIMDLevel_AVX2):
            if SIMDConfig.is_simd_level_available(lv):
                return lv
        return SIMDLevel_NONE


def supported_simd_levels():
    """Levels this CPU can run among those built in (FAISS: a set of level numbers)."""
    return {lv for lv in _OURS if SIMDConfig.is_simd_level_available(lv)}


def compiled_simd_levels():
    """The SIMD levels this build has kernels for (all of them: one library, runtime dispatch)."""
    return set(_OURS)


def get_compile_options():
    """FAISS's space-separated option string; 'DD' = one library, dispatched at run time;
    'BLAS=system' or 'BLAS=scipy-openblas32' names the OpenBLAS linked (blas_info() says
    more: its version, core type and threading)."""
    from ._build_info import BLAS
    opts = ["OPTIMIZE", "DD"]
    opts += [_LEVEL_NAMES[lv] for lv in (SIMDLevel_AVX2, SIMDLevel_AVX512)
             if SIMDConfig.is_simd_level_available(lv)]
    opts.append("BLAS=" + BLAS)
    return " ".join(opts) + " "


def supported_instruction_sets():
    """CPU feature names from /proc/cpuinfo, upper case (FAISS returns a set of strings)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return {t.upper() for t in line.split(":", 1)[1].split()}
    except OSError:
        pass
    return set()


# ---------------------------------------------------------------------------- vectors
class _Vector:
    """A std::vector stand-in (FAISS's Float32Vector, Int64Vector, ...)."""

    dtype = None

    def __init__(self, data=None):
        self._a = np.zeros(0, dtype=self.dtype) if data is None else np.array(data, dtype=self.dtype).reshape(-1)

    def size(self):
        return int(self._a.size)

    def __len__(self):
        return int(self._a.size)

    def at(self, i):
        if not 0 <= i < self._a.size:
            raise IndexError(f"index {i} out of range for a vector of size {self._a.size}")
        return self._a[i].item()

    def push_back(self, v):
        self._a = np.append(self._a, np.array([v], dtype=self.dtype))

    def resize(self, n):
        n = int(n)
        if n < 0:
            raise ValueError("size must be >= 0")
        old = self._a
        self._a = np.zeros(n, dtype=self.dtype)
        self._a[: min(n, old.size)] = old[: min(n, old.size)]

    def clear(self):
        self._a = np.zeros(0, dtype=self.dtype)

    def empty(self):
        return self._a.size == 0

    def data(self):
        return SwigPtrFromVector(self)

    def __iter__(self):
        return iter(self._a.tolist())

    def __repr__(self):
        return f"{type(self).__name__}({self._a.tolist()!r})"


def SwigPtrFromVector(v):
    """FAISS's swig_ptr for our vector classes: the object itself (arrays are passed directly)."""
    from ._lowlevel import SwigPtr
    return SwigPtr(v._a)


def _vec_class(name, dtype):
    return type(name, (_Vector,), {"dtype": np.dtype(dtype), "__doc__": f"std::vector<{dtype}> stand-in."})


Float32Vector = _vec_class("Float32Vector", "float32")
Float64Vector = _vec_class("Float64Vector", "float64")
Int8Vector = _vec_class("Int8Vector", "int8")
Int16Vector = _vec_class("Int16Vector", "int16")
Int32Vector = _vec_class("Int32Vector", "int32")
Int64Vector = _vec_class("Int64Vector", "int64")
UInt8Vector = _vec_class("UInt8Vector", "uint8")
UInt16Vector = _vec_class("UInt16Vector", "uint16")
UInt32Vector = _vec_class("UInt32Vector", "uint32")
UInt64Vector = _vec_class("UInt64Vector", "uint64")
ByteVector = UInt8Vector
IDVector = Int64Vector


class _AlignedTable(_Vector):
    """FAISS's AlignedTable<T>: resize/get/size/data; numpy arrays are 64-byte aligned."""

    def get(self, i):
        return self.at(i)

    def itemsize(self):
        return self._a.itemsize

    def nbytes(self):
        return self._a.nbytes


def _aligned_table_class(name, dtype):
    return type(name, (_AlignedTable,), {
        "dtype": np.dtype(dtype),
        "__doc__": f"AlignedTable of {dtype}: FAISS's aligned vector (resize, at, get, data, size; "
                   "a numpy copy via faisslike.vector_to_array)."})


AlignedTableUint8 = _aligned_table_class("AlignedTableUint8", "uint8")
AlignedTableUint16 = _aligned_table_class("AlignedTableUint16", "uint16")
AlignedTableFloat32 = _aligned_table_class("AlignedTableFloat32", "float32")


def vector_to_array(v):
    """A numpy copy of a vector (our stand-ins, numpy arrays, or any sequence)."""
    if isinstance(v, _Vector):
        return v._a.copy()
    if isinstance(v, np.ndarray):
        return v.copy()
    if hasattr(v, "size") and hasattr(v, "at") and callable(v.size):
        return np.array([v.at(i) for i in range(v.size())])
    return np.array(v)


def vector_float_to_array(v):
    """A float32 numpy copy of a Float32Vector (FAISS helper)."""
    return vector_to_array(v).astype("float32")


AlignedTable_to_array = vector_to_array


def copy_array_to_vector(a, v):
    """Replace the content of v (a vector stand-in, or a numpy array of the same size that
    is written in place) with a."""
    a = np.asarray(a)
    if isinstance(v, _Vector):
        v._a = np.array(a, dtype=v.dtype).reshape(-1)
        return
    if isinstance(v, np.ndarray):
        if v.size != a.size:
            raise ValueError(f"copy_array_to_vector: array of {a.size} elements into {v.size}")
        v.reshape(-1)[:] = a.reshape(-1)
        return
    raise TypeError(f"copy_array_to_vector: unsupported target {type(v).__name__}")


def copy_array_to_AlignedTable(a, v):
    """Copy a numpy array into an existing AlignedTable (resized)."""
    copy_array_to_vector(a, v)


def array_to_AlignedTable(a):
    """A new AlignedTable of the array's dtype holding a copy of it."""
    a = np.ascontiguousarray(a)
    for cls in (AlignedTableUint8, AlignedTableUint16, AlignedTableFloat32):
        if cls.dtype == a.dtype:
            t = cls()
            copy_array_to_vector(a, t)
            return t
    raise TypeError(f"no AlignedTable for dtype {a.dtype}")


# ---------------------------------------------------------------------------- distances
def _metric_arg(metric):
    if isinstance(metric, (bool, np.bool_)) or not isinstance(metric, (int, np.integer)):
        raise TypeError("metric must be METRIC_L2 or METRIC_INNER_PRODUCT")
    if int(metric) not in (_C.METRIC_L2, _C.METRIC_INNER_PRODUCT):
        raise ValueError(f"unsupported metric {metric}")
    return int(metric)


def _float_matrix(x, name, d=None):
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a 2-D numeric array")
    a = np.asarray(x)
    if a.dtype.kind not in "fiu" or a.dtype.kind == "b":
        raise TypeError(f"{name}: unsupported dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    if d is not None and a.shape[1] != d:
        raise ValueError(f"{name} has {a.shape[1]} columns, expected {d}")
    return np.ascontiguousarray(a, dtype="float32")


def pairwise_distances(xq, xb, metric=None, metric_arg=0):
    """(nq, nb) float32 matrix of squared L2 distances (or inner products) between rows."""
    metric = _C.METRIC_L2 if metric is None else _metric_arg(metric)
    xq = _float_matrix(xq, "xq")
    xb = _float_matrix(xb, "xb", xq.shape[1])
    if metric == _C.METRIC_INNER_PRODUCT:
        return xq @ xb.T
    qn = (xq.astype(np.float64) ** 2).sum(1)
    bn = (xb.astype(np.float64) ** 2).sum(1)
    dis = qn[:, None] + bn[None, :] - 2.0 * (xq.astype(np.float64) @ xb.T.astype(np.float64))
    return np.maximum(dis, 0).astype("float32")


def pairwise_distance_gpu(*a, **k):  # noqa: D103 - FAISS name, GPU only there
    """GPU-only in FAISS: raises RuntimeError (no GPU support)."""
    raise RuntimeError("faisslike has no GPU support; use pairwise_distances")


def ranklist_intersection_size(*args):
    """Size of the intersection of two id lists, ignoring -1 (FAISS: (n1, l1, n2, l2) with
    pointers, or two arrays)."""
    if len(args) == 2:
        a, b = np.asarray(args[0]).ravel(), np.asarray(args[1]).ravel()
    elif len(args) == 4:
        from ._lowlevel import _view
        n1, p1, n2, p2 = args
        a, b = _view(p1, int(n1), "int64", "l1"), _view(p2, int(n2), "int64", "l2")
    else:
        raise TypeError("ranklist_intersection_size(a, b) or (n1, l1, n2, l2)")
    a, b = a[a >= 0], b[b >= 0]
    return int(np.intersect1d(a, b).size)


def knn_hamming(xq, xb, k, variant="hc"):
    """Exact k-NN by Hamming distance between uint8 code arrays: (D int32, I int64); ties
    go to the smaller id."""
    xq, xb = np.asarray(xq), np.asarray(xb)
    for name, a in (("xq", xq), ("xb", xb)):
        if a.dtype != np.uint8:
            raise TypeError(f"{name} must be a uint8 array of codes, got {a.dtype}")
        if a.ndim != 2:
            raise ValueError(f"{name} must be 2-D")
    if xq.shape[1] != xb.shape[1]:
        raise ValueError(f"xq has {xq.shape[1]} bytes per code, xb {xb.shape[1]}")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError("k must be an integer")
    if k <= 0:
        raise ValueError(f"k must be > 0, got {k}")
    index = _C.IndexBinaryFlat(xb.shape[1] * 8)
    index.add(xb)
    return index.search(xq, k)


def is_similarity_metric(metric_type):
    """True for metrics where larger is better (inner product)."""
    return int(metric_type) == _C.METRIC_INNER_PRODUCT


def get_num_gpus():
    """Always 0: faisslike runs on CPUs."""
    return 0


class ResultHeap:
    """Accumulates k-NN results over several batches of database vectors (FAISS's
    ResultHeap): add_result(D, I) for each batch, then finalize(); results in .D, .I."""

    def __init__(self, nq, k, keep_max=False):
        if nq < 0 or k <= 0:
            raise ValueError(f"ResultHeap needs nq >= 0 and k > 0, got nq={nq} k={k}")
        self.nq, self.k, self.keep_max = int(nq), int(k), bool(keep_max)
        fill = -np.inf if keep_max else np.inf
        self.D = np.full((self.nq, self.k), fill, dtype="float32")
        self.I = np.full((self.nq, self.k), -1, dtype="int64")

    def add_result(self, D, I):
        """Merge a block of (D, I) results of shape (nq, kb) into the running top-k."""
        D = np.asarray(D, dtype="float32")
        I = np.asarray(I, dtype="int64")
        if D.ndim != 2 or D.shape[0] != self.nq or I.shape != D.shape:
            raise ValueError(f"add_result needs D and I of shape ({self.nq}, k'), got {D.shape} and {I.shape}")
        allD = np.hstack([self.D, D])
        allI = np.hstack([self.I, I])
        key = -allD if self.keep_max else allD
        # invalid entries (id -1) never displace valid ones
        key = np.where(allI < 0, np.inf, key)
        o = np.argsort(key, axis=1, kind="stable")[:, :self.k]
        self.D = np.take_along_axis(allD, o, 1)
        self.I = np.take_along_axis(allI, o, 1)

    def finalize(self):
        """Nothing left to do (add_result keeps the results sorted, best first): read D and I."""


def eval_intersection(I1, I2):
    """Total number of ids two (n, k) result tables have in common, row by row (FAISS's
    eval_intersection)."""
    I1, I2 = np.asarray(I1), np.asarray(I2)
    if I1.shape[0] != I2.shape[0]:
        raise ValueError(f"result tables have {I1.shape[0]} and {I2.shape[0]} rows")
    return int(sum(np.intersect1d(a[a >= 0], b[b >= 0]).size for a, b in zip(I1, I2)))


# ---------------------------------------------------------------------------- MatrixStats
class MatrixStats:
    """Statistics of a (n, d) matrix with warnings about what makes it a poor training or
    database set (FAISS's MatrixStats: `comments` is the human-readable report)."""

    def __init__(self, x):
        x = _float_matrix(x, "x")
        self.n, self.d = x.shape
        xd = x.astype(np.float64)
        lines = [f"matrix of {self.n} x {self.d} float32"]
        finite = np.isfinite(xd).all(1)
        self.n_nan = int((~finite).sum())
        norms = np.sqrt((xd[finite] ** 2).sum(1)) if finite.any() else np.zeros(0)
        self.n0 = int((norms == 0).sum())
        if self.n_nan:
            lines.append(f"WARN: {self.n_nan} rows contain NaN or Inf")
        if self.n0:
            lines.append(f"WARN: {self.n0} rows are zero")
        if norms.size:
            lines.append(f"norms: min {norms.min():g} max {norms.max():g} mean {norms.mean():g}")
        self.ndup = 0
        if self.n:
            _, counts = np.unique(x[finite], axis=0, return_counts=True) if finite.any() else (None, np.zeros(0))
            self.ndup = int((counts - 1).sum())
            if self.ndup:
                lines.append(f"WARN: {self.ndup} rows are duplicates of others")
        self.per_dim_stats = []
        if self.n:
            xs = xd[finite] if finite.any() else xd
            mean, std = xs.mean(0), xs.std(0)
            mn, mx = xs.min(0), xs.max(0)
            const = np.nonzero(mx == mn)[0]
            for j in range(self.d):
                self.per_dim_stats.append({"mean": float(mean[j]), "stddev": float(std[j]),
                                           "min": float(mn[j]), "max": float(mx[j])})
            if const.size:
                lines.append(f"WARN: {const.size} dimensions are constant: dim {const[0]} value {mn[const[0]]:g}"
                             + (" ..." if const.size > 1 else ""))
            if std.max() > 0 and np.sort(std)[::-1][: max(1, self.d // 10)].sum() > 0.9 * std.sum() and self.d >= 10:
                lines.append("WARN: 10% of the dimensions carry 90% of the standard deviation")
        self.comments = "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- index helpers
def clone_index(index):
    """An independent deep copy (through the checksummed format)."""
    if isinstance(index, _C.Index):
        return _C.deserialize_index(_C.serialize_index(index))
    bin_cls = getattr(_C, "IndexBinary", None)
    if bin_cls is not None and isinstance(index, bin_cls):
        return _C.deserialize_index_binary(_C.serialize_index_binary(index))
    raise TypeError(f"clone_index: not an index ({type(index).__name__})")


def downcast_index(index):
    """Indexes already come out as their concrete class; returned unchanged."""
    return index


downcast_IndexBinary = downcast_index
downcast_VectorTransform = downcast_index
downcast_Quantizer = downcast_index
downcast_InvertedLists = downcast_index


def extract_index_ivf(index):
    """The IndexIVF inside PreTransform / IDMap / Refine wrappers; ValueError if none."""
    ivf_types = (_C.IndexIVF, _C.IndexBinaryIVF)
    seen = 0
    while not isinstance(index, ivf_types):
        seen += 1
        if seen > 64:
            break
        for attr in ("index", "base_index"):
            inner = getattr(index, attr, None)
            if inner is not None:
                index = inner
                break
        else:
            break
    if not isinstance(index, ivf_types):
        raise ValueError(f"extract_index_ivf: no IVF index inside {type(index).__name__}")
    return index


def try_extract_index_ivf(index):
    """The IndexIVF inside index (through PreTransform, IDMap, Refine), or None."""
    try:
        return extract_index_ivf(index)
    except ValueError:
        return None


# ---------------------------------------------------------------------------- I/O
class PyCallbackIOWriter:
    """write_index(index, PyCallbackIOWriter(f.write)): the bytes go to callback(bytes)
    in chunks of at most bs bytes."""

    def __init__(self, callback, bs=1024 * 1024):
        if not callable(callback):
            raise TypeError("PyCallbackIOWriter needs a callable")
        if bs <= 0:
            raise ValueError("bs must be > 0")
        self.callback, self.bs = callback, int(bs)

    def write_bytes(self, data):
        """Pass bytes to the callback, in blocks of at most bs."""
        mv = memoryview(data)
        for i in range(0, len(mv), self.bs):
            self.callback(bytes(mv[i:i + self.bs]))


class PyCallbackIOReader:
    """read_index(PyCallbackIOReader(f.read)): callback(n) returns up to n bytes, b'' at
    the end."""

    def __init__(self, callback, bs=1024 * 1024):
        if not callable(callback):
            raise TypeError("PyCallbackIOReader needs a callable")
        if bs <= 0:
            raise ValueError("bs must be > 0")
        self.callback, self.bs = callback, int(bs)

    def _chunk(self, n):
        b = self.callback(n)
        if not isinstance(b, (bytes, bytearray, memoryview)):
            raise TypeError(f"reader callback returned {type(b).__name__}, expected bytes")
        if len(b) > n:
            raise ValueError(f"reader callback returned {len(b)} bytes, asked for {n}")
        return bytes(b)

    def read_exact(self, n):
        """Exactly n bytes (RuntimeError if the stream ends first)."""
        chunks, got = [], 0
        while got < n:
            b = self._chunk(min(self.bs, n - got))
            if not b:
                raise RuntimeError(f"the stream ended after {got} of {n} bytes (truncated index)")
            chunks.append(b)
            got += len(b)
        return b"".join(chunks)

    def read_index_bytes(self):
        """One index: the header and the top-level record, read exactly (the format is
        self-delimiting), so a pipe that stays open does not block the reader."""
        head = self.read_exact(16 + 12)  # file header, then the record's tag and length
        version = int.from_bytes(head[8:12], "little")
        length = int.from_bytes(head[20:28], "little")
        trailer = 8 if version >= 2 else 0
        if length > (1 << 48):
            raise RuntimeError(f"record length {length} is not plausible (corrupt stream)")
        return head + self.read_exact(length + trailer)

    def read_all(self):
        """Read one index's bytes through the callback (the header says how many)."""
        chunks = []
        while True:
            b = self._chunk(self.bs)
            if len(b) == 0:
                break
            chunks.append(b)
        return b"".join(chunks)


class VectorIOWriter:
    """Writes into `.data` (a UInt8Vector), as FAISS's VectorIOWriter."""

    def __init__(self):
        self.data = UInt8Vector()

    def write_bytes(self, data):
        """Append raw bytes to data."""
        self.data._a = np.concatenate([self.data._a, np.frombuffer(bytes(data), dtype=np.uint8)])


class VectorIOReader:
    """FAISS's in-memory reader: set data to a uint8 array, then read_index(r)."""
    def __init__(self):
        self.data = UInt8Vector()

    def read_all(self):
        """The bytes held (what read_index reads)."""
        return self.data._a.tobytes()


class BufferedIOWriter:
    """FAISS's buffered writer over a PyCallbackIOWriter (writes go straight through)."""
    def __init__(self, writer, bsz=1024 * 1024):
        self.writer = writer

    def write_bytes(self, data):
        """Pass bytes to the wrapped writer."""
        self.writer.write_bytes(data)


class BufferedIOReader:
    """FAISS's buffered reader over a PyCallbackIOReader."""
    def __init__(self, reader, bsz=1024 * 1024):
        self.reader = reader

    def read_all(self):
        """All bytes of the wrapped reader."""
        return self.reader.read_all()


def _is_path(p):
    return isinstance(p, (str, bytes, _os.PathLike))


def _write(serialize, write_path, index, target):
    if _is_path(target):
        return write_path(index, target)
    data = serialize(index)
    if hasattr(target, "write_bytes"):
        target.write_bytes(data.tobytes())
    elif isinstance(target, _io.IOBase) or hasattr(target, "write"):
        target.write(data.tobytes())
    else:
        raise TypeError(f"write target must be a path, a file object or an IOWriter, got {type(target).__name__}")


def _read(deserialize, read_path, source, io_flags):
    if _is_path(source):
        return read_path(source, io_flags)
    if io_flags & _C.IO_FLAG_MMAP:
        raise ValueError("IO_FLAG_MMAP needs a file path")
    if hasattr(source, "read_index_bytes"):
        data = source.read_index_bytes()
    elif hasattr(source, "read_all"):
        data = source.read_all()
    elif hasattr(source, "read"):
        data = source.read()
    else:
        raise TypeError(f"read source must be a path, a file object or an IOReader, got {type(source).__name__}")
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("the reader returned no bytes")
    return deserialize(np.frombuffer(bytes(data), dtype=np.uint8))


_write_format = ["faisslike"]


def set_write_format(format):
    """The format write_index / write_index_binary use when called without format= (what
    programs written for FAISS do): "faisslike" (default) or "faiss", so that files written
    by an unmodified FAISS program running on faisslike stay readable by faiss-cpu."""
    _pick_format(format, {"faisslike": None, "faiss": None})
    _write_format[0] = format


def _pick_format(format, choices):
    """choices[format] (None: the set_write_format setting); ValueError for another name."""
    format = _write_format[0] if format is None else format
    if format not in choices:
        raise ValueError(f"format must be 'faisslike' or 'faiss', got {format!r}")
    return choices[format]


def write_index(index, target, format=None):
    """write_index(index, path | file object | PyCallbackIOWriter, format=None).

    format="faiss" writes FAISS's own format (faiss.read_index loads it); read_index reads
    both formats. None: the set_write_format setting ("faisslike" unless changed)."""
    _write(*_pick_format(format, {"faisslike": (_C.serialize_index, _C.write_index),
                                  "faiss": (_C.serialize_index_faiss, _C.write_index_faiss)}),
           index, target)


def serialize_index(index, format=None):
    """The index as a uint8 array in our format, or FAISS's (format="faiss"); None: the
    set_write_format setting."""
    return _pick_format(format, {"faisslike": _C.serialize_index,
                                 "faiss": _C.serialize_index_faiss})(index)


def read_index(source, io_flags=0):
    """read_index(path | file object | PyCallbackIOReader, io_flags=0)."""
    return _read(_C.deserialize_index, _C.read_index, source, io_flags)


def inspect_index_file(path, as_dict=False):
    """The structure of an index file (faisslike, any version, or FAISS format; float or
    binary) without loading it: the file is mapped read-only and its arrays are never copied.

    Returns a text report (as_dict=False): per record its class, tag, d / metric / ntotal,
    the other stored parameters, the bytes of each array ("memory per part"), offset, size
    and checksum status. as_dict=True: the same as a dict ("index" holds the record tree,
    "clean" whether the file read to its end with every checksum matching). A corrupt file
    is described up to where reading stopped, with the reader's error ("error"); checksum
    mismatches are reported, not raised. Raises OSError if the file cannot be opened."""
    import json as _json
    text, clean = _C._inspect_index_file(path, as_dict)
    if not as_dict:
        return text
    out = _json.loads(text)
    out["clean"] = clean
    return out


def write_index_binary(index, target, format=None):
    """write_index_binary(index, path | file object | PyCallbackIOWriter, format=None);
    format="faiss" writes FAISS's format (read_index_binary reads both); None: the
    set_write_format setting."""
    _write(*_pick_format(format, {
        "faisslike": (_C.serialize_index_binary, _C.write_index_binary),
        "faiss": (_C.serialize_index_binary_faiss, _C.write_index_binary_faiss)}),
        index, target)


def read_index_binary(source, io_flags=0):
    """read_index_binary(path | file object | PyCallbackIOReader, io_flags=0)."""
    return _read(_C.deserialize_index_binary, _C.read_index_binary, source, io_flags)


# ---------------------------------------------------------------------------- pickling
def _index_reduce(self):
    return (_C.deserialize_index, (_C.serialize_index(self),))


def _binary_reduce(self):
    return (_C.deserialize_index_binary, (_C.serialize_index_binary(self),))


def install_pickling():
    """Make indexes picklable (pickle.dumps writes them in our format). Done at import."""
    _C.Index.__reduce__ = _index_reduce
    _C.IndexBinary.__reduce__ = _binary_reduce


# ---------------------------------------------------------------------------- invlists
class InvertedListsView:
    """index_ivf.invlists: FAISS's InvertedLists read API over an IVF index (copies out)."""

    def __init__(self, ivf):
        self._ivf = ivf

    @property
    def nlist(self):
        """Number of lists."""
        return self._ivf.nlist

    @property
    def code_size(self):
        """Bytes per code."""
        return self._ivf.code_size

    def list_size(self, l):
        """Number of entries in list list_no."""
        return self._ivf.get_list_size(l)

    def get_ids(self, l):
        """The ids of list list_no, int64 (a copy)."""
        return self._ivf.get_list_ids(l)

    def get_codes(self, l):
        """The codes of list list_no, uint8 (a copy)."""
        return self._ivf.get_list_codes(l)

    def release_ids(self, l, ids):
        """No-op (FAISS API: our get_ids returns copies)."""
        pass

    def release_codes(self, l, codes):
        """No-op (FAISS API: our get_codes returns copies)."""
        pass

    def compute_ntotal(self):
        """Total number of entries over all lists."""
        return sum(self.list_size(l) for l in range(self.nlist))

    def imbalance_factor(self):
        """Imbalance of the list sizes (1.0: all equal)."""
        sizes = np.array([self.list_size(l) for l in range(self.nlist)], dtype=np.float64)
        tot = sizes.sum()
        return float(self.nlist * (sizes ** 2).sum() / (tot * tot)) if tot else 0.0


class OnDiskInvertedLists:
    """FAISS's OnDiskInvertedLists(nlist, code_size, filename): filled by merge_from_multiple
    (which writes `filename` and maps it), then installed with index_ivf.replace_invlists."""

    def __init__(self, nlist, code_size, filename):
        self.nlist, self.code_size, self.filename = int(nlist), int(code_size), filename
        self._native = None

    def merge_from_multiple(self, ils, n_il=None, shift_ids=False, verbose=False):
        """ils: IVF indexes or their .invlists (a list or InvertedListsPtrVector)."""
        ils = list(ils)[: len(ils) if n_il is None else int(n_il)]
        ivfs = [il._ivf if isinstance(il, InvertedListsView) else il for il in ils]
        for ivf in ivfs:
            if not isinstance(ivf, _C.IndexIVF):
                raise TypeError(f"merge_from_multiple takes IVF indexes or their invlists, got {type(ivf).__name__}")
            if ivf.nlist != self.nlist or ivf.code_size != self.code_size:
                raise ValueError("merge_from_multiple: nlist / code_size differ from these lists'")
        self._native = _C._OnDiskLists.merge(ivfs, self.filename, bool(shift_ids))
        return self._native.compute_ntotal()

    merge_from = merge_from_multiple

    def compute_ntotal(self):
        """Total number of entries over all lists."""
        return 0 if self._native is None else self._native.compute_ntotal()


class InvertedListsPtrVector(list):
    """FAISS's vector of InvertedLists pointers: push_back, size, data (the list itself)."""

    def push_back(self, il):
        """Append inverted lists (FAISS's std::vector API)."""
        self.append(il)

    def size(self):
        """Number of elements."""
        return len(self)

    def data(self):
        """The list itself (FAISS passes .data() to merge functions)."""
        return self


def _replace_invlists(self, invlists, own=True):
    """Install on-disk inverted lists (OnDiskInvertedLists, e.g. from merge_from_multiple) in
    place of the index's own; TypeError for any other kind."""
    if isinstance(invlists, OnDiskInvertedLists):
        if invlists._native is None:
            raise ValueError("replace_invlists: these on-disk lists are empty (merge_from_multiple first)")
        invlists = invlists._native
    if not isinstance(invlists, _C._OnDiskLists):
        raise TypeError(f"replace_invlists takes OnDiskInvertedLists, got {type(invlists).__name__}")
    self._replace_ondisk(invlists)


class _VecList(list):
    """A list that also answers .size() / .at(i) (FAISS's std::vector API)."""

    def size(self):
        return len(self)

    def at(self, i):
        return self[i]


def install_views():
    """Attach FAISS's view helpers (invlists, downcasts) to the index classes. Done at import."""
    _C.IndexIVF.invlists = property(InvertedListsView, doc="FAISS's InvertedLists API (read).")
    _C.IndexIVF.replace_invlists = _replace_invlists
    native_chain = _C.IndexPreTransform.chain
    _C.IndexPreTransform.chain = property(lambda self: _VecList(native_chain.fget(self)),
                                          doc=native_chain.__doc__)
    native_stats = _C.Clustering.iteration_stats
    _C.Clustering.iteration_stats = property(lambda self: _VecList(native_stats.fget(self)),
                                             doc=native_stats.__doc__)


__all__ = [n for n in list(globals()) if not n.startswith("_") and n not in ("np", "annotations")]
