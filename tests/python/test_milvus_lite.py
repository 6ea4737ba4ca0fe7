"""Milvus Lite (pip `milvus-lite`, pure Python over FAISS) with faisslike as its `faiss`
module: the same session (tests/python/milvus/scenario.py: FLAT, IVF_FLAT, IVF_SQ8, HNSW,
HNSW_SQ collections; insert, flush, search with and without filter expressions, delete,
reopen) runs on faiss-cpu and on faisslike through the opt-in alias, in subprocesses. Exact
configurations must give the same ids; approximate ones at least FAISS's recall against
float64 brute force, less 0.05 of noise (400 query results; the two libraries train their own
k-means and build their own graphs). Skipped when milvus-lite or faiss-cpu is not installed."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("milvus_lite", reason="milvus-lite not installed (pip install milvus-lite)")
from faiss_anchor import needs_faiss  # noqa: E402

HERE = os.path.dirname(__file__)
SCENARIO = os.path.join(HERE, "milvus", "scenario.py")
sys.path.insert(0, os.path.join(HERE, "milvus"))
import scenario  # noqa: E402  (its constants: the data is regenerated here for the oracle)

# Configurations whose results do not depend on training or graph construction.
EXACT = {"c0_flat_l2", "c2_ivf_flat_ip"}  # FLAT; IVF_FLAT probing every list


def run(tmp_path, alias, data_dir=None, extra=(), alias_args=()):
    data_dir = data_dir or str(tmp_path / ("faisslike" if alias else "faiss"))
    cmd = ([sys.executable] + (["-m", "faisslike.run", *alias_args] if alias else []) +
           [SCENARIO, data_dir, *extra])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def oracle():
    rs = np.random.RandomState(7)
    xb = rs.randn(scenario.N, scenario.DIM).astype("float32").astype("float64")
    xq = rs.randn(scenario.NQ, scenario.DIM).astype("float32").astype("float64")
    ids = np.arange(scenario.N)
    masks = {"plain": np.ones(scenario.N, bool), "filtered": np.isin(ids % 7, [1, 3]),
             "range_filter": ids < 200, "after_delete": ids % 3 != 0,
             "reopened": ids % 3 != 0}
    truth = {}
    for metric in ("L2", "IP", "COSINE"):
        b, q = xb, xq
        if metric == "COSINE":
            b = xb / np.linalg.norm(xb, axis=1, keepdims=True)
            q = xq / np.linalg.norm(xq, axis=1, keepdims=True)
        score = ((q[:, None, :] - b[None]) ** 2).sum(-1) if metric == "L2" else -q @ b.T
        for key, m in masks.items():
            s = np.where(m[None], score, np.inf)
            truth[metric, key] = np.argsort(s, axis=1, kind="stable")[:, :scenario.K]
    return truth


def recall(res, gt):
    return np.mean([len({h[0] for h in r} & set(g)) / len(g) for r, g in zip(res, gt)])


@needs_faiss
def test_milvus_lite_on_faisslike_matches_faiss(tmp_path):
    theirs = run(tmp_path, alias=False)
    ours = run(tmp_path, alias=True)
    assert theirs["faiss_module"] == "faiss" and ours["faiss_module"] == "faisslike"
    truth = oracle()
    report = []
    for c, (itype, metric, _, _) in enumerate(scenario.INDEXES):
        name = f"c{c}_{itype.lower()}_{metric.lower()}"
        assert ours[name]["count"] == theirs[name]["count"], name
        for key in ("plain", "filtered", "range_filter", "after_delete", "reopened"):
            a, b = theirs[name][key], ours[name][key]
            ra, rb = recall(a, truth[metric, key]), recall(b, truth[metric, key])
            report.append(f"{name} {key}: recall faiss {ra:.3f} faisslike {rb:.3f}")
            if name in EXACT:
                assert [[h[0] for h in q] for q in a] == [[h[0] for h in q] for q in b], name
                np.testing.assert_allclose([[h[1] for h in q] for q in a],
                                           [[h[1] for h in q] for q in b], rtol=1e-3, atol=2e-3)
            else:
                # Not worse than FAISS beyond noise (ours is often better: e.g. filtered
                # HNSW, where FAISS's walk loses recall).
                assert rb >= ra - 0.05, report[-1]
    print("\n".join(report))


@needs_faiss
def test_data_written_under_faisslike_opens_under_faiss(tmp_path):
    # FAISS-format index files (the alias's --write-format faiss): faiss-cpu reopens the data
    # directory and finds what faisslike found; and faisslike reopens faiss-cpu's.
    ours = run(tmp_path, alias=True, alias_args=("--write-format", "faiss"))
    back = run(tmp_path, alias=False, data_dir=str(tmp_path / "faisslike"), extra=("--reopen",))
    theirs = run(tmp_path, alias=False)
    back2 = run(tmp_path, alias=True, data_dir=str(tmp_path / "faiss"), extra=("--reopen",))
    truth = oracle()
    for c, (itype, metric, _, _) in enumerate(scenario.INDEXES):
        name = f"c{c}_{itype.lower()}_{metric.lower()}"
        for a, b in ((ours, back), (theirs, back2)):
            if itype.startswith("HNSW"):
                # The same graph, but each library walks it its own way: recall, as above.
                ra = recall(a[name]["reopened"], truth[metric, "reopened"])
                rb = recall(b[name]["reopened"], truth[metric, "reopened"])
                assert min(ra, rb) >= max(ra, rb) - 0.05, (name, ra, rb)
                continue
            ia = [[h[0] for h in q] for q in a[name]["reopened"]]
            ib = [[h[0] for h in q] for q in b[name]["reopened"]]
            same = np.mean([len(set(x) & set(y)) / len(x) for x, y in zip(ia, ib)])
            assert same >= 0.98, (name, same)  # same files and lists, ties aside
