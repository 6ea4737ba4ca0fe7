# The steps of FAISS's CPU tutorial "2-IVFFlat": an inverted file over a flat quantizer.
import numpy as np
import faiss

d, nb, nq = 64, 20000, 200
np.random.seed(1234)
xb = np.random.random((nb, d)).astype("float32")
xb[:, 0] += np.arange(nb) / 1000.
xq = np.random.random((nq, d)).astype("float32")
xq[:, 0] += np.arange(nq) / 1000.

nlist, k = 100, 4
quantizer = faiss.IndexFlatL2(d)
index = faiss.IndexIVFFlat(quantizer, d, nlist)
assert not index.is_trained
index.train(xb)
assert index.is_trained
index.add(xb)
D, I = index.search(xq, k)
index.nprobe = 10
D10, I10 = index.search(xq, k)
_, gt = faiss.knn(xq, xb, k)
r1 = (I[:, 0] == gt[:, 0]).mean()
r10 = (I10[:, 0] == gt[:, 0]).mean()
assert r10 >= r1 and r10 > 0.6, (r1, r10)
print("2-IVFFlat ok", r1, r10)
