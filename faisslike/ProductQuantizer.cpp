#include "faisslike/ProductQuantizer.h"

#include <cstdio>
#include <cstring>
#include <memory>

#include "faisslike/Error.h"
#include "faisslike/Index.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/impl/Parallel.h"
#include "kernels/kernel_table.h"

namespace faisslike {

ProductQuantizer::ProductQuantizer(size_t d_in, size_t M_in, size_t nbits_in)
    : d(d_in), M(M_in), nbits(nbits_in), dsub(0), ksub(0), code_size(0) {
    FAISSLIKE_CHECK_ARG(M >= 1, "PQ needs M >= 1, got M=%zu", M);
    FAISSLIKE_CHECK_ARG(d >= 1 && d % M == 0, "d=%zu is not a multiple of M=%zu", d, M);
    FAISSLIKE_CHECK_ARG(nbits >= 1 && nbits <= 16, "nbits must be in [1, 16], got nbits=%zu",
                        nbits);
    dsub = d / M;
    ksub = size_t(1) << nbits;
    code_size = (M * nbits + 7) / 8;
    // Small codebooks: more points and iterations pay where they are cheap. On syn-1m (PQ32,
    // 4 bits: 4 components, 100k training vectors) 2048 points per centroid and 50
    // iterations instead of 1024 and 25 lifted IVF4096,PQ32x4fs's 10-R@10 at nprobe
    // 16 / 32 / 64 from 0.4951 / 0.4998 / 0.5015 to 0.4967 / 0.5018 / 0.5032 (FAISS, 256 and
    // 25: 0.4958 / 0.5005 / 0.5022). Longer sub-vectors keep 1024 and 25: on emb768 (PQ96x4,
    // 8 components) 1024 x 50 / 1024 x 25 / 2048 x 50 gave 0.4548 / 0.4578 / 0.4588, within
    // the seed's noise, and 2048 x 50 trained in 1.1 s where FAISS's whole build takes 1.1 s.
    if (nbits <= 4) {
        const bool short_sub = dsub <= 4;
        cp.max_points_per_centroid = short_sub ? 2048 : 1024;
        cp.niter = short_sub ? 50 : 25;
    }
}

void ProductQuantizer::check_trained() const {
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained(), "product quantizer is not trained");
}

void ProductQuantizer::set_centroids(const float* c) {
    centroids.assign(c, c + M * ksub * dsub);
    centroids_t.resize(centroids.size());
    for (size_t m = 0; m < M; ++m)
        for (size_t j = 0; j < ksub; ++j)
            for (size_t t = 0; t < dsub; ++t)
                centroids_t[(m * dsub + t) * ksub + j] = centroids[(m * ksub + j) * dsub + t];
}

void ProductQuantizer::train(idx_t n, const float* x) {
    FAISSLIKE_CHECK_ARG(n >= 0 && (n == 0 || x != nullptr), "bad training set (n=%lld)",
                        (long long)n);
    FAISSLIKE_THROW_IF_NOT_FMT(size_t(n) >= ksub,
                               "PQ training needs at least ksub=%zu points (2^nbits), got n=%lld",
                               ksub, (long long)n);
    check_finite("PQ training vectors", n, int(d), x);
    if (size_t(n) < 39 * ksub) {
        std::fprintf(stderr,
                     "WARNING PQ training on %lld points for %zu centroids per sub-quantizer: "
                     "at least %zu are recommended\n",
                     (long long)n, ksub, 39 * ksub);
    }
    ClusteringParameters sub_cp = cp;
    sub_cp.min_points_per_centroid = 0;  // warned once above, not M times
    std::vector<float> all(M * ksub * dsub);
    // Every sub-quantizer's k-means keeps the same rows: gathered once here, not M times.
    std::vector<float> kept;
    if (cp.max_points_per_centroid > 0 && size_t(n) > ksub * size_t(cp.max_points_per_centroid)) {
        const std::vector<size_t> rows =
            kmeans_subsample(size_t(n), ksub * size_t(cp.max_points_per_centroid), cp.seed);
        kept.resize(rows.size() * d);
        for (size_t i = 0; i < rows.size(); ++i)
            std::memcpy(&kept[i * d], x + rows[i] * d, d * sizeof(float));
        x = kept.data();
        n = idx_t(rows.size());
    }
    const auto train_one = [&](std::vector<float>& xs, size_t m) {
        xs.resize(size_t(n) * dsub);
        for (size_t i = 0; i < size_t(n); ++i)
            std::memcpy(&xs[i * dsub], x + i * d + m * dsub, dsub * sizeof(float));
        Clustering clus(int(dsub), int(ksub), sub_cp);
        IndexFlatL2 assign{idx_t(dsub)};
        clus.train(n, xs.data(), assign);
        std::memcpy(&all[m * ksub * dsub], clus.centroids.data(), ksub * dsub * sizeof(float));
    };
    // Small codebooks (<= 16 centroids), one per thread: each k-means is too small to share
    // (its iterations are ~1 ms), and a sub-quantizer's result does not depend on the threads.
    parallel_for_with(
        int64_t(M), [] { return std::vector<float>(); },
        [&](std::vector<float>& xs, int64_t m) { train_one(xs, size_t(m)); }, ksub <= 16 && M > 1);
    set_centroids(all.data());
}

