#include "faisslike/IndexBinaryIVF.h"

#include <algorithm>
#include <cstring>

#include "faisslike/Clustering.h"
#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/impl/Parallel.h"
#include "kernels/kernel_table.h"

namespace faisslike {

namespace {
idx_t quantizer_bits(const IndexBinary* q, idx_t d) {
    FAISSLIKE_CHECK_ARG_MSG(q != nullptr, "IndexBinaryIVF: the quantizer is null");
    FAISSLIKE_CHECK_ARG(q->d == d, "IndexBinaryIVF: quantizer d=%d, index d=%lld", q->d,
                        (long long)d);
    return d;
}
}  // namespace

IndexBinaryIVF::IndexBinaryIVF(IndexBinary* q, idx_t d, size_t nlist_in)
    : IndexBinary(quantizer_bits(q, d)), quantizer(q), nlist(nlist_in) {
    FAISSLIKE_CHECK_ARG(nlist >= 1 && nlist <= (size_t(1) << 31),
                        "nlist must be in [1, 2^31], got %zu", nlist);
    cp.niter = 10;
    invlists = std::make_unique<ArrayInvertedLists>(nlist, size_t(code_size));
    is_trained = quantizer->is_trained && size_t(quantizer->ntotal) == nlist;
}

IndexBinaryIVF::~IndexBinaryIVF() {
    if (own_fields) delete quantizer;
}

void IndexBinaryIVF::set_nprobe(idx_t np) {
    FAISSLIKE_CHECK_ARG(np > 0 && size_t(np) <= IndexIVF::kMaxNprobe,
                        "nprobe must be in [1, 2^31], got %lld", (long long)np);
    nprobe = size_t(np);
}

void IndexBinaryIVF::check_quantizer() const {
    FAISSLIKE_THROW_IF_NOT_MSG(!quantizer->accepts_ids(),
                               "the binary IVF quantizer must label its codes 0..nlist-1");
    FAISSLIKE_THROW_IF_NOT_FMT(quantizer->is_trained && size_t(quantizer->ntotal) == nlist,
                               "the binary IVF quantizer holds %lld centroids for nlist=%zu",
                               (long long)quantizer->ntotal, nlist);
}

void IndexBinaryIVF::make_invlists_writable() {
    make_writable(invlists);
}

void IndexBinaryIVF::make_direct_map(bool maintain) {
    set_direct_map_type(maintain ? DirectMap::Array : DirectMap::NoMap);
}

void IndexBinaryIVF::set_direct_map_type(DirectMap::Type type) {
    IndexBinaryWriteScope w(*this);  // readers reconstruct through the map
    direct_map.set_type(type, *invlists, ntotal);
}

void IndexBinaryIVF::enable_reconstruct() {
    if (direct_map.type == DirectMap::NoMap) set_direct_map_type(DirectMap::Hashtable);
}

void IndexBinaryIVF::do_train(idx_t n, const uint8_t* x) {
    FAISSLIKE_THROW_IF_NOT_FMT(ntotal == 0,
                               "train() on a binary IVF index holding %lld codes: reset() first",
                               (long long)ntotal);
    if (!(quantizer->is_trained && size_t(quantizer->ntotal) == nlist)) {
        FAISSLIKE_THROW_IF_NOT_FMT(size_t(n) >= nlist,
                                   "nlist=%zu is larger than the number of training points "
                                   "n=%lld",
                                   nlist, (long long)n);
        // FAISS's recipe: k-means on the codes as -1 / +1 vectors, centroids back to bits.
        std::vector<float> xf(size_t(n) * size_t(d));
        parallel_for(n, [&](int64_t i) {
            binary_to_real(size_t(d), x + size_t(i) * size_t(code_size),
                           &xf[size_t(i) * size_t(d)]);
        });
        Clustering clus(d, int(nlist), cp);
        clus.verbose = clus.verbose || verbose;
        IndexFlat assign_index(d, METRIC_L2);
        clus.train(n, xf.data(), assign_index);
        std::vector<uint8_t> centroids(nlist * size_t(code_size));
        for (size_t c = 0; c < nlist; ++c)
            real_to_binary(size_t(d), &clus.centroids[c * size_t(d)],
                           &centroids[c * size_t(code_size)]);
        quantizer->reset();
        if (!quantizer->is_trained) quantizer->train(idx_t(nlist), centroids.data());
        quantizer->add(idx_t(nlist), centroids.data());
    }
    check_quantizer();
    is_trained = true;
}

std::vector<idx_t> IndexBinaryIVF::assign_lists(idx_t n, const uint8_t* x) const {
    check_quantizer();
    std::vector<idx_t> list_nos(static_cast<size_t>(n));
    std::vector<int32_t> dis(static_cast<size_t>(n));
    quantizer->search(n, x, 1, dis.data(), list_nos.data());
    for (idx_t i = 0; i < n; ++i)
        FAISSLIKE_THROW_IF_NOT_FMT(list_nos[size_t(i)] >= 0 && list_nos[size_t(i)] < idx_t(nlist),
                                   "the quantizer assigned code %lld to list %lld, outside "
                                   "[0, nlist=%zu)",
                                   (long long)i, (long long)list_nos[size_t(i)], nlist);
    return list_nos;
}

void IndexBinaryIVF::add_core(idx_t n, const uint8_t* x, const idx_t* xids, const idx_t* list_nos) {
    FAISSLIKE_THROW_IF_NOT_MSG(direct_map.type != DirectMap::Array || xids == nullptr,
                               "add_with_ids with an Array direct map: use the Hashtable type");
    make_invlists_writable();
    for (idx_t i = 0; i < n; ++i) {
        const idx_t l = list_nos[i];
        if (l < 0) continue;
        const idx_t id = xids ? xids[i] : ntotal + i;
        const size_t off =
            invlists->add_entries(size_t(l), 1, &id, x + size_t(i) * size_t(code_size));
        direct_map.add(id, size_t(l), off);
    }
    ntotal += n;
}

void IndexBinaryIVF::do_add(idx_t n, const uint8_t* x) {
    do_add_with_ids(n, x, nullptr);
}

void IndexBinaryIVF::do_add_with_ids(idx_t n, const uint8_t* x, const idx_t* xids) {
    std::vector<idx_t> list_nos = assign_lists(n, x);
    add_core(n, x, xids, list_nos.data());
}

void IndexBinaryIVF::add_preassigned(idx_t n, const uint8_t* x, const idx_t* xids,
                                     const idx_t* list_nos) {
    FAISSLIKE_CHECK_ARG(n >= 0, "n must be >= 0, got %lld", (long long)n);
    if (n == 0) return;
    FAISSLIKE_CHECK_ARG_MSG(x && list_nos, "add_preassigned: null codes or list numbers");
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
    IndexBinaryWriteScope w(*this);
    add_core(n, x, xids, list_nos);
}

size_t IndexBinaryIVF::effective_nprobe(const SearchParameters* params) const {
    size_t np = nprobe;
    if (auto p = params_as<SearchParametersIVF>(params, "SearchParametersIVF")) {
        if (p->nprobe) np = p->nprobe;
    }
    FAISSLIKE_CHECK_ARG(np > 0 && np <= IndexIVF::kMaxNprobe,
                        "nprobe must be in [1, 2^31], got %zu", np);
    return std::min(np, nlist);
}

void IndexBinaryIVF::search_lists(idx_t n, const uint8_t* x, idx_t k, size_t np,
                                  const idx_t* assign, int32_t* D, idx_t* I,
                                  const IDSelector* sel) const {
    const kernels::KernelTable& K = kernels::current();
    const size_t cs = size_t(code_size);
    parallel_for_with(
        n, [] { return std::vector<int32_t>(); },
        [&](std::vector<int32_t>& buf, int64_t i) {
            HammingTopK top(size_t(k), D + i * k, I + i * k);
            const uint8_t* q = x + size_t(i) * cs;
            for (size_t p = 0; p < np; ++p) {
                const idx_t l = assign[size_t(i) * np + p];
                if (l < 0) continue;
                FAISSLIKE_THROW_IF_NOT_FMT(size_t(l) < nlist, "coarse assignment %lld out of range",
                                           (long long)l);
                const size_t ls = invlists->list_size(size_t(l));
                if (!ls) continue;
                buf.resize(std::max(buf.size(), ls));
                K.hamming_ny(buf.data(), q, invlists->get_codes(size_t(l)), cs, ls);
                const idx_t* ids = invlists->get_ids(size_t(l));
                for (size_t j = 0; j < ls; ++j) {
                    if (buf[j] > top.threshold()) continue;
                    if (sel && !sel->is_member(ids[j])) continue;
                    top.add(buf[j], ids[j]);
                }
            }
            top.finish();
        });
}

void IndexBinaryIVF::do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* D, idx_t* I,
                               const SearchParameters* params) const {
    const size_t np = effective_nprobe(params);
    check_quantizer();
    std::vector<int32_t> cd(size_t(n) * np);
    std::vector<idx_t> ci(cd.size());
    quantizer->search(n, x, idx_t(np), cd.data(), ci.data());
    search_lists(n, x, k, np, ci.data(), D, I, selector_of(params));
}

