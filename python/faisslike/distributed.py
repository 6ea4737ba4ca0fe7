"""Sharded indexes on Ray (optional dependency: ``pip install ray``; Parquet input needs
``pyarrow``).

Build: ``build_sharded(dataset, factory_string, n_shards, out_dir)`` trains one index on a
sample, on the driver; ships the trained, empty index (serialized, once, through Ray's object
store) to one Ray task per shard, each adding a contiguous range of the dataset in bounded
chunks and writing it as a shard file; for IVF types ``merge=True`` merges the shards into one
index (``IndexIVF.merge_from``: the same codes as a single-process build from the same
trained index). ``recut_by_list(manifest, n_shards, out_dir)`` re-cuts IVF shards so that
each holds whole inverted lists.

Serve: ``ShardedIndex.open(out_dir)`` starts one Ray actor per shard (and replica) and gives
the Index API: ``search``, ``range_search``, ``add`` / ``add_with_ids``, ``remove_ids``,
``ntotal``, per-call ``SearchParameters`` (selectors included). The per-shard top-k lists are
merged by ``faisslike.merge_knn_results`` (the C++ merge IndexShards uses).

Ids. Shard i of a range-cut build holds rows [start_i, stop_i) of the dataset; IVF and IDMap
shards store them under their row numbers ("ids": "global" in the manifest), other types under
local ids 0 .. stop_i - start_i - 1 ("ids": "local"), which a ShardedIndex shifts by the rows of
the shards before (IndexShards' successive ids).

Datasets: a float32 ``.npy`` or ``.fvecs`` path (memory-mapped: a task holds at most
``chunk_rows`` rows beside its index), a ``.parquet`` file (one list<float32> column, read by
row groups), or a 2-D numpy array (put once into the object store).
"""
from typing import Any, Dict, Optional, Tuple
import json
import os
import pickle
import struct
import time

import numpy as np

import faisslike as _fl
from .contrib.vecs_io import fvecs_mmap

__all__ = ["build_sharded", "recut_by_list", "open_dataset", "ShardedIndex",
           "ShardUnavailableError"]

MANIFEST = "manifest.json"


# ---------------------------------------------------------------------------------------------
# datasets


class _ParquetRows:
    """The rows of one list<float32> / fixed_size_list<float32> column of a Parquet file as a
    read-only (n, d) array-like: slices and sorted index arrays read only the row groups they
    touch."""

    def __init__(self, path, column=None):
        try:
            import pyarrow.parquet as pq
        except ImportError as e:
            raise ImportError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow)") from e
        self.path = path
        self.file = pq.ParquetFile(path)
        names = self.file.schema_arrow.names
        if column is None:
            if len(names) != 1:
                raise ValueError(f"{path}: {len(names)} columns {names}: name the vector column")
            column = names[0]
        if column not in names:
            raise ValueError(f"{path}: no column {column!r} (columns: {names})")
        self.column = column
        meta = self.file.metadata
        sizes = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
        self.group_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        n = int(self.group_start[-1])
        d = self._group(0).shape[1] if n else 0
        self.shape = (n, d)
        self.ndim = 2
        self.dtype = np.dtype(np.float32)

    def _group(self, g):
        col = self.file.read_row_group(g, columns=[self.column]).column(0).combine_chunks()
        import pyarrow as pa

        t = col.type
        if not (pa.types.is_list(t) or pa.types.is_large_list(t) or
                pa.types.is_fixed_size_list(t)) or not pa.types.is_floating(t.value_type):
            raise TypeError(f"{self.path}: column {self.column!r} has type {t}, "
                            "not a list of floats")
        if col.null_count:
            raise ValueError(f"{self.path}: column {self.column!r} has null rows")
        flat = col.flatten().to_numpy(zero_copy_only=False)
        rows = len(col)
        if rows and flat.size % rows:
            raise ValueError(f"{self.path}: rows of column {self.column!r} differ in length")
        width = flat.size // rows if rows else 0
        if self.__dict__.get("shape") and width != self.shape[1]:
            raise ValueError(f"{self.path}: row group {g} has {width} components, "
                             f"not {self.shape[1]}")
        return np.ascontiguousarray(flat.reshape(rows, width), dtype=np.float32)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        if isinstance(key, slice):
            a, b, step = key.indices(self.shape[0])
            if step != 1:
                raise IndexError("Parquet rows: only contiguous slices")
            rows = np.arange(a, b)
        else:
            rows = np.asarray(key, dtype=np.int64)
        out = np.empty((len(rows), self.shape[1]), dtype=np.float32)
        groups = np.searchsorted(self.group_start, rows, side="right") - 1
        for g in np.unique(groups):
            sel = groups == g
            out[sel] = self._group(int(g))[rows[sel] - self.group_start[g]]
        return out


