#include "faisslike/IndexHNSW.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/IndexPQ.h"
#include "faisslike/IndexPQFastScan.h"
#include "faisslike/IndexScalarQuantizer.h"
#include "faisslike/impl/Heap.h"
#include "faisslike/impl/Operation.h"
#include "faisslike/impl/PQ4Scan.h"
#include "faisslike/impl/Parallel.h"
#include "faisslike/impl/ResultCollector.h"
#include "kernels/kernel_table.h"

namespace faisslike {

// ---------------------------------------------------------------- graph bookkeeping

HNSW::HNSW(int M_in) : M(M_in) {
    FAISSLIKE_CHECK_ARG(M >= 2 && M <= 512, "HNSW M must be in [2, 512], got M=%d", M);
    level_mult = 1.0 / std::log(double(M));
}

void HNSW::materialize_links() {
    if (!links0_mapped) return;
    links0.assign(links0_mapped, links0_mapped + links0_mapped_n);
    links_upper.assign(links_upper_mapped, links_upper_mapped + links_upper_mapped_n);
    unmap_links();
}

void HNSW::unmap_links() {
    links0_mapped = links_upper_mapped = nullptr;
    links0_mapped_n = links_upper_mapped_n = 0;
    links_owner.reset();
}

void HNSW::clear_graph() {
    unmap_links();
    levels.clear();
    links0.clear();
    upper_offsets.clear();
    links_upper.clear();
    max_level = -1;
    entry_point = -1;
    unrepaired = 0;
    publish_entry();
}

size_t HNSW::compute_upper_offsets() {
    upper_offsets.assign(levels.size(), -1);
    return assign_upper_offsets(0, 0);
}

size_t HNSW::assign_upper_offsets(size_t first, size_t offset) {
    upper_offsets.resize(levels.size(), -1);
    for (size_t i = first; i < levels.size(); ++i) {
        if (levels[i] > 0) {
            upper_offsets[i] = int64_t(offset);
            offset += size_t(levels[i]) * size_t(M + 1);
        }
    }
    return offset;
}

void HNSW::validate(int64_t ntotal) const {
    FAISSLIKE_THROW_IF_NOT_FMT(int64_t(levels.size()) == ntotal,
                               "HNSW has %zu levels for ntotal=%lld", levels.size(),
                               (long long)ntotal);
    if (ntotal == 0) {
        FAISSLIKE_THROW_IF_NOT_FMT(entry_point == -1 && max_level == -1,
                                   "empty HNSW with entry point %lld", (long long)entry_point);
        return;
    }
    int top = 0;
    for (int8_t l : levels) {
        FAISSLIKE_THROW_IF_NOT_FMT(l >= 0 && l <= 30, "HNSW node level %d out of range", int(l));
        top = std::max(top, int(l));
    }
    FAISSLIKE_THROW_IF_NOT_FMT(top == max_level, "HNSW max_level %d but nodes reach level %d",
                               max_level, top);
    FAISSLIKE_THROW_IF_NOT_FMT(
        entry_point >= 0 && entry_point < ntotal && levels[size_t(entry_point)] == max_level,
        "HNSW entry point %lld is invalid", (long long)entry_point);
    for (int64_t i = 0; i < ntotal; ++i) {
        for (int l = 0; l <= levels[size_t(i)]; ++l) {
            const int32_t* r = row(i, l);
            FAISSLIKE_THROW_IF_NOT_FMT(r[0] >= 0 && r[0] <= capacity(l),
                                       "HNSW node %lld level %d has %d links (capacity %d)",
                                       (long long)i, l, r[0], capacity(l));
            for (int j = 1; j <= r[0]; ++j) {
                FAISSLIKE_THROW_IF_NOT_FMT(r[j] >= 0 && r[j] < ntotal && levels[size_t(r[j])] >= l,
                                           "HNSW node %lld level %d links to invalid node %d",
                                           (long long)i, l, r[j]);
            }
        }
    }
}

// ---------------------------------------------------------------- search machinery

namespace {

// Visited set: one bit per node, so it stays in L2 (1M nodes: 128 KB; hnswlib's 16-bit
// tags take 2 MB and miss on most checks). Reset clears only the words touched last time:
// O(visited), not O(ntotal).
struct VisitedTable {
    std::vector<uint64_t> bits;
    std::vector<uint32_t> touched;  // word indexes set since the last reset
    void prepare(size_t n) {
        const size_t words = (n + 63) / 64;
        if (touched.size() * 8 > bits.size()) {
            std::fill(bits.begin(), bits.end(), 0);
        } else {
            for (uint32_t w : touched) bits[w] = 0;
        }
        touched.clear();
        if (bits.size() < words) bits.resize(words, 0);
    }
    bool visit(size_t i) {
        uint64_t& w = bits[i >> 6];
        const uint64_t m = uint64_t(1) << (i & 63);
        if (w & m) return true;
        if (w == 0) touched.push_back(uint32_t(i >> 6));
        w |= m;
        return false;
    }
};

// Link rows are read while an add beside the search rewrites them (atomic stores, the count
// last): plain loads on x86, no data race for the compiler.
inline int32_t load_link(const int32_t* p) {
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}
inline int32_t load_count(const int32_t* p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
inline void store_link(int32_t* p, int32_t v) {
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
inline void store_count(int32_t* p, int32_t v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

// Asks for the cache lines of [p + from, p + bytes), into L1 (Locality 3) or only as far as
// L2 (2): a prefetch into L1 waits for a free L1 miss buffer, so asking for many lines ahead
// of time (a quantized-graph record) stalls the walk; into L2 it does not.
template <int Locality = 3>
inline void prefetch_lines(const void* p, size_t bytes, size_t from = 0) {
    const char* c = static_cast<const char*>(p);
    for (size_t o = from; o < bytes; o += 64) __builtin_prefetch(c + o, 0, Locality);
}

struct Node {
    float d;
    int32_t id;
};
struct Closer {  // min-heap on distance
    bool operator()(const Node& a, const Node& b) const { return a.d > b.d; }
};
struct Farther {  // max-heap on distance
    bool operator()(const Node& a, const Node& b) const { return a.d < b.d; }
};

// The ef best estimates seen, sorted (a linear pool, as NSG / Glass: cheaper than two heaps
// at these sizes); `cur` is the nearest not yet expanded. Expanded entries have the id's
// sign bit set.
struct LinearPool {
    std::vector<Node> a;
    size_t n = 0, cap = 0, cur = 0;
    void reset(size_t ef) {
        cap = ef;
        n = cur = 0;
    }
    bool full() const { return n >= cap; }
    float worst() const { return a[n - 1].d; }
    void insert(float d, int32_t id) {
        if (n == cap && d >= a[n - 1].d) return;
        size_t lo = 0, hi = n;
        while (lo < hi) {
            const size_t mid = (lo + hi) / 2;
            if (a[mid].d <= d)
                lo = mid + 1;
            else
                hi = mid;
        }
        // Grown as entries come, not to ef up front: efSearch may be huge (a file's
        // setting) while the walk only ever holds what it visits.
        if (a.size() < n + 1) a.resize(std::min(cap + 1, std::max<size_t>(64, 2 * a.size())));
        std::memmove(&a[lo + 1], &a[lo], (n - lo) * sizeof(Node));
        a[lo] = {d, id};
        if (n < cap) ++n;
        if (lo < cur) cur = lo;
    }
    bool has_next() const { return cur < n; }
    int32_t pop() {
        const int32_t id = a[cur].id;
        a[cur].id |= int32_t(0x80000000u);
        while (cur < n && a[cur].id < 0) ++cur;
        return id;
    }
    int32_t peek() const { return a[cur].id; }
};

// One query's quantized walk (QgWalker): its visited set, pool, table and progress.
struct QgLane {
    VisitedTable vis;
    LinearPool pool;
    pq4scan::QueryTable t;
    const float* q = nullptr;
    float qn = 0, inv = 0, dep = 0;
    size_t k = 0;
    float* hv = nullptr;
    idx_t* hi = nullptr;
    bool first = true;
    int32_t fetched = -1;  // the node whose record was last asked for
    const uint8_t* pf_rec = nullptr;
    size_t pf_done = 0, pf_end = 0;  // the part of it asked for so far, and its end
};

// Per-thread state reused across queries (no allocation once warm). Looked up once per
// query and passed down: each thread_local access from a shared library is a call.
struct SearchScratch {
    VisitedTable vis;
    std::vector<QgLane> lanes;  // quantized walk: one per query in flight
    std::vector<Node> cand, res;
    std::vector<int32_t> nbuf;
    ScalarQuantizer::QueryTables qt;  // 8-bit traversal
};
// Not inlined on purpose: given the TLS address, GCC re-computes it (a call to
// __tls_get_addr in a shared library) at every use in the hot loop.
__attribute__((noinline)) SearchScratch& thread_scratch() {
    thread_local SearchScratch s;
    return s;
}

// Spinlock per node: one byte each (hnswlib's mutexes cost 40 B per node).
struct NodeLocks {
    std::unique_ptr<std::atomic<uint8_t>[]> v;
    size_t n = 0;
    void resize(size_t n_new) {
        v.reset(new std::atomic<uint8_t>[n_new]);
        for (size_t i = 0; i < n_new; ++i) v[i].store(0, std::memory_order_relaxed);
        n = n_new;
    }
    void lock(size_t i) {
        while (v[i].exchange(1, std::memory_order_acquire)) {
            while (v[i].load(std::memory_order_relaxed)) {
            }
        }
    }
    void unlock(size_t i) { v[i].store(0, std::memory_order_release); }
};

// What the graph code needs of the stored vectors: a query type, distances (smaller is
// better), and where each vector lives (for prefetching). Float vectors (optionally walked
// on their 8-bit codes) and binary codes (Hamming) share the graph code below.
struct FloatSpace {
    using Query = const float*;
    const float* xb;
    size_t d;
    bool ip;
    const kernels::KernelTable& K;
    // 8-bit traversal (IndexHNSWFlat::sq8_traversal): distances from d-byte codes and the
    // query's tables instead of the floats; results are re-ranked exactly afterwards.
    const uint8_t* codes = nullptr;
    const ScalarQuantizer* sq = nullptr;
    const ScalarQuantizer::QueryTables* qt = nullptr;

    Query node_query(int64_t v) const { return xb + size_t(v) * d; }

    const char* vec_ptr(int64_t v) const {
        return codes ? reinterpret_cast<const char*>(codes + size_t(v) * d)
                     : reinterpret_cast<const char*>(xb + size_t(v) * d);
    }
    size_t vec_bytes() const { return codes ? d : d * sizeof(float); }

    float dist(const float* q, int64_t v) const {
        if (codes) {
            float o;
            sq->distances(K, *qt, ip, codes + size_t(v) * d, 1, &o);
            return ip ? -o : o;
        }
        const float* y = xb + size_t(v) * d;
        return ip ? -K.inner_product(q, y, d) : K.L2sqr(q, y, d);
    }
    float dist_nodes(int64_t a, int64_t b) const { return dist(node_query(a), b); }
    void dist4(const float* q, int64_t a, int64_t b, int64_t c, int64_t e, float* out) const {
        if (codes) {
            out[0] = dist(q, a);
            out[1] = dist(q, b);
            out[2] = dist(q, c);
            out[3] = dist(q, e);
            return;
        }
        if (ip) {
            K.inner_product_batch4(q, xb + size_t(a) * d, xb + size_t(b) * d, xb + size_t(c) * d,
                                   xb + size_t(e) * d, d, out);
            for (int t = 0; t < 4; ++t) out[t] = -out[t];
        } else {
            K.L2sqr_batch4(q, xb + size_t(a) * d, xb + size_t(b) * d, xb + size_t(c) * d,
                           xb + size_t(e) * d, d, out);
        }
    }
};

// Binary codes of cs bytes, Hamming distance (exact in a float).
struct BinarySpace {
    using Query = const uint8_t*;
    const uint8_t* xb;
    size_t cs;
    const kernels::KernelTable& K;

    Query node_query(int64_t v) const { return xb + size_t(v) * cs; }
    const char* vec_ptr(int64_t v) const {
        return reinterpret_cast<const char*>(xb + size_t(v) * cs);
    }
    size_t vec_bytes() const { return cs; }
    float dist(Query q, int64_t v) const {
        int32_t o;
        K.hamming_ny(&o, q, xb + size_t(v) * cs, cs, 1);
        return float(o);
    }
    float dist_nodes(int64_t a, int64_t b) const { return dist(node_query(a), b); }
    void dist4(Query q, int64_t a, int64_t b, int64_t c, int64_t e, float* out) const {
        int32_t o[4];
        K.hamming_batch4(q, node_query(a), node_query(b), node_query(c), node_query(e), cs, o);
        for (int t = 0; t < 4; ++t) out[t] = float(o[t]);
    }
};

// Codes of a flat-codes storage (SQ, PQ), scored by its codec. A query carries its own
// scorer (set to the query vector); pair distances while building decode the first node
// into a per-thread scorer kept while the same node comes back (the heuristic's loops do).
struct CodesQuery {
    std::unique_ptr<CodeScorer> scorer;
};

std::atomic<uint64_t> g_codes_space_epoch{0};

struct CodesSpace {
    using Query = const CodesQuery*;
    const IndexFlatCodes* storage;
    const uint8_t* codes;
    size_t cs;
    bool ip;
    // Identifies this build for the per-thread memos (a storage address can be reused by
    // another index after this one is gone; an epoch cannot).
    uint64_t epoch = g_codes_space_epoch.fetch_add(1) + 1;

    const char* vec_ptr(int64_t v) const {
        return reinterpret_cast<const char*>(codes + size_t(v) * cs);
    }
    size_t vec_bytes() const { return cs; }
    float dist(Query q, int64_t v) const {
        float o;
        q->scorer->score(codes + size_t(v) * cs, 1, &o);
        return ip ? -o : o;
    }
    void dist4(Query q, int64_t a, int64_t b, int64_t c, int64_t e, float* out) const {
        out[0] = dist(q, a);
        out[1] = dist(q, b);
        out[2] = dist(q, c);
        out[3] = dist(q, e);
    }
    // A thread's query object for stored node v (the vector decoded, the scorer set).
    const CodesQuery* query_of(int64_t v, int slot) const {
        struct Memo {
            uint64_t epoch = 0;
            int64_t node = -1;
            CodesQuery q;
            std::vector<float> buf;
        };
        thread_local Memo memo[2];  // slot 0: the inserted node's walk; 1: pair distances
        Memo& m = memo[slot];
        if (m.epoch != epoch || !m.q.scorer) {
            m.epoch = epoch;
            m.q.scorer = storage->get_scorer();
            m.node = -1;
        }
        if (m.node != v) {
            m.buf.resize(size_t(storage->d));
            storage->decode(1, codes + size_t(v) * cs, m.buf.data());
            m.q.scorer->set_query(m.buf.data());
            m.node = v;
        }
        return &m.q;
    }
    Query node_query(int64_t v) const { return query_of(v, 0); }
    float dist_nodes(int64_t a, int64_t b) const { return dist(query_of(a, 1), b); }
};

// Read-only view of the graph for one walk: distances (from the Space) and best-first
// search. Link rows come through a `Links` reader: in place when searching, a locked copy
// when building.
template <class Space>
struct GraphViewT : Space {
    using Query = typename Space::Query;
    const HNSW& h;
    // Nodes at or past `limit` are not followed: added beside this search (not counted in the
    // ntotal it started with), their vectors may lie past the storage block it reads.
    int64_t limit = std::numeric_limits<int64_t>::max();
    // Where walk() starts: the published entry point, loaded before the count (limit).
    int64_t entry = -1;
    int top = -1;
    GraphViewT(const HNSW& h, const Space& s) : Space(s), h(h) {}
    using Space::dist;
    using Space::dist4;
    using Space::vec_bytes;
    using Space::vec_ptr;

    // A whole walk: greedy descent through the upper levels from the entry point, then a
    // best-first search with ef at level 0; results in s.res (a max-heap).
    template <class Links, class Accept>
    void walk(Query q, int ef, SearchScratch& s, const Links& links, const Accept& accept) const {
        walk(q, ef, s, links, accept, [](int32_t, float) {});
    }
    // The same, handing every node scored at level 0 to visit(node, distance).
    template <class Links, class Accept, class Visit>
    void walk(Query q, int ef, SearchScratch& s, const Links& links, const Accept& accept,
              const Visit& visit) const {
        if (entry < 0) return;
        int64_t ep;
        float dep;
        descend(q, ep, dep, s, links);
        search_layer_visit(q, 0, ep, dep, ef, s, links, accept, visit);
    }
    // Greedy descent from the entry point (which must exist) through the upper levels: where
    // level 0's walk starts, and its distance.
    template <class Links>
    void descend(Query q, int64_t& ep, float& dep, SearchScratch& s, const Links& links) const {
        ep = entry;
        dep = dist(q, ep);
        for (int lev = top; lev > 0; --lev) greedy(q, lev, ep, dep, s.nbuf, links);
    }

    // Greedy descent on one level.
    template <class Links>
    void greedy(Query q, int level, int64_t& cur, float& dcur, std::vector<int32_t>& nb,
                const Links& links) const {
        for (bool changed = true; changed;) {
            changed = false;
            int cnt;
            const int32_t* l = links(cur, level, nb, cnt);
            for (int j = 0; j < cnt; ++j) {
                const int32_t v = load_link(l + j);
                if (v >= limit) continue;
                const float dv = dist(q, v);
                if (dv < dcur) {
                    dcur = dv;
                    cur = v;
                    changed = true;
                }
            }
        }
    }

    // Best-first search on one level; leaves up to ef results in s.res (a max-heap). Only
    // nodes `accept` approves enter the results; the others are still expanded, so filtered
    // searches keep walking through rejected regions (recall holds for selective filters,
    // at the price of more distance computations).
    template <class Links, class Accept>
    void search_layer_if(Query q, int level, int64_t ep, float dep, int ef, SearchScratch& s,
                         const Links& links_of, const Accept& accept) const {
        search_layer_visit(q, level, ep, dep, ef, s, links_of, accept, [](int32_t, float) {});
    }

    // The same, also handing every node it scores (with its distance) to visit(): what
    // range search collects.
    template <class Links, class Accept, class Visit>
    void search_layer_visit(Query q, int level, int64_t ep, float dep, int ef, SearchScratch& s,
                            const Links& links_of, const Accept& accept, const Visit& visit) const {
        VisitedTable& vis = s.vis;
        std::vector<Node>& res = s.res;
        std::vector<Node>& cand = s.cand;
        std::vector<int32_t>& nb = s.nbuf;
        vis.prepare(std::min(h.levels.size(), size_t(std::min<int64_t>(limit, INT32_MAX))));
        res.clear();
        cand.clear();
        vis.visit(size_t(ep));
        if (accept(int32_t(ep))) {
            res.push_back({dep, int32_t(ep)});
            visit(int32_t(ep), dep);
        }
        cand.push_back({dep, int32_t(ep)});
        // Every fresh neighbour's row is asked for whole as soon as it is known, into L2 only
        // (Locality 2): an L1 prefetch waits for a free L1 miss buffer, so asking for ten rows
        // at once stalled the walk. Against whole rows into L1 (d <= 128) or the first line
        // then one group of four ahead (longer rows): float walk 1.5-1.7x the QPS on syn-100k,
        // 1.3-1.5x on 768-d; 8-bit walk on 768-d 1.6-1.8x; build 1.2x.
        const size_t line_bytes = vec_bytes();
        const size_t row_bytes = size_t(h.capacity(level) + 1) * sizeof(int32_t);
        int32_t fresh[1024];
        while (!cand.empty()) {
            std::pop_heap(cand.begin(), cand.end(), Closer());
            const Node c = cand.back();
            cand.pop_back();
            if (int(res.size()) >= ef && c.d > res.front().d) break;
            int cnt;
            const int32_t* links = links_of(c.id, level, nb, cnt);
            // Unvisited neighbours first, so only their vectors are prefetched.
            int m = 0;
            for (int j = 0; j < cnt; ++j) {
                const int32_t v = load_link(links + j);
                if (v >= limit || vis.visit(size_t(v))) continue;
                fresh[m++] = v;
                prefetch_lines<2>(vec_ptr(v), line_bytes);
            }
            auto consider = [&](int32_t v, float dv) {
                if (accept(v)) visit(v, dv);
                if (int(res.size()) < ef || dv < res.front().d) {
                    // Likely expanded later: start fetching its links (hnswlib gets them
                    // for free by storing links next to the vector).
                    __builtin_prefetch(links_of.row(v, level), 0, 2);
                    cand.push_back({dv, v});
                    std::push_heap(cand.begin(), cand.end(), Closer());
                    if (!accept(v)) return;
                    res.push_back({dv, v});
                    std::push_heap(res.begin(), res.end(), Farther());
                    if (int(res.size()) > ef) {
                        std::pop_heap(res.begin(), res.end(), Farther());
                        res.pop_back();
                    }
                }
            };
            int j = 0;
            for (; j + 4 <= m; j += 4) {
                float dv[4];
                dist4(q, fresh[j], fresh[j + 1], fresh[j + 2], fresh[j + 3], dv);
                for (int t = 0; t < 4; ++t) consider(fresh[j + t], dv[t]);
            }
            for (; j < m; ++j) consider(fresh[j], dist(q, fresh[j]));
            // The next candidate's links are the next cache miss: ask for them now.
            if (!cand.empty()) prefetch_lines<2>(links_of.row(cand.front().id, level), row_bytes);
        }
    }
};

// Rows read in place: searching. The arrays' blocks are taken once, after the search's count:
// they hold every node it follows, and an add that outgrows them retires them only after
// this search (it then sees the rows as they were when the block was replaced).
struct InPlaceLinks {
    const int32_t* l0;
    const int32_t* lu;
    const int64_t* uo;
    size_t w0, wu;
    explicit InPlaceLinks(const HNSW& h)
        : l0(h.links0_data()),
          lu(h.links_upper_data()),
          uo(h.upper_offsets.data()),
          w0(size_t(2 * h.M + 1)),
          wu(size_t(h.M + 1)) {}
    const int32_t* row(int64_t node, int level) const {
        return level == 0 ? l0 + size_t(node) * w0
                          : lu + size_t(uo[size_t(node)]) + size_t(level - 1) * wu;
    }
    const int32_t* operator()(int64_t node, int level, std::vector<int32_t>&, int& cnt) const {
        const int32_t* r = row(node, level);
        cnt = load_count(r);
        return r + 1;
    }
};

// Rows read from a memory-mapped file: validated at load, but another program can change
// the file under the mapping. Each row is copied, then its count and ids checked before any
// id becomes an address: changed bytes give an Error, never a wild read.
struct CheckedLinks {
    const HNSW& h;
    int64_t n;
    const int32_t* row(int64_t node, int level) const { return h.row(node, level); }
    const int32_t* operator()(int64_t node, int level, std::vector<int32_t>& out, int& cnt) const {
        const int32_t* r = h.row(node, level);
        const int32_t c = r[0];
        if (c < 0 || c > h.capacity(level)) changed(node, level);
        out.assign(r + 1, r + 1 + c);
        for (int32_t v : out)
            if (v < 0 || v >= n) changed(node, level);
        cnt = c;
        return out.data();
    }
    [[noreturn]] static void changed(int64_t node, int level) {
        FAISSLIKE_THROW_FMT(
            "HNSW links of node %lld at level %d are invalid: the memory-mapped file was "
            "changed after loading",
            (long long)node, level);
    }
};

using GraphView = GraphViewT<FloatSpace>;

// Building: the only code that writes links, each row under its node's lock.
template <class Space>
struct GraphBuilder {
    HNSW& h;
    GraphViewT<Space> g;
    NodeLocks& locks;

    const int32_t* row(int64_t node, int level) const { return h.row(node, level); }
    // Copies node's links at level under its lock.
    const int32_t* operator()(int64_t node, int level, std::vector<int32_t>& out, int& cnt) const {
        locks.lock(size_t(node));
        const int32_t* r = h.row(node, level);
        cnt = r[0];
        out.assign(r + 1, r + 1 + cnt);
        locks.unlock(size_t(node));
        return out.data();
    }

    // Malkov & Yashunin alg. 4: keep a candidate only if it is closer to the base than to
    // every neighbour kept so far. `cands` is sorted by distance to the base.
    void select_heuristic(std::vector<Node>& cands, int max_size) const {
        if (int(cands.size()) <= max_size) return;
        std::vector<Node> kept;
        kept.reserve(size_t(max_size));
        for (const Node& c : cands) {
            bool good = true;
            for (const Node& s : kept) {
                if (g.dist_nodes(c.id, s.id) < c.d) {
                    good = false;
                    break;
                }
            }
            if (good) {
                kept.push_back(c);
                if (int(kept.size()) >= max_size) break;
            }
        }
        cands.swap(kept);
    }

    // Adds `src` to dst's links at level, shrinking with the heuristic when full.
    void add_link(int64_t dst, int64_t src, int level) {
        locks.lock(size_t(dst));
        int32_t* r = h.mutable_row(dst, level);
        const int cap = h.capacity(level);
        if (r[0] < cap) {
            store_link(r + 1 + r[0], int32_t(src));
            store_count(r, r[0] + 1);  // searches beside see the link once counted
            locks.unlock(size_t(dst));
            return;
        }
        std::vector<Node> c;
        c.reserve(size_t(cap) + 1);
        c.push_back({g.dist_nodes(dst, src), int32_t(src)});
        for (int j = 1; j <= cap; ++j) c.push_back({g.dist_nodes(dst, r[j]), r[j]});
        std::sort(c.begin(), c.end(), [](const Node& a, const Node& b) { return a.d < b.d; });
        const float hr = std::min(std::max(h.prune_headroom, 0.0f), 0.5f);
        select_heuristic(c, std::max(1, cap - int(float(cap) * hr)));
        // Rewritten in place: a search beside reads each id before or after (all valid nodes).
        for (size_t j = 0; j < c.size(); ++j) store_link(r + 1 + j, c[j].id);
        store_count(r, int32_t(c.size()));
        locks.unlock(size_t(dst));
    }

    // Two repairs of level 0, on one thread after the parallel insertions; returns the links
    // added. (1) A node fewer than kMinInDegree rows link to gets links from the nearest
    // nodes of its own row that have free slots. (2) A node a walk from the entry point still
    // cannot reach (every link to it was pruned from full rows) is linked from a reachable
    // node with a free slot: the first of its own row, else the nearest a search from the
    // entry finds. Without them 665 of syn-100k's 100k nodes (M = 32) were not found by their
    // own vector even at efSearch 4096 and recall@10 stopped near 0.997; after, 13.
    static constexpr int kMinInDegree = 4;
    size_t repair_level0(size_t n) {
        if (h.entry_point < 0) return 0;
        const int cap = h.capacity(0);
        size_t added = 0;
        auto append = [&](int64_t dst, int32_t v) {
            locks.lock(size_t(dst));
            int32_t* r = h.mutable_row(dst, 0);
            store_link(r + 1 + r[0], v);
            store_count(r, r[0] + 1);  // searches beside see the link once counted
            locks.unlock(size_t(dst));
            ++added;
        };
        std::vector<int32_t> indeg(n, 0);
        for (size_t v = 0; v < n; ++v) {
            const int32_t* r = h.row(int64_t(v), 0);
            for (int j = 1; j <= r[0]; ++j) indeg[size_t(r[j])]++;
        }
        for (size_t v = 0; v < n; ++v) {
            const int32_t* r = h.row(int64_t(v), 0);
            for (int j = 1; j <= r[0] && indeg[v] < kMinInDegree; ++j) {
                const int32_t* ur = h.row(r[j], 0);
                if (ur[0] >= cap || std::find(ur + 1, ur + 1 + ur[0], int32_t(v)) != ur + 1 + ur[0])
                    continue;
                append(r[j], int32_t(v));
                indeg[v]++;
            }
        }
        std::vector<uint8_t> seen(n, 0);
        std::vector<int32_t> stack;
        auto mark_from = [&](int64_t s0) {
            if (seen[size_t(s0)]) return;
            seen[size_t(s0)] = 1;
            stack.push_back(int32_t(s0));
            while (!stack.empty()) {
                const int32_t* r = h.row(stack.back(), 0);
                stack.pop_back();
                for (int j = 1; j <= r[0]; ++j)
                    if (!seen[size_t(r[j])]) {
                        seen[size_t(r[j])] = 1;
                        stack.push_back(r[j]);
                    }
            }
        };
        mark_from(h.entry_point);
        auto usable = [&](int64_t u, int64_t v) {
            return u != v && seen[size_t(u)] && h.row(u, 0)[0] < cap;
        };
        SearchScratch& s = thread_scratch();
        for (size_t v = 0; v < n; ++v) {
            if (seen[v]) continue;
            int64_t from = -1;
            const int32_t* r = h.row(int64_t(v), 0);
            for (int j = 1; j <= r[0] && from < 0; ++j)
                if (usable(r[j], int64_t(v))) from = r[j];
            if (from < 0) {
                const auto qv = g.node_query(int64_t(v));
                int64_t ep = h.entry_point;
                float dep = g.dist(qv, ep);
                for (int lev = h.max_level; lev > 0; --lev)
                    g.greedy(qv, lev, ep, dep, s.nbuf, *this);
                g.search_layer_if(qv, 0, ep, dep, h.efConstruction, s, *this,
                                  [](int32_t) { return true; });
                std::sort(s.res.begin(), s.res.end(),
                          [](const Node& a, const Node& b) { return a.d < b.d; });
                for (const Node& c : s.res)
                    if (usable(c.id, int64_t(v))) {
                        from = c.id;
                        break;
                    }
            }
            if (from < 0) continue;  // every candidate row is full: left as it is
            append(from, int32_t(v));
            mark_from(int64_t(v));
        }
        return added;
    }

    void insert(int64_t q, std::mutex& global) {
        const int L = h.levels[size_t(q)];
        std::unique_lock<std::mutex> lk(global);
        int64_t ep = h.entry_point;
        const int maxl = h.max_level;
        if (ep < 0) {
            h.entry_point = q;
            h.max_level = L;
            return;
        }
        // Keep the global lock for the whole insertion only if q becomes the new top.
        if (L <= maxl) lk.unlock();
        const auto qv = g.node_query(q);
        float dep = g.dist(qv, ep);
        SearchScratch& s = thread_scratch();
        for (int lev = maxl; lev > L; --lev) g.greedy(qv, lev, ep, dep, s.nbuf, *this);
        for (int lev = std::min(L, maxl); lev >= 0; --lev) {
            g.search_layer_if(qv, lev, ep, dep, h.efConstruction, s, *this,
                              [](int32_t) { return true; });
            std::vector<Node>& res = s.res;
            std::sort(res.begin(), res.end(),
                      [](const Node& a, const Node& b) { return a.d < b.d; });
            ep = res[0].id;
            dep = res[0].d;
            std::vector<Node> sel(res.begin(), res.end());
            select_heuristic(sel, lev == 0 && h.level0_select_2M ? 2 * h.M : h.M);
            locks.lock(size_t(q));
            int32_t* r = h.mutable_row(q, lev);
            for (size_t j = 0; j < sel.size(); ++j) store_link(r + 1 + j, sel[j].id);
            store_count(r, int32_t(sel.size()));
            locks.unlock(size_t(q));
            for (const Node& n : sel) add_link(n.id, q, lev);
        }
        if (L > maxl) {
            h.entry_point = q;
            h.max_level = L;
        }
    }
};

// Adds nodes n0 .. n1-1 (their vectors already in the space) to the graph: levels from the
// seeded generator, rows, then parallel insertion.
template <class Space>
void build_graph(HNSW& hnsw, size_t n0, size_t n1, const Space& space) {
    if (n1 == n0) return;
    // Levels drawn in node order from the seeded generator: the same data, seed and thread
    // count give the same graph (deterministic with one thread).
    std::mt19937_64 rng(hnsw.seed + n0);
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    hnsw.levels.resize(n1);
    for (size_t i = n0; i < n1; ++i) {
        const double u = std::max(uni(rng), 1e-300);
        hnsw.levels[i] = int8_t(std::min(30, int(-std::log(u) * hnsw.level_mult)));
    }
    hnsw.links0.resize(n1 * size_t(2 * hnsw.M + 1), 0);
    // Upper rows are appended for the new nodes only (existing offsets stay valid).
    const size_t off = hnsw.assign_upper_offsets(n0, hnsw.links_upper.size());
    hnsw.links_upper.resize(off, 0);
    NodeLocks locks;
    locks.resize(n1);
    std::mutex global;
    GraphBuilder<Space> b{hnsw, GraphViewT<Space>(hnsw, space), locks};
    size_t start = n0;
    // A small graph is grown on one thread: two threads racing through an almost empty graph
    // do not see each other's nodes, and on clustered data the first nodes could end up
    // linked only among themselves, leaving whole clusters hard to reach (recall 0.78 instead
    // of 0.99 in 1 build of ~60 under load). 1024 nodes cost milliseconds.
    const size_t seq_until = 1024;
    for (; start < n1 && (hnsw.entry_point < 0 || start < seq_until); ++start)
        b.insert(int64_t(start), global);
    // Chunks of 16: neighbouring inserts share little, and the scheduling cost stays small.
    const int64_t nchunks = (int64_t(n1 - start) + 15) / 16;
    parallel_for(nchunks, [&](int64_t c) {
        const int64_t i0 = int64_t(start) + c * 16, i1 = std::min<int64_t>(i0 + 16, int64_t(n1));
        for (int64_t i = i0; i < i1; ++i) b.insert(i, global);
    });
    // The repair is a pass over the whole graph (0.3-0.45 s at 1M nodes, M = 32, syn-1m): once
    // per add call (its last block, also through wrappers), and only once the nodes added
    // since the last repair are 1/64 of the graph or more (small adds wait for later ones).
    hnsw.unrepaired += int64_t(n1 - n0);
    if (add_ends_with_block(int64_t(n1 - n0)) && hnsw.unrepaired * 64 >= int64_t(n1)) {
        b.repair_level0(n1);
        hnsw.unrepaired = 0;
    }
}

// efSearch of one call: the parameters' (FAISS's default 16; 0: the index's), checked; never
// below k when k > 0 (as FAISS: never fewer candidates than results).
int effective_ef(const HNSW& hnsw, const SearchParameters* params, idx_t k) {
    int ef = hnsw.efSearch;
    if (auto p = params_as<SearchParametersHNSW>(params, "SearchParametersHNSW")) {
        if (p->efSearch) ef = p->efSearch;
    }
    FAISSLIKE_CHECK_ARG(ef > 0, "efSearch must be > 0, got %d", ef);
    return int(std::max<idx_t>(ef, k));
}

// Runs f(links) with the link reader the graph needs: in place, or checked row by row when
// the links are mapped from a file another program could change.
template <class F>
void with_links(const HNSW& h, int64_t ntotal, F&& f) {
    if (h.links0_mapped)
        f(CheckedLinks{h, ntotal});
    else
        f(InPlaceLinks{h});
}

void check_hnsw_add(const HNSW& hnsw, idx_t ntotal, idx_t n) {
    FAISSLIKE_THROW_IF_NOT_FMT(ntotal + n < (idx_t(1) << 31),
                               "HNSW holds at most 2^31 - 1 "
                               "vectors (ntotal=%lld, n=%lld)",
                               (long long)ntotal, (long long)n);
    // Fields may be set directly from C++: refuse what would build a broken graph.
    FAISSLIKE_CHECK_ARG(hnsw.efConstruction > 0, "efConstruction must be > 0, got %d",
                        hnsw.efConstruction);
}

// What one search of an IndexHNSWFlat reads while adds and removals run beside it, in the
// reverse of the order they publish. The graph: the entry point, then the count (nodes past
// it are not followed), then the vectors; the caller holds the storage's read scope, so the
// block read outlives the search.
GraphView live_view(const IndexHNSWFlat& idx) {
    GraphView g(idx.hnsw, FloatSpace{nullptr, size_t(idx.d),
                                     idx.metric_type == METRIC_INNER_PRODUCT, kernels::current()});
    idx.hnsw.published.load(g.entry, g.top);
    g.limit = idx.ntotal;
    g.xb = idx.storage.get_xb();
    return g;
}

// The deletion flags: their count first (a removal publishes it after setting them), then
// the block.
struct DeletedFlags {
    size_t n = 0;
    const uint8_t* flags = nullptr;
    explicit DeletedFlags(const IndexHNSWFlat& idx) {
        n = idx.ndeleted != 0 ? idx.deleted.size() : 0;
        flags = n ? idx.deleted.data() : nullptr;
    }
    bool any() const { return flags != nullptr; }
    bool operator()(idx_t v) const {
        return flags && v >= 0 && size_t(v) < n && __atomic_load_n(flags + v, __ATOMIC_RELAXED);
    }
};

}  // namespace

// ---------------------------------------------------------------- index

IndexHNSWFlat::IndexHNSWFlat(idx_t d_in, int M, MetricType metric)
    : Index(d_in, metric), hnsw(M), storage(d_in, metric) {}

void IndexHNSWFlat::do_add(idx_t n, const float* x) {
    check_hnsw_add(hnsw, ntotal, n);
    const size_t n0 = size_t(ntotal), n1 = n0 + size_t(n);
    hnsw.materialize_links();
    storage.add(n, x);
    if (!deleted.empty()) deleted.resize(n1, 0);
    build_graph(hnsw, n0, n1,
                FloatSpace{storage.get_xb(), size_t(d), metric_type == METRIC_INNER_PRODUCT,
                           kernels::current()});
    ntotal = idx_t(n1);
    if (traversal_sq) encode_traversal(idx_t(n0));  // (adds are exclusive then)
    if (qg_pq) pack_qg();  // links of older nodes changed too: every row again
    hnsw.publish_entry();  // after ntotal: a search starting from it counts its node
}

bool IndexHNSWFlat::concurrent_add() const {
    return !storage.is_mapped() && !hnsw.links0_mapped && !traversal_sq && !qg_pq;
}

void HNSW::set_efSearch(int ef) {
    FAISSLIKE_CHECK_ARG(ef > 0, "efSearch must be > 0, got %d", ef);
    efSearch = ef;
}

void HNSW::set_efConstruction(int ef) {
    FAISSLIKE_CHECK_ARG(ef > 0, "efConstruction must be > 0, got %d", ef);
    efConstruction = ef;
}

void HNSW::set_prune_headroom(float headroom) {
    FAISSLIKE_CHECK_ARG(headroom >= 0.0f && headroom <= 0.5f,
                        "prune_headroom must be in [0, 0.5], got %g", double(headroom));
    prune_headroom = headroom;
}

namespace {

constexpr size_t kQgPrefetchChunk = 8 * 64;  // bytes of the next record per prefetch point
// Queries in flight per thread in a batch (syn-1m, 2 threads: 1 / 3 / 4 lanes gave 55.3k /
// 60.3k / 59.6k QPS at efSearch 48; 8 was no better than 4, mixed across efSearch).
constexpr idx_t kQgLanes = 4;

// The quantized-graph walk of level 0 (IndexHNSWFlat::set_qg_traversal): candidates are
// ordered by 4-bit PQ estimates; expanding a node reads its record (IndexHNSWFlat::qg_records),
// scores all its neighbours at once from the codes there (one pq4_scan call, bounded by the
// pool's worst estimate) and scores the node itself exactly into the k results. Only accepted
// nodes enter the results; every node is walked through. One expansion per step(), so that a
// thread can interleave the walks of several queries (QgLane).
struct QgWalker {
    const IndexHNSWFlat& idx;
    const GraphView& g;
    const kernels::KernelTable& K;
    const size_t nbl, rb, d, rb1;
    const uint8_t* records;
    const uint64_t* wide;
    const bool ip;
    QgWalker(const IndexHNSWFlat& idx, const GraphView& g)
        : idx(idx),
          g(g),
          K(g.K),
          nbl(idx.qg_nblocks),
          rb(idx.qg_record),
          d(size_t(idx.d)),
          rb1(idx.qg_codes_at + pq4::block_bytes(idx.qg_M4)),  // up to block 0
          records(idx.qg_records.data()),
          wide(idx.qg_wide.data()),
          ip(idx.metric_type == METRIC_INNER_PRODUCT) {}

    void start(QgLane& L, const float* q, int64_t ep, float dep, int ef, size_t k, float* hv,
               idx_t* hi) const {
        // Always the L2 table; inner product estimated from it (IndexHNSWFlat::qg_norms_at).
        L.t.compute(*idx.qg_pq, idx.qg_M4, METRIC_L2, q);
        L.q = q;
        L.inv = 1.0f / L.t.scale;
        L.qn = ip ? K.norm_L2sqr(q, d) : 0.0f;
        L.dep = dep;
        L.k = k;
        L.hv = hv;
        L.hi = hi;
        L.first = true;
        L.vis.prepare(std::min(g.h.levels.size(), size_t(std::min<int64_t>(g.limit, INT32_MAX))));
        L.pool.reset(size_t(ef));
        L.vis.visit(size_t(ep));
        L.pool.insert(dep, int32_t(ep));
        prefetch(L, int32_t(ep));
    }

    // The next record is asked for a few lines at a time at four points of an expansion: a
    // prefetch instruction waits for a free miss buffer, so all 29 lines at once (m = 64)
    // stalled the walk until the first ones came (perf: a third of the walk's time on the
    // prefetch loop); spread out, they overlap the expansion's work (+5-16% QPS on syn-1m).
    static void prefetch_more(QgLane& L) {
        const size_t stop = std::min(L.pf_end, L.pf_done + kQgPrefetchChunk);
        prefetch_lines<2>(L.pf_rec, stop, L.pf_done);
        L.pf_done = stop;
    }
    void prefetch(QgLane& L, int32_t v) const {
        L.pf_rec = records + size_t(v) * rb;
        L.pf_done = 0;
        L.pf_end = (wide[v >> 6] >> (v & 63)) & 1 ? rb : rb1;
        prefetch_more(L);
        L.fetched = v;
    }

    // Expands the best unexpanded candidate; false once there is none left.
    template <class Accept>
    bool step(QgLane& L, const Accept& accept) const {
        LinearPool& pool = L.pool;
        if (!pool.has_next()) return false;
        const pq4scan::QueryTable& t = L.t;
        const float inv = L.inv, qn = L.qn;
        const int32_t c = pool.pop();
        // The next expansion's record while this one runs: the best candidate now is the
        // next one unless this node's neighbours beat it (then asked for below).
        if (pool.has_next()) prefetch(L, pool.peek());
        const uint8_t* rec = records + size_t(c) * rb;
        const int32_t* row = reinterpret_cast<const int32_t*>(rec);
        const int cnt = row[0];
        // The kernel's bound in L2 units; for inner product with the largest norm, so that it
        // lets through every neighbour whose own norm could bring it under the pool's worst.
        const int l32 =
            !pool.full() ? 65535
            : ip ? pq4scan::kernel_limit(2 * pool.worst() + qn + idx.qg_max_norm2, t.scale, t.bias)
                 : pq4scan::kernel_limit(pool.worst(), t.scale, t.bias);
        const float* nr = ip ? reinterpret_cast<const float*>(rec + idx.qg_norms_at) : nullptr;
        if (cnt > 0 && l32 >= 0) {
            alignas(64) uint16_t out[64 * 2];
            uint32_t masks[2];
            const uint8_t* lut = t.q.data();
            const uint16_t lim = uint16_t(l32);
            const size_t nblk = std::min(nbl, size_t(cnt + 31) / 32);
            K.pq4_scan(rec + idx.qg_codes_at, nblk, idx.qg_M4, &lut, 1, &lim, out, masks);
            prefetch_more(L);
            VisitedTable& vis = L.vis;
            for (size_t b = 0; b < nblk; ++b) {
                uint32_t m = masks[b];
                while (m) {
                    const int j = int(b * 32) + __builtin_ctz(m);
                    m &= m - 1;
                    if (j >= cnt) break;
                    const int32_t v = row[1 + j];
                    if (v >= g.limit || vis.visit(size_t(v))) continue;
                    const float e = float(out[j]) * inv + t.bias;
                    pool.insert(ip ? 0.5f * (e - qn - nr[j]) : e, v);
                }
            }
            if (pool.has_next() && pool.peek() != L.fetched) prefetch(L, pool.peek());
        }
        prefetch_more(L);
        // The node's exact distance after its neighbours': the next record arrives meanwhile.
        if (accept(c)) {
            const float* y = reinterpret_cast<const float*>(rec + idx.qg_vec_at);
            const float dc = L.first ? L.dep
                             : ip    ? -K.inner_product(L.q, y, d)
                                     : K.L2sqr(L.q, y, d);
            heap_push_if_better<HeapC>(L.k, L.hv, L.hi, dc, c);
        }
        L.first = false;
        prefetch_lines<2>(L.pf_rec, L.pf_end, L.pf_done);  // the rest of the next record
        L.pf_done = L.pf_end;
        return pool.has_next();
    }
};

// The quantized walk over a batch. Each thread keeps several queries in flight (lanes) and
// expands one node of each in turn: while one waits for its next record from DRAM, the
// others expand theirs.
template <class Links, class Accept>
void qg_search(const IndexHNSWFlat& idx, idx_t n, const float* x, idx_t k, float* distances,
               idx_t* labels, int ef, const GraphView& g, const Links& links,
               const Accept& accept) {
    const QgWalker w(idx, g);
    // Chunks of up to 8 queries per lane, fewer when the batch is small, so that every
    // thread gets work.
    const idx_t nt = std::max(1, parallel_threads());
    const idx_t chunk = std::max<idx_t>(1, std::min<idx_t>((n + nt - 1) / nt, kQgLanes * 8));
    const size_t lanes = size_t(std::min<idx_t>(chunk, kQgLanes));
    const size_t d = w.d;
    const bool ip = w.ip;
    parallel_for((n + chunk - 1) / chunk,
                 [&](idx_t c) {
                     SearchScratch& s = thread_scratch();
                     if (s.lanes.size() < lanes) s.lanes.resize(lanes);
                     idx_t next = c * chunk;
                     const idx_t end = std::min(n, next + chunk);
                     // Starts the chunk's next query in lane L; false when none is left.
                     auto begin = [&](QgLane& L) {
                         while (next < end) {
                             const idx_t i = next++;
                             float* hv = distances + i * k;
                             idx_t* hi = labels + i * k;
                             heap_heapify<HeapC>(size_t(k), hv, hi);
                             if (g.entry < 0) {
                                 finalize_results(size_t(k), hv, hi, ip, 0.0f);
                                 continue;
                             }
                             const float* q = x + i * d;
                             int64_t ep;
                             float dep;
                             g.descend(q, ep, dep, s, links);
                             w.start(L, q, ep, dep, ef, size_t(k), hv, hi);
                             return true;
                         }
                         return false;
                     };
                     size_t active = 0;
                     while (active < lanes && begin(s.lanes[active])) ++active;
                     while (active > 0) {
                         for (size_t l = 0; l < active;) {
                             QgLane& L = s.lanes[l];
                             if (w.step(L, accept)) {
                                 ++l;
                                 continue;
                             }
                             finalize_results(L.k, L.hv, L.hi, ip, 0.0f);
                             if (begin(L))
                                 ++l;
                             else if (--active != l)
                                 std::swap(L, s.lanes[active]);
                         }
                     }
                 },
                 n > 1);
}

}  // namespace

void IndexHNSWFlat::do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                              const SearchParameters* params) const {
    const int ef = effective_ef(hnsw, params, k);
    const IDSelector* sel = selector_of(params);
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    const HNSW& h = hnsw;
    IndexReadScope storage_scope(storage);
    const GraphView g = live_view(*this);
    const DeletedFlags deleted_now(*this);
    // One walk, over rows read in place or (mapped file) copied and checked.
    auto run = [&](const auto& links) {
        if (qg_pq) {
            qg_search(*this, n, x, k, distances, labels, ef, g, links,
                      [&](int32_t v) { return !deleted_now(v) && (!sel || sel->is_member(v)); });
            return;
        }
        parallel_for(
            n,
            [&](idx_t i) {
                float* hv = distances + i * k;
                idx_t* hi = labels + i * k;
                heap_heapify<HeapC>(size_t(k), hv, hi);
                if (g.entry >= 0) {
                    const float* q = x + i * d;
                    SearchScratch& s = thread_scratch();
                    int64_t ep;
                    float dep;
                    g.descend(q, ep, dep, s, links);
                    // Level 0 on 8-bit codes when enabled (4x fewer bytes per distance), then
                    // exact distances for the ef results.
                    GraphView g0 = g;
                    if (traversal_sq) {
                        traversal_sq->set_query(q, ip, s.qt);
                        g0.codes = traversal_codes.data();
                        g0.sq = traversal_sq.get();
                        g0.qt = &s.qt;
                        dep = g0.dist(q, ep);
                    }
                    if (sel || deleted_now.any()) {
                        g0.search_layer_if(q, 0, ep, dep, ef, s, links, [&](int32_t v) {
                            return !deleted_now(v) && (!sel || sel->is_member(v));
                        });
                    } else {
                        g0.search_layer_if(q, 0, ep, dep, ef, s, links,
                                           [](int32_t) { return true; });
                    }
                    if (traversal_sq) {
                        // ef random rows: ask for all of them before the first is needed.
                        for (const Node& r : s.res)
                            prefetch_lines<2>(g.vec_ptr(r.id), size_t(d) * sizeof(float));
                        for (Node& r : s.res) r.d = g.dist(q, r.id);
                    }
                    for (const Node& r : s.res)
                        heap_push_if_better<HeapC>(size_t(k), hv, hi, r.d, r.id);
                }
                finalize_results(size_t(k), hv, hi, ip, 0.0f);
            },
            n > 1);
    };
    with_links(h, ntotal, run);
}

void IndexHNSWFlat::do_range_search(idx_t n, const float* x, float radius,
                                    RangeSearchResult* result,
                                    const SearchParameters* params) const {
    // As FAISS: the nodes a k-NN walk with efSearch scores, kept when within radius
    // (approximate: a larger efSearch finds more). Walks the float vectors even with the
    // 8-bit traversal on, so the distances compared with the radius are exact.
    const int ef = effective_ef(hnsw, params, 0);
    const IDSelector* sel = selector_of(params);
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    const HNSW& h = hnsw;
    IndexReadScope storage_scope(storage);
    const GraphView g = live_view(*this);
    const DeletedFlags deleted_now(*this);
    // Internal distances are "smaller is better": -ip for inner product.
    const float thr = ip ? -radius : radius;
    std::vector<std::vector<std::pair<float, idx_t>>> hits(static_cast<size_t>(n));
    auto run = [&](const auto& links) {
        parallel_for(
            n,
            [&](idx_t i) {
                auto& out = hits[size_t(i)];
                g.walk(
                    x + i * d, ef, thread_scratch(), links,
                    [&](int32_t v) { return !deleted_now(v) && (!sel || sel->is_member(v)); },
                    [&](int32_t v, float dv) {
                        if (dv < thr) out.push_back({dv, idx_t(v)});
                    });
                std::sort(out.begin(), out.end());
            },
            n > 1);
    };
    with_links(h, ntotal, run);
    result->nq = size_t(n);
    result->lims.assign(size_t(n) + 1, 0);
    result->labels.clear();
    result->distances.clear();
    for (size_t i = 0; i < size_t(n); ++i) {
        for (const auto& [dv, id] : hits[i]) {
            result->distances.push_back(ip ? -dv : dv);
            result->labels.push_back(id);
        }
        result->lims[i + 1] = result->labels.size();
    }
}

void IndexHNSWFlat::set_sq8_traversal(bool on) {
    set_sq8_traversal(on ? std::make_unique<ScalarQuantizer>(size_t(d), ScalarQuantizer::QT_8bit)
                         : nullptr);
}

void IndexHNSWFlat::set_sq8_traversal(std::unique_ptr<ScalarQuantizer> sq) {
    FAISSLIKE_THROW_IF_NOT_MSG(!sq || (sq->qtype == ScalarQuantizer::QT_8bit && sq->d == size_t(d)),
                               "the traversal quantizer must be 8-bit with the index's d");
    IndexWriteScope w(*this);  // searches read the codes: none runs while they change
    install_sq8(std::move(sq));
}

void IndexHNSWFlat::install_sq8(std::unique_ptr<ScalarQuantizer> sq) {
    decltype(traversal_codes)().swap(traversal_codes);
    traversal_sq = std::move(sq);
    if (traversal_sq && ntotal > 0) encode_traversal(0);
}

void IndexHNSWFlat::encode_traversal(idx_t from) {
    // Ranges come from the vectors present when first encoding; later vectors outside them
    // clamp (traversal gets coarser there, results stay exact after re-ranking).
    if (!traversal_sq->is_trained()) traversal_sq->train(size_t(ntotal), storage.get_xb());
    traversal_codes.resize(size_t(ntotal) * size_t(d));
    traversal_sq->compute_codes(storage.get_xb() + size_t(from) * size_t(d),
                                traversal_codes.data() + size_t(from) * size_t(d),
                                size_t(ntotal - from));
}

void IndexHNSWFlat::set_qg_traversal(int pq_M) {
    FAISSLIKE_CHECK_ARG(pq_M >= 0 && pq_M <= 256 && (pq_M == 0 || d % pq_M == 0),
                        "qg_traversal: pq_M must divide d=%d and be in [1, 256] (0: off), got %d",
                        d, pq_M);
    set_qg_traversal(pq_M ? std::make_unique<ProductQuantizer>(size_t(d), size_t(pq_M), 4)
                          : nullptr);
}

void IndexHNSWFlat::set_qg_traversal(std::unique_ptr<ProductQuantizer> pq) {
    FAISSLIKE_THROW_IF_NOT_MSG(!pq || (pq->nbits == 4 && pq->d == size_t(d) && pq->M <= 256),
                               "the quantized-graph PQ must be 4-bit with the index's d");
    FAISSLIKE_CHECK_ARG(!pq || 2 * hnsw.M <= 64,
                        "qg_traversal: level-0 rows of 2M=%d links; at most 64", 2 * hnsw.M);
    IndexWriteScope w(*this);  // searches read the blocks: none runs while they change
    install_qg(std::move(pq));
}

void IndexHNSWFlat::install_qg(std::unique_ptr<ProductQuantizer> pq) {
    decltype(qg_records)().swap(qg_records);
    std::vector<uint64_t>().swap(qg_wide);
    qg_pq = std::move(pq);
    if (!qg_pq) return;
    qg_M4 = pq4::padded_M(qg_pq->M);
    qg_nblocks = size_t(2 * hnsw.M + 31) / 32;
    auto up64 = [](size_t b) { return (b + 63) / 64 * 64; };
    const size_t row_bytes = size_t(2 * hnsw.M + 1) * sizeof(int32_t);
    qg_norms_at = metric_type == METRIC_INNER_PRODUCT ? row_bytes : 0;
    qg_vec_at = up64(row_bytes + (qg_norms_at ? size_t(2 * hnsw.M) * sizeof(float) : 0));
    qg_codes_at = up64(qg_vec_at + size_t(d) * sizeof(float));
    qg_record = qg_codes_at + qg_nblocks * pq4::block_bytes(qg_M4);
    if (ntotal > 0) pack_qg();
}

void IndexHNSWFlat::pack_qg() {
    ProductQuantizer& pq = *qg_pq;
    const size_t n = size_t(ntotal), dd = size_t(d);
    const float* xb = storage.get_xb();
    if (!pq.is_trained()) {
        // A strided sample: the first vectors may all come from one region.
        const size_t ns = std::min<size_t>(n, 65536), step = n / ns;
        std::vector<float> sample(ns * dd);
        for (size_t i = 0; i < ns; ++i)
            std::memcpy(sample.data() + i * dd, xb + i * step * dd, dd * sizeof(float));
        pq.train(idx_t(ns), sample.data());
    }
    std::vector<uint8_t> codes(n * pq.code_size);
    pq.compute_codes(xb, codes.data(), n);
    const size_t row_bytes = size_t(2 * hnsw.M + 1) * sizeof(int32_t);
    std::vector<float> norms;
    qg_max_norm2 = 0;
    if (qg_norms_at) {
        norms.resize(n);
        kernels::current().norms_L2sqr(norms.data(), xb, dd, n);
        for (float v : norms) qg_max_norm2 = std::max(qg_max_norm2, v);
    }
    qg_records.resize(n * qg_record);
    qg_wide.assign((n + 63) / 64, 0);
    for (size_t v = 0; v < n; ++v)
        if (hnsw.row(idx_t(v), 0)[0] > 32) qg_wide[v / 64] |= uint64_t(1) << (v % 64);
    parallel_for(idx_t(n), [&](idx_t v) {
        // The row, the neighbours' codes in link order packed by the fast-scan layout's own
        // packer, the vector.
        thread_local std::vector<uint8_t> gathered, packed;
        const int32_t* row = hnsw.row(v, 0);
        const size_t cnt = size_t(row[0]);
        gathered.resize(cnt * pq.code_size);
        for (size_t j = 0; j < cnt; ++j)
            std::memcpy(gathered.data() + j * pq.code_size,
                        codes.data() + size_t(row[1 + j]) * pq.code_size, pq.code_size);
        packed.clear();
        pq4::pack(pq, gathered.data(), 0, cnt, packed);
        uint8_t* rec = qg_records.data() + size_t(v) * qg_record;
        std::memset(rec, 0, qg_record);
        std::memcpy(rec, row, row_bytes);
        if (qg_norms_at) {
            float* nr = reinterpret_cast<float*>(rec + qg_norms_at);
            for (size_t j = 0; j < cnt; ++j) nr[j] = norms[size_t(row[1 + j])];
        }
        std::memcpy(rec + qg_codes_at, packed.data(), packed.size());
        std::memcpy(rec + qg_vec_at, xb + size_t(v) * dd, dd * sizeof(float));
    });
}

// ---------------------------------------------------------------- IndexHNSWQG

int IndexHNSWQG::default_pq_M(idx_t d) {
    FAISSLIKE_CHECK_ARG(d > 0, "d must be > 0, got %lld", (long long)d);
    if (d <= 64) return int(d);
    for (idx_t m = std::min<idx_t>(256, d / 2); m > 1; --m)
        if (d % m == 0) return int(m);
    return 1;
}

IndexHNSWQG::IndexHNSWQG(idx_t d_in, int M, int pq_M, MetricType metric)
    : IndexHNSWFlat(d_in, M, metric) {
    FAISSLIKE_CHECK_ARG(M <= 32,
                        "IndexHNSWQG: M must be in [2, 32] (level-0 rows of 2M <= 64 "
                        "links), got %d",
                        M);
    FAISSLIKE_CHECK_ARG(pq_M >= 0, "IndexHNSWQG: pq_M must be >= 0 (0: default), got %d", pq_M);
    hnsw.efConstruction = 200;
    if (pq_M == 0 && !pq_walk_by_default(d_in))
        set_sq8_traversal(true);
    else
        set_qg_traversal(pq_M ? pq_M : default_pq_M(d_in));
}

bool IndexHNSWFlat::is_deleted(idx_t label) const {
    return DeletedFlags(*this)(label);
}

size_t IndexHNSWFlat::do_remove_ids(const IDSelector& sel) {
    // Beside searches: the flags first, then the count they read first.
    size_t removed = 0;
    const idx_t nt = ntotal;
    for (idx_t i = 0; i < nt; ++i) {
        if (!sel.is_member(i) || is_deleted(i)) continue;
        if (deleted.empty()) deleted.resize(size_t(nt), 0);
        __atomic_store_n(&deleted[size_t(i)], uint8_t(1), __ATOMIC_RELAXED);
        ++removed;
    }
    if (removed) ndeleted += idx_t(removed);
    return removed;
}

size_t IndexHNSWFlat::do_compact() {
    if (ndeleted == 0) return 0;
    std::vector<float> live;
    live.reserve((size_t(ntotal) - ndeleted) * size_t(d));
    const float* xb = storage.get_xb();
    for (idx_t i = 0; i < ntotal; ++i)
        if (!deleted[size_t(i)]) live.insert(live.end(), xb + i * d, xb + (i + 1) * d);
    const size_t freed = ndeleted;
    do_reset();
    const idx_t nlive = idx_t(live.size() / size_t(d));
    if (nlive) do_add(nlive, live.data());
    return freed;
}

void IndexHNSWFlat::do_reset() {
    const bool traversal = sq8_traversal();
    const int qg = qg_pq ? int(qg_pq->M) : 0;
    deleted.clear();
    ndeleted = 0;
    hnsw.clear_graph();  // the parameters stay
    storage.reset();
    ntotal = 0;
    // Codes, ranges and codebooks go, the options stay (inside reset's write scope).
    install_sq8(traversal ? std::make_unique<ScalarQuantizer>(size_t(d), ScalarQuantizer::QT_8bit)
                          : nullptr);
    install_qg(qg ? std::make_unique<ProductQuantizer>(size_t(d), size_t(qg), 4) : nullptr);
}

void IndexHNSWFlat::do_reconstruct(idx_t key, float* recons) const {
    FAISSLIKE_THROW_IF_NOT_FMT(!is_deleted(key), "id %lld was removed", (long long)key);
    storage.reconstruct(key, recons);  // checks the range (same ntotal)
}

// ---------------------------------------------------------------- binary

IndexBinaryHNSW::IndexBinaryHNSW(idx_t d_in, int M) : IndexBinary(d_in), hnsw(M), storage(d_in) {}

void IndexBinaryHNSW::do_add(idx_t n, const uint8_t* x) {
    check_hnsw_add(hnsw, ntotal, n);
    const size_t n0 = size_t(ntotal), n1 = n0 + size_t(n);
    hnsw.materialize_links();
    storage.add(n, x);
    build_graph(hnsw, n0, n1, BinarySpace{storage.get_xb(), size_t(code_size), kernels::current()});
    ntotal = idx_t(n1);
    hnsw.publish_entry();
}

void IndexBinaryHNSW::do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* distances,
                                idx_t* labels, const SearchParameters* params) const {
    const int ef = effective_ef(hnsw, params, k);
    const IDSelector* sel = selector_of(params);
    const HNSW& h = hnsw;
    GraphViewT<BinarySpace> g(h,
                              BinarySpace{storage.get_xb(), size_t(code_size), kernels::current()});
    h.published.load(g.entry, g.top);  // adds exclude searches here
    auto run = [&](const auto& links) {
        parallel_for(
            n,
            [&](idx_t i) {
                HammingTopK top(size_t(k), distances + i * k, labels + i * k);
                {
                    SearchScratch& s = thread_scratch();
                    s.res.clear();
                    g.walk(x + size_t(i) * size_t(code_size), ef, s, links,
                           [&](int32_t v) { return !sel || sel->is_member(v); });
                    for (const Node& r : s.res) top.add(int32_t(r.d), r.id);
                }
                top.finish();
            },
            n > 1);
    };
    with_links(h, ntotal, run);
}

void IndexBinaryHNSW::do_reset() {
    hnsw.clear_graph();
    storage.reset();
    ntotal = 0;
}

void IndexBinaryHNSW::do_reconstruct(idx_t key, uint8_t* recons) const {
    storage.reconstruct(key, recons);
}

// ---------------------------------------------------------------- HNSW over codes

IndexHNSWCodes::IndexHNSWCodes(std::unique_ptr<IndexFlatCodes> st, int M)
    : Index(st ? st->d : 0, st ? st->metric_type : METRIC_L2), hnsw(M), storage(std::move(st)) {
    is_trained = storage->is_trained;
}

void IndexHNSWCodes::do_train(idx_t n, const float* x) {
    storage->train(n, x);
    is_trained = storage->is_trained;
}

void IndexHNSWCodes::do_add(idx_t n, const float* x) {
    check_hnsw_add(hnsw, ntotal, n);
    const size_t n0 = size_t(ntotal), n1 = n0 + size_t(n);
    hnsw.materialize_links();
    storage->add(n, x);
    build_graph(hnsw, n0, n1,
                CodesSpace{storage.get(), storage->codes.data(), storage->code_size,
                           metric_type == METRIC_INNER_PRODUCT});
    ntotal = idx_t(n1);
    hnsw.publish_entry();
}

void IndexHNSWCodes::do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                               const SearchParameters* params) const {
    const int ef = effective_ef(hnsw, params, k);
    const IDSelector* sel = selector_of(params);
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    const HNSW& h = hnsw;
    GraphViewT<CodesSpace> g(
        h, CodesSpace{storage.get(), storage->codes.data(), storage->code_size, ip});
    h.published.load(g.entry, g.top);  // adds exclude searches here
    auto run = [&](const auto& links) {
        parallel_for_with(
            n, [&] { return CodesQuery{storage->get_scorer()}; },
            [&](CodesQuery& cq, int64_t i) {
                float* hv = distances + i * k;
                idx_t* hi = labels + i * k;
                heap_heapify<HeapC>(size_t(k), hv, hi);
                {
                    cq.scorer->set_query(x + i * d);
                    SearchScratch& s = thread_scratch();
                    s.res.clear();
                    g.walk(&cq, ef, s, links, [&](int32_t v) { return !sel || sel->is_member(v); });
                    for (const Node& r : s.res)
                        heap_push_if_better<HeapC>(size_t(k), hv, hi, r.d, r.id);
                }
                finalize_results(size_t(k), hv, hi, ip, 0.0f);
            },
            n > 1);
    };
    with_links(h, ntotal, run);
}

void IndexHNSWCodes::do_reset() {
    hnsw.clear_graph();
    storage->reset();
    ntotal = 0;
}

void IndexHNSWCodes::do_reconstruct(idx_t key, float* recons) const {
    storage->reconstruct(key, recons);
}

IndexHNSWSQ::IndexHNSWSQ(idx_t d, ScalarQuantizer::QuantizerType qtype, int M, MetricType metric)
    : IndexHNSWCodes(std::make_unique<IndexScalarQuantizer>(d, qtype, metric), M) {}

IndexHNSWPQ::IndexHNSWPQ(idx_t d, int pq_m, int M, int pq_nbits, MetricType metric)
    : IndexHNSWCodes(std::make_unique<IndexPQ>(d, size_t(pq_m), size_t(pq_nbits), metric), M) {
    FAISSLIKE_CHECK_ARG(pq_m > 0 && pq_nbits > 0, "pq M and nbits must be > 0, got %d, %d", pq_m,
                        pq_nbits);
}

IndexHNSW2Level::IndexHNSW2Level(Index* quantizer, size_t nlist, int m_pq, int M, MetricType metric)
    : IndexHNSWCodes(std::make_unique<Index2Layer>(quantizer, nlist, m_pq, 8, metric), M) {}

IndexHNSW2Level::IndexHNSW2Level(std::unique_ptr<Index2Layer> st, int M)
    : IndexHNSWCodes(std::move(st), M) {}

// The constructors put an Index2Layer there and nothing replaces it.
Index2Layer& IndexHNSW2Level::storage2l() const {
    return static_cast<Index2Layer&>(*storage);
}

}  // namespace faisslike
