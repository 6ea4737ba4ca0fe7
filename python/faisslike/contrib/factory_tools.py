"""Factory-string helpers (faiss.contrib.factory_tools)."""
import re

from .. import _faisslike as _C


def get_code_size(d, indexkey):
    """Bytes per vector of an index built with index_factory(d, indexkey) (HNSW: roughly)."""
    if indexkey == "Flat":
        return d * 4
    if indexkey.endswith(",RFlat"):
        return d * 4 + get_code_size(d, indexkey[:-len(",RFlat")])
    rules = [
        (r"IVF\d+(?:_HNSW\d+)?,(.*)$", lambda m: get_code_size(d, m.group(1))),
        (r"IVF\d+\(.*\)?,(.*)$", lambda m: get_code_size(d, m.group(1))),
        (r"IMI\d+x\d+,(.*)$", lambda m: get_code_size(d, m.group(1))),
        (r"(.*),Refine\((.*)\)$", lambda m: get_code_size(d, m.group(1)) + get_code_size(d, m.group(2))),
        (r"PQ(\d+)x(\d+)(?:fs|fsr)?$", lambda m: (int(m.group(1)) * int(m.group(2)) + 7) // 8),
        (r"PQ(\d+)\+(\d+)$", lambda m: int(m.group(1)) + int(m.group(2))),
        (r"PQ(\d+)(?:np)?$", lambda m: int(m.group(1))),
        (r"HNSW(\d+)(?:,Flat)?$", lambda m: d * 4 + int(m.group(1)) * 2 * 4),
        (r"HNSW(\d+),(.*)$", lambda m: get_code_size(d, m.group(2)) + int(m.group(1)) * 2 * 4),
        (r"PCAR?(\d+),(.*)$", lambda m: get_code_size(int(m.group(1)), m.group(2))),
        (r"OPQ\d+_(\d+),(.*)$", lambda m: get_code_size(int(m.group(1)), m.group(2))),
        (r"OPQ\d+,(.*)$", lambda m: get_code_size(d, m.group(1))),
        (r"RR(\d+),(.*)$", lambda m: get_code_size(int(m.group(1)), m.group(2))),
        (r"(?:L2norm|IDMap2?),(.*)$", lambda m: get_code_size(d, m.group(1))),
    ]
    sq = {"SQ8": d, "SQ4": (d + 1) // 2, "SQ6": (d * 6 + 7) // 8, "SQfp16": d * 2, "SQbf16": d * 2}
    if indexkey in sq:
        return sq[indexkey]
    for pat, f in rules:
        m = re.match(pat, indexkey)
        if m:
            return f(m)
    raise ValueError("cannot parse " + indexkey)


def get_hnsw_M(index):
    return index.hnsw.M


_SQ_NAMES = {"QT_8bit": "SQ8", "QT_4bit": "SQ4", "QT_6bit": "SQ6", "QT_fp16": "SQfp16",
             "QT_bf16": "SQbf16", "QT_8bit_uniform": "SQ8u", "QT_8bit_direct": "SQ8_direct"}


def _sq_name(qtype):
    for attr, name in _SQ_NAMES.items():
        if getattr(_C.ScalarQuantizer, attr, None) == qtype:
            return name
    raise NotImplementedError(f"scalar quantizer type {qtype}")


def reverse_index_factory(index):
    """The factory string that builds an index of this structure."""
    if isinstance(index, _C.IndexFlat):
        return "Flat"
    if isinstance(index, _C.IndexIVF):
        q = index.quantizer
        if isinstance(q, _C.IndexFlat):
            prefix = f"IVF{index.nlist}"
        elif hasattr(q, "hnsw"):
            prefix = f"IVF{index.nlist}_HNSW{get_hnsw_M(q)}"
        else:
            prefix = f"IVF{index.nlist}({reverse_index_factory(q)})"
        if isinstance(index, _C.IndexIVFFlat):
            return prefix + ",Flat"
        if isinstance(index, _C.IndexIVFScalarQuantizer):
            return prefix + "," + _sq_name(index.sq.qtype if hasattr(index, "sq") else index.qtype)
        if isinstance(index, _C.IndexIVFPQ):
            return prefix + f",PQ{index.pq.M}x{index.pq.nbits}"
    if isinstance(index, _C.IndexHNSWFlat):
        return f"HNSW{get_hnsw_M(index)}"
    if isinstance(index, _C.IndexRefineFlat):
        return f"{reverse_index_factory(index.base_index)},RFlat"
    if isinstance(index, _C.IndexPQ):
        return f"PQ{index.pq.M}x{index.pq.nbits}"
    if isinstance(index, _C.IndexScalarQuantizer):
        return _sq_name(index.sq.qtype if hasattr(index, "sq") else index.qtype)
    if isinstance(index, _C.IndexIDMap2):
        return f"IDMap2,{reverse_index_factory(index.index)}"
    if isinstance(index, _C.IndexIDMap):
        return f"IDMap,{reverse_index_factory(index.index)}"
    if isinstance(index, _C.IndexPreTransform):
        names = index.chain_names() if hasattr(index, "chain_names") else ["L2norm"]
        return ",".join(names) + "," + reverse_index_factory(index.index)
    raise NotImplementedError(f"reverse_index_factory: {type(index).__name__}")
