# The steps of FAISS's CPU tutorial "1-Flat", written for this test suite: exact search.
import numpy as np
import faiss

d, nb, nq = 64, 20000, 200
np.random.seed(1234)
xb = np.random.random((nb, d)).astype("float32")
xb[:, 0] += np.arange(nb) / 1000.
xq = np.random.random((nq, d)).astype("float32")
xq[:, 0] += np.arange(nq) / 1000.

index = faiss.IndexFlatL2(d)
assert index.is_trained
index.add(xb)
assert index.ntotal == nb
k = 4
D, I = index.search(xb[:5], k)  # sanity check: each vector finds itself first
assert (I[:, 0] == np.arange(5)).all() and (D[:, 0] < 1e-3).all()
D, I = index.search(xq, k)
assert I.shape == (nq, k) and (np.diff(D, axis=1) >= 0).all()
print("1-Flat ok")
