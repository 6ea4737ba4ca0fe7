# The idea of FAISS's CPU tutorial "9-RefineComparison": compressed search re-ranked exactly.
import faiss
from faiss.contrib.datasets import SyntheticDataset
from faiss.contrib.evaluation import knn_intersection_measure

ds = SyntheticDataset(64, 10000, 20000, 200)
gt = ds.get_groundtruth(10)
scores = {}
for key in ["PQ8", "PQ8,RFlat"]:
    index = faiss.index_factory(ds.d, key)
    index.train(ds.get_train())
    index.add(ds.get_database())
    params = faiss.SearchParametersRefine(k_factor=10) if "RFlat" in key else None
    D, I = index.search(ds.get_queries(), 10, params=params)
    scores[key] = knn_intersection_measure(I, gt)
assert scores["PQ8,RFlat"] > scores["PQ8"] + 0.1, scores
print("9-Refine ok", scores)
