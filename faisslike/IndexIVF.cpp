#include "faisslike/IndexIVF.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <typeinfo>
#include <vector>

#include "faisslike/Error.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/impl/Parallel.h"
#include "faisslike/impl/ResultCollector.h"
#include "faisslike/impl/ScanSearch.h"

namespace faisslike {

// ---------------------------------------------------------------- DirectMap

void DirectMap::set_type(Type t, const InvertedLists& il, idx_t ntotal) {
    FAISSLIKE_THROW_IF_NOT_FMT(t == NoMap || t == Array || t == Hashtable,
                               "invalid direct map type %d", int(t));
    clear();
    type = t;
    if (t == NoMap) return;
    if (t == Array) array.assign(size_t(ntotal), ~uint64_t(0));
    for (size_t l = 0; l < il.nlist; ++l) {
        const idx_t* ids = il.get_ids(l);
        for (size_t o = 0, ls = il.list_size(l); o < ls; ++o) {
            if (t == Array) {
                if (ids[o] < 0 || ids[o] >= ntotal || array[size_t(ids[o])] != ~uint64_t(0)) {
                    clear();
                    FAISSLIKE_THROW_FMT(
                        "an Array direct map needs ids 0..ntotal-1 each once; "
                        "found id %lld (use the Hashtable type for other ids)",
                        (long long)ids[o]);
                }
                array[size_t(ids[o])] = lo_build(l, o);
            } else {
                hashtable[ids[o]] = lo_build(l, o);
            }
        }
    }
}

void DirectMap::add(idx_t id, size_t list_no, size_t offset) {
    if (type == Array) {
        FAISSLIKE_THROW_IF_NOT_FMT(id == idx_t(array.size()),
                                   "an Array direct map needs sequential ids: got %lld, "
                                   "expected %zu",
                                   (long long)id, array.size());
        array.push_back(lo_build(list_no, offset));
    } else if (type == Hashtable) {
        std::unique_lock<std::shared_mutex> lk(hashtable_mutex);
        hashtable[id] = lo_build(list_no, offset);
    }
}

uint64_t DirectMap::get(idx_t id) const {
    FAISSLIKE_THROW_IF_NOT_MSG(type != NoMap,
                               "direct map not initialized: call make_direct_map() first");
    if (type == Array) {
        FAISSLIKE_THROW_IF_NOT_FMT(id >= 0 && size_t(id) < array.size(), "id %lld not in the index",
                                   (long long)id);
        return array[size_t(id)];
    }
    std::shared_lock<std::shared_mutex> lk(hashtable_mutex);
    auto it = hashtable.find(id);
    FAISSLIKE_THROW_IF_NOT_FMT(it != hashtable.end(), "id %lld not in the index", (long long)id);
    return it->second;
}

void DirectMap::clear() {
    LiveArray<uint64_t>().swap(array);
    hashtable.clear();
}

// ---------------------------------------------------------------- IndexIVF

bool IndexIVF::concurrent_add() const {
    return invlists && invlists->concurrent_append();
}

IndexIVF::IndexIVF(Index* quantizer_in, idx_t d_in, size_t nlist_in, size_t code_size_in,
                   MetricType metric)
    : Index(d_in, metric),
      quantizer(quantizer_in, false),
      nlist(nlist_in),
      code_size(code_size_in) {
    FAISSLIKE_CHECK_ARG_MSG(quantizer.get() != nullptr, "the IVF quantizer is null");
    FAISSLIKE_CHECK_ARG(quantizer->d == d, "quantizer has d=%d, the index d=%d", quantizer->d, d);
    FAISSLIKE_CHECK_ARG(nlist >= 1 && nlist <= (size_t(1) << 31),
                        "nlist must be in [1, 2^31], got nlist=%zu", nlist);
    FAISSLIKE_CHECK_ARG_MSG(!quantizer->accepts_ids(),
                            "the IVF quantizer must label its vectors 0..nlist-1 (an IDMap, IVF "
                            "or id-keeping Shards quantizer returns other ids)");
    cp.niter = 10;
    if (metric == METRIC_INNER_PRODUCT) cp.spherical = true;
    invlists = std::make_unique<ArrayInvertedLists>(nlist, code_size);
    // Already trained when the quantizer holds exactly nlist centroids.
    is_trained = quantizer->is_trained && size_t(quantizer->ntotal) == nlist;
}

void IndexIVF::check_quantizer() const {
    FAISSLIKE_THROW_IF_NOT_MSG(!quantizer->accepts_ids(),
                               "the IVF quantizer must label its vectors 0..nlist-1");
    FAISSLIKE_THROW_IF_NOT_FMT(quantizer->is_trained && size_t(quantizer->ntotal) == nlist,
                               "the IVF quantizer holds %lld centroids for nlist=%zu (was it "
                               "reset or changed after training?)",
                               (long long)quantizer->ntotal, nlist);
}

void train_coarse_quantizer(Index& quantizer, size_t nlist, const ClusteringParameters& cp,
                            bool trains_alone, idx_t n, const float* x, bool verbose) {
    if (quantizer.is_trained && size_t(quantizer.ntotal) == nlist) {
        if (verbose) std::printf("coarse quantizer does not need training\n");
    } else if (trains_alone || quantizer.trains_alone()) {
        // A multi-index: its centroids come from its own training on the data.
        quantizer.train(n, x);
        FAISSLIKE_THROW_IF_NOT_FMT(size_t(quantizer.ntotal) == nlist,
                                   "the quantizer trained alone holds %lld centroids, the index "
                                   "has nlist=%zu",
                                   (long long)quantizer.ntotal, nlist);
    } else {
        FAISSLIKE_THROW_IF_NOT_FMT(size_t(n) >= nlist,
                                   "nlist=%zu is larger than the number of training points "
                                   "n=%lld",
                                   nlist, (long long)n);
        Clustering clus(quantizer.d, int(nlist), cp);
        clus.verbose = clus.verbose || verbose;
        quantizer.reset();
        // k-means assigns with an exact flat index; the quantizer (flat, or e.g. an HNSW
        // graph) gets the final centroids once, as FAISS does.
        IndexFlat assign_index(quantizer.d, quantizer.metric_type);
        clus.train(n, x, assign_index);
        if (!quantizer.is_trained) quantizer.train(idx_t(nlist), clus.centroids.data());
        quantizer.add(idx_t(nlist), clus.centroids.data());
        quantizer.is_trained = true;
    }
}

void IndexIVF::do_train(idx_t n, const float* x) {
    FAISSLIKE_THROW_IF_NOT_FMT(ntotal == 0,
                               "train() on an IVF index holding %lld vectors would leave them in "
                               "the wrong lists: call reset() first",
                               (long long)ntotal);
    train_coarse_quantizer(*quantizer, nlist, cp, quantizer_trains_alone == 1, n, x, verbose);
    check_quantizer();
    train_encoder(n, x);
    is_trained = true;
}

void IndexIVF::do_add(idx_t n, const float* x) {
    do_add_with_ids(n, x, nullptr);
}

void IndexIVF::make_invlists_writable() {
    make_writable(invlists);
}

std::vector<idx_t> IndexIVF::assign_lists(idx_t n, const float* x) const {
    check_quantizer();
    std::vector<idx_t> list_nos(static_cast<size_t>(n));
    std::vector<float> dis(static_cast<size_t>(n));
    quantizer->search(n, x, 1, dis.data(), list_nos.data());
    for (idx_t i = 0; i < n; ++i) {
        const idx_t l = list_nos[size_t(i)];
        FAISSLIKE_THROW_IF_NOT_FMT(l >= 0 && l < idx_t(nlist),
                                   "the quantizer assigned vector %lld to list %lld, outside "
                                   "[0, nlist=%zu)",
                                   (long long)i, (long long)l, nlist);
    }
    return list_nos;
}

// xids null: ids ntotal, ntotal + 1, ...
void IndexIVF::do_add_with_ids(idx_t n, const float* x, const idx_t* xids) {
    if (n == 0) return;
    FAISSLIKE_THROW_IF_NOT_FMT(direct_map.type != DirectMap::Array || xids == nullptr,
                               "add_with_ids with an Array direct map: use the Hashtable type%s",
                               "");
    // Everything that can fail is checked before the lists change.
    std::vector<idx_t> list_nos = assign_lists(n, x);
    add_core(n, x, xids, list_nos.data());
}

void IndexIVF::add_core(idx_t n, const float* x, const idx_t* xids, const idx_t* list_nos) {
    make_invlists_writable();
    // Reserve from the assignment counts: one allocation per list and add.
    std::vector<size_t> counts(nlist, 0);
    for (idx_t i = 0; i < n; ++i)
        if (list_nos[i] >= 0) counts[size_t(list_nos[i])]++;
    for (size_t l = 0; l < nlist; ++l)
        if (counts[l]) invlists->reserve_extra(l, counts[l]);
    std::vector<uint32_t> offsets(static_cast<size_t>(n));
    // Encode in chunks (bounded buffer), then each thread appends to the lists l with
    // l % nt == rank: no locks, and every list keeps the input order.
    const size_t chunk = 65536;
    std::vector<uint8_t> codes(std::min(size_t(n), chunk) * code_size);
    for (size_t c0 = 0; c0 < size_t(n); c0 += chunk) {
        const size_t nc = std::min(chunk, size_t(n) - c0);
        encode_vectors(nc, x + c0 * size_t(d), list_nos + c0, codes.data());
        parallel_region(parallel_threads(), [&](Team& team) {
            const size_t nt = size_t(team.size), rank = size_t(team.rank);
            for (size_t i = c0; i < c0 + nc; ++i) {
                const idx_t l = list_nos[i];
                if (l < 0 || size_t(l) % nt != rank) continue;
                const idx_t id = xids ? xids[i] : ntotal + idx_t(i);
                offsets[i] = uint32_t(
                    invlists->add_entries(size_t(l), 1, &id, codes.data() + (i - c0) * code_size));
            }
        });
    }
    if (direct_map.type != DirectMap::NoMap) {
        for (size_t i = 0; i < size_t(n); ++i)
            if (list_nos[i] >= 0)
                direct_map.add(xids ? xids[i] : ntotal + idx_t(i), size_t(list_nos[i]), offsets[i]);
    }
    ntotal += n;
    lists_changed(true);
}

void IndexIVF::add_preassigned(idx_t n, const float* x, const idx_t* xids, const idx_t* list_nos) {
    FAISSLIKE_CHECK_ARG(n >= 0, "n must be >= 0, got %lld", (long long)n);
    if (n == 0) return;
    FAISSLIKE_CHECK_ARG_MSG(x != nullptr && list_nos != nullptr,
                            "add_preassigned: null vectors or list numbers");
    for (idx_t i = 0; i < n; ++i) {
        FAISSLIKE_CHECK_ARG(list_nos[i] >= -1 && list_nos[i] < idx_t(nlist),
                            "add_preassigned: list number %lld of row %lld outside [-1, "
                            "nlist=%zu)",
                            (long long)list_nos[i], (long long)i, nlist);
        if (xids)
            FAISSLIKE_CHECK_ARG(xids[i] >= 0, "ids must be >= 0, got id %lld at row %lld",
                                (long long)xids[i], (long long)i);
    }
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (add before train)");
    FAISSLIKE_THROW_IF_NOT_FMT(direct_map.type != DirectMap::Array || xids == nullptr,
                               "add_with_ids with an Array direct map: use the Hashtable type%s",
                               "");
    check_finite("vectors to add", n, d, x);
    IndexWriteScope w(*this);
    add_core(n, x, xids, list_nos);
}

bool check_preassigned(idx_t n, size_t np, const idx_t* assign, size_t nlist) {
    FAISSLIKE_CHECK_ARG(np >= 1 && np <= IndexIVF::kMaxNprobe,
                        "nprobe must be in [1, 2^31], got %zu", np);
    if (n == 0) return false;
    FAISSLIKE_CHECK_ARG_MSG(assign != nullptr, "search_preassigned: null list numbers");
    for (size_t i = 0; i < size_t(n) * np; ++i)
        FAISSLIKE_CHECK_ARG(assign[i] >= -1 && assign[i] < idx_t(nlist),
                            "search_preassigned: list number %lld outside [-1, nlist=%zu)",
                            (long long)assign[i], nlist);
    return true;
}

void IndexIVF::search_preassigned_checked(idx_t n, const float* x, idx_t k, size_t np,
                                          const idx_t* assign, const float* coarse_dis,
                                          float* distances, idx_t* labels,
                                          const SearchParameters* params) const {
    check_search_args(n, x, k, distances, labels);
    if (!check_preassigned(n, np, assign, nlist)) return;
    check_finite("query vectors", n, d, x);
    std::vector<float> zeros;
    if (!coarse_dis) {
        zeros.assign(size_t(n) * np, 0.0f);
        coarse_dis = zeros.data();
    }
    IndexReadScope r(*this);
    search_preassigned(n, x, k, assign, coarse_dis, distances, labels, np, selector_of(params),
                       params);
}

void IndexIVF::replace_quantizer(Index* q) {
    FAISSLIKE_CHECK_ARG_MSG(q != nullptr, "replace_quantizer: null quantizer");
    FAISSLIKE_CHECK_ARG(q->d == d, "replace_quantizer: quantizer has d=%d, index d=%d", q->d, d);
    FAISSLIKE_CHECK_ARG(q->metric_type == quantizer->metric_type,
                        "replace_quantizer: metric %d differs from the old quantizer's %d",
                        int(q->metric_type), int(quantizer->metric_type));
    FAISSLIKE_THROW_IF_NOT_FMT(q->is_trained && size_t(q->ntotal) == nlist && !q->accepts_ids(),
                               "replace_quantizer: the new quantizer holds %lld centroids for "
                               "nlist=%zu",
                               (long long)q->ntotal, nlist);
    IndexWriteScope w(*this);
    // The old one stays alive with the index: callers (and Python objects) may still hold it.
    retired_quantizers.push_back(std::move(quantizer));
    quantizer = SubIndex(q, false);
}

void IndexIVF::encode_vectors(size_t n, const float* x, const idx_t* list_nos,
                              uint8_t* codes) const {
    parallel_for(
        int64_t(n),
        [&](int64_t i) {
            if (list_nos[i] >= 0)
                encode_vector(x + size_t(i) * size_t(d), size_t(list_nos[i]),
                              codes + size_t(i) * code_size);
        },
        n > 256);
}

void IndexIVF::set_nprobe(idx_t np) {
    FAISSLIKE_CHECK_ARG(np > 0 && size_t(np) <= kMaxNprobe, "nprobe must be in [1, 2^31], got %lld",
                        (long long)np);
    nprobe = size_t(np);
}

size_t IndexIVF::effective_nprobe(const SearchParameters* params) const {
    size_t np = nprobe;
    if (auto p = params_as<SearchParametersIVF>(params, "SearchParametersIVF")) {
        if (p->nprobe) np = p->nprobe;
    }
    FAISSLIKE_CHECK_ARG(np > 0 && np <= kMaxNprobe, "nprobe must be in [1, 2^31], got %llu",
                        (unsigned long long)np);
    return std::min(np, nlist);
}

void IndexIVF::do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                         const SearchParameters* params) const {
    const size_t np = effective_nprobe(params);
    check_quantizer();
    // Coarse assignment in chunks bounds the temporary memory for huge batches.
    const idx_t chunk = 32768;
    std::vector<float> cd(size_t(std::min(n, chunk)) * np);
    std::vector<idx_t> ci(cd.size());
    for (idx_t i0 = 0; i0 < n; i0 += chunk) {
        const idx_t ni = std::min(chunk, n - i0);
        quantizer->search(ni, x + i0 * d, idx_t(np), cd.data(), ci.data());
        search_preassigned(ni, x + i0 * d, k, ci.data(), cd.data(), distances + i0 * k,
                           labels + i0 * k, np, selector_of(params), params);
    }
}

