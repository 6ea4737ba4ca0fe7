#include "faisslike/IndexRefine.h"

#include <cmath>
#include <vector>

#include "faisslike/Error.h"
#include "faisslike/distances.h"
#include "faisslike/impl/ResultCollector.h"

namespace faisslike {

namespace {
Index* checked(Index* base) {
    FAISSLIKE_THROW_IF_NOT_MSG(base != nullptr, "the refine base index is null");
    FAISSLIKE_THROW_IF_NOT_FMT(base->ntotal == 0,
                               "the refine base index must be empty, it holds %lld vectors",
                               (long long)base->ntotal);
    return base;
}
}  // namespace

IndexRefineFlat::IndexRefineFlat(Index* base)
    : Index(checked(base)->d, base->metric_type),
      base_index(base),
      refine_index(base->d, base->metric_type) {
    is_trained = base->is_trained;
}

IndexRefineFlat::~IndexRefineFlat() {
    if (own_fields) delete base_index;
}

void IndexRefineFlat::train(idx_t n, const float* x) {
    check_add_args(n, x);
    base_index->train(n, x);
    is_trained = base_index->is_trained;
}

void IndexRefineFlat::add(idx_t n, const float* x) {
    check_add_args(n, x);
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (add before train)");
    if (n == 0) return;
    check_finite("vectors to add", n, d, x);
    base_index->add(n, x);
    refine_index.add(n, x);
    ntotal = refine_index.ntotal;
}

void IndexRefineFlat::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                             const SearchParameters* params) const {
    check_search_args(n, x, k, distances, labels);
    float kf = k_factor;
    const SearchParameters* base_params = nullptr;
    if (auto p = params_as<SearchParametersRefine>(params, "SearchParametersRefine")) {
        if (p->k_factor != 0) kf = p->k_factor;
        base_params = p->base_params;
    }
    // The selector filters the base search (the refinement only re-ranks its results).
    std::unique_ptr<SearchParameters> with_sel;
    if (const IDSelector* sel = selector_of(params)) {
        with_sel = base_params ? base_params->clone() : std::make_unique<SearchParameters>();
        with_sel->sel = sel;
        base_params = with_sel.get();
    }
    FAISSLIKE_THROW_IF_NOT_FMT(std::isfinite(kf) && kf >= 1 && kf <= 1e6,
                               "k_factor must be in [1, 1e6], got %g", double(kf));
    if (n == 0) return;
    const idx_t k_base = std::max<idx_t>(k, idx_t(double(k) * kf));
    std::vector<float> bd(size_t(n) * size_t(k_base));
    std::vector<idx_t> bl(bd.size());
    base_index->search(n, x, k_base, bd.data(), bl.data(), base_params);
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    const kernels::KernelTable& K = kernels::current();
    const float* xb = refine_index.get_xb();
#pragma omp parallel for if (n > 1)
    for (idx_t i = 0; i < n; ++i) {
        float* hv = distances + i * k;
        idx_t* hi = labels + i * k;
        heap_heapify<HeapC>(size_t(k), hv, hi);
        const float* q = x + i * d;
        for (idx_t j = 0; j < k_base; ++j) {
            const idx_t l = bl[size_t(i * k_base + j)];
            if (l < 0 || l >= ntotal) continue;
            const float* y = xb + size_t(l) * size_t(d);
            const float v = ip ? -K.inner_product(q, y, size_t(d)) : K.L2sqr(q, y, size_t(d));
            heap_push_if_better<HeapC>(size_t(k), hv, hi, v, l);
        }
        finalize_results(size_t(k), hv, hi, ip, 0.0f);
    }
}

void IndexRefineFlat::reset() {
    base_index->reset();
    refine_index.reset();
    ntotal = 0;
}

void IndexRefineFlat::reconstruct(idx_t key, float* recons) const {
    refine_index.reconstruct(key, recons);
}

}  // namespace faisslike
