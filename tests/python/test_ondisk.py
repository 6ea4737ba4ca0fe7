"""contrib.ondisk.merge_ondisk and OnDiskInvertedLists: FAISS's demo_ondisk_ivf flow, results
equal to the in-memory index, the data file checked on load and at every call."""
import os
import shutil

import numpy as np
import pytest

import faisslike as faiss
from faisslike.contrib import datasets
from faisslike.contrib.ondisk import merge_ondisk


@pytest.fixture(scope="module")
def ds():
    return datasets.SyntheticDataset(32, 5000, 12000, 100)


def build(ds, key, tmp_path, nblocks=3, with_ids=True):
    """FAISS's demo: train, add blocks to copies of the trained index, merge on disk."""
    index = faiss.index_factory(ds.d, key)
    index.train(ds.get_train())
    faiss.write_index(index, str(tmp_path / "trained.index"))
    xb = ds.get_database()
    bs = len(xb) // nblocks
    for b in range(nblocks):
        idx = faiss.read_index(str(tmp_path / "trained.index"))
        if with_ids:
            idx.add_with_ids(xb[b * bs:(b + 1) * bs], np.arange(b * bs, (b + 1) * bs))
        else:
            idx.add(xb[b * bs:(b + 1) * bs])
        faiss.write_index(idx, str(tmp_path / f"block_{b}.index"))
    index = faiss.read_index(str(tmp_path / "trained.index"))
    merge_ondisk(index, [str(tmp_path / f"block_{b}.index") for b in range(nblocks)],
                 str(tmp_path / "merged_index.ivfdata"), shift_ids=not with_ids)
    faiss.write_index(index, str(tmp_path / "populated.index"))
    ref = faiss.index_factory(ds.d, key)
    ref.train(ds.get_train())
    ref.add(xb)
    return index, ref


def search(index, xq, nprobe=8):
    faiss.extract_index_ivf(index).nprobe = nprobe
    return index.search(xq, 10)


@pytest.mark.parametrize("key, with_ids", [("IVF32,Flat", True), ("IVF32,PQ8", True),
                                           ("PCA16,IVF32,SQ8", False)])
def test_merged_ondisk_equals_in_memory(ds, tmp_path, key, with_ids):
    index, ref = build(ds, key, tmp_path, with_ids=with_ids)
    assert index.ntotal == ref.ntotal == ds.nb
    Dr, Ir = search(ref, ds.get_queries())
    for flags in (0, faiss.IO_FLAG_MMAP, faiss.IO_FLAG_READ_ONLY):
        back = faiss.read_index(str(tmp_path / "populated.index"), flags)
        assert back.ntotal == ds.nb
        D, I = search(back, ds.get_queries())
        np.testing.assert_array_equal(I, Ir)
        np.testing.assert_allclose(D, Dr, rtol=1e-5)
    # The index file holds no vectors: only where the lists are.
    assert os.path.getsize(tmp_path / "populated.index") < os.path.getsize(tmp_path / "block_0.index")
    assert faiss.extract_index_ivf(back)._invlists_filename.endswith("merged_index.ivfdata")


