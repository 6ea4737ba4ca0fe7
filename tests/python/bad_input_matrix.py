"""The Python bad-input matrix: every index type x every entry point x bad arguments.

Run by test_bad_input_matrix.py. Each case runs in a worker process that reports one line
per case ("case <i> <outcome> <detail>"); a worker that dies (a crash) is counted against the
case it was running and a new worker continues with the next case, so a crash is a number in
the report, not the end of the run.

Outcomes: "raised:<Class>" (the exception class), "ok" (accepted and the result checked
correct), "wrong:<why>" (accepted but the result is wrong). Each case names the classes it
accepts; "ok" is only allowed where the input is valid (converted dtypes, k > ntotal, ...).
"""
import json
import os
import subprocess
import sys

import numpy as np

D = 8
N = 300
HUGE_ROWS = 10**10  # np.broadcast_to of one row: converting it needs 320 GB


def types():
    import faisslike as faiss

    def shards():
        sh = faiss.IndexShards(D, True)
        for _ in range(2):
            sh.add_shard(faiss.IndexFlatL2(D))
        return sh

    return {
        "Flat": lambda: faiss.IndexFlatL2(D),
        "FlatIP": lambda: faiss.IndexFlatIP(D),
        "IVFFlat": lambda: faiss.index_factory(D, "IVF8,Flat"),
        "IVFPQ": lambda: faiss.index_factory(D, "IVF8,PQ4x4"),
        "IVFSQ8": lambda: faiss.index_factory(D, "IVF8,SQ8"),
        "PQ": lambda: faiss.index_factory(D, "PQ4x4"),
        "SQ8": lambda: faiss.index_factory(D, "SQ8"),
        "SQfp16": lambda: faiss.index_factory(D, "SQfp16"),
        "HNSW": lambda: faiss.IndexHNSWFlat(D, 8),
        "IDMap": lambda: faiss.index_factory(D, "IDMap,Flat"),
        "IDMap2": lambda: faiss.index_factory(D, "IDMap2,Flat"),
        "IDMap2-L2norm-IVF": lambda: faiss.index_factory(D, "IDMap2,L2norm,IVF8,Flat"),
        "IDMap2-HNSW": lambda: faiss.index_factory(D, "IDMap2,HNSW8"),
        "Refine": lambda: faiss.index_factory(D, "PQ4x4,RFlat"),
        "Shards": shards,
    }


def data():
    rng = np.random.default_rng(7)
    return rng.standard_normal((N, D)).astype("float32")


def filled(name):
    import faisslike as faiss

    index = types()[name]()
    x = data()
    index.train(x)
    if name.startswith("IDMap"):
        index.add_with_ids(x, np.arange(N) * 2)
    else:
        index.add(x)
    return index


def bad_arrays():
    """(label, value, accepted_classes or 'ok'); 'ok' = valid input, converted."""
    x = data()
    row = x[:1]
    nan = x[:4].copy()
    nan[1, 2] = np.nan
    inf = x[:4].copy()
    inf[3, 0] = -np.inf
    return [
        ("none", None, ("TypeError",)),
        ("string", "abc", ("TypeError",)),
        ("object", np.array([[object()] * D]), ("TypeError",)),
        ("bool", np.ones((3, D), bool), ("TypeError",)),
        ("complex", np.ones((3, D), complex), ("TypeError",)),
        ("1d", x[0], ("ValueError",)),
        ("3d", x[:4].reshape(2, 2, D), ("ValueError",)),
        ("wrong_d", x[:, :D - 1], ("ValueError",)),
        ("ragged", [[1.0] * D, [1.0] * (D - 1)], ("ValueError",)),
        ("nan", nan, ("RuntimeError",)),
        ("inf", inf, ("RuntimeError",)),
        ("broadcast_huge", np.broadcast_to(row, (HUGE_ROWS, D)), ("MemoryError",)),
        ("broadcast_huge_f64", np.broadcast_to(row.astype("float64"), (HUGE_ROWS, D)),
         ("MemoryError",)),
        ("float64", x[:5].astype("float64"), "ok"),
        ("int32", (x[:5] * 10).astype("int32"), "ok"),
        ("fortran", np.asfortranarray(x[:5]), "ok"),
        ("strided", x[:10:2], "ok"),
        ("list", x[:3].tolist(), "ok"),
        ("empty", np.zeros((0, D), "float32"), "ok"),
    ]


