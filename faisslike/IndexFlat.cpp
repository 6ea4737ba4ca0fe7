#include "faisslike/IndexFlat.h"

#include <cstring>

#include "faisslike/Error.h"
#include "faisslike/distances.h"

namespace faisslike {

IndexFlat::IndexFlat(idx_t d_in, MetricType metric) : Index(d_in, metric) {}

void IndexFlat::add(idx_t n, const float* x) {
    check_add_args(n, x);
    if (n == 0) return;
    // NaN/inf in the database would silently poison every later search.
    check_finite("vectors to add", n, d, x);
    codes.insert(codes.end(), x, x + size_t(n) * size_t(d));
    ntotal += n;
}

void IndexFlat::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                       const SearchParameters*) const {
    check_search_args(n, x, k, distances, labels);
    if (n == 0) return;
    check_finite("query vectors", n, d, x);
    knn_search(metric_type, x, codes.data(), size_t(d), size_t(n), size_t(ntotal), size_t(k),
               distances, labels);
}

void IndexFlat::reset() {
    codes.clear();
    codes.shrink_to_fit();
    ntotal = 0;
}

void IndexFlat::reconstruct(idx_t key, float* recons) const {
    FAISSLIKE_THROW_IF_NOT_FMT(key >= 0 && key < ntotal, "key %lld out of range [0, %lld)",
                               (long long)key, (long long)ntotal);
    FAISSLIKE_THROW_IF_NOT_MSG(recons != nullptr, "reconstruct output is null");
    std::memcpy(recons, codes.data() + size_t(key) * d, sizeof(float) * d);
}

void IndexFlat::reconstruct_n(idx_t i0, idx_t ni, float* recons) const {
    check_reconstruct_n_args(i0, ni, recons);
    if (ni == 0) return;
    std::memcpy(recons, codes.data() + size_t(i0) * d, sizeof(float) * size_t(ni) * d);
}

}  // namespace faisslike
