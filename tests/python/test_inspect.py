"""inspect_index_file / `python -m faisslike inspect` / faisslike-inspect: every index type the
writers know (both formats where FAISS's has it), damaged files described not raised, and no
array copied into memory (checked with RLIMIT_DATA, which counts private memory only)."""
import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import faisslike as fl

D = 32
RNG = np.random.default_rng(7)
X = RNG.standard_normal((3000, D)).astype("float32")
XB = RNG.integers(0, 256, (3000, 32), dtype="uint8")

FLOAT_KEYS = ["Flat", "IVF16,Flat", "IVF16,PQ4", "IVF16,SQ8", "PQ8", "PQ8x4fs", "IVF16,PQ8x4fs",
              "SQ8", "HNSW8", "HNSW8,QG", "HNSW8,SQ8", "HNSW8,PQ4", "IDMap,Flat", "IDMap2,HNSW8",
              "L2norm,IVF16,Flat", "OPQ4,IVF16,PQ4", "PCA16,Flat", "MinMax,PQ4", "MinMaxFP16,PQ4",
              "PQ4,RFlat", "RaBitQ", "IVF16,RaBitQ", "IVF16,RaBitQfs", "HNSW16_32+PQ8"]
BINARY_KEYS = ["BFlat", "BIVF16", "BHNSW16", "IDMap,BFlat", "IDMap2,BIVF16", "BHash16",
               "BHash2x16"]
# Every class the faisslike writers serialize (faisslike/index_io.cpp's tables).
ALL_TYPES = {
    "IndexFlatL2", "IndexFlatIP", "IndexIVFFlat", "IndexIVFPQ", "IndexIVFScalarQuantizer",
    "IndexPQ", "IndexPQFastScan", "IndexIVFPQFastScan", "IndexScalarQuantizer", "IndexHNSWFlat",
    "IndexHNSWQG", "IndexHNSWSQ", "IndexHNSWPQ", "IndexIDMap", "IndexIDMap2", "IndexPreTransform",
    "IndexShards", "IndexRowwiseMinMax", "MultiIndexQuantizer", "Index2Layer", "IndexHNSW2Level",
    "IndexRowwiseMinMaxFP16", "IndexRefineFlat", "IndexRaBitQ", "IndexIVFRaBitQ",
    "IndexIVFRaBitQFastScan", "IndexBinaryFlat", "IndexBinaryIVF", "IndexBinaryIDMap",
    "IndexBinaryIDMap2", "IndexBinaryHash", "IndexBinaryMultiHash", "IndexBinaryFromFloat",
    "IndexBinaryHNSW"}


def _float_index(key):
    if key == "Shards":
        idx = fl.IndexShards(D)
        for _ in range(2):
            idx.add_shard(fl.IndexFlatL2(D))
    elif key == "MultiIndex":
        idx = fl.MultiIndexQuantizer(D, 2, 3)
    elif key == "IP":
        idx = fl.IndexFlatIP(D)
    else:
        idx = fl.index_factory(D, key)
    idx.train(X)
    if "IDMap" in key:
        idx.add_with_ids(X, np.arange(len(X)) * 5 + 2)
    elif key != "MultiIndex" and not key.startswith("MinMax"):  # codecs: nothing to add
        idx.add(X)
    return idx


def _binary_index(key):
    if key == "FromFloat":
        idx = fl.IndexBinaryFromFloat(fl.IndexFlatL2(256))
    else:
        idx = fl.index_binary_factory(256, key)
    idx.train(XB)
    if "IDMap" in key:
        idx.add_with_ids(XB, np.arange(len(XB)) * 5 + 2)
    else:
        idx.add(XB)
    return idx


def _types(node):
    yield node
    for c in node["children"]:
        yield from _types(c)