def cases():
    """Deterministic list of (type, entry, label, expected)."""
    out = []
    for t in types():
        for label, _, exp in bad_arrays():
            for entry in ("search", "add", "train", "add_with_ids", "range_search",
                          "remove_ids_array"):
                out.append((t, entry, label, exp))
        for k in ("0", "-1", "1.5", "'3'", "None", "True", "2**63", "2**62", "np.int64(3)",
                  "ntotal+5"):
            out.append((t, "search_k", k, None))
        for p in ("foreign_hnsw", "foreign_ivf", "foreign_refine", "nprobe_huge", "sel_not_selector",
                  "sel_range", "not_params"):
            out.append((t, "params", p, None))
        for r in ("nan", "-1", "inf", "'a'"):  # noqa: B007
            out.append((t, "radius", r, None))
        for key in ("-1", "ntotal", "2**62", "'a'", "1.5"):
            out.append((t, "reconstruct", key, None))
        for rng in ("(-1, 2)", "(0, ntotal+1)", "(ntotal, 1)", "(5, -1)", "(0, 2**62)"):
            out.append((t, "reconstruct_n", rng, None))
        for ids in ("short", "float", "negative", "2d", "huge"):
            out.append((t, "ids", ids, None))
    return out


def _class(e):
    return type(e).__name__