def test_data_file_is_checked(ds, tmp_path):
    build(ds, "IVF32,Flat", tmp_path)
    data = tmp_path / "merged_index.ivfdata"
    populated = str(tmp_path / "populated.index")
    original = data.read_bytes()
    # Other contents of the same size: the recorded hash refuses it.
    corrupt = bytearray(original)
    corrupt[len(corrupt) // 2] ^= 0x40
    data.write_bytes(bytes(corrupt))
    with pytest.raises(RuntimeError, match="hash"):
        faiss.read_index(populated)
    data.write_bytes(original[:-64])
    with pytest.raises(RuntimeError, match="bytes"):
        faiss.read_index(populated)
    data.unlink()
    with pytest.raises(OSError):
        faiss.read_index(populated)
    data.write_bytes(original)
    index = faiss.read_index(populated)
    search(index, ds.get_queries())
    # Changed in place after loading: the next call is an error, not other results.
    with open(data, "r+b") as f:
        f.seek(len(original) // 2)
        f.write(b"\0" * 8)
        f.flush()
        os.utime(data, ns=(1, 1))
    with pytest.raises(RuntimeError, match="changed"):
        search(index, ds.get_queries())


def test_ondisk_same_dir(ds, tmp_path):
    build(ds, "IVF32,Flat", tmp_path)
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.move(str(tmp_path / "populated.index"), moved / "populated.index")
    shutil.move(str(tmp_path / "merged_index.ivfdata"), moved / "merged_index.ivfdata")
    with pytest.raises(OSError):  # the recorded path is gone
        faiss.read_index(str(moved / "populated.index"))
    index = faiss.read_index(str(moved / "populated.index"), faiss.IO_FLAG_ONDISK_SAME_DIR)
    assert index.ntotal == ds.nb


def test_changes_copy_the_lists_and_leave_the_data_file(ds, tmp_path):
    build(ds, "IVF32,Flat", tmp_path)
    data = tmp_path / "merged_index.ivfdata"
    before = data.read_bytes()
    index = faiss.read_index(str(tmp_path / "populated.index"))
    x = ds.get_queries()[:5]
    index.add_with_ids(x, np.arange(10**6, 10**6 + 5))
    assert faiss.extract_index_ivf(index)._invlists_filename is None
    D, I = search(index, x, nprobe=32)
    np.testing.assert_array_equal(I[:, 0], np.arange(10**6, 10**6 + 5))
    assert index.remove_ids(faiss.IDSelectorRange(0, 100)) == 100
    assert data.read_bytes() == before


def test_merge_refuses_mismatched_shards(ds, tmp_path):
    build(ds, "IVF32,Flat", tmp_path)
    other = faiss.index_factory(ds.d, "IVF32,Flat")
    other.train(ds.get_train()[::-1].copy() + 1)  # another quantizer
    other.add(ds.get_database()[:100])
    faiss.write_index(other, str(tmp_path / "other.index"))
    index = faiss.read_index(str(tmp_path / "trained.index"))
    with pytest.raises(ValueError, match="quantizer"):
        merge_ondisk(index, [str(tmp_path / "block_0.index"), str(tmp_path / "other.index")],
                     str(tmp_path / "x.ivfdata"))
    assert not (tmp_path / "x.ivfdata").exists()
    full = faiss.read_index(str(tmp_path / "block_0.index"))
    with pytest.raises(ValueError, match="empty"):
        merge_ondisk(full, [str(tmp_path / "block_1.index")], str(tmp_path / "x.ivfdata"))
    lists = faiss.OnDiskInvertedLists(16, 128, str(tmp_path / "y.ivfdata"))
    with pytest.raises(ValueError):
        lists.merge_from_multiple([faiss.extract_index_ivf(full)])
    with pytest.raises(ValueError):
        faiss.extract_index_ivf(full).replace_invlists(lists)


def test_faiss_api_names(ds, tmp_path):
    # The lower-level calls FAISS programs make, as in FAISS's contrib.
    build(ds, "IVF32,Flat", tmp_path)
    shards = [faiss.read_index(str(tmp_path / f"block_{b}.index"), faiss.IO_FLAG_MMAP)
              for b in range(3)]
    vec = faiss.InvertedListsPtrVector()
    for s in shards:
        vec.push_back(faiss.extract_index_ivf(s).invlists)
    index = faiss.read_index(str(tmp_path / "trained.index"))
    ivf = faiss.extract_index_ivf(index)
    il = faiss.OnDiskInvertedLists(ivf.nlist, ivf.code_size, str(tmp_path / "m2.ivfdata"))
    assert il.merge_from_multiple(vec.data(), vec.size(), False) == ds.nb
    ivf.replace_invlists(il, True)
    assert index.ntotal == ds.nb