def _check_report(rep, path, top_type, ntotal, d):
    assert rep["clean"] and rep["error"] is None, rep["error"]
    assert rep["file_bytes"] == os.path.getsize(path)
    top = rep["index"]
    assert top["type"] == top_type
    assert top["complete"] and int(top["params"]["ntotal"]) == ntotal
    assert int(top["params"]["d"]) == d
    nodes = list(_types(top))
    if rep["format"] == "faisslike":
        assert top["offset"] == 16 and top["bytes"] + 16 == rep["file_bytes"]
        assert all(n["checksum"] == "ok" for n in nodes)
    else:
        assert top["offset"] == 0 and top["bytes"] == rep["file_bytes"]
    # Parts are stored bytes: together no more than the file.
    assert sum(p["bytes"] for n in nodes for p in n["parts"].values()) <= rep["file_bytes"]
    return nodes


@pytest.mark.parametrize("fmt", ["faisslike", "faiss"])
def test_every_type(tmp_path, fmt):
    seen = set()
    keys = FLOAT_KEYS + ["Shards", "MultiIndex", "IP"]
    for key in keys:
        idx = _float_index(key)
        path = str(tmp_path / "x.index")
        try:
            fl.write_index(idx, path, format=fmt)
        except (RuntimeError, ValueError) as e:
            assert fmt == "faiss" and "FAISS" in str(e), (key, e)  # types FAISS's format lacks
            continue
        rep = fl.inspect_index_file(path, as_dict=True)
        assert rep["format"] == fmt and not rep["binary"]
        loaded = fl.read_index(path)
        nodes = _check_report(rep, path, type(loaded).__name__, loaded.ntotal, D)
        seen |= {n["type"] for n in nodes}
        text = fl.inspect_index_file(path)
        assert type(loaded).__name__ in text and f"ntotal={loaded.ntotal}" in text
    for key in BINARY_KEYS + ["FromFloat"]:
        idx = _binary_index(key)
        path = str(tmp_path / "b.index")
        try:
            fl.write_index_binary(idx, path, format=fmt)
        except (RuntimeError, ValueError) as e:
            assert fmt == "faiss" and "FAISS" in str(e), (key, e)
            continue
        rep = fl.inspect_index_file(path, as_dict=True)
        assert rep["binary"]
        loaded = fl.read_index_binary(path)
        nodes = _check_report(rep, path, type(loaded).__name__, loaded.ntotal, 256)
        seen |= {n["type"] for n in nodes}
    if fmt == "faisslike":
        assert ALL_TYPES <= seen, ALL_TYPES - seen
    else:
        assert {"IndexIVFPQ", "IndexHNSWFlat", "IndexIDMap2", "IndexPreTransform",
                "IndexBinaryIVF"} <= seen


def test_files_written_by_faiss(tmp_path):
    faiss = pytest.importorskip("faiss")
    for key in ["IVF16,PQ4", "HNSW8", "IDMap2,Flat", "L2norm,IVF16,SQ8"]:
        idx = faiss.index_factory(D, key)
        idx.train(X)
        if "IDMap" in key:
            idx.add_with_ids(X, np.arange(len(X)) * 5 + 2)
        else:
            idx.add(X)
        path = str(tmp_path / "f.index")
        faiss.write_index(idx, path)
        rep = fl.inspect_index_file(path, as_dict=True)
        assert rep["format"] == "faiss"
        loaded = fl.read_index(path)
        _check_report(rep, path, type(loaded).__name__, idx.ntotal, D)