namespace {

// Drives one thread's scanner over inverted lists: blocks of distances, rejected ids
// masked, then into a top-k heap or a range result.
struct ListScan {
    // Blocks of a bounded scan: small, so that the bound follows the heap closely.
    static constexpr size_t kBoundedBlock = 64;
    const IndexIVF& ivf;
    std::unique_ptr<InvertedListScanner> sc;
    const IDSelector* filter;
    Selector sel{kernels::current()};
    std::unique_ptr<float[]> buf{new float[IndexIVF::kScanBlock]};
    const float sign;
    const bool bounded;

    ListScan(const IndexIVF& ivf, const IDSelector* filter, const SearchParameters* params)
        : ivf(ivf),
          sc(ivf.get_scanner_for(params)),
          filter(filter),
          sign(ivf.metric_type == METRIC_INNER_PRODUCT ? -1.0f : 1.0f),
          bounded(sc->uses_bound()) {}

    // bound(): the current heap-space bound (used by bounded scanners only).
    template <class Sink, class Bound>
    void scan(size_t list_no, float coarse_dis, const Sink& sink, const Bound& bound) {
        const InvertedLists& il = *ivf.invlists;
        const size_t ls = il.list_size(list_no);
        if (ls == 0) return;
        sc->set_list(list_no, coarse_dis);
        const uint8_t* codes = il.get_codes(list_no);
        const idx_t* ids = il.get_ids(list_no);
        const size_t block = bounded ? kBoundedBlock : IndexIVF::kScanBlock;
        for (size_t b0 = 0; b0 < ls; b0 += block) {
            const size_t nb = std::min(block, ls - b0);
            if (bounded) {
                sc->distance_block_bounded(codes + b0 * ivf.code_size, nb, buf.get(), bound());
            } else {
                sc->distance_block(codes + b0 * ivf.code_size, nb, buf.get());
            }
            mask_rejected(filter, buf.get(), sign, nb, IdArray{ids + b0});
            sink(buf.get(), nb, IdArray{ids + b0});
        }
    }
    void knn(size_t list_no, float coarse_dis, size_t k, float* hv, idx_t* hi) {
        scan(
            list_no, coarse_dis,
            [&](const float* v, size_t nb, IdArray ids) {
                sel.add(k, hv, hi, v, nullptr, sign, nb, ids);
            },
            [&] { return hv[0]; });
    }
    void range(size_t list_no, float coarse_dis, float thr, RangeHits& hits) {
        scan(
            list_no, coarse_dis,
            [&](const float* v, size_t nb, IdArray ids) {
                collect_range(v, nullptr, sign, nb, thr, ids, hits);
            },
            // No bound: a range result holds every code whose estimate is inside the
            // radius, not just those whose error bound says they may be.
            [] { return std::numeric_limits<float>::infinity(); });
    }
};

// A topk_scan scanner: unit p of query i is its p-th probed list.
struct ProbeScanner {
    ListScan ls;
    const float* x;
    const idx_t* assign;
    const float* coarse_dis;
    size_t np, nlist;
    int d;
    void set_query(size_t i) { ls.sc->set_query(x + i * size_t(d)); }
    void scan(size_t i, size_t p, size_t k, float* hv, idx_t* hi) {
        const idx_t l = assign[i * np + p];
        if (l < 0) return;  // fewer lists than nprobe
        FAISSLIKE_THROW_IF_NOT_FMT(size_t(l) < nlist, "coarse assignment %lld out of range",
                                   (long long)l);
        ls.knn(size_t(l), coarse_dis[i * np + p], k, hv, hi);
    }
};

}  // namespace

