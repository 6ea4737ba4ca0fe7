"""ParameterSpace, OperatingPoints and the auto-tuning criteria (FAISS's AutoTune)."""
import time

import numpy as np

from . import _faisslike as _C


# ---------------------------------------------------------------------------- criteria
class AutoTuneCriterion:
    """Scores search results against ground truth; `evaluate(D, I)` is in [0, 1]."""

    def __init__(self, nq, nnn):
        self.nq, self.nnn = int(nq), int(nnn)
        self.gt_nnn = 0
        self.gt_D = self.gt_I = None

    def set_groundtruth(self, gt_nnn, gt_D, gt_I):
        """Set the reference results (D may be None) that evaluate compares against."""
        gt_I = np.asarray(gt_I, dtype="int64").reshape(self.nq, int(gt_nnn))
        self.gt_nnn = int(gt_nnn)
        self.gt_I = gt_I
        self.gt_D = None if gt_D is None else np.asarray(gt_D, dtype="float32").reshape(self.nq, self.gt_nnn)

    def _results(self, D, I):
        if self.gt_I is None:
            raise RuntimeError("set_groundtruth first")
        return np.asarray(I, dtype="int64").reshape(self.nq, -1)


class OneRecallAtRCriterion(AutoTuneCriterion):
    """Fraction of queries whose true nearest neighbour is in the first R results."""

    def __init__(self, nq, R):
        super().__init__(nq, R)
        self.R = int(R)

    def evaluate(self, D, I):
        """Fraction of queries whose true nearest neighbour is in the top R."""
        I = self._results(D, I)
        return float((I[:, : self.R] == self.gt_I[:, :1]).any(1).mean())


class IntersectionCriterion(AutoTuneCriterion):
    """Mean size of the intersection of the first R results with the first R true ones, / R."""

    def __init__(self, nq, R):
        super().__init__(nq, R)
        self.R = int(R)

    def evaluate(self, D, I):
        """Mean size of the intersection of the top-R results with the ground truth, / R."""
        I = self._results(D, I)
        R = self.R
        tot = sum(np.intersect1d(I[i, :R][I[i, :R] >= 0], self.gt_I[i, :R]).size for i in range(self.nq))
        return tot / float(self.nq * R)


# ---------------------------------------------------------------------------- operating points
class OperatingPoint:
    """One explored setting: its performance (e.g. recall), time and key."""
    __slots__ = ("perf", "t", "key", "cno")

    def __init__(self, perf, t, key, cno):
        self.perf, self.t, self.key, self.cno = perf, t, key, cno

    def __repr__(self):
        return f"OperatingPoint(perf={self.perf:.4f}, t={self.t:.4g}, key={self.key!r}, cno={self.cno})"


class _PointList(list):
    """A list that also answers .size() / .at(i), as FAISS's swig vectors."""

    def size(self):
        return len(self)

    def at(self, i):
        return self[i]


class OperatingPoints:
    """The points measured (all_pts) and the Pareto-optimal ones (optimal_pts: faster means
    lower perf, sorted by perf), starting from the trivial point (perf 0, t 0)."""

    def __init__(self):
        self.all_pts = _PointList()
        self.optimal_pts = _PointList([OperatingPoint(0.0, 0.0, "", -1)])

    def clear(self):
        """Forget every point."""
        self.__init__()

    def add(self, perf, t, key, cno=0):
        """Record a point; True if it is Pareto-optimal (and then kept in optimal_pts)."""
        op = OperatingPoint(float(perf), float(t), str(key), int(cno))
        self.all_pts.append(op)
        opt = self.optimal_pts
        if perf == 0:
            return False
        if any(o.perf >= perf and o.t <= t for o in opt):
            return False
        keep = [o for o in opt if not (o.perf <= perf and o.t >= t)]
        keep.append(op)
        keep.sort(key=lambda o: (o.perf, o.t))
        self.optimal_pts[:] = keep
        return True

    def merge_with(self, other, prefix=""):
        """Add the points of another OperatingPoints (keys prefixed)."""
        n = 0
        for o in other.all_pts:
            n += self.add(o.perf, o.t, prefix + o.key, o.cno)
        return n

    def t_for_perf(self, perf):
        """Time of the fastest optimal point reaching perf (1e50 when none does)."""
        ts = [o.t for o in self.optimal_pts if o.perf >= perf]
        return min(ts) if ts else 1e50

    def display(self, only_optimal=True):
        """Print the points (all, or only the optimal ones)."""
        pts = self.optimal_pts if only_optimal else self.all_pts
        print(f"Tested {len(self.all_pts)} operating points, {len(self.optimal_pts)} ones are Pareto-optimal:")
        for o in pts:
            print(f"cno={o.cno} key={o.key} perf={o.perf:.4f} t={o.t:.3f}")

    def _to_gnuplot(self, pts, fname):
        with open(fname, "w") as f:
            for o in pts:
                f.write(f"{o.perf} {o.t} {o.key}\n")

    def all_to_gnuplot(self, fname):
        """Write every point as 'perf t key' lines for gnuplot."""
        self._to_gnuplot(self.all_pts, fname)

    def optimal_to_gnuplot(self, fname):
        """Write the Pareto-optimal points for gnuplot."""
        self._to_gnuplot(self.optimal_pts, fname)


