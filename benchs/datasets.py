"""Datasets for the ANN harness: TEXMEX readers/writers and deterministic synthetic data.

Names:
  syn-<n>      128-d Gaussian mixture shaped like real embeddings (see make_syn)
  uniform-<n>  uniform [0,1)^128, the hard case
  emb768-<n>   768-d, anisotropic and clustered like text embeddings (see make_emb768)
  <n> accepts k/m suffixes: syn-100k, uniform-1m.
  A directory holding *base.fvecs, *query.fvecs, *groundtruth.ivecs (and optionally
  *learn.fvecs), e.g. the TEXMEX SIFT1M files, is also accepted, and so is a pair
  "base.npy,query.npy" or "base.fvecs,query.fvecs" (ground truth then computed by the caller).

Generated sets are cached as .fvecs/.ivecs under $FAISSLIKE_DATA (default
~/.cache/faisslike/datasets), never in the repository. Ground truth is the exact top-100 by
squared L2, computed with faisslike's IndexFlat.
"""
import os
import pathlib
import re
import sys
import time

import numpy as np

GT_K = 100
DIM = 128


class DatasetError(Exception):
    """Missing, malformed or inconsistent dataset files."""


# ---------------------------------------------------------------- TEXMEX formats

def _read_vecs(path, dtype, itemsize):
    path = pathlib.Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0:
        raise DatasetError(f"{path}: empty file")
    if raw.size < 4:
        raise DatasetError(f"{path}: {raw.size} bytes, too short for a row header")
    d = int(raw[:4].view(np.int32)[0])
    if d <= 0 or d > 1 << 20:
        raise DatasetError(f"{path}: invalid dimension {d} in the first row header")
    row = 4 + d * itemsize
    if raw.size % row:
        raise DatasetError(f"{path}: size {raw.size} is not a multiple of the row size {row} "
                           f"(d={d}): truncated or not a {path.suffix} file")
    rows = raw.reshape(-1, row)
    dims = rows[:, :4].copy().view(np.int32)[:, 0]
    bad = np.nonzero(dims != d)[0]
    if bad.size:
        raise DatasetError(f"{path}: row {bad[0]} has dimension {dims[bad[0]]}, expected {d}")
    return rows[:, 4:].copy().view(dtype).reshape(-1, d)


def read_fvecs(path):
    return _read_vecs(path, np.float32, 4)


def read_ivecs(path):
    return _read_vecs(path, np.int32, 4)


def read_bvecs(path):
    return _read_vecs(path, np.uint8, 1)


def _write_vecs(path, x, dtype):
    x = np.ascontiguousarray(x, dtype=dtype)
    if x.ndim != 2:
        raise ValueError("expected a 2-D array")
    n, d = x.shape
    out = np.empty((n, 4 + d * x.itemsize), dtype=np.uint8)
    out[:, :4] = np.full((n, 1), d, dtype=np.int32).view(np.uint8)
    out[:, 4:] = x.view(np.uint8).reshape(n, -1)
    tmp = pathlib.Path(str(path) + ".tmp")
    out.tofile(tmp)
    os.replace(tmp, path)  # never leave a half-written cache file


def write_fvecs(path, x):
    _write_vecs(path, x, np.float32)


def write_ivecs(path, x):
    _write_vecs(path, x, np.int32)


def write_bvecs(path, x):
    _write_vecs(path, x, np.uint8)


# ---------------------------------------------------------------- progress