void IndexIVF::search_preassigned(idx_t n, const float* x, idx_t k, const idx_t* assign,
                                  const float* coarse_dis, float* D, idx_t* I, size_t np,
                                  const IDSelector* filter, const SearchParameters* params) const {
    if (!filter && double(n) * double(np) >= by_list_min_visits * double(nlist) && n > 1 &&
        search_preassigned_by_list(n, x, k, assign, D, I, np)) {
        return;
    }
    const int nt = parallel_threads();
    // Few queries: the probed lists of each query are spread over threads.
    const bool split = size_t(n) < size_t(nt) && np > 1 && nt > 1;
    topk_scan(size_t(n), np, size_t(k), metric_type == METRIC_INNER_PRODUCT, D, I, split, [&] {
        return ProbeScanner{ListScan(*this, filter, params), x, assign, coarse_dis, np, nlist, d};
    });
}

void IndexIVF::do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                               const SearchParameters* params) const {
    const size_t np = effective_nprobe(params);
    check_quantizer();
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    const float thr = range_threshold(ip, radius);
    std::vector<float> cd(size_t(n) * np);
    std::vector<idx_t> ci(cd.size());
    if (n > 0) quantizer->search(n, x, idx_t(np), cd.data(), ci.data());
    std::vector<RangeHits> hits(static_cast<size_t>(n));
    const IDSelector* filter = selector_of(params);
    parallel_for_with(
        n, [&] { return ListScan(*this, filter, params); },
        [&](ListScan& ls, int64_t i) {
            ls.sc->set_query(x + i * d);
            for (size_t p = 0; p < np; ++p) {
                const idx_t l = ci[size_t(i) * np + p];
                FAISSLIKE_THROW_IF_NOT_FMT(l < idx_t(nlist), "coarse assignment %lld out of range",
                                           (long long)l);
                if (l >= 0) ls.range(size_t(l), cd[size_t(i) * np + p], thr, hits[size_t(i)]);
            }
        },
        n > 1);
    finalize_range(hits, ip, nullptr, result);
}

