#include "faisslike/Index2Layer.h"

#include <cstring>
#include <vector>

#include "faisslike/Error.h"
#include "faisslike/IndexIVF.h"
#include "faisslike/distances.h"
#include "faisslike/impl/Parallel.h"

namespace faisslike {

namespace {
Index* checked_quantizer(Index* q, size_t nlist) {
    FAISSLIKE_CHECK_ARG_MSG(q != nullptr, "Index2Layer: the quantizer is null");
    FAISSLIKE_CHECK_ARG(nlist >= 1 && nlist <= (size_t(1) << 31),
                        "Index2Layer: nlist must be in [1, 2^31], got %zu", nlist);
    return q;
}

size_t bytes_for(size_t nlist) {
    size_t nbyte = 0;
    while ((size_t(1) << (8 * nbyte)) < nlist) ++nbyte;
    return nbyte;
}
}  // namespace

Index2Layer::Index2Layer(Index* quantizer, size_t nlist_in, int M, int nbits, MetricType metric)
    : IndexFlatCodes(checked_quantizer(quantizer, nlist_in)->d, 0, metric),
      q1(quantizer, false),
      nlist(nlist_in),
      pq(size_t(quantizer->d), size_t(M > 0 ? M : 0), size_t(nbits > 0 ? nbits : 0)) {
    code_size_1 = bytes_for(nlist);
    code_size_2 = pq.code_size;
    code_size = code_size_1 + code_size_2;
    cp.niter = 10;
    is_trained = false;
}

size_t Index2Layer::list_of(const uint8_t* code) const {
    uint64_t l = 0;
    for (size_t b = code_size_1; b-- > 0;) l = (l << 8) | code[b];
    return size_t(l);
}

std::vector<idx_t> Index2Layer::residuals(idx_t n, const float* x, float* r) const {
    FAISSLIKE_THROW_IF_NOT_FMT(size_t(q1->ntotal) == nlist,
                               "Index2Layer: the quantizer holds %lld centroids for nlist=%zu",
                               (long long)q1->ntotal, nlist);
    std::vector<idx_t> assign(static_cast<size_t>(n));
    std::vector<float> dis(static_cast<size_t>(n));
    q1->search(n, x, 1, dis.data(), assign.data());
    parallel_for(n, [&](idx_t i) {
        const idx_t l = assign[size_t(i)];
        FAISSLIKE_THROW_IF_NOT_FMT(l >= 0 && size_t(l) < nlist, "quantizer returned list %lld",
                                   (long long)l);
        float* ri = r + size_t(i) * size_t(d);
        q1->reconstruct(l, ri);
        const float* xi = x + size_t(i) * size_t(d);
        for (int j = 0; j < d; ++j) ri[j] = xi[j] - ri[j];
    });
    return assign;
}

void Index2Layer::do_train(idx_t n, const float* x) {
    check_empty_for_training();
    train_coarse_quantizer(*q1, nlist, cp, quantizer_trains_alone, n, x, verbose);
    FAISSLIKE_THROW_IF_NOT_MSG(q1->is_trained, "Index2Layer: the quantizer is not trained");
    std::vector<float> r(size_t(n) * size_t(d));
    residuals(n, x, r.data());
    pq.cp.verbose = verbose;
    pq.train(n, r.data());
    is_trained = true;
}

void Index2Layer::encode(size_t n, const float* x, uint8_t* out) const {
    std::vector<float> r(n * size_t(d));
    const std::vector<idx_t> assign = residuals(idx_t(n), x, r.data());
    std::vector<uint8_t> pq_codes(n * code_size_2);
    pq.compute_codes(r.data(), pq_codes.data(), n);
    for (size_t i = 0; i < n; ++i) {
        uint8_t* code = out + i * code_size;
        uint64_t v = uint64_t(assign[i]);
        for (size_t b = 0; b < code_size_1; ++b, v >>= 8) code[b] = uint8_t(v & 0xff);
        std::memcpy(code + code_size_1, pq_codes.data() + i * code_size_2, code_size_2);
    }
}

void Index2Layer::decode(size_t n, const uint8_t* in, float* x) const {
    std::vector<float> r(static_cast<size_t>(d));
    for (size_t i = 0; i < n; ++i) {
        const uint8_t* code = in + i * code_size;
        const size_t l = list_of(code);
        FAISSLIKE_CHECK_ARG(l < nlist, "code %zu names list %zu, outside [0, nlist=%zu)", i, l,
                            nlist);
        float* xi = x + i * size_t(d);
        q1->reconstruct(idx_t(l), xi);
        pq.decode(code + code_size_1, r.data(), 1);
        for (int j = 0; j < d; ++j) xi[j] += r[size_t(j)];
    }
}

namespace {
// Distances by decoding (FAISS's generic 2-level distance computer does the same).
struct TwoLevelScorer : CodeScorer {
    const Index2Layer& index;
    std::vector<float> q, buf;
    explicit TwoLevelScorer(const Index2Layer& idx) : index(idx), buf(size_t(idx.d)) {}
    void set_query(const float* x) override { q.assign(x, x + index.d); }
    void score(const uint8_t* codes, size_t n, float* out) override {
        for (size_t i = 0; i < n; ++i) {
            index.decode(1, codes + i * index.code_size, buf.data());
            out[i] = index.metric_type == METRIC_L2
                         ? fvec_L2sqr(q.data(), buf.data(), size_t(index.d))
                         : fvec_inner_product(q.data(), buf.data(), size_t(index.d));
        }
    }
};
}  // namespace

std::unique_ptr<CodeScorer> Index2Layer::get_scorer() const {
    return std::make_unique<TwoLevelScorer>(*this);
}

}  // namespace faisslike