def run_case(case, cache):
    import faisslike as faiss

    t, entry, label, exp = case
    if t not in cache:
        cache[t] = faiss.serialize_index(filled(t))
    index = faiss.deserialize_index(cache[t])
    x = data()
    ref = faiss.deserialize_index(cache[t])
    ip = index.metric_type == faiss.METRIC_INNER_PRODUCT
    accepts_ids = t.startswith("IDMap") or t.startswith("IVF")
    exp_ok = exp == "ok"
    values = {lbl: v for lbl, v, _ in bad_arrays()} if exp is not None else {}

    def expect(allowed, f, check=None):
        try:
            r = f()
        except Exception as e:  # noqa: BLE001 - the class is the outcome
            c = _class(e)
            return f"raised:{c}" if c in allowed else f"unexpected:{c}:{str(e)[:80]}"
        if "ok" not in allowed:
            return "wrong:accepted"
        if check is not None:
            why = check(r)
            if why:
                return f"wrong:{why}"
        return "ok"

    if exp is not None:
        arr = values[label]
        conv = None
        if exp_ok:
            conv = np.ascontiguousarray(np.asarray(arr, dtype="float32"))
        allowed = ("ok",) if exp_ok else exp
        if entry == "search":
            def check(r):
                D, I = r
                D2, I2 = ref.search(conv, 5)
                return None if (np.array_equal(I, I2) and np.allclose(D, D2)) else "differs"
            return expect(allowed, lambda: index.search(arr, 5), check)
        if entry == "add":
            if accepts_ids and t.startswith("IDMap"):
                # IDMap takes no add(): a RuntimeError whatever the array, unless the array
                # is refused first.
                allowed = ("RuntimeError",) + (() if exp_ok else tuple(exp))
                return expect(allowed, lambda: index.add(arr))
            n0 = index.ntotal
            return expect(allowed, lambda: index.add(arr),
                          lambda r: None if index.ntotal == n0 + len(conv) else "ntotal")
        if entry == "train":
            if exp_ok and len(conv) == 0 and not index.is_trained:
                allowed = ("RuntimeError", "ok")
            # Training a filled index that stores codes is refused (reset first).
            allowed = tuple(allowed) + ("RuntimeError",) if exp_ok else allowed
            return expect(allowed, lambda: index.train(arr))
        if entry == "add_with_ids":
            rows = arr.shape[0] if isinstance(arr, np.ndarray) and arr.ndim >= 1 else 3
            n = len(conv) if exp_ok else rows
            ids = (np.arange(10**6, 10**6 + n) if n < 10**6
                   else np.broadcast_to(np.int64(10**6), (n,)))
            if not accepts_ids:
                allowed = ("RuntimeError",) + (() if exp_ok else tuple(exp))
            return expect(allowed, lambda: index.add_with_ids(arr, ids))
        if entry == "range_search":
            def check(r):
                lims, Dr, Ir = r
                l2, D2, I2 = ref.range_search(conv, 1e9 if not ip else -1e9)
                return None if np.array_equal(lims, l2) else "differs"
            allowed = tuple(allowed) + ("RuntimeError",)  # types without range search
            return expect(allowed, lambda: index.range_search(arr, 1e9 if not ip else -1e9),
                          check)
        if entry == "remove_ids_array":
            # Arrays of vectors are not id lists: float -> TypeError, 2-D -> ValueError.
            allowed = ("TypeError", "ValueError", "RuntimeError", "MemoryError", "ok")
            return expect(allowed, lambda: index.remove_ids(arr))
    q = x[:3]
    nt = index.ntotal
    if entry == "search_k":
        k = eval(label, {"np": np, "ntotal": nt})
        if label in ("np.int64(3)", "ntotal+5"):
            def check(r):
                D, I = r
                if I.shape != (3, int(k)):
                    return "shape"
                D2, I2 = ref.search(q, int(k))
                if not np.array_equal(I, I2):
                    return "differs"
                if label == "ntotal+5" and not (I[:, nt:] == -1).all():
                    return "no -1 padding"
                return None
            return expect(("ok",), lambda: index.search(q, k), check)
        allowed = {"0": ("ValueError",), "-1": ("ValueError",), "1.5": ("TypeError",),
                   "'3'": ("TypeError",), "None": ("TypeError",), "True": ("TypeError",),
                   "2**63": ("ValueError", "OverflowError"), "2**62": ("ValueError", "MemoryError")}
        return expect(allowed[label], lambda: index.search(q, k))
    if entry == "params":
        p = {
            "foreign_hnsw": lambda: faiss.SearchParametersHNSW(efSearch=16),
            "foreign_ivf": lambda: faiss.SearchParametersIVF(nprobe=4),
            "foreign_refine": lambda: faiss.SearchParametersRefine(k_factor=2),
            "nprobe_huge": lambda: faiss.SearchParametersIVF(nprobe=2**40),
            "sel_not_selector": lambda: "not a selector",
            "sel_range": lambda: faiss.SearchParameters(sel=faiss.IDSelectorRange(0, 50)),
            "not_params": lambda: {"nprobe": 4},
        }[label]
        # Wrappers pass parameters through to what they wrap.
        own = {"foreign_hnsw": "HNSW" in t,
               "foreign_ivf": "IVF" in t,
               "foreign_refine": t == "Refine"}
        if label == "sel_not_selector":
            return expect(("TypeError",), lambda: faiss.SearchParameters(sel=p()))
        if label == "not_params":
            return expect(("TypeError",), lambda: index.search(q, 3, params=p()))
        if label == "sel_range":
            def check(r):
                D, I = r
                ok = (I == -1) | ((I >= 0) & (I < 50))
                return None if ok.all() else "label outside the selector"
            return expect(("ok",), lambda: index.search(q, 10, params=p()), check)
        if own.get(label):
            def check(r):
                return None
            return expect(("ok",), lambda: index.search(q, 3, params=p()), check)
        return expect(("ValueError",), lambda: index.search(q, 3, params=p()))
    if entry == "radius":
        r = eval(label, {"nan": float("nan"), "inf": float("inf")})
        if label == "'a'":
            return expect(("TypeError",), lambda: index.range_search(q, r))
        if label == "-1" and ip:
            return expect(("ok", "RuntimeError"), lambda: index.range_search(q, r))
        return expect(("ValueError",), lambda: index.range_search(q, r))
    if entry == "reconstruct":
        # "ntotal": one past the last position; under an IDMap (ids 0, 2, 4, ...) an odd id.
        key = eval(label, {"ntotal": nt if not t.startswith("IDMap") else 2 * nt + 1})
        if label in ("'a'", "1.5"):
            return expect(("TypeError",), lambda: index.reconstruct(key))
        # Not present: an Error (RuntimeError); types without reconstruct too.
        return expect(("RuntimeError", "ValueError"), lambda: index.reconstruct(key))
    if entry == "reconstruct_n":
        i0, n = eval(label, {"ntotal": nt})
        return expect(("ValueError",), lambda: index.reconstruct_n(i0, n))
    if entry == "ids":
        xa = x[:3]
        ids = {"short": np.arange(2), "float": np.arange(3.0), "negative": np.array([-5, 1, 2]),
               "2d": np.arange(3).reshape(3, 1),
               "huge": np.broadcast_to(np.int64(1), (HUGE_ROWS,))}[label]
        allowed = {"short": ("ValueError",), "float": ("TypeError",),
                   "negative": ("ValueError", "RuntimeError") if not accepts_ids else ("ValueError",),
                   "2d": ("ValueError",), "huge": ("ValueError",)}[label]
        if not accepts_ids and label == "negative":
            allowed = ("ValueError", "RuntimeError")
        return expect(allowed, lambda: index.add_with_ids(xa, ids))
    return "unexpected:no-such-case"