size_t IndexIVF::do_remove_ids(const IDSelector& sel) {
    FAISSLIKE_THROW_IF_NOT_MSG(direct_map.type != DirectMap::Array,
                               "remove_ids with an Array direct map is not supported: use "
                               "set_direct_map_type(Hashtable)");
    make_invlists_writable();
    const size_t removed = remove_ids_from_lists(*invlists, sel);
    if (removed && direct_map.type == DirectMap::Hashtable) {
        direct_map.set_type(DirectMap::Hashtable, *invlists, ntotal);
    }
    ntotal -= idx_t(removed);
    if (removed) lists_changed(false);
    return removed;
}

void IndexIVF::do_reset() {
    make_invlists_writable();
    invlists->reset();
    direct_map.clear();
    ntotal = 0;
    lists_changed(false);
}

void IndexIVF::do_reconstruct(idx_t key, float* recons) const {
    const uint64_t lo = direct_map.get(key);
    const size_t l = DirectMap::lo_list(lo), o = DirectMap::lo_offset(lo);
    decode_vector(invlists->get_codes(l) + o * code_size, l, recons);
}

void IndexIVF::make_direct_map(bool maintain) {
    set_direct_map_type(maintain ? DirectMap::Array : DirectMap::NoMap);
}

void IndexIVF::set_direct_map_type(DirectMap::Type type) {
    IndexWriteScope w(*this);  // readers reconstruct through the map
    direct_map.set_type(type, *invlists, ntotal);
}