def open_dataset(dataset, column=None):
    """The (n, d) float32 rows of a .npy / .fvecs path (memory-mapped), of a .parquet file
    (column: the vector column when there are several) or of an array."""
    if isinstance(dataset, np.ndarray):
        x = dataset
    else:
        path = os.fspath(dataset)
        if path.endswith(".npy"):
            x = np.load(path, mmap_mode="r")
        elif path.endswith(".fvecs"):
            x = fvecs_mmap(path)
        elif path.endswith(".parquet"):
            x = _ParquetRows(path, column)
        else:
            raise ValueError(f"{path}: unsupported dataset file (use .npy, .fvecs or .parquet)")
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"the dataset must be a non-empty 2-D array, got shape {x.shape}")
    if x.dtype != np.float32:
        raise TypeError(f"the dataset must hold float32 values, got {x.dtype}")
    return x


# ---------------------------------------------------------------------------------------------
# building


def _probe(address, seconds=5.0):
    """A host:port address that refuses or ignores a TCP connection: ConnectionError now
    (ray.init would retry for minutes)."""
    if not address or address == "auto":
        return
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        return
    import socket

    try:
        socket.create_connection((host, int(port)), timeout=seconds).close()
    except OSError as e:
        raise ConnectionError(f"cannot connect to the Ray cluster at {address}: {e}") from e


def _connect(address=None):
    """Ray, initialised: a local instance, or the cluster at address (ConnectionError naming
    it when unreachable)."""
    import ray

    if not ray.is_initialized():
        _probe(address)
        try:
            ray.init(address=address, log_to_driver=False)
        except Exception as e:  # Ray raises ConnectionError, RuntimeError or its own types
            where = address or "a new local instance"
            raise ConnectionError(f"cannot connect to the Ray cluster at {where}: {e}") from e
    return ray


def _free_cpus(ray, need, settle=10.0):
    """Free Ray CPUs, once at least `need` (Ray's view lags finished work by a moment: waits
    up to `settle` seconds for it), else the last figure seen."""
    if need > ray.cluster_resources().get("CPU", 0):
        return ray.available_resources().get("CPU", 0)
    end = time.monotonic() + settle
    while True:
        free = ray.available_resources().get("CPU", 0)
        if free + 1e-9 >= need or time.monotonic() >= end:
            return free
        time.sleep(0.1)


def _check_task_cpus(ray, cpus):
    """Tasks that ask for more CPUs than are free would wait forever (actors, such as a
    ShardedIndex's, hold theirs): a ValueError instead."""
    free = _free_cpus(ray, cpus)
    if cpus > free + 1e-9:
        raise ValueError(f"a task of {cpus} CPUs cannot start: {free} of the Ray cluster's "
                         f"{ray.cluster_resources().get('CPU', 0)} CPUs are free (actors hold "
                         "the others); lower cpus_per_task (fractions are allowed)")


def _accepts_ids(index):
    try:
        return bool(index.accepts_ids())
    except AttributeError:
        return isinstance(index, _fl.IndexIVF)


def _add_range(trained, dataset, column, start, stop, chunk_rows, path, threads, global_ids):
    """One shard: the trained index plus rows [start, stop), written to path. Runs in a task."""
    _fl.omp_set_num_threads(threads)  # its Ray CPU share: no oversubscription
    x = open_dataset(dataset, column)
    index = _fl.deserialize_index(np.asarray(trained))
    for a in range(start, stop, chunk_rows):
        b = min(stop, a + chunk_rows)
        chunk = np.ascontiguousarray(x[a:b])
        if global_ids:
            index.add_with_ids(chunk, np.arange(a, b, dtype=np.int64))
        else:
            index.add(chunk)
    _fl.write_index(index, path)  # atomic: a failed write leaves no file
    return int(index.ntotal)


def _remove_files(paths):
    for p in paths:
        if os.path.exists(p):
            os.remove(p)