size_t ProductQuantizer::get_code(const uint8_t* code, size_t m) const {
    if (nbits == 8) return code[m];
    if (nbits == 16) return size_t(code[2 * m]) | (size_t(code[2 * m + 1]) << 8);
    if (nbits == 4) return size_t(code[m >> 1] >> ((m & 1) * 4)) & 0xf;
    size_t bit = m * nbits, v = 0;
    for (size_t b = 0; b < nbits; ++b, ++bit) v |= size_t((code[bit >> 3] >> (bit & 7)) & 1) << b;
    return v;
}

void ProductQuantizer::set_code(uint8_t* code, size_t m, size_t value) const {
    if (nbits == 8) {
        code[m] = uint8_t(value);
        return;
    }
    if (nbits == 4) {  // nibbles, low first: the same bits as the generic packing
        const unsigned sh = unsigned(m & 1) * 4;
        code[m >> 1] = uint8_t((code[m >> 1] & ~(0xfu << sh)) | ((value & 0xfu) << sh));
        return;
    }
    if (nbits == 16) {  // little-endian 16-bit words: the same bits as the generic packing
        code[2 * m] = uint8_t(value);
        code[2 * m + 1] = uint8_t(value >> 8);
        return;
    }
    size_t bit = m * nbits;
    for (size_t b = 0; b < nbits; ++b, ++bit) {
        const uint8_t mask = uint8_t(1u << (bit & 7));
        if ((value >> b) & 1) {
            code[bit >> 3] |= mask;
        } else {
            code[bit >> 3] &= uint8_t(~mask);
        }
    }
}

size_t ProductQuantizer::nearest(const kernels::KernelTable& K, const float* dis) const {
    if (ksub > 32) {
        float v;
        return K.argmin_add(dis, nullptr, 1.0f, ksub, &v);
    }
    // A few centroids (4-bit codes): a plain loop beats the kernel's setup. First on ties,
    // as argmin_add.
    size_t best = 0;
    for (size_t j = 1; j < ksub; ++j) best = dis[j] < dis[best] ? j : best;
    return best;
}

void ProductQuantizer::compute_codes(const float* x, uint8_t* codes, size_t n) const {
    check_trained();
    const kernels::KernelTable& K = kernels::current();
    parallel_for_with(
        int64_t(n), [&] { return std::unique_ptr<float[]>(new float[ksub]); },
        [&](std::unique_ptr<float[]>& dis, int64_t i) {
            uint8_t* code = codes + size_t(i) * code_size;
            std::memset(code, 0, code_size);
            for (size_t m = 0; m < M; ++m) {
                K.L2sqr_ny_transposed(dis.get(), x + size_t(i) * d + m * dsub,
                                      centroids_t.data() + m * dsub * ksub, dsub, ksub, ksub);
                set_code(code, m, nearest(K, dis.get()));
            }
        },
        n > 64);
}

void ProductQuantizer::decode(const uint8_t* codes, float* x, size_t n) const {
    check_trained();
    parallel_for(
        int64_t(n),
        [&](int64_t i) {
            const uint8_t* code = codes + size_t(i) * code_size;
            for (size_t m = 0; m < M; ++m)
                std::memcpy(x + size_t(i) * d + m * dsub,
                            &centroids[(m * ksub + get_code(code, m)) * dsub],
                            dsub * sizeof(float));
        },
        n > 1024, false);
}

void ProductQuantizer::compute_distance_table(const float* x, float* table) const {
    check_trained();
    const kernels::KernelTable& K = kernels::current();
    for (size_t m = 0; m < M; ++m)
        K.L2sqr_ny_transposed(table + m * ksub, x + m * dsub, centroids_t.data() + m * dsub * ksub,
                              dsub, ksub, ksub);
}

void ProductQuantizer::compute_inner_prod_table(const float* x, float* table) const {
    check_trained();
    const kernels::KernelTable& K = kernels::current();
    for (size_t m = 0; m < M; ++m)
        K.inner_product_ny_transposed(table + m * ksub, x + m * dsub,
                                      centroids_t.data() + m * dsub * ksub, dsub, ksub, ksub);
}

void ProductQuantizer::compute_table(MetricType metric, const float* x, float* table) const {
    FAISSLIKE_CHECK_ARG(metric == METRIC_L2 || metric == METRIC_INNER_PRODUCT,
                        "unsupported metric %d", int(metric));
    if (metric == METRIC_INNER_PRODUCT) {
        compute_inner_prod_table(x, table);
    } else {
        compute_distance_table(x, table);
    }
}

void ProductQuantizer::adc(const kernels::KernelTable& K, const float* table, const uint8_t* codes,
                           size_t n, float* dis) const {
    if (nbits == 8) {
        K.pq_adc8(table, M, codes, n, dis);
        return;
    }
    if (nbits == 16) {
        for (size_t i = 0; i < n; ++i) {
            const uint8_t* code = codes + i * code_size;
            float s = 0;
            for (size_t m = 0; m < M; ++m)
                s += table[m * ksub + (size_t(code[2 * m]) | (size_t(code[2 * m + 1]) << 8))];
            dis[i] = s;
        }
        return;
    }
    for (size_t i = 0; i < n; ++i) {
        const uint8_t* code = codes + i * code_size;
        float s = 0;
        for (size_t m = 0; m < M; ++m) s += table[m * ksub + get_code(code, m)];
        dis[i] = s;
    }
}

}  // namespace faisslike
