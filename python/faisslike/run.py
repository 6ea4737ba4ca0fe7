"""python -m faisslike.run [--write-format faiss] script.py [args...]
python -m faisslike.run [--write-format faiss] -m module [args...]

Runs an unmodified FAISS program on faisslike: `import faiss` inside it loads faisslike.
--write-format faiss: its write_index calls write FAISS's format (readable by faiss-cpu).
"""
import runpy
import sys

from ._alias import install_as_faiss


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    write_format = None
    if argv[0] == "--write-format":
        if len(argv) < 3:
            print("faisslike.run: --write-format needs a value and a script", file=sys.stderr)
            return 2
        write_format, argv = argv[1], argv[2:]
    install_as_faiss(write_format)
    if argv[0] == "-m":
        if len(argv) < 2:
            print("faisslike.run: -m needs a module name", file=sys.stderr)
            return 2
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv
        sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(argv[0])))
        runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
