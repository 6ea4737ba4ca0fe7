#include "faisslike/IndexPreTransform.h"

#include <cstring>

#include "faisslike/Error.h"
#include "faisslike/distances.h"

namespace faisslike {

void NormalizationTransform::apply(idx_t n, const float* x, float* xt) const {
    if (n == 0) return;
    std::memcpy(xt, x, sizeof(float) * size_t(n) * size_t(d_in));
    fvec_renorm_L2(size_t(d_in), size_t(n), xt);
}

namespace {
int transform_d_in(const VectorTransform* vt) {
    FAISSLIKE_CHECK_ARG_MSG(vt != nullptr, "IndexPreTransform: the transform is null");
    return vt->d_in;
}
}  // namespace

IndexPreTransform::IndexPreTransform(VectorTransform* vt, Index* index_in)
    : Index(transform_d_in(vt), index_in ? index_in->metric_type : METRIC_L2),
      index(index_in, false) {
    std::unique_ptr<VectorTransform> owned(vt);
    FAISSLIKE_CHECK_ARG_MSG(index.get() != nullptr, "IndexPreTransform: the wrapped index is null");
    FAISSLIKE_CHECK_ARG(vt->d_out == index->d,
                        "IndexPreTransform: transform outputs d=%d, the index has d=%d", vt->d_out,
                        index->d);
    chain.push_back(std::move(owned));
    is_trained = index->is_trained;
    ntotal = index->ntotal;
}

std::vector<float> IndexPreTransform::apply_chain(idx_t n, const float* x) const {
    std::vector<float> cur(x, x + size_t(n) * size_t(d));
    for (const auto& vt : chain) {
        std::vector<float> next(size_t(n) * size_t(vt->d_out));
        vt->apply(n, cur.data(), next.data());
        cur.swap(next);
    }
    return cur;
}

void IndexPreTransform::do_train(idx_t n, const float* x) {
    index->train(n, apply_chain(n, x).data());
    is_trained = index->is_trained;
}

void IndexPreTransform::do_add(idx_t n, const float* x) {
    index->add(n, apply_chain(n, x).data());
    ntotal = index->ntotal;
}

void IndexPreTransform::do_add_with_ids(idx_t n, const float* x, const idx_t* xids) {
    index->add_with_ids(n, apply_chain(n, x).data(), xids);
    ntotal = index->ntotal;
}

void IndexPreTransform::do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                                  const SearchParameters* params) const {
    index->search(n, apply_chain(n, x).data(), k, distances, labels, params);
}

void IndexPreTransform::do_range_search(idx_t n, const float* x, float radius,
                                        RangeSearchResult* result,
                                        const SearchParameters* params) const {
    index->range_search(n, apply_chain(n, x).data(), radius, result, params);
}

size_t IndexPreTransform::do_remove_ids(const IDSelector& sel) {
    const size_t r = index->remove_ids(sel);
    ntotal = index->ntotal;
    return r;
}

size_t IndexPreTransform::do_compact() {
    const size_t r = index->compact();
    ntotal = index->ntotal;
    return r;
}

void IndexPreTransform::do_reset() {
    index->reset();
    ntotal = 0;
}

void IndexPreTransform::do_reconstruct(idx_t key, float* recons) const {
    index->reconstruct(key, recons);
}

}  // namespace faisslike
