# The steps of FAISS's CPU tutorial "3-IVFPQ": compressed codes in an inverted file.
import numpy as np
import faiss

d, nb, nq = 64, 20000, 200
np.random.seed(1234)
xb = np.random.random((nb, d)).astype("float32")
xb[:, 0] += np.arange(nb) / 1000.
xq = np.random.random((nq, d)).astype("float32")
xq[:, 0] += np.arange(nq) / 1000.

nlist, m, k = 100, 8, 4
quantizer = faiss.IndexFlatL2(d)
index = faiss.IndexIVFPQ(quantizer, d, nlist, m, 8)
index.train(xb)
index.add(xb)
D, I = index.search(xb[:5], k)
assert (I[:, 0] == np.arange(5)).mean() >= 0.6  # codes are lossy, most still find themselves
index.nprobe = 10
D, I = index.search(xq, k)
assert I.shape == (nq, k) and (I >= 0).all()
print("3-IVFPQ ok")