class Progress:
    """One line that rewrites itself on a terminal, and prints sparse lines in logs."""

    def __init__(self, label, total):
        self.label, self.total, self.t0 = label, total, time.time()
        self.tty = sys.stderr.isatty()
        self.last = -1

    def update(self, done):
        pct = int(100 * done / max(1, self.total))
        if pct == self.last or (not self.tty and pct % 25 and done != self.total):
            return
        self.last = pct
        bar = "#" * (pct // 4) + "." * (25 - pct // 4)
        msg = f"  {self.label} [{bar}] {pct:3d}% {time.time() - self.t0:6.1f}s"
        if self.tty:
            sys.stderr.write("\r" + msg + ("\n" if done >= self.total else ""))
        else:
            sys.stderr.write(msg + "\n")
        sys.stderr.flush()


# ---------------------------------------------------------------- generators

def parse_size(s):
    m = re.fullmatch(r"(\d+)([kKmM]?)", s)
    if not m:
        raise DatasetError(f"bad dataset size '{s}' (expected e.g. 100k, 1m, 20000)")
    n = int(m.group(1)) * {"": 1, "k": 1000, "m": 1000000}[m.group(2).lower()]
    if n < 100:
        raise DatasetError(f"dataset size {n} is too small (>= 100)")
    return n


def default_sizes(n):
    """(n_learn, n_query) for a base size."""
    return min(100000, max(n // 2, 1000)), (10000 if n >= 100000 else min(1000, max(100, n // 100)))


def make_syn(n, n_learn, n_query, seed=12345, progress=True):
    """Gaussian mixture: 1000 centres ~ N(0, 1); point = centre + z B_c + noise, z ~ N(0, I_24),
    B_c a per-cluster random 24x128 matrix scaled by 0.35, noise N(0, 0.05^2); Zipf-like
    cluster sizes (p_c ~ 1/(c+1)^0.8). Base, learn and query come from the same distribution."""
    rng = np.random.default_rng(seed)
    ncent, latent = 1000, 24
    centres = rng.standard_normal((ncent, DIM)).astype(np.float32)
    bases = (0.35 * rng.standard_normal((ncent, latent, DIM))).astype(np.float32)
    p = 1.0 / np.arange(1, ncent + 1) ** 0.8
    p /= p.sum()
    rng.shuffle(p)  # sizes are not ordered by centre id

    def sample(count, label, sub_seed):
        r = np.random.default_rng([seed, sub_seed])
        assign = r.choice(ncent, size=count, p=p)
        out = np.empty((count, DIM), dtype=np.float32)
        order = np.argsort(assign, kind="stable")
        bounds = np.searchsorted(assign[order], np.arange(ncent + 1))
        prog = Progress(f"generating {label} ({count} vectors)", ncent) if progress else None
        for c in range(ncent):
            idx = order[bounds[c]:bounds[c + 1]]
            if idx.size:
                z = r.standard_normal((idx.size, latent), dtype=np.float32)
                noise = r.standard_normal((idx.size, DIM), dtype=np.float32) * 0.05
                out[idx] = centres[c] + z @ bases[c] + noise
            if prog and (c % 50 == 49 or c == ncent - 1):
                prog.update(c + 1)
        return out

    return sample(n, "base", 1), sample(n_learn, "learn", 2), sample(n_query, "query", 3)


def make_emb768(n, n_learn, n_query, seed=7681, progress=True):
    """Shaped like sentence embeddings (d = 768): a few dominant directions and a decaying
    spectrum (a shared random 768x768 basis scaled by i^-0.6, so most energy lies in the first
    ~100 directions), 2000 topics with Zipf-like sizes, topic centre + N(0, 0.5) in the scaled
    basis, then a common offset (embeddings are not centred) and L2 normalization (cosine is
    their metric, so L2 and inner product rank alike)."""
    d, ntop = 768, 2000
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((d, d)))[0].astype(np.float32)
    scale = (np.arange(1, d + 1, dtype=np.float32) ** -0.6)
    mix = (basis * scale[:, None]).astype(np.float32)  # row i: direction i scaled
    centres = rng.standard_normal((ntop, d)).astype(np.float32)
    offset = (0.8 * rng.standard_normal(d)).astype(np.float32) @ mix
    p = 1.0 / np.arange(1, ntop + 1) ** 0.9
    p /= p.sum()
    rng.shuffle(p)

    def sample(count, label, sub_seed):
        r = np.random.default_rng([seed, sub_seed])
        assign = r.choice(ntop, size=count, p=p)
        out = np.empty((count, d), dtype=np.float32)
        step = 20000
        prog = Progress(f"generating {label} ({count} vectors)", count) if progress else None
        for i0 in range(0, count, step):
            a = assign[i0:i0 + step]
            z = centres[a] + 0.5 * r.standard_normal((a.size, d), dtype=np.float32)
            v = z @ mix + offset
            out[i0:i0 + step] = v / np.linalg.norm(v, axis=1, keepdims=True)
            if prog:
                prog.update(min(count, i0 + step))
        return out

    return sample(n, "base", 1), sample(n_learn, "learn", 2), sample(n_query, "query", 3)


def make_uniform(n, n_learn, n_query, seed=54321, progress=True):
    rng = np.random.default_rng(seed)
    if progress:
        sys.stderr.write(f"  generating uniform base ({n} vectors)\n")
    return (rng.random((n, DIM), dtype=np.float32), rng.random((n_learn, DIM), dtype=np.float32),
            rng.random((n_query, DIM), dtype=np.float32))


def ground_truth(xb, xq, k=GT_K, progress=True):
    """Exact top-k ids by squared L2 with faisslike's IndexFlat, in query chunks."""
    import faisslike
    index = faisslike.IndexFlatL2(xb.shape[1])
    index.add(xb)
    k = min(k, xb.shape[0])
    gt = np.empty((xq.shape[0], k), dtype=np.int32)
    prog = Progress(f"ground truth top-{k} ({xq.shape[0]} queries)", xq.shape[0]) if progress else None
    step = 1000
    for i0 in range(0, xq.shape[0], step):
        gt[i0:i0 + step] = index.search(xq[i0:i0 + step], k)[1]
        if prog:
            prog.update(min(xq.shape[0], i0 + step))
    return gt


# ---------------------------------------------------------------- loading

def cache_dir():
    return pathlib.Path(os.environ.get("FAISSLIKE_DATA", pathlib.Path.home() / ".cache/faisslike/datasets"))


class Dataset:
    def __init__(self, name, xb, xq, gt, xt=None):
        self.name, self.xb, self.xq, self.gt, self.xt = name, xb, xq, gt, xt
        self.validate()

    @property
    def d(self):
        return self.xb.shape[1]

    def validate(self, k=1):
        if self.xb.ndim != 2 or self.xq.ndim != 2:
            raise DatasetError(f"{self.name}: base and queries must be 2-D arrays")
        if self.xq.shape[1] != self.xb.shape[1]:
            raise DatasetError(f"{self.name}: queries have d={self.xq.shape[1]} but the base has "
                               f"d={self.xb.shape[1]}")
        if self.xt is not None and self.xt.shape[1] != self.xb.shape[1]:
            raise DatasetError(f"{self.name}: learn set has d={self.xt.shape[1]} but the base has "
                               f"d={self.xb.shape[1]}")
        if self.gt is None:
            return
        if self.gt.shape[0] != self.xq.shape[0]:
            raise DatasetError(f"{self.name}: ground truth has {self.gt.shape[0]} rows for "
                               f"{self.xq.shape[0]} queries")
        if self.gt.shape[1] < k:
            raise DatasetError(f"{self.name}: ground truth has {self.gt.shape[1]} columns, fewer "
                               f"than k={k}")
        if self.gt.size and (self.gt.min() < 0 or self.gt.max() >= self.xb.shape[0]):
            raise DatasetError(f"{self.name}: ground truth ids outside [0, {self.xb.shape[0]})")

    def learn(self):
        return self.xt if self.xt is not None else self.xb[: min(len(self.xb), 100000)]


def _load_dir(path):
    path = pathlib.Path(path)

    def find(pattern, required=True):
        hits = sorted(path.glob(pattern))
        if not hits and required:
            raise DatasetError(f"{path}: no file matching '{pattern}'")
        if len(hits) > 1:
            raise DatasetError(f"{path}: several files match '{pattern}': {[h.name for h in hits]}")
        return hits[0] if hits else None

    base = find("*base.[fb]vecs")
    reader = read_bvecs if base.suffix == ".bvecs" else read_fvecs
    xb = reader(base).astype(np.float32, copy=False)
    xq = (read_bvecs if find("*query.[fb]vecs").suffix == ".bvecs" else read_fvecs)(find("*query.[fb]vecs")).astype(np.float32, copy=False)
    gt = read_ivecs(find("*groundtruth.ivecs"))
    learn = find("*learn.[fb]vecs", required=False)
    xt = None
    if learn is not None:
        xt = (read_bvecs if learn.suffix == ".bvecs" else read_fvecs)(learn).astype(np.float32, copy=False)
    return Dataset(path.name, xb, xq, gt, xt)


def _read_any(path):
    path = pathlib.Path(path)
    if path.suffix == ".npy":
        if not path.is_file():
            raise DatasetError(f"{path}: no such file")
        try:
            x = np.load(path, allow_pickle=False)
        except ValueError as e:
            raise DatasetError(f"{path}: not a numeric .npy array ({e})")
        if x.ndim != 2 or x.dtype.kind not in "fiu":
            raise DatasetError(f"{path}: expected a 2-D numeric array, got {x.dtype} {x.shape}")
        return np.ascontiguousarray(x, dtype=np.float32)
    if path.suffix == ".fvecs":
        return read_fvecs(path)
    if path.suffix == ".bvecs":
        return read_bvecs(path).astype(np.float32)
    raise DatasetError(f"{path}: expected .npy, .fvecs or .bvecs")


def _load_pair(name):
    base, query = name.split(",", 1)
    xb, xq = _read_any(base), _read_any(query)
    return Dataset(f"{pathlib.Path(base).stem}+{pathlib.Path(query).stem}", xb, xq, None)


def normalized(x):
    """Rows scaled to unit L2 norm (zero rows stay zero): cosine similarity as inner product."""
    x = np.array(x, dtype=np.float32, copy=True)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    np.divide(x, n, out=x, where=n > 0)
    return x


def exact_knn(xb, xq, k, ip=False, progress=True):
    """Exact top-k ids (largest inner product, or smallest squared L2) with numpy's BLAS,
    independent of the libraries under test; query chunks bound the memory."""
    k = min(k, xb.shape[0])
    gt = np.empty((xq.shape[0], k), dtype=np.int64)
    xb64 = xb.astype(np.float64)  # once: exact scores (ties between float32 rounding ignored)
    norms = None if ip else (xb64 ** 2).sum(1)
    prog = Progress(f"ground truth top-{k} ({'ip' if ip else 'l2'}, {xq.shape[0]} queries)",
                    xq.shape[0]) if progress else None
    step = max(1, min(1000, int(5e7 // max(1, xb.shape[0]))))  # ~400 MB of scores per chunk
    for i0 in range(0, xq.shape[0], step):
        q = xq[i0:i0 + step].astype(np.float64)
        s = q @ xb64.T
        score = -s if ip else norms[None, :] - 2 * s  # smaller is better
        part = np.argpartition(score, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(score, part, axis=1).argsort(axis=1, kind="stable")
        gt[i0:i0 + step] = np.take_along_axis(part, order, axis=1)
        if prog:
            prog.update(min(xq.shape[0], i0 + step))
    return gt


def load(name, progress=True):
    """A Dataset by name (generated and cached on first use), from a directory, or from a
    "base,query" pair of .npy / .fvecs files."""
    if os.path.isdir(name):
        return _load_dir(name)
    if "," in name:
        return _load_pair(name)
    m = re.fullmatch(r"(syn|uniform|emb768)-(\w+)", name)
    if not m:
        raise DatasetError(f"unknown dataset '{name}': expected syn-<n>, uniform-<n>, emb768-<n> or a "
                           f"directory with *base.fvecs, *query.fvecs, *groundtruth.ivecs")
    kind, n = m.group(1), parse_size(m.group(2))
    n_learn, n_query = default_sizes(n)
    d = cache_dir() / f"{kind}-{n}"
    files = {s: d / f"{kind}-{n}_{s}" for s in ("base.fvecs", "learn.fvecs", "query.fvecs", "groundtruth.ivecs")}
    if not all(f.is_file() for f in files.values()):
        d.mkdir(parents=True, exist_ok=True)
        t0 = time.time()
        if progress:
            sys.stderr.write(f"[datasets] building {name} in {d} (cached for next time)\n")
        gen = {"syn": make_syn, "uniform": make_uniform, "emb768": make_emb768}[kind]
        xb, xt, xq = gen(n, n_learn, n_query, progress=progress)
        gt = ground_truth(xb, xq, progress=progress)
        write_fvecs(files["learn.fvecs"], xt)
        write_fvecs(files["query.fvecs"], xq)
        write_ivecs(files["groundtruth.ivecs"], gt)
        write_fvecs(files["base.fvecs"], xb)
        if progress:
            sys.stderr.write(f"[datasets] {name} ready in {time.time() - t0:.1f}s\n")
    return Dataset(name, read_fvecs(files["base.fvecs"]), read_fvecs(files["query.fvecs"]),
                   read_ivecs(files["groundtruth.ivecs"]), read_fvecs(files["learn.fvecs"]))


if __name__ == "__main__":
    # python benchs/datasets.py syn-1m  -> generates and caches, prints shapes
    for nm in sys.argv[1:]:
        ds = load(nm)
        print(nm, "base", ds.xb.shape, "learn", ds.xt.shape if ds.xt is not None else None,
              "query", ds.xq.shape, "gt", ds.gt.shape)