def worker(start, stop):
    cache = {}
    all_cases = cases()
    for i in range(start, stop):
        print(f"start {i}", flush=True)
        try:
            out = run_case(all_cases[i], cache)
        except Exception as e:  # noqa: BLE001 - a harness error is an outcome too
            out = f"harness:{_class(e)}:{e}"
        print(f"case {i} {out}", flush=True)


def run_all(limit=None):
    """Runs the cases in workers; returns (results per case, crash count)."""
    all_cases = cases()
    n = len(all_cases) if limit is None else min(limit, len(all_cases))
    results = {}
    crashes = []
    i = 0
    env = dict(os.environ)
    while i < n:
        p = subprocess.Popen([sys.executable, __file__, "worker", str(i), str(n)],
                             stdout=subprocess.PIPE, text=True, env=env)
        current = None
        for line in p.stdout:
            parts = line.split(" ", 2)
            if parts[0] == "start":
                current = int(parts[1])
            elif parts[0] == "case":
                results[int(parts[1])] = parts[2].strip()
                current = None
        rc = p.wait()
        if current is not None:  # died inside a case
            crashes.append((current, rc))
            results[current] = f"crash:{rc}"
            i = current + 1
        elif rc != 0:
            raise RuntimeError(f"worker exited with {rc} outside a case")
        else:
            i = n
    return all_cases[:n], results, crashes


def summary(all_cases, results):
    counts = {"rejected": 0, "accepted_correct": 0, "crash": 0, "wrong": 0, "unexpected": 0,
              "harness": 0}
    bad = []
    for i, c in enumerate(all_cases):
        r = results.get(i, "missing")
        if r.startswith("raised:"):
            counts["rejected"] += 1
        elif r == "ok":
            counts["accepted_correct"] += 1
        else:
            key = r.split(":")[0]
            counts[key if key in counts else "unexpected"] += 1
            bad.append((c, r))
    return counts, bad


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        worker(int(sys.argv[2]), int(sys.argv[3]))
    else:
        cs, res, cr = run_all()
        counts, bad = summary(cs, res)
        print(json.dumps({"cases": len(cs), **counts}))
        for c, r in bad:
            print(c[:3], r)