def _write_manifest(out_dir, manifest):
    tmp = os.path.join(out_dir, MANIFEST + ".tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1)
    os.replace(tmp, os.path.join(out_dir, MANIFEST))


def build_sharded(dataset: Any, factory_string: str, n_shards: int, out_dir: str, *,
                  metric: int = _fl.METRIC_L2, train_size: int = 100_000,
                  chunk_rows: int = 65_536, merge: bool = False, seed: int = 1234,
                  cpus_per_task: float = 1, column: Optional[str] = None,
                  address: Optional[str] = None) -> Dict[str, Any]:
    """Builds n_shards shard files of factory_string over dataset in out_dir (see the module
    docstring) and returns the manifest (also written to out_dir/manifest.json).

    train_size: rows sampled (without replacement, seeded) to train on, all rows if fewer.
    merge=True: also writes out_dir/merged.index, one IVF index holding every row under its
    row number (ValueError for a non-IVF factory string, before any work). column: the vector
    column of a Parquet dataset. address: a Ray cluster to connect to when Ray is not yet
    initialised (default: start a local instance). On any failure the shard files of this
    call are removed and the error re-raised."""
    if not isinstance(n_shards, (int, np.integer)) or n_shards < 1:
        raise ValueError(f"n_shards must be an integer >= 1, got {n_shards!r}")
    if chunk_rows < 1 or train_size < 1 or not cpus_per_task > 0:
        raise ValueError("chunk_rows and train_size must be >= 1, cpus_per_task > 0")
    x = open_dataset(dataset, column)
    n, d = x.shape
    if n_shards > n:
        raise ValueError(f"n_shards={n_shards} is more than the {n} rows of the dataset")
    index = _fl.index_factory(int(d), factory_string, metric)
    if merge and not isinstance(index, _fl.IndexIVF):
        raise ValueError(f"merge=True needs an IVF factory string, got {factory_string!r}")
    global_ids = _accepts_ids(index)
    ray = _connect(address)
    _check_task_cpus(ray, cpus_per_task)
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=min(n, train_size), replace=False))
    index.train(np.ascontiguousarray(x[rows]))
    t1 = time.perf_counter()
    os.makedirs(out_dir, exist_ok=True)
    trained_path = os.path.join(out_dir, "trained.index")
    _fl.write_index(index, trained_path)
    trained = ray.put(_fl.serialize_index(index))
    source = ray.put(x) if isinstance(dataset, np.ndarray) else os.fspath(dataset)
    cuts = [n * i // n_shards for i in range(n_shards + 1)]
    paths = [os.path.join(out_dir, f"shard_{i:05d}.index") for i in range(n_shards)]
    task = ray.remote(num_cpus=cpus_per_task)(_add_range)
    merged_path = os.path.join(out_dir, "merged.index") if merge else None
    try:
        refs = [task.remote(trained, source, column, cuts[i], cuts[i + 1], chunk_rows, paths[i],
                            max(1, int(cpus_per_task)), global_ids) for i in range(n_shards)]
        counts = ray.get(refs)
        t2 = time.perf_counter()
        if merge:
            merged = _fl.read_index(trained_path)
            for i, p in enumerate(paths):
                merged.merge_from(_fl.read_index(p, _fl.IO_FLAG_MMAP),
                                  0 if global_ids else cuts[i])
            _fl.write_index(merged, merged_path)
        manifest = {
            "factory": factory_string, "d": int(d), "metric": int(metric), "ntotal": int(n),
            "layout": "range", "ids": "global" if global_ids else "local",
            "trained": trained_path, "merged": merged_path,
            "shards": [{"path": p, "start": cuts[i], "stop": cuts[i + 1], "ntotal": counts[i]}
                       for i, p in enumerate(paths)],
            "seconds": {"train": t1 - t0, "add": t2 - t1, "merge": time.perf_counter() - t2},
        }
        _write_manifest(out_dir, manifest)
    except BaseException:
        # The finished tasks' files: nothing partial stays behind.
        _remove_files(paths + ([merged_path] if merged_path else []))
        raise
    return manifest


def _load_manifest(source):
    path = os.fspath(source)
    if os.path.isdir(path):
        path = os.path.join(path, MANIFEST)
    try:
        with open(path) as f:
            m = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not a valid manifest ({e})") from e
    for key in ("d", "metric", "shards"):
        if key not in m:
            raise ValueError(f"{path}: the manifest has no {key!r}")
    return m


def _balance(sizes, n_shards):
    """Lists to shards, largest first onto the least loaded shard (LPT): owner per list."""
    owner = np.empty(len(sizes), dtype=np.int64)
    load = np.zeros(n_shards, dtype=np.int64)
    for l in np.argsort(-np.asarray(sizes), kind="stable"):
        s = int(np.argmin(load))
        owner[l] = s
        load[s] += sizes[l]
    return owner


def _copy_lists(trained_path, sources, lists, path, threads):
    """One list shard: the trained index plus lists `lists` of every source (path, add_id)."""
    _fl.omp_set_num_threads(threads)
    index = _fl.read_index(trained_path)
    for p, add_id in sources:
        index.copy_lists_from(_fl.read_index(p, _fl.IO_FLAG_MMAP), lists, add_id)
    _fl.write_index(index, path)
    return int(index.ntotal)


def recut_by_list(manifest: Any, n_shards: int, out_dir: str, *, cpus_per_task: float = 1,
                  address: Optional[str] = None) -> Dict[str, Any]:
    """Re-cuts the IVF shards (or the merged index) of a build_sharded manifest into n_shards
    shards that each hold whole inverted lists, balanced by size (every shard keeps the
    coarse quantizer; ids are the rows' global ids). Writes out_dir/manifest.json with
    "layout": "list" and the owner of each list; returns it. One Ray task per new shard reads
    the source shards memory-mapped. ValueError for a non-IVF build."""
    src = _load_manifest(manifest)
    if not isinstance(n_shards, (int, np.integer)) or n_shards < 1:
        raise ValueError(f"n_shards must be an integer >= 1, got {n_shards!r}")
    trained = _fl.read_index(src["trained"])
    if not isinstance(trained, _fl.IndexIVF):
        raise ValueError(f"recut_by_list needs IVF shards; {src.get('factory')!r} cannot be "
                         "sharded by list")
    nlist = trained.nlist
    if n_shards > nlist:
        raise ValueError(f"n_shards={n_shards} is more than the nlist={nlist} lists")
    if src.get("layout", "range") != "range":
        raise ValueError("recut_by_list re-cuts a range-cut build")
    local = src.get("ids", "local") == "local"
    sources = [(s["path"], s["start"] if local else 0) for s in src["shards"]]
    sizes = np.zeros(nlist, dtype=np.int64)
    for p, _ in sources:
        idx = _fl.read_index(p, _fl.IO_FLAG_MMAP)
        idx.check_compatible_for_merge(trained)  # names a shard from another training
        sizes += [idx.get_list_size(l) for l in range(nlist)]
    owner = _balance(sizes, n_shards)
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, f"list_shard_{i:05d}.index") for i in range(n_shards)]
    ray = _connect(address)
    _check_task_cpus(ray, cpus_per_task)
    task = ray.remote(num_cpus=cpus_per_task)(_copy_lists)
    try:
        counts = ray.get([
            task.remote(src["trained"], sources, np.flatnonzero(owner == i), paths[i],
                        max(1, int(cpus_per_task))) for i in range(n_shards)])
        out = {key: src[key] for key in ("factory", "d", "metric", "ntotal", "trained")}
        out.update({"layout": "list", "ids": "global", "merged": None,
                    "owner": owner.tolist(),
                    "shards": [{"path": p, "ntotal": c} for p, c in zip(paths, counts)]})
        _write_manifest(out_dir, out)
    except BaseException:
        _remove_files(paths)
        raise
    return out


