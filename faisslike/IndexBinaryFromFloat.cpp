#include "faisslike/IndexBinaryFromFloat.h"

#include <cmath>

#include "faisslike/Error.h"
#include "faisslike/impl/Parallel.h"

namespace faisslike {

namespace {
idx_t float_index_d(const Index* index) {
    FAISSLIKE_CHECK_ARG_MSG(index != nullptr, "IndexBinaryFromFloat: the float index is null");
    return index->d;
}
}  // namespace

IndexBinaryFromFloat::IndexBinaryFromFloat(Index* index_in)
    : IndexBinary(float_index_d(index_in)), index(index_in, false) {
    is_trained = index->is_trained;
    ntotal = index->ntotal;
}

std::vector<float> IndexBinaryFromFloat::to_real(idx_t n, const uint8_t* x) const {
    std::vector<float> xf(size_t(n) * size_t(d));
    parallel_for(n, [&](int64_t i) {
        binary_to_real(size_t(d), x + size_t(i) * size_t(code_size), &xf[size_t(i) * size_t(d)]);
    });
    return xf;
}

void IndexBinaryFromFloat::do_train(idx_t n, const uint8_t* x) {
    index->train(n, to_real(n, x).data());
    is_trained = index->is_trained;
}

void IndexBinaryFromFloat::do_add(idx_t n, const uint8_t* x) {
    index->add(n, to_real(n, x).data());
    ntotal = index->ntotal;
}

void IndexBinaryFromFloat::do_add_with_ids(idx_t n, const uint8_t* x, const idx_t* xids) {
    index->add_with_ids(n, to_real(n, x).data(), xids);
    ntotal = index->ntotal;
}

void IndexBinaryFromFloat::do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* D, idx_t* I,
                                     const SearchParameters* params) const {
    std::vector<float> Df(size_t(n) * size_t(k));
    index->search(n, to_real(n, x).data(), k, Df.data(), I, params);
    const bool ip = index->metric_type == METRIC_INNER_PRODUCT;
    for (size_t i = 0; i < Df.size(); ++i) {
        if (I[i] < 0) {
            D[i] = INT32_MAX;
            continue;
        }
        // L2^2 = 4 h, <x, y> = d - 2 h: exact integers up to float rounding.
        const double h = ip ? (double(d) - Df[i]) / 2 : Df[i] / 4.0;
        D[i] = int32_t(std::lround(h));
    }
}

void IndexBinaryFromFloat::do_reset() {
    index->reset();
    ntotal = 0;
}

size_t IndexBinaryFromFloat::do_remove_ids(const IDSelector& sel) {
    const size_t r = index->remove_ids(sel);
    ntotal = index->ntotal;
    return r;
}

void IndexBinaryFromFloat::do_reconstruct(idx_t key, uint8_t* recons) const {
    std::vector<float> v(static_cast<size_t>(d));
    index->reconstruct(key, v.data());
    real_to_binary(size_t(d), v.data(), recons);
}

}  // namespace faisslike
