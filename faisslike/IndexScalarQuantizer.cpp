#include "faisslike/IndexScalarQuantizer.h"

#include <algorithm>
#include <vector>

#include "faisslike/Error.h"
#include "faisslike/impl/Parallel.h"
#include "kernels/kernel_table.h"

namespace faisslike {

// ---------------------------------------------------------------- IndexScalarQuantizer

IndexScalarQuantizer::IndexScalarQuantizer(idx_t d_in, ScalarQuantizer::QuantizerType qtype,
                                           MetricType metric)
    : IndexFlatCodes(d_in, 0, metric), sq(size_t(d_in), qtype) {
    code_size = sq.code_size;
    is_trained = !sq.needs_training();
}

void IndexScalarQuantizer::do_train(idx_t n, const float* x) {
    check_empty_for_training();
    FAISSLIKE_CHECK_ARG(n >= 1, "training needs at least 1 vector, got n=%lld", (long long)n);
    sq.train(size_t(n), x);
    is_trained = true;
}

namespace {
struct SQScorer : CodeScorer {
    const IndexScalarQuantizer& index;
    const kernels::KernelTable& K = kernels::current();
    const bool ip;
    ScalarQuantizer::QueryTables t;
    explicit SQScorer(const IndexScalarQuantizer& index)
        : index(index), ip(index.metric_type == METRIC_INNER_PRODUCT) {}
    void set_query(const float* x) override { index.sq.set_query(x, ip, t); }
    void score(const uint8_t* codes, size_t n, float* out) override {
        index.sq.distances(K, t, ip, codes, n, out);
    }
};
}  // namespace

std::unique_ptr<CodeScorer> IndexScalarQuantizer::get_scorer() const {
    return std::make_unique<SQScorer>(*this);
}

// ---------------------------------------------------------------- IndexIVFScalarQuantizer

IndexIVFScalarQuantizer::IndexIVFScalarQuantizer(Index* quantizer, idx_t d_in, size_t nlist_in,
                                                 ScalarQuantizer::QuantizerType qtype,
                                                 MetricType metric, bool by_residual_in)
    : IndexIVF(quantizer, d_in, nlist_in, ScalarQuantizer(size_t(d_in), qtype).code_size, metric),
      sq(size_t(d_in), qtype),
      by_residual(by_residual_in) {
    // Trained only once the quantizer and (for 8 bits) the ranges are.
    is_trained = is_trained && !sq.needs_training();
}

void IndexIVFScalarQuantizer::train_encoder(idx_t n, const float* x) {
    if (!sq.needs_training()) return;
    if (!by_residual) {
        sq.train(size_t(n), x);
        return;
    }
    // Ranges of the residuals to the assigned centroids.
    std::vector<idx_t> assign(static_cast<size_t>(n));
    std::vector<float> dis(static_cast<size_t>(n));
    quantizer->search(n, x, 1, dis.data(), assign.data());
    std::vector<float> res(static_cast<size_t>(n) * size_t(d)), c(static_cast<size_t>(d));
    for (idx_t i = 0; i < n; ++i) {
        quantizer->reconstruct(assign[size_t(i)], c.data());
        for (int j = 0; j < d; ++j)
            res[size_t(i) * size_t(d) + size_t(j)] =
                x[size_t(i) * size_t(d) + size_t(j)] - c[size_t(j)];
    }
    sq.train(size_t(n), res.data());
}

void IndexIVFScalarQuantizer::encode_vector(const float* x, size_t list_no, uint8_t* code) const {
    const idx_t l = idx_t(list_no);
    encode_vectors(1, x, &l, code);
}

void IndexIVFScalarQuantizer::encode_vectors(size_t n, const float* x, const idx_t* list_nos,
                                             uint8_t* codes) const {
    const size_t dd = size_t(d);
    struct Buffers {
        std::vector<float> r, c;
    };
    parallel_for_with(
        int64_t(n),
        [&] {
            return Buffers{std::vector<float>(dd), std::vector<float>(dd)};
        },
        [&](Buffers& b, int64_t i) {
            if (list_nos[i] < 0) return;
            const float* xi = x + size_t(i) * dd;
            if (by_residual) {
                quantizer->reconstruct(list_nos[i], b.c.data());
                for (size_t j = 0; j < dd; ++j) b.r[j] = xi[j] - b.c[j];
                xi = b.r.data();
            }
            sq.compute_codes(xi, codes + size_t(i) * code_size, 1);
        },
        n > 256);
}

void IndexIVFScalarQuantizer::decode_vector(const uint8_t* code, size_t list_no, float* x) const {
    sq.decode(code, x, 1);
    if (by_residual) {
        std::vector<float> c(static_cast<size_t>(d));
        quantizer->reconstruct(idx_t(list_no), c.data());
        for (int j = 0; j < d; ++j) x[j] += c[size_t(j)];
    }
}

namespace {

struct IVFSQScanner : InvertedListScanner {
    const IndexIVFScalarQuantizer& ivf;
    const kernels::KernelTable& K = kernels::current();
    const bool ip;
    ScalarQuantizer::QueryTables t;
    std::vector<float> centroid, residual;
    const float* x = nullptr;
    float offset = 0;

    explicit IVFSQScanner(const IndexIVFScalarQuantizer& ivf)
        : ivf(ivf),
          ip(ivf.metric_type == METRIC_INNER_PRODUCT),
          centroid(size_t(ivf.d)),
          residual(size_t(ivf.d)) {}

    void set_query(const float* q) override {
        x = q;
        // Without residuals, or for inner products (<x, c + r> = <x, c> + <x, r>), the
        // tables depend on the query only.
        if (!ivf.by_residual || ip) ivf.sq.set_query(x, ip, t);
    }
    void set_list(size_t list_no, float coarse_dis) override {
        offset = ivf.by_residual && ip ? coarse_dis : 0.0f;
        if (ivf.by_residual && !ip) {
            ivf.quantizer->reconstruct(idx_t(list_no), centroid.data());
            for (size_t j = 0; j < residual.size(); ++j) residual[j] = x[j] - centroid[j];
            ivf.sq.set_query(residual.data(), false, t);
        }
    }
    void distance_block(const uint8_t* codes, size_t nb, float* out) override {
        ivf.sq.distances(K, t, ip, codes, nb, out);
        if (offset != 0)
            for (size_t j = 0; j < nb; ++j) out[j] += offset;
    }
};

}  // namespace

std::unique_ptr<InvertedListScanner> IndexIVFScalarQuantizer::get_scanner() const {
    return std::make_unique<IVFSQScanner>(*this);
}

}  // namespace faisslike
