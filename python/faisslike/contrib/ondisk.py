"""FAISS's contrib.ondisk: merge IVF shards into one index whose inverted lists live in a
separate data file, read in place (so the lists may exceed RAM).

    index = faiss.read_index("trained.index")
    merge_ondisk(index, ["block_0.index", "block_1.index"], "merged_index.ivfdata")
    faiss.write_index(index, "populated.index")   # records where the lists are
    index = faiss.read_index("populated.index")   # maps merged_index.ivfdata again

The data file's size and hash are recorded in the index file and checked when it is read
(a different data file is an error, never different results). Adding to such an index copies
its lists into memory first (FAISS grows the data file instead)."""
import logging

import faisslike as faiss

LOG = logging.getLogger(__name__)


def _same_quantizer(a, b):
    import numpy as np
    if a.ntotal != b.ntotal or a.d != b.d:
        return False
    return np.array_equal(a.reconstruct_n(0, a.ntotal), b.reconstruct_n(0, b.ntotal))


def merge_ondisk(trained_index, shard_fnames, ivfdata_fname, shift_ids=False):
    """Add the contents of the IVF indexes in shard_fnames (built from trained_index's
    quantizer) to the empty trained_index; the lists are written to ivfdata_fname."""
    if trained_index.ntotal != 0:
        raise ValueError("merge_ondisk works only on an empty index")
    index_ivf = faiss.extract_index_ivf(trained_index)
    ivfs = []
    for fname in shard_fnames:
        LOG.info("read %s", fname)
        shard = faiss.extract_index_ivf(faiss.read_index(fname, faiss.IO_FLAG_MMAP))
        if shard.nlist != index_ivf.nlist or shard.code_size != index_ivf.code_size:
            raise ValueError(f"{fname}: nlist / code_size differ from the trained index")
        if not _same_quantizer(shard.quantizer, index_ivf.quantizer):
            raise ValueError(f"{fname}: its quantizer is not the trained index's "
                             "(shards must be built from a copy of the trained index)")
        ivfs.append(shard)
    invlists = faiss.OnDiskInvertedLists(index_ivf.nlist, index_ivf.code_size, ivfdata_fname)
    LOG.info("merge %d inverted lists", len(ivfs))
    invlists.merge_from_multiple(ivfs, len(ivfs), shift_ids)
    index_ivf.replace_invlists(invlists, True)
    _sync_wrappers(trained_index)


def _sync_wrappers(index):
    # PreTransform chains down to the IVF take the new ntotal from inside out.
    chain = []
    while isinstance(index, faiss.IndexPreTransform):
        chain.append(index)
        index = index.index
    for w in reversed(chain):
        w.sync_ntotal()
