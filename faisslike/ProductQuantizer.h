// Product quantization: d = M sub-vectors of dsub dims, each coded by the nearest of
// ksub = 2^nbits centroids learned by k-means.
#pragma once

#include <cstdint>
#include <vector>

#include "faisslike/Clustering.h"
#include "faisslike/MetricType.h"

namespace faisslike {

namespace kernels {
struct KernelTable;
}

struct ProductQuantizer {
    size_t d, M, nbits, dsub, ksub, code_size;
    // k-means per sub-quantizer (FAISS defaults: 25 iterations, 256 points per centroid;
    // 1024 points per centroid for nbits <= 4, see the constructor).
    ClusteringParameters cp;
    std::vector<float> centroids;    // M x ksub x dsub
    std::vector<float> centroids_t;  // M x dsub x ksub, derived: vectorized table computation

    // d must be a multiple of M; nbits in [1, 16] (8 and 16: byte-aligned codes with their
    // own fast paths; others bit-packed).
    ProductQuantizer(size_t d, size_t M, size_t nbits = 8);

    bool is_trained() const { return !centroids.empty(); }
    // Needs n >= ksub (error); warns below 39 * ksub like FAISS.
    void train(idx_t n, const float* x);
    // Installs M x ksub x dsub centroids (e.g. read from a file).
    void set_centroids(const float* c);

    void compute_codes(const float* x, uint8_t* codes, size_t n) const;
    void decode(const uint8_t* codes, float* x, size_t n) const;
    // table[m * ksub + j] = ||x_m - c_mj||^2, or <x_m, c_mj> for the inner-product table.
    void compute_distance_table(const float* x, float* table) const;
    void compute_inner_prod_table(const float* x, float* table) const;
    void compute_table(MetricType metric, const float* x, float* table) const;
    // dis[i] = sum_m table[m * ksub + code_m(i)] for n codes (ADC).
    void adc(const kernels::KernelTable& K, const float* table, const uint8_t* codes, size_t n,
             float* dis) const;

    size_t get_code(const uint8_t* code, size_t m) const;
    void set_code(uint8_t* code, size_t m, size_t value) const;

   private:
    void check_trained() const;
    // Index of the smallest of ksub distances (the first on ties).
    size_t nearest(const kernels::KernelTable& K, const float* dis) const;
};

}  // namespace faisslike
