"""faisslike: fast exact and approximate nearest-neighbour search, FAISS-compatible API.

    import faisslike as faiss
    index = faiss.IndexFlatL2(d)
    index.add(xb)
    D, I = index.search(xq, k)

Arrays: any real numeric dtype and memory order is accepted; C-contiguous float32 is used
without copying, anything else is converted to it once. See docs/python-api.md.
"""
import os as _os


def _prefer_avx512_blas():
    # Debian 12's OpenBLAS (0.3.21) predates Zen 4 and picks its AVX2 kernels there; its
    # AVX-512 kernels are ~1.6-2x faster. Must happen before the extension loads OpenBLAS.
    # Only for builds against the system OpenBLAS (faisslike.blas_info()).
    # Opt out by setting OPENBLAS_CORETYPE yourself or FAISSLIKE_KEEP_OPENBLAS_CORETYPE=1.
    if "OPENBLAS_CORETYPE" in _os.environ or _os.environ.get("FAISSLIKE_KEEP_OPENBLAS_CORETYPE"):
        return
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
            else:
                return
    except OSError:
        return
    if {"avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512cd"} <= flags:
        _os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"


def _preload_scipy_openblas():
    # Builds against the scipy-openblas32 wheel find it beside the package (RPATH); when pip
    # put it in another site-packages directory (a venv over system packages), load it by path
    # first so that the extension's dependency is already satisfied.
    import ctypes
    import scipy_openblas32
    path = _os.path.join(scipy_openblas32.get_lib_dir(), scipy_openblas32.get_library(True))
    ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)


from ._build_info import BLAS as _BLAS  # noqa: E402

if _BLAS == "system":
    _prefer_avx512_blas()  # scipy-openblas32 is a current OpenBLAS: it knows Zen 4

try:
    from . import _faisslike  # noqa: E402,F401
except ImportError as _e:
    if _BLAS != "scipy-openblas32" or "scipy_openblas" not in str(_e):
        raise
    _preload_scipy_openblas()
from ._faisslike import *  # noqa: E402,F401,F403
from ._faisslike import __version__  # noqa: E402,F401
from .kmeans import Kmeans  # noqa: E402,F401
from ._random import rand, randn, randint, lrand  # noqa: E402,F401
from ._lowlevel import (swig_ptr, SwigPtr, fvec_L2sqr, fvec_inner_product,  # noqa: E402,F401
                        fvec_norm_L2sqr, fvec_norms_L2sqr, fvec_norms_L2, fvec_renorm_L2,
                        fvec_inner_products_ny, fvec_L2sqr_ny, fvec_madd, float_rand,
                        float_randn, int64_rand, int64_rand_max, byte_rand, rand_perm,
                        fvecs2bitvecs, bitvecs2fvecs, hammings, imbalance_factor)
from ._api import *  # noqa: E402,F401,F403
from ._api import read_index, write_index, read_index_binary, write_index_binary  # noqa: E402,F401
from ._autotune import (ParameterSpace, ParameterRange, OperatingPoints,  # noqa: E402,F401
                        OperatingPoint, AutoTuneCriterion, OneRecallAtRCriterion,
                        IntersectionCriterion)
from ._alias import install_as_faiss, uninstall_as_faiss  # noqa: E402,F401
from ._api import install_pickling as _install_pickling, install_views as _install_views  # noqa: E402

_install_pickling()
_install_views()

from . import _progress  # noqa: E402

_faisslike._set_progress_callback(_progress.render)  # verbose operations: bar / lines


import typing as _typing  # noqa: E402


def _accept_sel(cls):
    # FAISS spelling: SearchParameters(sel=...), SearchParametersIVF(nprobe=8, sel=...).
    native_init = cls.__init__

    def __init__(self: object, *args: _typing.Any, sel: _typing.Optional[IDSelector] = None,  # noqa: F405
                 **kwargs: _typing.Any) -> None:
        native_init(self, *args, **kwargs)
        if sel is not None:
            self.sel = sel

    __init__.__doc__ = native_init.__doc__
    cls.__init__ = __init__


IVFSearchParameters = SearchParametersIVF  # noqa: F405  (FAISS's older name)
RaBitQSearchParameters = SearchParametersRaBitQ  # noqa: F405  (FAISS's names)
IVFRaBitQSearchParameters = SearchParametersIVFRaBitQ  # noqa: F405

for _cls in (SearchParameters, SearchParametersIVF, SearchParametersHNSW,  # noqa: F405
             SearchParametersRefine, SearchParametersRaBitQ,  # noqa: F405
             SearchParametersIVFRaBitQ):  # noqa: F405
    _accept_sel(_cls)
del _cls
