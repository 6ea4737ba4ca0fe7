#include "faisslike/IndexRefine.h"

#include <cmath>
#include <vector>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/distances.h"
#include "faisslike/impl/Parallel.h"
#include "faisslike/impl/RemoveRows.h"
#include "faisslike/impl/ResultCollector.h"

namespace faisslike {

namespace {
Index* checked(Index* base) {
    FAISSLIKE_CHECK_ARG_MSG(base != nullptr, "the refine base index is null");
    FAISSLIKE_CHECK_ARG(base->ntotal == 0,
                        "the refine base index must be empty, it holds %lld vectors",
                        (long long)base->ntotal);
    return base;
}
}  // namespace

void check_k_factor(float kf) {
    FAISSLIKE_CHECK_ARG(std::isfinite(kf) && kf >= 1 && kf <= 1e6,
                        "k_factor must be in [1, 1e6], got %g", double(kf));
}

void IndexRefineFlat::set_k_factor(float kf) {
    check_k_factor(kf);
    k_factor = kf;
}

IndexRefineFlat::IndexRefineFlat(Index* base)
    : Index(checked(base)->d, checked(base)->metric_type),
      base_index(base, false),
      refine_index(base->d, base->metric_type) {
    is_trained = base->is_trained;
}

RemovalMode IndexRefineFlat::removal_mode() const {
    const RemovalMode m = base_index->removal_mode();
    return m == RemovalMode::Renumber || m == RemovalMode::MarkDeleted ? m
                                                                       : RemovalMode::Unsupported;
}

void IndexRefineFlat::do_train(idx_t n, const float* x) {
    base_index->train(n, x);
    is_trained = base_index->is_trained;
}

void IndexRefineFlat::do_add(idx_t n, const float* x) {
    if (base_index->accepts_ids()) {
        // A base that keeps ids gets row numbers as ids, so its labels are rows here too.
        std::vector<idx_t> rows(static_cast<size_t>(n));
        for (idx_t i = 0; i < n; ++i) rows[size_t(i)] = refine_index.ntotal + i;
        base_index->add_with_ids(n, x, rows.data());
    } else {
        base_index->add(n, x);
    }
    refine_index.add(n, x);
    ntotal = base_index->ntotal;
}

void IndexRefineFlat::do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                                const SearchParameters* params) const {
    float kf = k_factor;
    const SearchParameters* base_params = nullptr;
    if (auto p = params_as<SearchParametersRefine>(params, "SearchParametersRefine")) {
        if (p->k_factor != 0) kf = p->k_factor;
        base_params = p->base_params;
    }
    // The selector filters the base search (the refinement only re-ranks its results), and
    // the base's distances are not used: its estimates suffice.
    std::unique_ptr<SearchParameters> bp =
        base_params ? base_params->clone() : std::make_unique<SearchParameters>();
    if (const IDSelector* sel = selector_of(params)) bp->sel = sel;
    bp->estimates_suffice = true;
    base_params = bp.get();
    check_k_factor(kf);
    const idx_t nrows = refine_index.ntotal;
    // Never more candidates than vectors: k_factor cannot size a huge buffer.
    const idx_t k_base =
        std::max<idx_t>(k, std::min<idx_t>(idx_t(double(k) * double(kf)), std::max(nrows, k)));
    std::vector<float> bd(size_t(n) * size_t(k_base));
    std::vector<idx_t> bl(bd.size());
    base_index->search(n, x, k_base, bd.data(), bl.data(), base_params);
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    const kernels::KernelTable& K = kernels::current();
    const float* xb = refine_index.get_xb();
    parallel_for(
        n,
        [&](idx_t i) {
            float* hv = distances + i * k;
            idx_t* hi = labels + i * k;
            heap_heapify<HeapC>(size_t(k), hv, hi);
            const float* q = x + i * d;
            // The rows are random reads of a large array: ask for all of them first, so the
            // misses overlap instead of queueing one after another.
            for (idx_t j = 0; j < k_base; ++j) {
                const idx_t l = bl[size_t(i * k_base + j)];
                if (l < 0 || l >= nrows) continue;
                const char* row = reinterpret_cast<const char*>(xb + size_t(l) * size_t(d));
                for (size_t b = 0; b < sizeof(float) * size_t(d); b += 64)
                    __builtin_prefetch(row + b);
            }
            for (idx_t j = 0; j < k_base; ++j) {
                const idx_t l = bl[size_t(i * k_base + j)];
                if (l < 0) continue;
                FAISSLIKE_THROW_IF_NOT_FMT(l < nrows, "the base index returned label %lld of %lld",
                                           (long long)l, (long long)nrows);
                const float* y = xb + size_t(l) * size_t(d);
                const float v = ip ? -K.inner_product(q, y, size_t(d)) : K.L2sqr(q, y, size_t(d));
                heap_push_if_better<HeapC>(size_t(k), hv, hi, v, l);
            }
            finalize_results(size_t(k), hv, hi, ip, 0.0f);
        },
        n > 1);
}

void IndexRefineFlat::do_reset() {
    base_index->reset();
    refine_index.reset();
    ntotal = 0;
}

size_t IndexRefineFlat::do_remove_ids(const IDSelector& sel) {
    const RemovalMode mode = removal_mode();
    FAISSLIKE_THROW_IF_NOT_MSG(mode != RemovalMode::Unsupported,
                               "remove_ids: the refine base index keeps ids or cannot remove "
                               "(wrap an IndexIDMap around the refine index instead)");
    const size_t removed = base_index->remove_ids(sel);
    if (mode == RemovalMode::Renumber) refine_index.remove_ids(sel);  // same rows, same order
    ntotal = base_index->ntotal;
    return removed;
}

size_t IndexRefineFlat::do_compact() {
    if (base_index->removal_mode() != RemovalMode::MarkDeleted) return 0;
    std::vector<uint8_t> gone(size_t(refine_index.ntotal));
    for (size_t i = 0; i < gone.size(); ++i) gone[i] = base_index->is_deleted(idx_t(i));
    const size_t freed = base_index->compact();
    if (freed) refine_index.remove_ids(IDSelectorFlags(gone));
    ntotal = base_index->ntotal;
    return freed;
}

void IndexRefineFlat::do_reconstruct(idx_t key, float* recons) const {
    FAISSLIKE_THROW_IF_NOT_FMT(!base_index->is_deleted(key), "id %lld was removed", (long long)key);
    refine_index.reconstruct(key, recons);
}

}  // namespace faisslike