void IndexIVF::enable_reconstruct() {
    if (direct_map.type == DirectMap::NoMap) set_direct_map_type(DirectMap::Hashtable);
}

// Bytes for a list number in [0, nlist) (FAISS's coarse_code_size).
size_t IndexIVF::coarse_code_size() const {
    size_t nbits = 0;
    for (size_t v = nlist - 1; v > 0; v >>= 1) ++nbits;
    return (nbits + 7) / 8;
}

size_t IndexIVF::do_sa_code_size() const {
    return coarse_code_size() + code_size;
}

void IndexIVF::do_sa_encode(idx_t n, const float* x, uint8_t* bytes) const {
    const std::vector<idx_t> list_nos = assign_lists(n, x);
    std::vector<uint8_t> codes(size_t(n) * code_size);
    encode_vectors(size_t(n), x, list_nos.data(), codes.data());
    const size_t cs = coarse_code_size(), total = cs + code_size;
    for (idx_t i = 0; i < n; ++i) {
        uint8_t* out = bytes + size_t(i) * total;
        uint64_t l = uint64_t(list_nos[size_t(i)]);
        for (size_t b = 0; b < cs; ++b, l >>= 8) out[b] = uint8_t(l & 0xff);
        std::memcpy(out + cs, codes.data() + size_t(i) * code_size, code_size);
    }
}

