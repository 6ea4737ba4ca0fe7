"""Same workload on several faisslike installs (e.g. system vs scipy-openblas32 BLAS builds),
interleaved: batch flat search (sgemm-bound) and k-means training.

  python3 benchs/bench_blas.py build/python /path/to/venv/bin/python
Each target is a directory to put on PYTHONPATH (run with this interpreter) or a Python
executable (a virtualenv with faisslike installed). Rounds alternate between targets."""
import argparse
import os
import subprocess
import sys

WORKLOAD = r"""
import sys, time, numpy as np, faisslike
nb, nq, d = int(sys.argv[1]), int(sys.argv[2]), 128
rng = np.random.default_rng(0)
xb = rng.standard_normal((nb, d)).astype("float32")
xq = rng.standard_normal((nq, d)).astype("float32")
idx = faisslike.IndexFlatL2(d); idx.add(xb); idx.search(xq[:100], 10)
t = time.perf_counter(); idx.search(xq, 10); ts = time.perf_counter() - t
t = time.perf_counter(); faisslike.Kmeans(d, 1024, niter=5, seed=1).train(xb); tk = time.perf_counter() - t
print("%s|%.4f|%.4f|%.1f" % (faisslike.blas_info()[:45], ts, tk, 2.0 * nb * d * nq / ts / 1e9))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("targets", nargs="+")
    ap.add_argument("--nb", type=int, default=200000)
    ap.add_argument("--nq", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    res = {t: [] for t in a.targets}
    for _ in range(a.rounds):
        for t in a.targets:
            env = dict(os.environ)
            env.setdefault("OMP_NUM_THREADS", "2")
            if os.path.isdir(t):
                cmd, env["PYTHONPATH"] = [sys.executable], os.path.abspath(t)
            else:
                cmd = [t]
                env.pop("PYTHONPATH", None)
            out = subprocess.run(cmd + ["-c", WORKLOAD, str(a.nb), str(a.nq)], env=env, cwd="/",
                                 check=True, capture_output=True, text=True).stdout.strip()
            res[t].append(out.split("|"))
    print(f"nb={a.nb} nq={a.nq} d=128 k=10, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '2')}, "
          f"best of {a.rounds} interleaved rounds")
    for t, rows in res.items():
        ts = min(float(r[1]) for r in rows)
        tk = min(float(r[2]) for r in rows)
        print(f"{rows[0][0]:<46} flat search {ts:.3f} s ({max(float(r[3]) for r in rows):.0f} GFLOP/s)"
              f"  k-means 1024x5 it {tk:.2f} s   [{t}]")


if __name__ == "__main__":
    main()
