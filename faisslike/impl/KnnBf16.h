// Internal: the bf16 pre-filter of exact k-NN (faisslike/distances.cpp) in two steps, so that a
// small database prepared once can serve many single-query searches (IndexFlat keeps one for
// its rows: an IVF coarse quantizer searched one query at a time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "faisslike/MetricType.h"

namespace faisslike {

// The rows y (ny x d) centred on their mean, rounded to bf16 and packed for the kernel, with
// what the error bound needs. Reads y again for the exact scores: valid while y is unchanged.
struct Bf16Rows {
    bool ip = false;
    size_t d = 0, ny = 0;
    const float* y = nullptr;
    std::vector<float> mu, cn;  // the mean; ||y_j - mu||^2
    float R2 = 0;               // the largest ||y_j - mu||^2
    std::vector<uint32_t> panels;
};

// Whether the pre-filter suits k results among ny rows of d components on this CPU (it has
// AVX512-BF16); for a database prepared once, whatever the number of queries.
bool bf16_knn_applies(size_t ny, size_t d, size_t k);
// Null when the magnitudes do not suit bf16 (then search in fp32).
std::shared_ptr<const Bf16Rows> bf16_prepare(bool ip, const float* y, size_t d, size_t ny);
// The exact k nearest of each of the nx queries (L2 or, for db.ip, largest inner product),
// as knn_L2sqr / knn_inner_product write them.
void bf16_knn(const Bf16Rows& db, const float* x, size_t nx, size_t k, float* D, int64_t* I);

}  // namespace faisslike
