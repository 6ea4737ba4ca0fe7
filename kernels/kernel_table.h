// Internal: the per-ISA kernel table and how to get the one in use.
#pragma once

#include <cstddef>
#include <cstdint>

#include "faisslike/distances.h"

namespace faisslike {
namespace kernels {

struct KernelTable {
    float (*L2sqr)(const float* x, const float* y, size_t d);
    float (*inner_product)(const float* x, const float* y, size_t d);
    float (*norm_L2sqr)(const float* x, size_t d);
    void (*L2sqr_ny)(float* dis, const float* x, const float* y, size_t d, size_t ny);
    void (*inner_product_ny)(float* ip, const float* x, const float* y, size_t d, size_t ny);
    void (*norms_L2sqr)(float* nr, const float* x, size_t d, size_t nx);
    // Top-k pre-filter: v_i = sign * a_i (+ b_i if b); writes (v_i, i) for every v_i < thr,
    // returns how many. Lets the heap code stay out of the per-ISA translation units.
    size_t (*filter_lt)(const float* a, const float* b, float sign, size_t n, float thr,
                        float* vals, int32_t* idx);
    // Index of the smallest sign * a_i (+ b_i) (the first one on ties), value in *val.
    // n must be < 2^24 (indices are tracked in float lanes).
    size_t (*argmin_add)(const float* a, const float* b, float sign, size_t n, float* val);
};

// Defined in the per-ISA translation units. Call only when simd_level_supported().
const KernelTable* kernel_table_scalar();
const KernelTable* kernel_table_avx2();
const KernelTable* kernel_table_avx512();

const KernelTable* kernel_table(SIMDLevel level);
// The table in use; read it once per operation, outside hot loops.
const KernelTable& current();

}  // namespace kernels
}  // namespace faisslike
