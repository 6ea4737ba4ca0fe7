#include "faisslike/IndexFlat.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "faisslike/Error.h"
#include "faisslike/distances.h"
#include "faisslike/impl/RemoveRows.h"
#include "faisslike/impl/ScanSearch.h"
#include "kernels/kernel_table.h"

namespace faisslike {

IndexFlat::IndexFlat(idx_t d_in, MetricType metric) : Index(d_in, metric) {}

void IndexFlat::set_mapped(const float* xb, idx_t n, std::shared_ptr<const void> owner) {
    decltype(codes)().swap(codes);
    mapped_ = xb;
    map_owner_ = std::move(owner);
    ntotal = n;
}

void IndexFlat::materialize() {
    if (!mapped_) return;
    codes.assign(mapped_, mapped_ + size_t(ntotal) * size_t(d));
    mapped_ = nullptr;
    map_owner_.reset();
}

void IndexFlat::add(idx_t n, const float* x) {
    check_add_args(n, x);
    if (n == 0) return;
    // NaN/inf in the database would silently poison every later search.
    check_finite("vectors to add", n, d, x);
    materialize();
    codes.insert(codes.end(), x, x + size_t(n) * size_t(d));
    ntotal += n;
}

namespace {
// Distances of one query to blocks of rows, rejected ids masked (filtered search).
// Float rows through the _ny kernels.
struct FloatRowScorer {
    const kernels::KernelTable& K;
    size_t d;
    bool ip;
    const float* q = nullptr;
    void set_query(const float* x) { q = x; }
    void score(const uint8_t* rows, size_t n, float* out) const {
        kernels::distances_ny(K, ip, out, q, reinterpret_cast<const float*>(rows), d, n);
    }
};

RowScanner<FloatRowScorer> flat_scanner(const IndexFlat& index, const float* x,
                                        const IDSelector* sel) {
    const bool ip = index.metric_type == METRIC_INNER_PRODUCT;
    return {reinterpret_cast<const uint8_t*>(index.get_xb()),
            sizeof(float) * size_t(index.d),
            x,
            size_t(index.d),
            ip,
            sel,
            FloatRowScorer{kernels::current(), size_t(index.d), ip}};
}
}  // namespace

void IndexFlat::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                       const SearchParameters* params) const {
    check_search_args(n, x, k, distances, labels);
    if (n == 0) return;
    check_finite("query vectors", n, d, x);
    if (const IDSelector* sel = selector_of(params)) {
        const kernels::KernelTable& K = kernels::current();
        scan_search(K, size_t(n), size_t(ntotal), size_t(k), metric_type == METRIC_INNER_PRODUCT,
                    distances, labels, [&] { return flat_scanner(*this, x, sel); });
        return;
    }
    knn_search(metric_type, x, get_xb(), size_t(d), size_t(n), size_t(ntotal), size_t(k), distances,
               labels);
}

void IndexFlat::range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                             const SearchParameters* params) const {
    check_range_args(n, x, radius, result);
    check_finite("query vectors", n, d, x);
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    const float thr = range_threshold(ip, radius);
    const IDSelector* sel = selector_of(params);
    std::vector<RangeHits> hits(static_cast<size_t>(n));
    constexpr size_t kRows = 1024;
#pragma omp parallel if (n > 1)
    {
        auto sc = flat_scanner(*this, x, sel);
        std::vector<float> buf(kRows);
#pragma omp for schedule(dynamic)
        for (idx_t i = 0; i < n; ++i) {
            sc.set_query(size_t(i));
            for (size_t j0 = 0; j0 < size_t(ntotal); j0 += kRows) {
                const size_t nb = std::min(kRows, size_t(ntotal) - j0);
                sc.score(j0, nb, buf.data());
                collect_range(buf.data(), nullptr, ip ? -1.0f : 1.0f, nb, thr, IdRange{idx_t(j0)},
                              hits[size_t(i)]);
            }
        }
    }
    finalize_range(hits, ip, nullptr, result);
}

size_t IndexFlat::remove_ids(const IDSelector& sel) {
    materialize();
    return remove_rows(sel, size_t(d), codes, ntotal);
}

void IndexFlat::reset() {
    mapped_ = nullptr;
    map_owner_.reset();
    codes.clear();
    codes.shrink_to_fit();
    ntotal = 0;
}

void IndexFlat::reconstruct(idx_t key, float* recons) const {
    FAISSLIKE_THROW_IF_NOT_FMT(key >= 0 && key < ntotal, "key %lld out of range [0, %lld)",
                               (long long)key, (long long)ntotal);
    FAISSLIKE_THROW_IF_NOT_MSG(recons != nullptr, "reconstruct output is null");
    std::memcpy(recons, get_xb() + size_t(key) * d, sizeof(float) * d);
}

void IndexFlat::reconstruct_n(idx_t i0, idx_t ni, float* recons) const {
    check_reconstruct_n_args(i0, ni, recons);
    if (ni == 0) return;
    std::memcpy(recons, get_xb() + size_t(i0) * d, sizeof(float) * size_t(ni) * d);
}

}  // namespace faisslike
