#include "faisslike/IndexIVFPQ.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>

#include "faisslike/Error.h"
#include "faisslike/impl/Parallel.h"
#include "faisslike/impl/ResultCollector.h"

namespace faisslike {

IndexIVFPQ::IndexIVFPQ(Index* quantizer, idx_t d_in, size_t nlist_in, size_t M, size_t nbits,
                       MetricType metric)
    : IndexIVF(quantizer, d_in, nlist_in, ProductQuantizer(size_t(d_in), M, nbits).code_size,
               metric),
      pq(size_t(d_in), M, nbits) {
    // IVF training only sets up the coarse level; the PQ still needs training.
    is_trained = false;
}

void IndexIVFPQ::compute_residual(const float* x, size_t list_no, float* residual) const {
    quantizer->reconstruct(idx_t(list_no), residual);
    for (int j = 0; j < d; ++j) residual[j] = x[j] - residual[j];
}

void IndexIVFPQ::train_encoder(idx_t n, const float* x) {
    if (!by_residual) {
        pq.train(n, x);
    } else {
        std::vector<idx_t> assign(static_cast<size_t>(n));
        std::vector<float> dis(static_cast<size_t>(n));
        quantizer->search(n, x, 1, dis.data(), assign.data());
        std::vector<float> residuals(size_t(n) * size_t(d));
        parallel_for(n, [&](idx_t i) {
            FAISSLIKE_THROW_IF_NOT_FMT(assign[size_t(i)] >= 0 && size_t(assign[size_t(i)]) < nlist,
                                       "the quantizer assigned list %lld",
                                       (long long)assign[size_t(i)]);
            compute_residual(x + i * d, size_t(assign[size_t(i)]), residuals.data() + i * d);
        });
        pq.train(n, residuals.data());
    }
    precompute_table();
}

bool IndexIVFPQ::uses_precomputed_table() const {
    return use_precomputed_table && by_residual && metric_type == METRIC_L2 &&
           !precomputed_table.empty();
}

void IndexIVFPQ::set_by_residual(bool on) {
    FAISSLIKE_CHECK_ARG_MSG(!is_trained || on == by_residual,
                            "by_residual must be set before training");
    by_residual = on;
}

void IndexIVFPQ::set_use_precomputed_table(bool on) {
    use_precomputed_table = on;
    if (is_trained) precompute_table();
}

void IndexIVFPQ::precompute_table() {
    precomputed_table.clear();
    if (!(use_precomputed_table && by_residual && metric_type == METRIC_L2) || !pq.is_trained())
        return;
    const size_t M = pq.M, ksub = pq.ksub, dsub = pq.dsub;
    if (double(nlist) * double(M * ksub) * sizeof(float) > double(precomputed_table_max_bytes)) {
        if (verbose)
            std::printf("IVFPQ: precomputed table of %zu x %zu x %zu floats skipped (too large)\n",
                        nlist, M, ksub);
        return;
    }
    // ||r_mj||^2, shared by all lists.
    std::vector<float> rnorm(M * ksub);
    for (size_t m = 0; m < M; ++m)
        for (size_t j = 0; j < ksub; ++j) {
            const float* c = &pq.centroids[(m * ksub + j) * dsub];
            float s = 0;
            for (size_t t = 0; t < dsub; ++t) s += c[t] * c[t];
            rnorm[m * ksub + j] = s;
        }
    precomputed_table.resize(nlist * M * ksub);
    try {
        parallel_for_with(
            int64_t(nlist), [&] { return std::vector<float>(size_t(d)); },
            [&](std::vector<float>& centroid, int64_t l) {
                quantizer->reconstruct(l, centroid.data());
                float* t = precomputed_table.data() + size_t(l) * M * ksub;
                pq.compute_inner_prod_table(centroid.data(), t);  // <c_m, r_mj>
                for (size_t e = 0; e < M * ksub; ++e) t[e] = rnorm[e] + 2 * t[e];
            });
    } catch (...) {
        precomputed_table.clear();  // never half a table
        throw;
    }
}

void IndexIVFPQ::encode_vector(const float* x, size_t list_no, uint8_t* code) const {
    if (!by_residual) {
        pq.compute_codes(x, code, 1);
        return;
    }
    std::vector<float> r(static_cast<size_t>(d));
    compute_residual(x, list_no, r.data());
    pq.compute_codes(r.data(), code, 1);
}

void IndexIVFPQ::encode_vectors(size_t n, const float* x, const idx_t* list_nos,
                                uint8_t* codes) const {
    if (!by_residual) {
        pq.compute_codes(x, codes, n);
        return;
    }
    std::vector<float> r(n * size_t(d), 0.0f);
    parallel_for(
        int64_t(n),
        [&](int64_t i) {
            if (list_nos[i] >= 0)
                compute_residual(x + size_t(i) * size_t(d), size_t(list_nos[i]),
                                 r.data() + size_t(i) * size_t(d));
        },
        n > 256);
    pq.compute_codes(r.data(), codes, n);
}

void IndexIVFPQ::decode_vector(const uint8_t* code, size_t list_no, float* x) const {
    pq.decode(code, x, 1);
    if (!by_residual) return;
    std::vector<float> c(static_cast<size_t>(d));
    quantizer->reconstruct(idx_t(list_no), c.data());
    for (int j = 0; j < d; ++j) x[j] += c[j];
}

namespace {

struct IVFPQScanner : InvertedListScanner {
    const IndexIVFPQ& ivf;
    const kernels::KernelTable& K = kernels::current();
    const size_t tsize;
    std::unique_ptr<float[]> qtable, table, residual;
    const float* x = nullptr;
    const bool ip, precomputed;
    const float* t = nullptr;  // the current list's lookup table
    float offset = 0;          // added to every value of the current list

