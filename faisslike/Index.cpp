#include "faisslike/Index.h"

#include <cmath>
#include <limits>

#include "faisslike/Error.h"

namespace faisslike {

namespace {
// Keeps n * d and per-row byte offsets far from overflow.
constexpr idx_t kMaxDim = idx_t(1) << 24;
}  // namespace

Index::Index(idx_t d_in, MetricType metric) : d(0), metric_type(metric) {
    FAISSLIKE_THROW_IF_NOT_FMT(d_in > 0 && d_in <= kMaxDim,
                               "dimension must be in [1, %lld], got d=%lld", (long long)kMaxDim,
                               (long long)d_in);
    FAISSLIKE_THROW_IF_NOT_FMT(metric == METRIC_L2 || metric == METRIC_INNER_PRODUCT,
                               "unsupported metric type %d", int(metric));
    d = int(d_in);
}

Index::~Index() = default;

void Index::train(idx_t n, const float* x) {
    check_add_args(n, x);  // nothing to learn, but bad arguments are still bad
}

void Index::add_with_ids(idx_t, const float*, const idx_t*) {
    FAISSLIKE_THROW_MSG("add_with_ids is not supported by this index type (wrap it in IndexIDMap)");
}

size_t Index::remove_ids(const IDSelector&) {
    FAISSLIKE_THROW_MSG("remove_ids is not supported by this index type");
}

void Index::range_search(idx_t, const float*, float, RangeSearchResult*,
                         const SearchParameters*) const {
    FAISSLIKE_THROW_MSG("range_search is not supported by this index type");
}

void Index::check_range_args(idx_t n, const float* x, float radius,
                             const RangeSearchResult* result) const {
    check_add_args(n, x);
    FAISSLIKE_THROW_IF_NOT_MSG(result != nullptr, "range_search result is null");
    FAISSLIKE_THROW_IF_NOT_FMT(std::isfinite(radius), "range_search radius must be finite, got %g",
                               double(radius));
    FAISSLIKE_THROW_IF_NOT_FMT(metric_type != METRIC_L2 || radius >= 0.0f,
                               "range_search radius must be >= 0 for L2, got %g", double(radius));
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (range_search before train)");
}

void Index::reconstruct(idx_t, float*) const {
    FAISSLIKE_THROW_MSG("reconstruct is not supported by this index type");
}

void Index::reconstruct_n(idx_t i0, idx_t ni, float* recons) const {
    check_reconstruct_n_args(i0, ni, recons);
    for (idx_t i = 0; i < ni; ++i) reconstruct(i0 + i, recons + i * d);
}

void Index::check_reconstruct_n_args(idx_t i0, idx_t ni, const float* recons) const {
    FAISSLIKE_THROW_IF_NOT_FMT(i0 >= 0 && ni >= 0 && i0 <= ntotal && ni <= ntotal - i0,
                               "reconstruct_n range [%lld, %lld) is outside [0, ntotal=%lld)",
                               (long long)i0, (long long)(i0 + ni), (long long)ntotal);
    FAISSLIKE_THROW_IF_NOT_MSG(ni == 0 || recons != nullptr, "reconstruct_n output is null");
}

void Index::check_add_args(idx_t n, const float* x) const {
    FAISSLIKE_THROW_IF_NOT_FMT(n >= 0, "number of vectors must be >= 0, got n=%lld", (long long)n);
    FAISSLIKE_THROW_IF_NOT_FMT(n == 0 || x != nullptr, "vector pointer is null for n=%lld",
                               (long long)n);
    FAISSLIKE_THROW_IF_NOT_FMT(n <= std::numeric_limits<idx_t>::max() / d,
                               "n=%lld vectors of d=%d overflow", (long long)n, d);
}

void Index::check_search_args(idx_t n, const float* x, idx_t k, const float* distances,
                              const idx_t* labels) const {
    check_add_args(n, x);
    FAISSLIKE_THROW_IF_NOT_FMT(k > 0, "k must be > 0, got k=%lld", (long long)k);
    FAISSLIKE_THROW_IF_NOT_FMT(n == 0 || (distances != nullptr && labels != nullptr),
                               "output pointers must not be null (n=%lld, k=%lld)", (long long)n,
                               (long long)k);
    FAISSLIKE_THROW_IF_NOT_FMT(n == 0 || k <= std::numeric_limits<idx_t>::max() / n,
                               "n=%lld x k=%lld results overflow", (long long)n, (long long)k);
    FAISSLIKE_THROW_IF_NOT_FMT(is_trained, "index is not trained (search before train)%s", "");
}

void check_finite(const char* what, idx_t n, int d, const float* x) {
    const size_t total = size_t(n) * size_t(d);
    for (size_t i = 0; i < total; ++i) {
        if (!std::isfinite(x[i])) {
            FAISSLIKE_THROW_FMT("%s contains a non-finite value (%g) at row %lld, column %lld",
                                what, double(x[i]), (long long)(i / size_t(d)),
                                (long long)(i % size_t(d)));
        }
    }
}

}  // namespace faisslike
