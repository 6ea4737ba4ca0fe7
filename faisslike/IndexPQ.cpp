#include "faisslike/IndexPQ.h"

#include <memory>

#include "faisslike/Error.h"
#include "faisslike/impl/ScanSearch.h"

namespace faisslike {

IndexPQ::IndexPQ(idx_t d_in, size_t M, size_t nbits, MetricType metric)
    : IndexFlatCodes(d_in, 0, metric), pq(size_t(d_in), M, nbits) {
    code_size = pq.code_size;
    is_trained = false;
}

void IndexPQ::train(idx_t n, const float* x) {
    check_add_args(n, x);
    pq.train(n, x);
    is_trained = true;
}

namespace {
struct PQScanner {
    const IndexPQ& index;
    const float* x;
    const kernels::KernelTable& K;
    std::unique_ptr<float[]> table;
    const IDSelector* sel;
    void set_query(size_t i) {
        index.pq.compute_table(index.metric_type, x + i * size_t(index.d), table.get());
    }
    void score(size_t j0, size_t nb, float* out) {
        index.pq.adc(K, table.get(), index.codes.data() + j0 * index.pq.code_size, nb, out);
        mask_rejected(sel, out, index.metric_type == METRIC_INNER_PRODUCT ? -1.0f : 1.0f, nb,
                      IdRange{idx_t(j0)});
    }
};
}  // namespace

void IndexPQ::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                     const SearchParameters* params) const {
    check_search_args(n, x, k, distances, labels);
    if (n == 0) return;
    check_finite("query vectors", n, d, x);
    const kernels::KernelTable& K = kernels::current();
    scan_search(K, size_t(n), size_t(ntotal), size_t(k), metric_type == METRIC_INNER_PRODUCT,
                distances, labels, [&] {
                    return PQScanner{*this, x, K,
                                     std::unique_ptr<float[]>(new float[pq.M * pq.ksub]),
                                     selector_of(params)};
                });
}

void IndexPQ::sa_encode(idx_t n, const float* x, uint8_t* bytes) const {
    check_add_args(n, x);
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (sa_encode before train)");
    FAISSLIKE_THROW_IF_NOT_MSG(n == 0 || bytes != nullptr, "sa_encode output is null");
    if (n == 0) return;
    check_finite("vectors to encode", n, d, x);
    pq.compute_codes(x, bytes, size_t(n));
}

void IndexPQ::sa_decode(idx_t n, const uint8_t* bytes, float* x) const {
    FAISSLIKE_THROW_IF_NOT_FMT(n >= 0, "n must be >= 0, got n=%lld", (long long)n);
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (sa_decode before train)");
    FAISSLIKE_THROW_IF_NOT_MSG(n == 0 || (bytes && x), "sa_decode pointers are null");
    pq.decode(bytes, x, size_t(n));
}

}  // namespace faisslike