    explicit IVFPQScanner(const IndexIVFPQ& ivf)
        : ivf(ivf),
          tsize(ivf.pq.M * ivf.pq.ksub),
          qtable(new float[tsize]),
          table(new float[tsize]),
          residual(new float[size_t(ivf.d)]),
          ip(ivf.metric_type == METRIC_INNER_PRODUCT),
          precomputed(ivf.uses_precomputed_table()) {}

    void set_query(const float* q) override {
        x = q;
        if (precomputed) {
            ivf.pq.compute_inner_prod_table(x, qtable.get());  // -2 <x_m, r_mj> below
            for (size_t e = 0; e < tsize; ++e) qtable[e] *= -2.0f;
        } else if (ip || !ivf.by_residual) {
            ivf.pq.compute_table(ivf.metric_type, x, qtable.get());  // one table per query
        }
    }

    void set_list(size_t list_no, float coarse_dis) override {
        t = qtable.get();
        offset = 0;
        if (precomputed) {
            const float* pre = ivf.precomputed_table.data() + list_no * tsize;
            for (size_t e = 0; e < tsize; ++e) table[e] = pre[e] + qtable[e];
            t = table.get();
            offset = coarse_dis;  // ||x - c||^2
        } else if (!ip && ivf.by_residual) {
            ivf.compute_residual(x, list_no, residual.get());
            ivf.pq.compute_distance_table(residual.get(), table.get());
            t = table.get();
        } else if (ip && ivf.by_residual) {
            offset = coarse_dis;  // <x, c>
        }
    }

    void distance_block(const uint8_t* codes, size_t nb, float* out) override {
        ivf.pq.adc(K, t, codes, nb, out);
        if (offset != 0)
            for (size_t j = 0; j < nb; ++j) out[j] += offset;
    }
};

}  // namespace

std::unique_ptr<InvertedListScanner> IndexIVFPQ::get_scanner() const {
    return std::make_unique<IVFPQScanner>(*this);
}

}  // namespace faisslike
