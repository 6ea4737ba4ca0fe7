// Distance kernels and exhaustive k-NN search: the public face of kernels/.
#pragma once

#include <atomic>

#include <cstddef>
#include <cstdint>

#include "faisslike/MetricType.h"

namespace faisslike {

enum class SIMDLevel : int { NONE = 0, AVX2 = 1, AVX512 = 2 };

// "scalar", "avx2", "avx512".
const char* simd_level_name(SIMDLevel level);
// The BLAS this build calls: "system ..." or "scipy-openblas32 ...", then OpenBLAS's own
// configuration string, its core type and threading.
const char* blas_info();
// Accepts the names above (case-insensitive); throws Error otherwise.
SIMDLevel parse_simd_level(const char* name);
// True when this CPU (and OS) can run kernels of that level.
bool simd_level_supported(SIMDLevel level);
// Level in use. Chosen once on first use: FAISSLIKE_SIMD if set (Error if the CPU lacks it),
// otherwise the best level the CPU supports.
SIMDLevel simd_level();
// Switches kernels for all later calls; throws if the CPU lacks the level. Not meant to be
// called while searches are running on other threads (they keep the table they started with).
void set_simd_level(SIMDLevel level);

float fvec_L2sqr(const float* x, const float* y, size_t d);
float fvec_inner_product(const float* x, const float* y, size_t d);
float fvec_norm_L2sqr(const float* x, size_t d);
// dis[j] = ||x - y_j||^2 for the ny rows of y (row-major, ny x d).
void fvec_L2sqr_ny(float* dis, const float* x, const float* y, size_t d, size_t ny);
// ip[j] = <x, y_j>.
void fvec_inner_products_ny(float* ip, const float* x, const float* y, size_t d, size_t ny);
// nr[i] = ||x_i||^2 for nx rows.
void fvec_norms_L2sqr(float* nr, const float* x, size_t d, size_t nx);
// Scales each of the nx rows to unit L2 norm in place (zero rows stay zero). FAISS argument order.
void fvec_renorm_L2(size_t d, size_t nx, float* x);

// Number of queries at and above which exact search uses BLAS sgemm instead of the
// per-query SIMD loop. Tuned with benchs/bench_flat (see docs/architecture.md).
extern std::atomic<int> distance_compute_blas_threshold;

// Exact k-NN of nx queries among ny database rows. Results sorted (ascending L2 distance,
// descending inner product); missing results get label -1 and distance +inf (L2) / -inf (IP).
// knn_L2sqr / knn_inner_product are the raw kernels: their callers validate (the Index
// layer). knn_search is the checked entry point: metric, d, k, pointers (InvalidArgument)
// and finite values in x and y (Error), at O((nx + ny) d) extra cost.
void knn_L2sqr(const float* x, const float* y, size_t d, size_t nx, size_t ny, size_t k,
               float* distances, int64_t* labels);
void knn_inner_product(const float* x, const float* y, size_t d, size_t nx, size_t ny, size_t k,
                       float* distances, int64_t* labels);
void knn_search(MetricType metric, const float* x, const float* y, size_t d, size_t nx, size_t ny,
                size_t k, float* distances, int64_t* labels);

}  // namespace faisslike