void IndexIVF::do_sa_decode(idx_t n, const uint8_t* bytes, float* x) const {
    check_quantizer();
    const size_t cs = coarse_code_size(), total = cs + code_size;
    for (idx_t i = 0; i < n; ++i) {
        const uint8_t* in = bytes + size_t(i) * total;
        uint64_t l = 0;
        for (size_t b = cs; b-- > 0;) l = (l << 8) | in[b];
        FAISSLIKE_CHECK_ARG(l < nlist, "code %lld names list %llu, outside [0, nlist=%zu)",
                            (long long)i, (unsigned long long)l, nlist);
        decode_vector(in + cs, size_t(l), x + size_t(i) * size_t(d));
    }
}

namespace {

// merge_from's other side: an IVF index, and not the index itself (merge_from checks this
// before locking: the same index's writer lock taken twice would never be released).
const IndexIVF& other_ivf(const Index& other, const IndexIVF* self) {
    const auto* ivf = dynamic_cast<const IndexIVF*>(&other);
    FAISSLIKE_CHECK_ARG_MSG(ivf != nullptr, "merge_from: the other index is not an IVF index");
    FAISSLIKE_CHECK_ARG_MSG(ivf != self, "merge_from: an index cannot be merged into itself");
    return *ivf;
}

// Merges and list copies hold two indexes' locks: one at a time, so no two take them in
// opposite orders.
std::mutex& merge_mutex() {
    static std::mutex m;
    return m;
}

}  // namespace

