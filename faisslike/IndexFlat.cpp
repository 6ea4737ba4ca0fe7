#include "faisslike/IndexFlat.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "faisslike/Error.h"
#include "faisslike/distances.h"
#include "faisslike/impl/KnnBf16.h"
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
    // memcpy: the mapped rows may be misaligned (FAISS files).
    codes.resize(size_t(ntotal) * size_t(d));
    if (!codes.empty()) std::memcpy(codes.data(), mapped_, codes.size() * sizeof(float));
    mapped_ = nullptr;
    map_owner_.reset();
}

void IndexFlat::do_add(idx_t n, const float* x) {
    materialize();
    codes.insert(codes.end(), x, x + size_t(n) * size_t(d));
    ntotal += n;
}

namespace {
// Distances of one query to blocks of rows, rejected ids masked (filtered search). xb is
// loaded after the caller read ntotal: a concurrent add publishes rows before the count.
RowScanner<FloatRowScorer> flat_scanner(const IndexFlat& index, const float* xb, const float* x,
                                        const IDSelector* sel) {
    return float_rows(xb, size_t(index.d), index.metric_type == METRIC_INNER_PRODUCT, x, sel);
}
}  // namespace

void IndexFlat::do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                          const SearchParameters* params) const {
    check_plain_params(params);
    // The count first, then the rows (adds may run meanwhile: see concurrent_add).
    const size_t nb = size_t(ntotal);
    const float* xb = get_xb();
    if (const IDSelector* sel = selector_of(params)) {
        scan_search(size_t(n), nb, size_t(k), metric_type == METRIC_INNER_PRODUCT, distances,
                    labels, [&] { return flat_scanner(*this, xb, x, sel); });
        return;
    }
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    // Few queries against a small database (an IVF coarse step of one query): the rows kept
    // in bf16 halve the bytes read; the same exact results (KnnBf16.h).
    if (size_t(n) < size_t(std::max(distance_compute_blas_threshold.load(), 1)) && !is_mapped() &&
        bf16_knn_applies(nb, size_t(d), size_t(k))) {
        if (auto rows = bf16_rows(nb, xb)) {
            bf16_knn(*rows, x, size_t(n), size_t(k), distances, labels);
            return;
        }
    }
    // The raw kernels: the arguments are checked already, and the stored rows were checked
    // finite when added (knn_search would scan the whole database again per call).
    (ip ? knn_inner_product : knn_L2sqr)(x, xb, size_t(d), size_t(n), nb, size_t(k), distances,
                                         labels);
}

std::shared_ptr<const Bf16Rows> IndexFlat::bf16_rows(size_t nb, const float* xb) const {
    const uint64_t gen = codes.generation();
    std::lock_guard<std::mutex> lock(bf16_.mu);
    if (bf16_.gen != gen || bf16_.n != nb || bf16_.data != xb) {
        bf16_.made = false;
        bf16_.rows.reset();
        bf16_.gen = gen;
        bf16_.n = nb;
        bf16_.data = xb;
        bf16_.uses = 0;
    }
    if (!bf16_.made && ++bf16_.uses >= kBf16CacheAfter) {
        bf16_.rows = bf16_prepare(metric_type == METRIC_INNER_PRODUCT, xb, size_t(d), nb);
        bf16_.made = true;
    }
    return bf16_.rows;
}

void IndexFlat::do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                                const SearchParameters* params) const {
    check_plain_params(params);
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    const float thr = range_threshold(ip, radius);
    const IDSelector* sel = selector_of(params);
    const size_t nb = size_t(ntotal);
    const float* xb = get_xb();
    std::vector<RangeHits> hits(static_cast<size_t>(n));
    constexpr size_t kRows = 1024;
    struct State {
        RowScanner<FloatRowScorer> sc;
        std::vector<float> buf;
    };
    parallel_for_with(
        n,
        [&] {
            return State{flat_scanner(*this, xb, x, sel), std::vector<float>(kRows)};
        },
        [&](State& st, int64_t i) {
            st.sc.set_query(size_t(i));
            for (size_t j0 = 0; j0 < nb; j0 += kRows) {
                const size_t nr = std::min(kRows, nb - j0);
                st.sc.score(j0, nr, st.buf.data());
                collect_range(st.buf.data(), nullptr, ip ? -1.0f : 1.0f, nr, thr,
                              IdRange{idx_t(j0)}, hits[size_t(i)]);
            }
        },
        n > 1);
    finalize_range(hits, ip, nullptr, result);
}

size_t IndexFlat::do_remove_ids(const IDSelector& sel) {
    materialize();
    return remove_rows(sel, size_t(d), codes, ntotal);
}

void IndexFlat::do_reset() {
    mapped_ = nullptr;
    map_owner_.reset();
    codes.clear();
    codes.shrink_to_fit();
    ntotal = 0;
}

void IndexFlat::do_reconstruct(idx_t key, float* recons) const {
    // A key not in the index: Error like an unknown id elsewhere (RuntimeError, as FAISS).
    const idx_t nb = ntotal;
    FAISSLIKE_THROW_IF_NOT_FMT(key >= 0 && key < nb, "key %lld out of range [0, %lld)",
                               (long long)key, (long long)nb);
    std::memcpy(recons, get_xb() + size_t(key) * d, sizeof(float) * d);
}

void IndexFlat::do_reconstruct_n(idx_t i0, idx_t ni, float* recons) const {
    std::memcpy(recons, get_xb() + size_t(i0) * d, sizeof(float) * size_t(ni) * d);
}

size_t IndexFlat::do_sa_code_size() const {
    return sizeof(float) * size_t(d);
}

void IndexFlat::do_sa_encode(idx_t n, const float* x, uint8_t* bytes) const {
    std::memcpy(bytes, x, sizeof(float) * size_t(n) * size_t(d));
}

void IndexFlat::do_sa_decode(idx_t n, const uint8_t* bytes, float* x) const {
    std::memcpy(x, bytes, sizeof(float) * size_t(n) * size_t(d));
}

}  // namespace faisslike
