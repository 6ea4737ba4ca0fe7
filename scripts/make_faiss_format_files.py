"""Writes the small FAISS-format files of tests/data/faiss_format with faiss-cpu, and the
results FAISS gives on them (expected.npz), so that the FAISS reader stays tested where
faiss-cpu is not installed. Run by hand: python3 scripts/make_faiss_format_files.py"""
import os

import faiss
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "faiss_format")
KEYS = ["Flat", "IVF8,Flat", "IVF8,PQ4", "IVF8,SQ8", "PQ4", "SQ8", "SQfp16", "HNSW8",
        "HNSW8,SQ8", "IDMap2,Flat", "PQ4,RFlat", "L2norm,IVF8,Flat", "PCA8,Flat"]


def main():
    os.makedirs(OUT, exist_ok=True)
    rs = np.random.RandomState(1234)
    xt = rs.rand(600, 16).astype("float32")
    xb = rs.rand(400, 16).astype("float32")
    xq = rs.rand(20, 16).astype("float32")
    ref = {"xq": xq}
    for key in KEYS:
        idx = faiss.index_factory(16, key)
        idx.train(xt)
        if "IDMap" in key:
            idx.add_with_ids(xb, np.arange(len(xb)) * 3 + 1)
        else:
            idx.add(xb)
        try:
            faiss.extract_index_ivf(idx).nprobe = 4
        except Exception:
            pass
        stem = key.replace(",", "_")
        faiss.write_index(idx, os.path.join(OUT, stem + ".faissindex"))
        D, I = idx.search(xq, 5)
        ref["D_" + stem], ref["I_" + stem] = D, I
    np.savez(os.path.join(OUT, "expected.npz"), **ref)


if __name__ == "__main__":
    main()