def test_damaged_files_are_described(tmp_path):
    idx = _float_index("IDMap2,HNSW8")
    path = str(tmp_path / "x.index")
    fl.write_index(idx, path)
    good = open(path, "rb").read()
    rep = fl.inspect_index_file(path, as_dict=True)
    storage = next(n for n in _types(rep["index"]) if n["type"] == "IndexFlatL2")
    links = next(n for n in _types(rep["index"]) if n["type"] == "IndexHNSWFlat")
    # One flipped mantissa bit in the middle of the HNSW's stored vectors: that record's
    # checksum (only) mismatches, the structure is still all there.
    bad = bytearray(good)
    bad[storage["offset"] + storage["bytes"] // 2] ^= 0x10
    open(path, "wb").write(bad)
    rep = fl.inspect_index_file(path, as_dict=True)
    assert not rep["clean"] and rep["error"] is None
    sums = {n["type"]: n["checksum"] for n in _types(rep["index"])}
    assert sums == {"IndexIDMap2": "ok", "IndexHNSWFlat": "ok", "IndexFlatL2": "mismatch"}
    assert "MISMATCH" in fl.inspect_index_file(path)
    with pytest.raises(RuntimeError, match="checksum"):
        fl.read_index(path)
    # Truncated: described up to where reading stopped, the reader's error given.
    open(path, "wb").write(good[: links["offset"] + 100])
    rep = fl.inspect_index_file(path, as_dict=True)
    assert not rep["clean"] and "remain" in rep["error"]
    assert rep["index"]["type"] == "" and not rep["index"]["complete"]
    # Not an index at all / missing.
    open(path, "wb").write(b"hello world, not an index")
    rep = fl.inspect_index_file(path, as_dict=True)
    assert not rep["clean"] and rep["error"]
    with pytest.raises(OSError):
        fl.inspect_index_file(str(tmp_path / "missing.index"))


def test_cli(tmp_path):
    idx = _float_index("IVF16,Flat")
    good = str(tmp_path / "good.index")
    fl.write_index(idx, good)
    bad = str(tmp_path / "bad.index")
    data = bytearray(open(good, "rb").read())
    data[-100] ^= 1
    open(bad, "wb").write(data)
    env = dict(os.environ)
    run = [sys.executable, "-m", "faisslike", "inspect"]
    r = subprocess.run(run + [good], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "IndexIVFFlat [IwFl] d=32 metric=L2 ntotal=3000" in r.stdout
    assert "quantizer: IndexFlatL2" in r.stdout and "checksums: all 2 records verified" in r.stdout
    r = subprocess.run(run + ["--json", good, bad], capture_output=True, text=True, env=env)
    assert r.returncode == 1
    reps = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["error"] for x in reps] == [None, None]
    assert reps[1]["index"]["checksum"] == "mismatch"
    r = subprocess.run(run + [str(tmp_path / "nope")], capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "cannot open" in r.stderr
    r = subprocess.run(run, capture_output=True, text=True, env=env)
    assert r.returncode == 2
    # The C++ tool, when this is a build tree that has it.
    tool = shutil.which("faisslike-inspect") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(fl.__file__))), "faisslike-inspect")
    if os.path.exists(tool):
        r = subprocess.run([tool, good], capture_output=True, text=True)
        assert r.returncode == 0 and "IndexIVFFlat [IwFl]" in r.stdout
        assert subprocess.run([tool, bad], capture_output=True).returncode == 1


_LIMITED = textwrap.dedent("""
    import resource, sys
    import faisslike as fl
    def data_kb():
        for line in open("/proc/self/status"):
            if line.startswith("VmData:"):
                return int(line.split()[1])
    # Private memory (heap, anonymous maps) may grow by 24 MB; the file is 4x that and mapped
    # (a shared, read-only mapping RLIMIT_DATA does not count).
    lim = (data_kb() + 24 * 1024) * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (lim, lim))
    if sys.argv[2] == "inspect":
        rep = fl.inspect_index_file(sys.argv[1], as_dict=True)
        assert rep["clean"], rep["error"]
        print("ntotal", rep["index"]["params"]["ntotal"])
    else:
        fl.read_index(sys.argv[1])  # copies the vectors: must hit the limit
""")


@pytest.mark.parametrize("key", ["Flat", "IVF8,Flat"])
def test_inspect_does_not_load(tmp_path, key):
    n = 200_000  # x 128 floats: 102 MB of vectors
    x = np.random.default_rng(0).standard_normal((n, 128)).astype("float32")
    idx = fl.index_factory(128, key)
    idx.train(x[:5000])
    idx.add(x)
    path = str(tmp_path / "big.index")
    fl.write_index(idx, path)
    del idx, x
    script = str(tmp_path / "limited.py")
    open(script, "w").write(_LIMITED)
    r = subprocess.run([sys.executable, script, path, "inspect"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"ntotal {n}" in r.stdout
    # The control: loading the same file under the same limit fails, so the limit binds.
    r = subprocess.run([sys.executable, script, path, "load"], capture_output=True, text=True)
    assert r.returncode != 0 and "MemoryError" in r.stderr, r.stderr[-2000:]
