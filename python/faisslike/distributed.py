"""Sharded builds on Ray (optional dependency: ``pip install ray``).

``build_sharded(dataset, factory_string, n_shards, out_dir)`` trains one index on a sample, on
the driver; ships the trained, empty index (serialized, once, through Ray's object store) to
one Ray task per shard, each adding a contiguous range of the dataset in bounded chunks and
writing it as a shard file; and, for IVF types with ``merge=True``, merges the shards into one
index (``IndexIVF.merge_from``: the same codes as a single-process build from the same
trained index). Shard i holds rows [start_i, stop_i) of the dataset under local ids
0 .. stop_i - start_i - 1; ``manifest.json`` in out_dir lists them.

Datasets: a float32 ``.npy`` or ``.fvecs`` path (each task memory-maps the file and reads its
range chunk by chunk, so a task holds at most ``chunk_rows`` rows beside its index), or a 2-D
numpy array (put once into the object store).

Not here yet: ``ShardedIndex`` (actors serving the shards), Parquet input, list-routed IVF
shards.
"""
import json
import os

import numpy as np

import faisslike as _fl
from .contrib.vecs_io import fvecs_mmap

__all__ = ["build_sharded", "open_dataset"]


def open_dataset(dataset):
    """The (n, d) float32 rows of a .npy / .fvecs path (memory-mapped) or of an array."""
    if isinstance(dataset, np.ndarray):
        x = dataset
    else:
        path = os.fspath(dataset)
        if path.endswith(".npy"):
            x = np.load(path, mmap_mode="r")
        elif path.endswith(".fvecs"):
            x = fvecs_mmap(path)
        else:
            raise ValueError(f"{path}: unsupported dataset file (use .npy or .fvecs)")
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"the dataset must be a non-empty 2-D array, got shape {x.shape}")
    if x.dtype != np.float32:
        raise TypeError(f"the dataset must hold float32 values, got {x.dtype}")
    return x


def _add_range(trained, dataset, start, stop, chunk_rows, path, threads):
    """One shard: the trained index plus rows [start, stop), written to path. Runs in a task."""
    _fl.omp_set_num_threads(threads)  # its Ray CPU share: no oversubscription
    x = open_dataset(dataset)
    index = _fl.deserialize_index(np.asarray(trained))
    for a in range(start, stop, chunk_rows):
        index.add(np.ascontiguousarray(x[a:min(stop, a + chunk_rows)]))
    _fl.write_index(index, path)  # atomic: a failed write leaves no file
    return int(index.ntotal)


def build_sharded(dataset, factory_string, n_shards, out_dir, *, metric=_fl.METRIC_L2,
                  train_size=100_000, chunk_rows=65_536, merge=False, seed=1234,
                  cpus_per_task=1):
    """Builds n_shards shard files of factory_string over dataset in out_dir (see the module
    docstring) and returns the manifest (also written to out_dir/manifest.json).

    train_size: rows sampled (without replacement, seeded) to train on, all rows if fewer.
    merge=True: also writes out_dir/merged.index, one IVF index holding every row under its
    row number (ValueError for a non-IVF factory string, before any work). Starts a local
    Ray instance if none is connected (ray.init(address=...) first for a cluster). On any
    failure the shard files of this call are removed and the error re-raised."""
    import ray

    if not isinstance(n_shards, (int, np.integer)) or n_shards < 1:
        raise ValueError(f"n_shards must be an integer >= 1, got {n_shards!r}")
    if chunk_rows < 1 or cpus_per_task < 1 or train_size < 1:
        raise ValueError("chunk_rows, cpus_per_task and train_size must be >= 1")
    x = open_dataset(dataset)
    n, d = x.shape
    if n_shards > n:
        raise ValueError(f"n_shards={n_shards} is more than the {n} rows of the dataset")
    index = _fl.index_factory(int(d), factory_string, metric)
    if merge and not isinstance(index, _fl.IndexIVF):
        raise ValueError(f"merge=True needs an IVF factory string, got {factory_string!r}")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=min(n, train_size), replace=False))
    index.train(np.ascontiguousarray(x[rows]))
    os.makedirs(out_dir, exist_ok=True)
    trained_path = os.path.join(out_dir, "trained.index")
    _fl.write_index(index, trained_path)
    if not ray.is_initialized():
        ray.init()
    trained = ray.put(_fl.serialize_index(index))
    source = ray.put(x) if isinstance(dataset, np.ndarray) else os.fspath(dataset)
    cuts = [n * i // n_shards for i in range(n_shards + 1)]
    paths = [os.path.join(out_dir, f"shard_{i:05d}.index") for i in range(n_shards)]
    task = ray.remote(num_cpus=cpus_per_task)(_add_range)
    try:
        refs = [task.remote(trained, source, cuts[i], cuts[i + 1], chunk_rows, paths[i],
                            cpus_per_task) for i in range(n_shards)]
        counts = ray.get(refs)
        merged_path = None
        if merge:
            merged = _fl.read_index(trained_path)
            for i, p in enumerate(paths):
                merged.merge_from(_fl.read_index(p, _fl.IO_FLAG_MMAP), cuts[i])
            merged_path = os.path.join(out_dir, "merged.index")
            _fl.write_index(merged, merged_path)
    except BaseException:
        for p in paths:  # the finished tasks' files: nothing partial stays behind
            if os.path.exists(p):
                os.remove(p)
        raise
    manifest = {
        "factory": factory_string, "d": int(d), "metric": int(metric), "ntotal": int(n),
        "trained": trained_path, "merged": merged_path,
        "shards": [{"path": p, "start": cuts[i], "stop": cuts[i + 1], "ntotal": counts[i]}
                   for i, p in enumerate(paths)],
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest
