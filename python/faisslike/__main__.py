"""python -m faisslike COMMAND ...

  inspect FILE... [--json]   an index file's structure without loading it (faisslike or FAISS
                             format): types, parameters, bytes per part, checksum status
  build --data X --factory F --out FILE      build and write an index (progress shown)
  search --index FILE --queries Q [--gt GT] [--params nprobe=16]   QPS and recall@k
  bench --data X --queries Q --factory F [--gt GT] [--sweep nprobe=1,4,16]   recall/QPS table
                             (the full harness, against FAISS and the other libraries, is
                             benchs/ in a source checkout: bash scripts/bench.sh)
  run ...                    an unmodified FAISS program on faisslike (python -m faisslike.run)

Vectors: .npy, .fvecs, .bvecs; ground truth: .ivecs, .npy.

Exit status: 0 success, 1 a file is corrupt or cannot be read, 2 usage error.
"""
import sys


def _inspect(argv):
    import argparse

    from . import _faisslike as _C
    ap = argparse.ArgumentParser(prog="python -m faisslike inspect",
                                 description="An index file's structure without loading it.")
    ap.add_argument("files", nargs="+", metavar="FILE")
    ap.add_argument("--json", action="store_true", help="one JSON object per file")
    a = ap.parse_args(argv)
    status = 0
    for f in a.files:
        try:
            text, clean = _C._inspect_index_file(f, a.json)
        except OSError as e:
            print(f"python -m faisslike inspect: {e}", file=sys.stderr)
            status = 1
            continue
        sys.stdout.write(text + ("\n" if a.json else ""))
        if not clean:
            status = 1
    return status


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "inspect":
        return _inspect(rest)
    if cmd in ("build", "search", "bench"):
        from ._cli import main as cli_main
        return cli_main(cmd, rest)
    if cmd == "run":
        from .run import main as run_main
        return run_main(rest)
    print(f"python -m faisslike: unknown command {cmd!r} (see --help)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