void IndexBinaryIVF::search_preassigned_checked(idx_t n, const uint8_t* x, idx_t k, size_t np,
                                                const idx_t* assign, int32_t* D, idx_t* I,
                                                const SearchParameters* params) const {
    check_search_args(n, x, k, D, I);
    if (!check_preassigned(n, np, assign, nlist)) return;
    IndexBinaryReadScope r(*this);
    search_lists(n, x, k, np, assign, D, I, selector_of(params));
}

void IndexBinaryIVF::do_range_search(idx_t n, const uint8_t* x, int radius, RangeSearchResult* res,
                                     const SearchParameters* params) const {
    const size_t np = effective_nprobe(params);
    check_quantizer();
    const IDSelector* sel = selector_of(params);
    std::vector<int32_t> cd(size_t(n) * np);
    std::vector<idx_t> ci(cd.size());
    quantizer->search(n, x, idx_t(np), cd.data(), ci.data());
    const kernels::KernelTable& K = kernels::current();
    const size_t cs = size_t(code_size);
    BinaryRangeHits hits(static_cast<size_t>(n));
    parallel_for_with(
        n, [] { return std::vector<int32_t>(); },
        [&](std::vector<int32_t>& buf, int64_t i) {
            for (size_t p = 0; p < np; ++p) {
                const idx_t l = ci[size_t(i) * np + p];
                if (l < 0) continue;
                const size_t ls = invlists->list_size(size_t(l));
                buf.resize(std::max(buf.size(), ls));
                K.hamming_ny(buf.data(), x + size_t(i) * cs, invlists->get_codes(size_t(l)), cs,
                             ls);
                const idx_t* ids = invlists->get_ids(size_t(l));
                for (size_t j = 0; j < ls; ++j)
                    if (buf[j] < radius && (!sel || sel->is_member(ids[j])))
                        hits[size_t(i)].push_back({buf[j], ids[j]});
            }
        });
    set_range_result(hits, res);
}

