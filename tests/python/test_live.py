"""Live indexes from Python: threads search (GIL released) while the main thread adds; every
vector whose add returned before a search started is found at distance ~0, every label was
added, and the final index equals one built serially."""
import concurrent.futures as cf
import threading

import numpy as np
import pytest

import faisslike as faiss


@pytest.mark.parametrize("desc", ["Flat", "SQ8", "IVF8,Flat", "IDMap2,Flat", "HNSW16"])
def test_searches_while_adding(desc):
    rs = np.random.RandomState(5)
    d, n0, batch, nb = 16, 300, 50, 20
    n = n0 + batch * nb
    x = (rs.standard_normal((20, d)) * 4)[rs.randint(20, size=n)] + rs.standard_normal((n, d))
    x = x.astype("float32")
    ids = np.arange(n, dtype="int64") * 3 + 1000 if desc.startswith("IDMap") else np.arange(n)
    index = faiss.index_factory(d, desc)
    index.train(x)
    if desc.startswith("IVF"):
        index.nprobe = 8

    def add(lo, hi):
        if desc.startswith("IDMap"):
            index.add_with_ids(x[lo:hi], ids[lo:hi])
        else:
            index.add(x[lo:hi])

    add(0, n0)
    published = [n0]
    done = threading.Event()
    searched = threading.Semaphore(0)
    exact = desc != "HNSW16" and desc != "SQ8"

    def reader(seed):
        r = np.random.RandomState(seed)
        bad = []
        while not done.is_set():
            before = published[0]
            js = r.randint(before, size=4)
            D, I = index.search(x[js], 5)
            limit = published[0] + batch
            valid = set(ids[:limit].tolist()) | {-1}
            bad += [int(l) for l in I.ravel() if int(l) not in valid]
            if exact:
                bad += [int(j) for i, j in enumerate(js) if ids[j] not in I[i] or D[i][0] > 1e-3]
            searched.release()
        return bad

    with cf.ThreadPoolExecutor(max_workers=2) as ex:
        futs = [ex.submit(reader, s) for s in (1, 2)]
        for b in range(nb):
            lo = n0 + b * batch
            add(lo, lo + batch)
            published[0] = lo + batch
            for _ in range(2):  # both readers searched since (an event, not a delay)
                assert searched.acquire(timeout=600)
        done.set()
        bad = [b for f in futs for b in f.result()]
    assert bad == []
    assert index.ntotal == n


@pytest.mark.parametrize("desc", ["IDMap2,Flat", "IDMap2,IVF8,Flat", "IDMap2,HNSW16"])
def test_searches_while_upserting_and_removing(desc):
    """Threads search one id at a time (a selector) while the main thread upserts and removes:
    an id present in every state of a search's window (last write returned before it, to the
    write under way after it) is found exactly once, an id is never found twice, and an id
    absent from every state of the window is never found."""
    d, N, rounds = 16, 200, 60
    vec = lambda j, v: np.random.RandomState(7919 * j + 104729 * v + 17).standard_normal(d).astype("float32")
    index = faiss.index_factory(d, desc)
    index.train(np.random.RandomState(1).standard_normal((2000, d)).astype("float32"))
    if "IVF" in desc:
        index.index.nprobe = 8
    index.max_dead_fraction = 0.2
    cur = np.zeros(N, dtype=int)
    index.add_with_ids(np.stack([vec(j, 0) for j in range(N)]), np.arange(N))
    states = [cur.copy()]  # states[g]: version per id after g writes (-1: absent)
    gen = [0]  # writes returned
    done = threading.Event()
    checked = threading.Semaphore(0)

    def reader(seed):
        r = np.random.RandomState(seed)
        bad = []
        while not done.is_set():
            j = int(r.randint(N))
            q = r.standard_normal((1, d)).astype("float32")
            g0 = gen[0]
            params = faiss.SearchParameters(sel=faiss.IDSelectorArray(np.array([j])))
            D, I = index.search(q, 2, params=params)
            g1 = min(gen[0] + 1, len(states) - 1)  # the write under way is recorded
            window = [states[g][j] for g in range(g0, g1 + 1)]
            found = int((I[0] == j).sum())
            if found > 1 or (found == 0 and min(window) >= 0) or (found == 1 and max(window) < 0):
                bad.append((j, found, g0, g1))
            checked.release()
        return bad

    wr = np.random.RandomState(9)
    with cf.ThreadPoolExecutor(max_workers=2) as ex:
        futs = [ex.submit(reader, s) for s in (3, 4)]
        for g in range(1, rounds + 1):
            nxt = states[-1].copy()
            if g % 3 == 0:
                rm = np.unique(wr.randint(N, size=12))
                rm = rm[nxt[rm] >= 0]
                nxt[rm] = -1
                states.append(nxt)
                assert index.remove_ids(rm.astype("int64")) == len(rm)
            else:
                ids = wr.choice(N, 15, replace=False)
                nxt[ids] = g
                states.append(nxt)
                index.add_with_ids(np.stack([vec(j, g) for j in ids]), ids.astype("int64"), replace=True)
            gen[0] = g
            for _ in range(2):  # both readers checked since (an event, not a delay)
                assert checked.acquire(timeout=600)
        done.set()
        bad = [b for f in futs for b in f.result()]
    assert bad == []
    final = states[-1]
    assert index.ntotal == int((final >= 0).sum())
    for j in range(0, N, 7):
        if final[j] >= 0:
            np.testing.assert_array_equal(index.reconstruct(j), vec(j, final[j]))
    index.compact()
    assert index.num_dead == 0 and index.ntotal == int((final >= 0).sum())


def test_upsert_bad_input():
    d = 8
    x = np.random.RandomState(0).standard_normal((4, d)).astype("float32")
    two = faiss.IndexIDMap2(faiss.IndexFlatL2(d))
    two.add_with_ids(x[:2], np.array([1, 2]))
    with pytest.raises(RuntimeError, match="duplicate id 2"):
        two.add_with_ids(x[2:], np.array([3, 2]))
    assert two.ntotal == 2
    with pytest.raises(RuntimeError, match="replace"):
        faiss.IndexIDMap(faiss.IndexFlatL2(d)).add_with_ids(x, np.arange(4), replace=True)
    with pytest.raises(RuntimeError, match="replace"):
        faiss.IndexFlatL2(d).add_with_ids(x, np.arange(4), replace=True)
    with pytest.raises(ValueError):
        two.max_dead_fraction = -0.5
    two.add_with_ids(x[2:], np.array([3, 2]), replace=True)
    assert two.ntotal == 3 and two.num_dead == 1
    np.testing.assert_array_equal(two.reconstruct(2), x[3])
