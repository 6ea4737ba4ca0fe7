"""Helpers shared by the IVF merge and sharded-build tests."""


def ivf_lists(index):
    """Every inverted list of index as (ids, code bytes): equal only for the same entries in
    the same order."""
    return [(index.get_list_ids(l).tolist(), index.get_list_codes(l).tobytes())
            for l in range(index.nlist)]