void IndexIVF::check_compatible_for_merge(const Index& other_in) const {
    const IndexIVF* other = &other_ivf(other_in, this);
    FAISSLIKE_CHECK_ARG(typeid(*other) == typeid(*this),
                        "merge_from: can only merge indexes of the same type (%s into %s)",
                        typeid(*other).name(), typeid(*this).name());
    FAISSLIKE_CHECK_ARG(other->d == d && other->metric_type == metric_type &&
                            other->nlist == nlist && other->code_size == code_size,
                        "merge_from: d / metric / nlist / code_size %d / %d / %zu / %zu differ "
                        "from this index's %d / %d / %zu / %zu",
                        other->d, int(other->metric_type), other->nlist, other->code_size, d,
                        int(metric_type), nlist, code_size);
    FAISSLIKE_CHECK_ARG_MSG(is_trained && other->is_trained,
                            "merge_from: both indexes must be trained");
    FAISSLIKE_CHECK_ARG_MSG(
        direct_map.type != DirectMap::Array && other->direct_map.type != DirectMap::Array,
        "merge_from with an Array direct map is not supported: use "
        "set_direct_map_type(Hashtable)");
    check_quantizer();
    other->check_quantizer();
    std::vector<float> a(static_cast<size_t>(d)), b(static_cast<size_t>(d));
    for (size_t l = 0; l < nlist; ++l) {
        quantizer->reconstruct(idx_t(l), a.data());
        other->quantizer->reconstruct(idx_t(l), b.data());
        FAISSLIKE_CHECK_ARG(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0,
                            "merge_from: the coarse quantizers differ (centroid %zu)", l);
    }
    // The encoders, through what they decode: codes of every byte value (all 256 codes of an
    // 8-bit PQ or SQ, all 16 of each 4-bit sub-quantizer) in the first and last list.
    std::vector<uint8_t> code(code_size);
    for (size_t l : {size_t(0), nlist - 1}) {
        for (int v = 0; v < 256; ++v) {
            std::fill(code.begin(), code.end(), uint8_t(v));
            decode_vector(code.data(), l, a.data());
            other->decode_vector(code.data(), l, b.data());
            FAISSLIKE_CHECK_ARG(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0,
                                "merge_from: the encoders differ (codes of byte %d decode to "
                                "different vectors): were both trained together?",
                                v);
        }
    }
}

