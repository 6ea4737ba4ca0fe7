"""Opt-in alias: make `import faiss` (and `faiss.contrib.*`) load faisslike.

Never done implicitly: call faisslike.install_as_faiss() before the program imports faiss,
or run it with `python -m faisslike.run script.py [args]`.
"""
import importlib
import importlib.abc
import importlib.util
import sys


class _FaissAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves faiss.X.Y to faisslike.X.Y (the same module object under both names)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "faiss" and not fullname.startswith("faiss."):
            return None
        real = "faisslike" + fullname[len("faiss"):]
        real_spec = importlib.util.find_spec(real)
        if real_spec is None:
            return None
        return importlib.util.spec_from_loader(
            fullname, self, is_package=real_spec.submodule_search_locations is not None)

    def create_module(self, spec):
        real = "faisslike" + spec.name[len("faiss"):]
        return importlib.import_module(real)

    def exec_module(self, module):
        pass  # already executed as faisslike.*


_finder = _FaissAliasFinder()


def install_as_faiss(write_format=None):
    """From now on `import faiss` / `from faiss.contrib import datasets` give faisslike.
    write_format="faiss": write_index without format= writes FAISS's format (files stay
    readable by faiss-cpu); see set_write_format.

    RuntimeError if the real faiss is already imported in this process (two libraries
    under one name would mix their objects)."""
    if write_format is not None:
        importlib.import_module("faisslike").set_write_format(write_format)
    mod = sys.modules.get("faiss")
    if mod is not None and not getattr(mod, "__name__", "").startswith("faisslike"):
        raise RuntimeError("install_as_faiss: the real faiss is already imported in this process")
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    sys.modules["faiss"] = importlib.import_module("faisslike")


def uninstall_as_faiss():
    """Undo install_as_faiss (modules already imported under faiss.* keep working)."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [n for n in sys.modules if n == "faiss" or n.startswith("faiss.")]:
        if getattr(sys.modules[name], "__name__", "").startswith("faisslike"):
            del sys.modules[name]