void IndexBinaryIVF::do_reset() {
    invlists = std::make_unique<ArrayInvertedLists>(nlist, size_t(code_size));
    direct_map.set_type(direct_map.type, *invlists, 0);
    ntotal = 0;
}

size_t IndexBinaryIVF::do_remove_ids(const IDSelector& sel) {
    FAISSLIKE_THROW_IF_NOT_MSG(direct_map.type != DirectMap::Array,
                               "remove_ids with an Array direct map is not supported: use "
                               "set_direct_map_type(Hashtable)");
    make_invlists_writable();
    const size_t removed = remove_ids_from_lists(*invlists, sel);
    if (removed && direct_map.type == DirectMap::Hashtable)
        direct_map.set_type(DirectMap::Hashtable, *invlists, ntotal);
    ntotal -= idx_t(removed);
    return removed;
}

void IndexBinaryIVF::do_reconstruct(idx_t key, uint8_t* recons) const {
    const uint64_t lo = direct_map.get(key);
    const size_t l = DirectMap::lo_list(lo), off = DirectMap::lo_offset(lo);
    FAISSLIKE_THROW_IF_NOT_FMT(l < nlist && off < invlists->list_size(l),
                               "direct map entry of id %lld is stale", (long long)key);
    std::memcpy(recons, invlists->get_codes(l) + off * size_t(code_size), size_t(code_size));
}

}  // namespace faisslike
