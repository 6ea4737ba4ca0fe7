# HNSW and index_factory as FAISS programs use them, with the contrib helpers.
import numpy as np
import faiss
from faiss.contrib.datasets import SyntheticDataset
from faiss.contrib.evaluation import knn_intersection_measure

ds = SyntheticDataset(32, 5000, 10000, 100)
index = faiss.index_factory(ds.d, "HNSW32")
index.add(ds.get_database())
gt = ds.get_groundtruth(10)
faiss.ParameterSpace().set_index_parameter(index, "efSearch", 64)
D, I = index.search(ds.get_queries(), 10)
assert knn_intersection_measure(I, gt) > 0.9
ivf = faiss.index_factory(ds.d, "IVF64,Flat")
ivf.train(ds.get_train())
ivf.add(ds.get_database())
faiss.extract_index_ivf(ivf).nprobe = 64
assert knn_intersection_measure(ivf.search(ds.get_queries(), 10)[1], gt) == 1.0
print("4-HNSW ok")