# ---------------------------------------------------------------------------------------------
# serving


def _params_to_wire(params):
    """SearchParameters as (class name, fields), picklable (selectors pickle themselves)."""
    if params is None:
        return None
    if not isinstance(params, _fl.SearchParameters):
        raise TypeError("params must be a faisslike.SearchParameters object")
    fields = {}
    for cls in type(params).__mro__:
        for name, attr in vars(cls).items():
            if isinstance(attr, property) and attr.fset is not None and name not in fields:
                value = getattr(params, name)
                if isinstance(value, _fl.SearchParameters):
                    value = ("params", _params_to_wire(value))
                fields[name] = value
    return type(params).__name__, fields


def _params_from_wire(wire, shift=0):
    """The parameters back, their selector seeing ids + shift (successive-id shards)."""
    if wire is None:
        return None
    name, fields = wire
    p = getattr(_fl, name)()
    for key, value in fields.items():
        if isinstance(value, tuple) and len(value) == 2 and value[0] == "params":
            value = _params_from_wire(value[1], shift)
        elif key == "sel" and value is not None and shift:
            value = _fl.IDSelectorShifted(value, shift)
        setattr(p, key, value)
    return p


class _Log:
    """A shard replica's write-ahead log: each mutation (sequence number, operation,
    arguments) appended and flushed before it is acknowledged, replayed when the actor
    restarts from its shard file. A torn last record (a crash mid-write) is dropped."""

    def __init__(self, path):
        self.path = path

    def records(self):
        if not os.path.exists(self.path):
            return
        with open(self.path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + 8 <= len(data):
            (size,) = struct.unpack_from("<Q", data, pos)
            if pos + 8 + size > len(data):
                break
            yield pickle.loads(data[pos + 8:pos + 8 + size])
            pos += 8 + size

    def append(self, record):
        blob = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        with open(self.path, "ab") as f:
            f.write(struct.pack("<Q", len(blob)) + blob)
            f.flush()
            os.fsync(f.fileno())


def _node_id():
    import ray

    return ray.get_runtime_context().get_node_id()


class _ShardActor:
    """One replica of one shard: the shard file (memory-mapped) plus its log replayed."""

    def __init__(self, path, log_path, threads, mmap):
        _fl.omp_set_num_threads(threads)  # its Ray CPU share
        self.path = path
        self.index = _fl.read_index(path, _fl.IO_FLAG_MMAP if mmap else 0)
        self.log = _Log(log_path)
        self.applied = 0
        self.searches = 0
        self.replies = {}
        for seq, op, args in self.log.records():
            self.replies[seq] = getattr(self, "_" + op)(*args)
            self.applied = seq

    def info(self):
        ix = self.index
        return {"d": ix.d, "metric": ix.metric_type, "ntotal": ix.ntotal,
                "type": type(ix).__name__, "ivf": isinstance(ix, _fl.IndexIVF),
                "nlist": getattr(ix, "nlist", None), "pid": os.getpid(),
                "threads": _fl.omp_get_max_threads(), "applied": self.applied,
                "searches": self.searches, "node": _node_id()}

    def search(self, x, k, wire, shift):
        self.searches += 1
        return self.index.search(x, k, params=_params_from_wire(wire, shift))

    def search_preassigned(self, x, k, assign, coarse, wire):
        self.searches += 1
        return self.index.search_preassigned(x, k, assign, coarse,
                                             params=_params_from_wire(wire))

    def range_search(self, x, radius, wire, shift):
        self.searches += 1
        return self.index.range_search(x, radius, params=_params_from_wire(wire, shift))

    def mutate(self, seq, op, args):
        """Applies mutation seq once: a retry after a restart returns the logged reply."""
        if seq <= self.applied:
            return self.replies.get(seq)
        reply = getattr(self, "_" + op)(*args)
        self.log.append((seq, op, args))
        self.applied = seq
        self.replies = {seq: reply}
        return reply

    def _add(self, x):
        self.index.add(x)
        return int(self.index.ntotal)

    def _add_with_ids(self, x, ids):
        self.index.add_with_ids(x, ids)
        return int(self.index.ntotal)

    def _add_preassigned(self, x, ids, lists):
        self.index.add_preassigned(x, lists, ids)
        return int(self.index.ntotal)

    def _remove_ids(self, sel):
        return int(self.index.remove_ids(sel))

    def save(self, path):
        _fl.write_index(self.index, path)
        return path


class ShardUnavailableError(RuntimeError):
    """Every actor of a shard is dead for good (Ray's restarts used up, or killed)."""


def _dead_for_good(actor):
    """Whether Ray reports the actor DEAD (not restarting). Unknown: False (the caller waits
    for its deadline instead)."""
    try:
        from ray._private import state

        return state.actors(actor._actor_id.hex())["State"] == "DEAD"
    except Exception:
        return False


def _is_actor_failure(e):
    import ray.exceptions as rex

    kinds = tuple(getattr(rex, n) for n in ("RayActorError", "ActorDiedError",
                                             "ActorUnavailableError") if hasattr(rex, n))
    return isinstance(e, kinds)


class ShardedIndex:
    """Shards served by Ray actors behind the Index API (see the module docstring).

    ShardedIndex.open(manifest_or_dir, replicas=1, cpus_per_actor=1, max_restarts=3,
    timeout=60.0, address=None, mmap=True, log_dir=None, spread=False) opens a
    build_sharded / recut_by_list output. The shard files must be readable at the same paths
    on every node (a shared file system); spread=True places the actors on as many nodes as
    possible. log_dir: where the write-ahead logs go (default: beside the shard files).

    - layout "range": every query goes to every shard; "list" (recut_by_list): one coarse
      quantizer on the driver assigns each query its nprobe lists and only the shards owning
      one of them are asked (``routed``: queries sent per shard, counted).
    - Each actor reserves cpus_per_actor Ray CPUs (a fraction to put several shards on one
      CPU) and caps its OpenMP threads to them (at least one).
    - Faults: an actor that dies is restarted by Ray (max_restarts) from its shard file and
      its write-ahead log (mutations are logged before they are acknowledged and applied once
      even when retried). A call waits for a restarting shard at most ``timeout`` seconds,
      then raises TimeoutError naming it (ShardUnavailableError, a RuntimeError, at once
      when Ray reports all its actors dead for good); search(..., partial=True) instead
      returns (D, I, missing) with the shards that did not answer listed (their results
      absent).
    - replicas > 1: each shard is served by that many actors; searches go round-robin, writes
      to every replica.
    """

    def __init__(self, manifest, *, replicas=1, cpus_per_actor=1, max_restarts=3,
                 timeout=60.0, address=None, mmap=True, log_dir=None, spread=False):
        if replicas < 1 or not cpus_per_actor > 0 or max_restarts < 0:
            raise ValueError("replicas must be >= 1, cpus_per_actor > 0, max_restarts >= 0")
        if not timeout or timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        m = manifest if isinstance(manifest, dict) else _load_manifest(manifest)
        self.manifest = m
        self.d = int(m["d"])
        self.metric_type = int(m["metric"])
        self.layout = m.get("layout", "range")
        self.successive_ids = m.get("ids", "local") == "local"
        self.timeout = float(timeout)
        self._seq = 0
        self._turn = [0] * len(m["shards"])
        paths = [s["path"] for s in m["shards"]]
        for i, p in enumerate(paths):
            if not os.path.isfile(p):
                raise FileNotFoundError(f"shard {i}: {p} does not exist")
        ray = _connect(address)
        self._ray = ray
        need = len(paths) * replicas * cpus_per_actor
        free = _free_cpus(ray, need)
        if need > free + 1e-9:  # actors hold their CPUs: the last ones would never start
            raise ValueError(f"{len(paths)} shards x {replicas} replicas x {cpus_per_actor} "
                             f"CPUs need {need} CPUs, {free} of the Ray cluster's "
                             f"{ray.cluster_resources().get('CPU', 0)} are free: lower "
                             "cpus_per_actor (fractions are allowed), close other indexes or "
                             "add nodes")
        threads = max(1, int(cpus_per_actor))
        log_dir = log_dir or os.path.dirname(os.path.abspath(paths[0]))
        cls = ray.remote(num_cpus=cpus_per_actor, max_restarts=max_restarts, max_task_retries=0,
                         scheduling_strategy="SPREAD" if spread else "DEFAULT")(_ShardActor)
        self._actors = [[cls.remote(p, os.path.join(log_dir, f"{os.path.basename(p)}.r{r}.log"),
                                    threads, mmap) for r in range(replicas)]
                        for p in paths]
        try:
            infos = [self._call(i, "info", replica=r)
                     for i in range(len(paths)) for r in range(replicas)]
            for j, info in enumerate(infos):
                i = j // replicas
                if info["d"] != self.d or info["metric"] != self.metric_type:
                    raise ValueError(
                        f"shard {i} ({paths[i]}): d={info['d']}, metric={info['metric']} "
                        f"differ from the manifest's d={self.d}, metric={self.metric_type}")
            self._ntotal = [infos[i * replicas]["ntotal"] for i in range(len(paths))]
            # Logged mutations of an earlier session were replayed: number on after them.
            self._seq = max(info["applied"] for info in infos)
            if self.layout == "list":
                self._open_list_layout(m, infos)
            self._next_id = sum(self._ntotal)
        except BaseException:
            self.close()
            raise
        self.routed = np.zeros(len(paths), dtype=np.int64)
        # IVF shards: the nprobe of calls without one (None: each shard file's own).
        self.nprobe = getattr(self, "nprobe", None)

    @classmethod
    def open(cls, manifest: Any, **kwargs: Any) -> "ShardedIndex":
        return cls(manifest, **kwargs)

    def _open_list_layout(self, m, infos):
        if not all(info["ivf"] for info in infos):
            raise ValueError("layout 'list' needs IVF shards")
        trained = _fl.read_index(m["trained"])
        self._trained = trained  # keeps the quantizer alive
        self.quantizer = trained.quantizer
        self.nprobe = trained.nprobe
        self.owner = np.asarray(m["owner"], dtype=np.int64)
        if len(self.owner) != trained.nlist or any(i["nlist"] != trained.nlist for i in infos):
            raise ValueError(f"the list owners ({len(self.owner)}) and the shards' nlist "
                             f"differ from the trained index's nlist={trained.nlist}")
        if self.owner.min() < 0 or self.owner.max() >= len(m["shards"]):
            raise ValueError("a list owner names no shard")

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def nshards(self):
        return len(self._actors)

    @property
    def ntotal(self):
        return int(sum(self._ntotal))

    def _deadline(self):
        return time.monotonic() + self.timeout

    def _wait(self, ref, shard, deadline):
        """ray.get within the deadline: TimeoutError naming the shard when it passes."""
        import ray.exceptions as rex

        left = deadline - time.monotonic()
        try:
            return self._ray.get(ref, timeout=max(left, 0.001))
        except rex.GetTimeoutError:
            raise TimeoutError(f"shard {shard} did not answer within {self.timeout} s "
                               "(restarting, or its node is gone)") from None

    def _call(self, shard, method, *args, replica=None, deadline=None):
        """One call on one shard, retried on another replica (or the restarted actor) when
        the actor dies, until the deadline."""
        deadline = deadline or self._deadline()
        reps = self._actors[shard]
        r = replica if replica is not None else self._next_replica(shard)
        while True:
            ref = getattr(reps[r], method).remote(*args)
            try:
                return self._wait(ref, shard, deadline)
            except Exception as e:
                if not _is_actor_failure(e):
                    raise
                if method == "info" and "__init__" in str(e):
                    raise OSError(f"shard {shard} ({self.manifest['shards'][shard]['path']}) "
                                  f"could not be opened: {e}") from e
                if _dead_for_good(reps[r]):
                    alive = [j for j in range(len(reps)) if not _dead_for_good(reps[j])]
                    if replica is not None or not alive:
                        raise ShardUnavailableError(
                            f"shard {shard} is down: its actor{'s' if len(reps) > 1 else ''} "
                            "died and will not restart (max_restarts used up or killed)"
                        ) from e
                    r = alive[0]
                    continue
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"shard {shard} failed and did not come back within "
                                       f"{self.timeout} s: {e}") from e
                time.sleep(0.05)
                if replica is None:
                    r = (r + 1) % len(reps)

    def _next_replica(self, shard):
        self._turn[shard] += 1
        return int(self._turn[shard] % len(self._actors[shard]))

    def _fan_out(self, calls, partial):
        """calls: {shard: (method, args)}; every call is sent before any is awaited. Returns
        ({shard: result}, missing shards)."""
        deadline = self._deadline()
        refs = {}
        for s, (method, args) in calls.items():
            refs[s] = getattr(self._actors[s][self._next_replica(s)], method).remote(*args)
        out, missing = {}, []
        for s, ref in refs.items():
            try:
                out[s] = self._wait(ref, s, deadline)
            except Exception as e:
                if not (_is_actor_failure(e) or isinstance(e, TimeoutError)):
                    raise
                try:  # died mid-call: once more, waiting for the restart
                    method, args = calls[s]
                    out[s] = self._call(s, method, *args, deadline=deadline)
                except (TimeoutError, ShardUnavailableError) as e2:
                    if not partial:
                        raise
                    missing.append(s)
        return out, missing

    def _mutate(self, shard, op, *args):
        """A mutation on every replica of shard, each applied once (sequence number)."""
        self._seq += 1
        deadline = self._deadline()
        replies = [self._call(shard, "mutate", self._seq, op, args, replica=r, deadline=deadline)
                   for r in range(len(self._actors[shard]))]
        if op != "remove_ids":  # the others reply with the shard's new ntotal
            self._ntotal[shard] = replies[0]
        return replies[0]

    def _offsets(self):
        return np.concatenate([[0], np.cumsum(self._ntotal)[:-1]]).astype(np.int64)

    @staticmethod
    def _queries(x, d):
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != d:
            raise ValueError(f"x must be a 2-D array of shape (n, d={d}), got {x.shape}")
        return x

    def _check_k(self, k):
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")

    # -- Index API -------------------------------------------------------------------------

    def search(self, x: Any, k: int, *, params: Any = None,
               partial: bool = False) -> Tuple[Any, Any]:
        """(D, I) of shape (n, k), as one index over all shards; with partial=True
        (D, I, missing): shards that did not answer within the timeout are left out."""
        x = self._queries(x, self.d)
        self._check_k(k)
        params, wire = self._call_params(params)
        n = x.shape[0]
        keep_max = self.metric_type == _fl.METRIC_INNER_PRODUCT
        if self.layout == "list":
            calls, rows = self._route(x, k, params, wire)
        else:
            offs = self._offsets()
            calls = {s: ("search", (x, k, wire, int(offs[s]) if self.successive_ids else 0))
                     for s in range(self.nshards)}
            rows = None
        got, missing = self._fan_out(calls, partial)
        Dall = np.full((self.nshards, n, k), np.inf, dtype=np.float32)
        if keep_max:
            Dall[:] = -np.inf
        Iall = np.full((self.nshards, n, k), -1, dtype=np.int64)
        for s, (Ds, Is) in got.items():
            where = slice(None) if rows is None else rows[s]
            Dall[s, where], Iall[s, where] = Ds, Is
        offsets = self._offsets() if (self.successive_ids and self.layout == "range") else None
        D, I = _fl.merge_knn_results(Dall, Iall, keep_max, offsets)
        return (D, I, sorted(missing)) if partial else (D, I)

    def _call_params(self, params):
        """A call's parameters (with self.nprobe where it applies) and their wire form
        (TypeError for anything but SearchParameters)."""
        if params is not None and not isinstance(params, _fl.SearchParameters):
            raise TypeError("params must be a faisslike.SearchParameters object")
        if self.layout == "list" or self.nprobe is not None:
            params = self._with_nprobe(params)
        return params, _params_to_wire(params)

    def _with_nprobe(self, params):
        """params carrying self.nprobe when set and the call names none (IVF shards)."""
        if self.nprobe is None or isinstance(params, _fl.SearchParametersIVF):
            return params
        if params is not None and type(params) is not _fl.SearchParameters:
            return params  # another family's parameters: the shards refuse or ignore them
        p = _fl.SearchParametersIVF(nprobe=int(self.nprobe))
        if params is not None:
            p.sel = params.sel
        return p

    def _route(self, x, k, params, wire):
        nprobe = getattr(params, "nprobe", 0) or self.nprobe or 1
        nprobe = min(int(nprobe), len(self.owner))
        Dq, Iq = self.quantizer.search(x, nprobe)
        owners = np.where(Iq >= 0, self.owner[np.maximum(Iq, 0)], -1)
        calls, rows = {}, {}
        for s in range(self.nshards):
            mine = owners == s
            q = np.flatnonzero(mine.any(axis=1))
            if len(q) == 0:
                continue
            assign = np.where(mine[q], Iq[q], -1)
            rows[s] = q
            self.routed[s] += len(q)
            calls[s] = ("search_preassigned", (np.ascontiguousarray(x[q]), k, assign,
                                               np.ascontiguousarray(Dq[q]), wire))
        return calls, rows

    def range_search(self, x, radius, *, params=None):
        """(lims, D, I) as one index over all shards (every shard asked: in the list layout
        a shard's own probe finds exactly its lists' part)."""
        x = self._queries(x, self.d)
        _, wire = self._call_params(params)
        offs = self._offsets()
        shifted = self.successive_ids and self.layout == "range"
        calls = {s: ("range_search", (x, float(radius), wire, int(offs[s]) if shifted else 0))
                 for s in range(self.nshards)}
        got, _ = self._fan_out(calls, False)
        n = x.shape[0]
        per_query_D = [[] for _ in range(n)]
        per_query_I = [[] for _ in range(n)]
        for s in range(self.nshards):
            lims, Ds, Is = got[s]
            if shifted:
                Is = Is + offs[s]
            for i in range(n):
                per_query_D[i].append(Ds[lims[i]:lims[i + 1]])
                per_query_I[i].append(Is[lims[i]:lims[i + 1]])
        lims = np.zeros(n + 1, dtype=np.int64)
        Dout, Iout = [], []
        for i in range(n):
            d_i = np.concatenate(per_query_D[i])
            i_i = np.concatenate(per_query_I[i])
            order = np.argsort(-d_i if self.metric_type == _fl.METRIC_INNER_PRODUCT else d_i,
                               kind="stable")
            Dout.append(d_i[order])
            Iout.append(i_i[order])
            lims[i + 1] = lims[i] + len(order)
        return (lims, np.concatenate(Dout).astype(np.float32),
                np.concatenate(Iout).astype(np.int64))

    def add(self, x):
        """Adds x under ids ntotal, ntotal + 1, ... (successive ids: to the last shard;
        otherwise as add_with_ids)."""
        x = self._queries(x, self.d)
        if self.successive_ids:
            self._mutate(self.nshards - 1, "add", x)
        else:
            self.add_with_ids(x, np.arange(self._next_id, self._next_id + len(x)))

    def add_with_ids(self, x: Any, ids: Any) -> None:
        """Shards with their own ids: range layout, all to the shard holding the fewest
        vectors; list layout, each vector to the owner of its list."""
        x = self._queries(x, self.d)
        if self.successive_ids:
            raise ValueError("add_with_ids: these shards number their vectors by position "
                             "(successive ids); build with an IVF or IDMap factory string")
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if ids.shape != (len(x),):
            raise ValueError(f"ids must be a 1-D array of {len(x)} ids, got {ids.shape}")
        if self.layout == "list":
            lists = self.quantizer.assign(x, 1).ravel() if hasattr(self.quantizer, "assign") \
                else self.quantizer.search(x, 1)[1].ravel()
            for s in np.unique(self.owner[lists]):
                sel = self.owner[lists] == s
                self._mutate(int(s), "add_preassigned", np.ascontiguousarray(x[sel]),
                             ids[sel], lists[sel])
        else:
            self._mutate(int(np.argmin(self._ntotal)), "add_with_ids", x, ids)
        if len(ids):
            self._next_id = max(self._next_id, int(ids.max()) + 1)

    def remove_ids(self, sel: Any) -> int:
        """Removes the selected ids from every shard (IDSelector, or an array of ids);
        returns how many were removed."""
        if self.successive_ids:
            raise ValueError("remove_ids: these shards number their vectors by position "
                             "(successive ids), which removal would shift; build with an IVF "
                             "or IDMap factory string")
        if not isinstance(sel, _fl.IDSelector):
            sel = _fl.IDSelectorBatch(np.asarray(sel, dtype=np.int64))
        removed = 0
        for s in range(self.nshards):
            removed += self._mutate(s, "remove_ids", sel)
            self._ntotal[s] = self._call(s, "info", replica=0)["ntotal"]
        return removed

    def save(self, out_dir):
        """Writes the shards as they are now (adds and removals included) and a manifest to
        out_dir (a new directory): a snapshot to reopen."""
        os.makedirs(out_dir, exist_ok=True)
        m = dict(self.manifest)
        shards = []
        for s, info in enumerate(m["shards"]):
            p = os.path.join(out_dir, os.path.basename(info["path"]))
            self._call(s, "save", p, replica=0)
            shards.append({**info, "path": p, "ntotal": self._ntotal[s]})
        m["shards"] = shards
        if m.get("trained"):
            p = os.path.join(out_dir, os.path.basename(m["trained"]))
            if os.path.abspath(p) != os.path.abspath(m["trained"]):
                _fl.write_index(_fl.read_index(m["trained"]), p)
            m["trained"] = p
        m["merged"] = None
        m["ntotal"] = self.ntotal
        _write_manifest(out_dir, m)
        return m

    def shard_info(self):
        """Each replica's info (d, metric, ntotal, type, pid, OpenMP threads, ...)."""
        return [[self._call(s, "info", replica=r) for r in range(len(reps))]
                for s, reps in enumerate(self._actors)]

    def close(self) -> None:
        """Stops the actors (their logs stay: reopening replays them)."""
        for reps in getattr(self, "_actors", []):
            for a in reps:
                self._ray.kill(a, no_restart=True)
        self._actors = []

    def __enter__(self) -> "ShardedIndex":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
