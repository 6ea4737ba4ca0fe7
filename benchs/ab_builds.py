#!/usr/bin/env python3
"""Before/after: the same harness run on two faisslike builds, interleaved.

    python benchs/ab_builds.py --base /tmp/build-old --new build --rounds 3 -- \\
        --dataset syn-100k --indexes Flat "IVF1024,Flat" HNSW32 --threads 2

Two builds of one extension cannot share a process, so each round runs benchs/ann_bench.py
(--libs faisslike) once per build, alternating base/new, and keeps the best of the rounds for
each sweep point: machine noise (a shared 2-core machine) hits both alike. Prints, per index
and sweep point, recall (must be equal: same algorithm) and the new/base ratios of batch QPS,
single-query QPS and build time, with the geometric mean per index.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run(build, args, out):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(os.path.abspath(build), "python")
    env["LD_LIBRARY_PATH"] = os.path.abspath(build)
    cmd = [sys.executable, os.path.join(HERE, "ann_bench.py"), "--libs", "faisslike",
           "--out", out] + args
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "results.json")) as f:
        return json.load(f)


def merge(best, res):
    for p in res["points"]:
        key = (p["index"], p["param"], p["value"])
        b = best["points"].setdefault(key, dict(p))
        b["qps"] = max(b["qps"], p["qps"])
        b["single_qps"] = max(b["single_qps"], p["single_qps"])
        if abs(b["recallk"] - p["recallk"]) > 1e-9:
            b["recall_varies"] = True
    for bl in res["builds"]:
        b = best["builds"].setdefault(bl["index"], dict(bl))
        b["build_s"] = min(b["build_s"], bl["build_s"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--base", required=True, help="build directory of the old code")
    ap.add_argument("--new", required=True, help="build directory of the new code")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="write the merged results here")
    ap.add_argument("harness", nargs=argparse.REMAINDER, help="-- then ann_bench.py options")
    a = ap.parse_args()
    hargs = a.harness[1:] if a.harness[:1] == ["--"] else a.harness
    best = {"base": {"points": {}, "builds": {}}, "new": {"points": {}, "builds": {}}}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            for side in ("base", "new") if r % 2 == 0 else ("new", "base"):
                print(f"[ab] round {r + 1}/{a.rounds}: {side}", file=sys.stderr, flush=True)
                merge(best[side], run(getattr(a, side), hargs, os.path.join(tmp, side)))
    print(f"{'index':<16} {'param':<14} {'R@10 base/new':>15} {'batch new/base':>15} "
          f"{'1-query new/base':>17}")
    summary = []
    for idx in sorted({k[0] for k in best["new"]["points"]}):
        logs, logs1 = [], []
        for key in sorted((k for k in best["new"]["points"] if k[0] == idx),
                          key=lambda k: (k[2] is None, k[2] or 0)):
            n, b = best["new"]["points"][key], best["base"]["points"].get(key)
            if not b:
                continue
            rq, r1 = n["qps"] / b["qps"], n["single_qps"] / b["single_qps"]
            logs.append(math.log(rq))
            logs1.append(math.log(r1))
            param = f"{key[1]}={key[2]}" if key[1] else "-"
            flag = "  (recall differs)" if abs(n["recallk"] - b["recallk"]) > 1e-6 else ""
            print(f"{idx:<16} {param:<14} {b['recallk']:.3f}/{n['recallk']:.3f}   "
                  f"{rq:>13.3f}x {r1:>15.3f}x{flag}")
        bb, nb = best["base"]["builds"].get(idx), best["new"]["builds"].get(idx)
        bratio = nb["build_s"] / bb["build_s"] if bb and nb and bb["build_s"] > 0 else float("nan")
        g = math.exp(sum(logs) / len(logs)) if logs else float("nan")
        g1 = math.exp(sum(logs1) / len(logs1)) if logs1 else float("nan")
        summary.append((idx, g, g1, bratio))
    print("\ngeometric mean new/base   batch QPS   1-query QPS   build time")
    for idx, g, g1, br in summary:
        print(f"{idx:<26} {g:>9.3f}x {g1:>12.3f}x {br:>11.3f}x")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({s: {"points": [dict(v, key=list(k)) for k, v in d["points"].items()],
                           "builds": d["builds"]} for s, d in best.items()}, f, indent=1)


if __name__ == "__main__":
    main()
