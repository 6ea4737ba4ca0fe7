#include "faisslike/IndexPreTransform.h"

#include <cstring>

#include "faisslike/Error.h"
#include "faisslike/distances.h"

namespace faisslike {

namespace {
int wrapped_d(const Index* index) {
    FAISSLIKE_CHECK_ARG_MSG(index != nullptr, "IndexPreTransform: the wrapped index is null");
    return index->d;
}
}  // namespace

IndexPreTransform::IndexPreTransform(Index* index_in)
    : Index(wrapped_d(index_in), index_in->metric_type), index(index_in, false) {
    is_trained = index->is_trained;
    ntotal = index->ntotal;
}

IndexPreTransform::IndexPreTransform(VectorTransform* vt, Index* index_in)
    : IndexPreTransform(std::shared_ptr<VectorTransform>(vt), index_in) {}

IndexPreTransform::IndexPreTransform(std::shared_ptr<VectorTransform> vt, Index* index_in)
    : IndexPreTransform(index_in) {
    prepend_transform(std::move(vt));
}

void IndexPreTransform::prepend_transform(VectorTransform* vt) {
    prepend_transform(std::shared_ptr<VectorTransform>(vt));
}

void IndexPreTransform::prepend_transform(std::shared_ptr<VectorTransform> vt) {
    FAISSLIKE_CHECK_ARG_MSG(vt != nullptr, "prepend_transform: the transform is null");
    FAISSLIKE_CHECK_ARG(vt->d_out == d, "prepend_transform: transform outputs d=%d, input d=%d",
                        vt->d_out, d);
    FAISSLIKE_CHECK_ARG(chain.size() < kMaxChain, "at most %zu transforms in a chain", kMaxChain);
    IndexWriteScope w(*this);
    d = vt->d_in;
    is_trained = is_trained && vt->is_trained;
    chain.insert(chain.begin(), std::move(vt));
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

bool IndexPreTransform::chain_trained() const {
    for (const auto& vt : chain)
        if (!vt->is_trained) return false;
    return true;
}

void IndexPreTransform::do_train(idx_t n, const float* x) {
    // Each untrained transform learns from the output of the ones before it (as FAISS).
    std::vector<float> cur(x, x + size_t(n) * size_t(d));
    for (const auto& vt : chain) {
        if (!vt->is_trained) vt->train(n, cur.data());
        std::vector<float> next(size_t(n) * size_t(vt->d_out));
        vt->apply(n, cur.data(), next.data());
        cur.swap(next);
    }
    index->train(n, cur.data());
    is_trained = index->is_trained && chain_trained();
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
    std::vector<float> cur(size_t(index->d));
    index->reconstruct(key, cur.data());
    for (size_t i = chain.size(); i-- > 0;) {
        const VectorTransform& vt = *chain[i];
        std::vector<float> prev(size_t(vt.d_in));
        vt.reverse_transform(1, cur.data(), prev.data());
        cur.swap(prev);
    }
    std::memcpy(recons, cur.data(), sizeof(float) * size_t(d));
}

size_t IndexPreTransform::do_sa_code_size() const {
    return index->has_sa_codec() ? index->sa_code_size() : 0;
}

void IndexPreTransform::do_sa_encode(idx_t n, const float* x, uint8_t* bytes) const {
    FAISSLIKE_THROW_IF_NOT_MSG(chain_trained(), "index is not trained (sa_encode before train)");
    const std::vector<float> xt = apply_chain(n, x);
    index->sa_encode(n, xt.data(), bytes);
}

void IndexPreTransform::do_sa_decode(idx_t n, const uint8_t* bytes, float* x) const {
    std::vector<float> cur(size_t(n) * size_t(index->d));
    index->sa_decode(n, bytes, cur.data());
    for (size_t i = chain.size(); i-- > 0;) {
        const VectorTransform& vt = *chain[i];
        std::vector<float> prev(size_t(n) * size_t(vt.d_in));
        vt.reverse_transform(n, cur.data(), prev.data());
        cur.swap(prev);
    }
    std::memcpy(x, cur.data(), sizeof(float) * size_t(n) * size_t(d));
}

}  // namespace faisslike
