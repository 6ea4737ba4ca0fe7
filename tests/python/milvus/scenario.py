"""A Milvus Lite session through its public API: collections with FLAT, IVF_FLAT, IVF_SQ8,
HNSW and HNSW_SQ indexes (L2, IP, COSINE), insert, flush, search with and without filter
expressions, delete, reopen. Prints one JSON document of every result, so that two runs (on
faiss-cpu, and on faisslike through `python -m faisslike.run`) can be compared.

    python3 scenario.py DATA_DIR            # on faiss-cpu
    python3 -m faisslike.run scenario.py DATA_DIR   # on faisslike
"""
import json
import sys

import numpy as np
from milvus_lite import CollectionSchema, DataType, FieldSchema, MilvusLite

INDEXES = [
    ("FLAT", "L2", {}, {}),
    ("IVF_FLAT", "L2", {"nlist": 16}, {"nprobe": 4}),
    ("IVF_FLAT", "IP", {"nlist": 16}, {"nprobe": 16}),
    ("IVF_SQ8", "L2", {"nlist": 16}, {"nprobe": 16}),
    ("HNSW", "COSINE", {"M": 16, "efConstruction": 100}, {"ef": 64}),
    ("HNSW", "L2", {"M": 8, "efConstruction": 40}, {"ef": 32}),
    ("HNSW_SQ", "IP", {"M": 16, "efConstruction": 100}, {"ef": 64}),
]
DIM, N, NQ, K = 24, 1500, 40, 10


def results(hits):
    return [[(h["id"], round(float(h["distance"]), 3)) for h in q] for q in hits]


def reopen(data_dir, out):
    rs = np.random.RandomState(7)
    rs.randn(N, DIM)
    xq = rs.randn(NQ, DIM).astype("float32")
    with MilvusLite(data_dir) as db:
        for c, (itype, metric, params, sparams) in enumerate(INDEXES):
            name = f"c{c}_{itype.lower()}_{metric.lower()}"
            col = db.get_collection(name)
            col.load()
            out.setdefault(name, {})["reopened"] = results(
                col.search([v.tolist() for v in xq], top_k=K, search_params=sparams))


def main(data_dir, reopen_only=False):
    import faiss  # the module Milvus Lite will use (faisslike under the alias)
    out = {"faiss_module": faiss.__name__.split(".")[0]}
    if reopen_only:  # a data directory another run wrote (possibly under the other library)
        reopen(data_dir, out)
        print(json.dumps(out))
        return
    rs = np.random.RandomState(7)
    xb = rs.randn(N, DIM).astype("float32")
    xq = rs.randn(NQ, DIM).astype("float32")
    schema = CollectionSchema(fields=[
        FieldSchema(name="id", dtype=DataType.INT64, is_primary=True),
        FieldSchema(name="tag", dtype=DataType.INT64),
        FieldSchema(name="vec", dtype=DataType.FLOAT_VECTOR, dim=DIM),
    ])
    with MilvusLite(data_dir) as db:
        for c, (itype, metric, params, sparams) in enumerate(INDEXES):
            name = f"c{c}_{itype.lower()}_{metric.lower()}"
            col = db.create_collection(name, schema)
            col.insert([{"id": i, "tag": i % 7, "vec": xb[i].tolist()} for i in range(N // 2)])
            col.flush()
            col.insert([{"id": i, "tag": i % 7, "vec": xb[i].tolist()} for i in range(N // 2, N)])
            col.flush()
            col.create_index("vec", {"index_type": itype, "metric_type": metric,
                                     "params": params})
            col.load()
            q = [v.tolist() for v in xq]
            r = {"plain": results(col.search(q, top_k=K, search_params=sparams)),
                 "filtered": results(col.search(q, top_k=K, expr="tag in [1, 3]",
                                                search_params=sparams)),
                 "range_filter": results(col.search(q, top_k=K, expr="id < 200",
                                                    search_params=sparams))}
            col.delete(list(range(0, N, 3)))
            col.flush()
            r["after_delete"] = results(col.search(q, top_k=K, search_params=sparams))
            r["count"] = col.num_entities
            out[name] = r
    reopen(data_dir, out)  # indexes come back from their files
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], reopen_only="--reopen" in sys.argv[2:])
