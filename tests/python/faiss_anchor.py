"""faiss-cpu as a differential oracle: `real_faiss` (None when it is not installed) and
`needs_faiss`, the mark that skips a test cleanly without it."""
import pytest

try:
    import faiss as real_faiss
except ImportError:  # the anchor is optional
    real_faiss = None

needs_faiss = pytest.mark.skipif(real_faiss is None, reason="faiss-cpu not installed")