void IndexIVF::append_lists_of(const IndexIVF& other, const std::vector<bool>* take, idx_t add_id) {
    FAISSLIKE_CHECK_ARG(add_id >= 0, "merge_from: add_id must be >= 0, got %lld",
                        (long long)add_id);
    other.invlists->check_unchanged();
    auto taken = [&](size_t l) { return take == nullptr || (*take)[l]; };
    size_t total = 0;
    for (size_t l = 0; l < nlist; ++l) {  // before anything moves: ids in range
        if (!taken(l)) continue;
        const size_t n = other.invlists->list_size(l);
        const idx_t* src = other.invlists->get_ids(l);
        for (size_t j = 0; j < n; ++j)
            FAISSLIKE_CHECK_ARG(src[j] <= std::numeric_limits<idx_t>::max() - add_id,
                                "merge_from: id %lld + add_id %lld overflows", (long long)src[j],
                                (long long)add_id);
        total += n;
    }
    make_invlists_writable();
    std::vector<idx_t> ids;
    for (size_t l = 0; l < nlist; ++l) {
        const size_t n = taken(l) ? other.invlists->list_size(l) : 0;
        if (n == 0) continue;
        const idx_t* src = other.invlists->get_ids(l);
        ids.assign(src, src + n);
        for (idx_t& id : ids) id += add_id;
        invlists->add_entries(l, n, ids.data(), other.invlists->get_codes(l));
    }
    ntotal += idx_t(total);
    if (direct_map.type == DirectMap::Hashtable)
        direct_map.set_type(DirectMap::Hashtable, *invlists, ntotal);
    lists_changed(true);
}

void IndexIVF::merge_from(Index& other_in, idx_t add_id) {
    // Checked, so the cast only drops the const that other_ivf added.
    IndexIVF& other = const_cast<IndexIVF&>(other_ivf(other_in, this));
    // One merge at a time: each holds two indexes' writer locks, taken in one order here.
    std::lock_guard<std::mutex> one(merge_mutex());
    IndexWriteScope wo(other_in);
    IndexWriteScope w(*this);  // innermost: this index's storage grows under it
    check_compatible_for_merge(other_in);
    append_lists_of(other, nullptr, add_id);
    // The other index is left empty (its lists may be mapped: replaced, not edited).
    other.invlists = std::make_unique<ArrayInvertedLists>(nlist, code_size);
    other.ntotal = 0;
    other.direct_map.clear();
    other.lists_changed(false);
}

void IndexIVF::copy_lists_from(const Index& other_in, const std::vector<idx_t>& list_nos,
                               idx_t add_id) {
    const IndexIVF& other = other_ivf(other_in, this);
    std::vector<bool> take(nlist, false);
    for (idx_t l : list_nos) {
        FAISSLIKE_CHECK_ARG(l >= 0 && size_t(l) < nlist,
                            "copy_lists_from: list number %lld outside [0, nlist=%zu)",
                            (long long)l, nlist);
        take[size_t(l)] = true;
    }
    std::lock_guard<std::mutex> one(merge_mutex());
    IndexReadScope ro(other_in);
    IndexWriteScope w(*this);
    check_compatible_for_merge(other_in);
    append_lists_of(other, &take, add_id);
}

void IndexIVF::replace_invlists(std::unique_ptr<InvertedLists> il) {
    FAISSLIKE_CHECK_ARG_MSG(il != nullptr, "replace_invlists: the lists are null");
    FAISSLIKE_CHECK_ARG(il->nlist == nlist && il->code_size == code_size,
                        "replace_invlists: lists of nlist=%zu, code_size=%zu for an index of "
                        "nlist=%zu, code_size=%zu",
                        il->nlist, il->code_size, nlist, code_size);
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "replace_invlists on an untrained index");
    il->check_unchanged();
    IndexWriteScope w(*this);
    invlists = std::move(il);
    ntotal = idx_t(invlists->compute_ntotal());
    const DirectMap::Type t = direct_map.type;
    direct_map.set_type(DirectMap::NoMap, *invlists, ntotal);
    direct_map.set_type(t, *invlists, ntotal);
    lists_changed(false);
}

}  // namespace faisslike