# ---------------------------------------------------------------------------- parameter space
class ParameterRange:
    """A named parameter and the values ParameterSpace explores for it."""
    def __init__(self, name):
        self.name = name
        self.values = []


def _is_hnsw(index):
    return hasattr(index, "hnsw")


class ParameterSpace:
    """Search-time parameters of an index by name: `set_index_parameters(index,
    "nprobe=16,efSearch=64")`, the ranges to explore (`initialize`), and `explore`.

    Names: nprobe (IVF), efSearch (HNSW), k_factor / k_factor_rf (refine), quantizer_<name>
    (the IVF coarse quantizer's parameter), verbose. Wrappers (IDMap, PreTransform, Shards)
    pass them on. An unknown name or a value the index refuses is a ValueError.
    """

    def __init__(self):
        self.parameter_ranges = _PointList()
        self.verbose = 1
        self.n_experiments = 500
        self.batchsize = 1 << 30
        self.thread_over_batches = False
        self.min_test_duration = 0.0

    # -- ranges
    def add_range(self, name):
        """Add (or get) the range of parameter name; returns the ParameterRange."""
        for pr in self.parameter_ranges:
            if pr.name == name:
                return pr
        pr = ParameterRange(name)
        self.parameter_ranges.append(pr)
        return pr

    def initialize(self, index):
        """Set FAISS's default ranges for this index (nprobe, efSearch, k_factor, ...)."""
        self._initialize(index, "")

    def _initialize(self, index, prefix):
        # As FAISS: ranges come through PreTransform and Refine but not IDMap or Shards
        # (their parameters can still be set by name).
        if isinstance(index, _C.IndexPreTransform):
            return self._initialize(index.index, prefix)
        if isinstance(index, _C.IndexRefineFlat):
            self.add_range(prefix + "k_factor_rf").values = [float(1 << i) for i in range(7)]
            return self._initialize(index.base_index, prefix)
        if isinstance(index, (_C.IndexIDMap, _C.IndexShards)):
            return
        if isinstance(index, _C.IndexIVF):
            vals = []
            i = 0
            while (1 << i) < index.nlist and i < 13:
                vals.append(float(1 << i))
                i += 1
            self.add_range(prefix + "nprobe").values = vals
            if _is_hnsw(index.quantizer):
                self.add_range(prefix + "quantizer_efSearch").values = [float(1 << i) for i in range(2, 10)]
            return
        if _is_hnsw(index):
            self.add_range(prefix + "efSearch").values = [float(1 << i) for i in range(2, 10)]

    def n_combinations(self):
        """Number of combinations of the ranges."""
        n = 1
        for pr in self.parameter_ranges:
            n *= len(pr.values)
        return n

    def _decode(self, cno):
        if not 0 <= cno < self.n_combinations():
            raise ValueError(f"combination {cno} out of range [0, {self.n_combinations()})")
        out = []
        for pr in self.parameter_ranges:
            nv = len(pr.values)
            out.append((pr.name, pr.values[cno % nv]))
            cno //= nv
        return out

    def combination_name(self, cno):
        """The 'name=value,...' string of combination cno."""
        return ",".join(f"{n}={v:g}" for n, v in self._decode(cno))

    def combination_ge(self, c1, c2):
        """Whether every parameter of c1 is >= that of c2."""
        for pr in self.parameter_ranges:
            nv = len(pr.values)
            if c1 % nv < c2 % nv:
                return False
            c1 //= nv
            c2 //= nv
        return True

    def display(self):
        """Print the ranges."""
        print(f"ParameterSpace, {len(self.parameter_ranges)} parameters, {self.n_combinations()} combinations:")
        for pr in self.parameter_ranges:
            print(f"   {pr.name}: " + ", ".join(f"{v:g}" for v in pr.values))

    # -- setting
    def set_index_parameters(self, index, desc):
        """Apply a combination number or a 'nprobe=8,efSearch=64' string to index."""
        if isinstance(desc, (int, np.integer)) and not isinstance(desc, bool):
            for name, val in self._decode(int(desc)):
                self.set_index_parameter(index, name, val)
            return
        if not isinstance(desc, str):
            raise TypeError("set_index_parameters takes 'name=value,...' or a combination number")
        for tok in desc.split(","):
            tok = tok.strip()
            if not tok:
                continue
            name, eq, val = tok.partition("=")
            if not eq:
                raise ValueError(f"ParameterSpace: '{tok}' is not name=value")
            try:
                v = float(val)
            except ValueError:
                raise ValueError(f"ParameterSpace: value of '{tok}' is not a number") from None
            self.set_index_parameter(index, name.strip(), v)

    def set_index_parameter(self, index, name, val):
        """Set one parameter (nprobe, efSearch, k_factor, quantizer_<name>, verbose) through the wrappers; ValueError for an unknown name."""
        if not self._set(index, name, float(val)):
            raise ValueError(f"ParameterSpace::set_index_parameter: could not set parameter {name} "
                             f"on {type(index).__name__}")

    def _set(self, index, name, val):
        if name == "verbose":
            index.verbose = bool(val)
            for attr in ("index", "base_index", "quantizer"):
                inner = getattr(index, attr, None)
                if isinstance(inner, _C.Index):
                    self._set(inner, name, val)
            return True
        if isinstance(index, (_C.IndexPreTransform, _C.IndexIDMap, _C.IndexBinaryIDMap)):
            return self._set(index.index, name, val)
        if isinstance(index, _C.IndexShards):
            ok = index.nshards > 0
            for i in range(index.nshards):
                ok = self._set(index.at(i), name, val) and ok
            return ok
        if isinstance(index, _C.IndexRefineFlat):
            if name in ("k_factor_rf", "k_factor"):
                index.k_factor = val
                return True
            return self._set(index.base_index, name, val)
        if isinstance(index, (_C.IndexIVF, _C.IndexBinaryIVF)):
            if name == "nprobe":
                index.nprobe = _as_int(val, name)
                return True
            if name.startswith("quantizer_"):
                return self._set(index.quantizer, name[len("quantizer_"):], val)
            if name in ("max_codes", "parallel_mode"):
                return False
        if _is_hnsw(index) and name == "efSearch":
            index.hnsw.efSearch = _as_int(val, name)
            return True
        return False

    # -- exploring
    def explore(self, index, xq, crit):
        """Search xq at every combination (pruning ones that cannot beat the best so far)
        and return the OperatingPoints (perf = crit.evaluate, t = seconds per pass)."""
        xq = np.ascontiguousarray(xq, dtype="float32")
        ops = OperatingPoints()
        n = self.n_combinations()
        nexp = min(n, self.n_experiments) if self.n_experiments > 0 else n
        order = list(range(n)) if nexp >= n else [0, n - 1] + list(
            np.random.RandomState(123).choice(np.arange(1, n - 1), nexp - 2, replace=False))
        k = crit.nnn
        for cno in order:
            self.set_index_parameters(index, int(cno))
            t0 = time.perf_counter()
            D, I = index.search(xq, k)
            t = time.perf_counter() - t0
            perf = crit.evaluate(D, I)
            ops.add(perf, t, self.combination_name(int(cno)), int(cno))
            if self.verbose > 1:
                print(f"  {cno}/{n}: {self.combination_name(int(cno))} perf={perf:.4f} t={t:.3f}s")
        return ops


def _as_int(val, name):
    if val != int(val):
        raise ValueError(f"{name} must be an integer, got {val}")
    return int(val)
