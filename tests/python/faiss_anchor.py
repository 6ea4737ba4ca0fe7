"""faiss-cpu as a differential oracle: `real_faiss` (None when it is not installed) and
`needs_faiss`, the mark that skips a test cleanly without it."""
import pytest

try:
    import faiss as real_faiss
except ImportError:  # the anchor is optional
    real_faiss = None

needs_faiss = pytest.mark.skipif(real_faiss is None, reason="faiss-cpu not installed")

# Slow comparisons whose outcome does not depend on our SIMD level (training algorithms run
# against FAISS's): run in one pass of the per-ISA suite (avx2, present on every machine the
# suite targets), and when no level is forced.
import os  # noqa: E402

one_isa_pass = pytest.mark.skipif(os.environ.get("FAISSLIKE_SIMD", "avx2") != "avx2",
                                  reason="ISA-independent comparison: runs in the avx2 pass")
