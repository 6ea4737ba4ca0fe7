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
    // Against ny vectors stored transposed (d rows of stride ld): out[j] = ||x - y_j||^2 or
    // <x, y_j>. Vectorized across j, so it is fast for the small d of PQ sub-vectors.
    void (*L2sqr_ny_transposed)(float* out, const float* x, const float* yt, size_t d, size_t ny,
                                size_t ld);
    void (*inner_product_ny_transposed)(float* out, const float* x, const float* yt, size_t d,
                                        size_t ny, size_t ld);
    // PQ asymmetric distances, 8-bit codes: dis[i] = sum_m table[m * 256 + codes[i * M + m]].
    void (*pq_adc8)(const float* table, size_t M, const uint8_t* codes, size_t n, float* dis);
    // Same result with one gather per W sub-quantizers (slower on Zen 4; kept to re-measure).
    void (*pq_adc8_gather)(const float* table, size_t M, const uint8_t* codes, size_t n,
                           float* dis);
    // out[r] = ||x - y_r||^2 (or <x, y_r>) for four arbitrary rows (graph neighbours).
    void (*L2sqr_batch4)(const float* x, const float* y0, const float* y1, const float* y2,
                         const float* y3, size_t d, float* out);
    void (*inner_product_batch4)(const float* x, const float* y0, const float* y1, const float* y2,
                                 const float* y3, size_t d, float* out);
    // Scalar quantizer, 8-bit codes (ny rows of d bytes): out[i] = sum_j (qa_j - c_ij s_j)^2,
    // and out[i] = sum_j w_j c_ij. The caller folds offsets and scales into qa / w.
    void (*sq8_L2sqr_ny)(float* out, const float* qa, const float* s, const uint8_t* codes,
                         size_t d, size_t ny);
    void (*sq8_dot_ny)(float* out, const float* w, const uint8_t* codes, size_t d, size_t ny);
    // Half-float rows (IEEE binary16): ||x - y_i||^2 and <x, y_i>.
    void (*fp16_L2sqr_ny)(float* out, const float* x, const uint16_t* y, size_t d, size_t ny);
    void (*fp16_inner_product_ny)(float* out, const float* x, const uint16_t* y, size_t d,
                                  size_t ny);
    // Binary codes of nbytes bytes: out[j] = popcount(a XOR b_j) for ny rows b_j.
    void (*hamming_ny)(int32_t* out, const uint8_t* a, const uint8_t* b, size_t nbytes, size_t ny);
    // Four arbitrary rows (graph neighbours).
    void (*hamming_batch4)(const uint8_t* a, const uint8_t* b0, const uint8_t* b1,
                           const uint8_t* b2, const uint8_t* b3, size_t nbytes, int32_t* out);
    // 4-bit PQ fast-scan (layout: kernels/pq4_simd.h) of nq (1..4) queries over nblocks
    // blocks of 32 codes of M4 sub-quantizers (M4 % 4 == 0, M4 <= 256); query q's table
    // (M4 x 16 bytes) at lut[q]: out[(q * nblocks + b) * 32 + j] = sum_m lut[q][16 m + code_m],
    // and bit j of masks[q * nblocks + b] is set when that sum is <= lim[q].
    void (*pq4_scan)(const uint8_t* blocks, size_t nblocks, size_t M4, const uint8_t* const* lut,
                     size_t nq, const uint16_t* lim, uint16_t* out, uint32_t* masks);
    // A float table (M x 16, M <= 256) quantized for pq4_scan (M4 x 16): its scale and bias
    // (kernels/pq4_simd.h). The same bytes on every ISA.
    void (*pq4_quantize_table)(const float* table, size_t M, size_t M4, uint8_t* qtable,
                               float* scale, float* bias);
    // RaBitQ (kernels/rabitq_simd.h): for n codes stride bytes apart whose first nbytes hold
    // sign bits, dot[j] = sum_b 2^b popcount(plane_b & signs_j) over qb (1..8) query bit
    // planes of ceil(nbytes / 8) words, and pop[j] = popcount(signs_j).
    void (*rabitq_dot_ny)(const uint64_t* planes, size_t nbytes, size_t qb, const uint8_t* codes,
                          size_t stride, size_t n, uint32_t* dot, uint32_t* pop);
    // sum_i q_i ((sign_i << ex_bits) + ex_i), ex_bits in [0, 8]; 8 bytes readable past ex.
    float (*rabitq_code_ip)(const uint8_t* sign, const uint8_t* ex, size_t ex_bits, const float* q,
                            size_t d);
    // The 8-bit tables of the RaBitQ fast-scan 1-bit stage for residual r (M groups of 4
    // components, M x 16 bytes), their scale and bias (kernels/rabitq_simd.h).
    void (*rabitq_fs_tables)(const float* r, size_t d, size_t M, uint8_t* qlut, float* bias,
                             float* scale);
    // The per-list query side of RaBitQ (kernels/rabitq_simd.h): r = q - c (q if c is null)
    // with stats = {sum r, sum r^2, min r, max r}; and the qb bit planes (ceil(d / 64) words
    // each) of round(clamp((r - vmin) * inv, 0, 2^qb - 1)), the same bits on every ISA.
    void (*rabitq_residual)(const float* q, const float* c, size_t d, float* r, float* stats);
    void (*rabitq_query_planes)(const float* r, size_t d, float vmin, float inv, size_t qb,
                                uint64_t* planes);
    // The nearest row by L2 (ties: the lowest) of ny <= 64 rows of d <= 32 components for
    // each of n queries: dist[i], idx[i] (k-means of PQ sub-quantizers).
    void (*L2sqr_argmin_small)(const float* x, size_t n, size_t d, const float* y, size_t ny,
                               float* dist, int64_t* idx);
    // How many v_i <= thr (NaN never counts): the counting step of the bisection that picks
    // a k-th smallest value without branching on the data (ResultCollector.h, kth_smallest).
    size_t (*count_le)(const float* v, size_t n, float thr);
    // bfloat16 inner products (kernels/gemm_bf16.cpp), null unless the CPU has AVX512-BF16:
    // rows of x minus shift rounded to bf16 (n rows of 2 ceil(d / 2) values); such rows put
    // in panels of 32 rows; out[i * ldo + j] = <a_i, b_j> for nx rows a_i against 32 npanels
    // rows b_j. Each product is exact in fp32 and summed in fp32; the error is the inputs'
    // rounding, |error| <= (2^-8 + 2^-18 + (d + 2) 2^-23) sum_i |a_i b_i|.
    void (*bf16_pack_rows)(const float* x, size_t n, size_t d, const float* shift, uint16_t* out);
    void (*bf16_pack_panels)(const uint16_t* rows, size_t n, size_t d2, uint32_t* panels);
    void (*bf16_ip_tile)(const uint16_t* a_rows, size_t nx, const uint32_t* panels, size_t npanels,
                         size_t d2, float* out, size_t ldo);
};

// Defined in the per-ISA translation units. Call only when simd_level_supported().
const KernelTable* kernel_table_scalar();
const KernelTable* kernel_table_avx2();
const KernelTable* kernel_table_avx512();

const KernelTable* kernel_table(SIMDLevel level);
// AVX-512 with VPOPCNTDQ (Ice Lake, Zen 4 on): the AVX-512 table with its Hamming kernels
// replaced; what current() uses at the AVX512 level when the CPU has the instruction.
const KernelTable* kernel_table_avx512_vpopcnt();
bool cpu_has_vpopcntdq();
// base (an AVX-512 table) with the bf16 kernels set; for CPUs with AVX512-BF16 (Zen 4,
// Cooper Lake, Sapphire Rapids on).
const KernelTable* kernel_table_avx512_bf16(const KernelTable* base);
bool cpu_has_avx512bf16();
// The table in use; read it once per operation, outside hot loops.
const KernelTable& current();

// Inner products (ip) or squared L2 distances of x to ny rows.
inline void distances_ny(const KernelTable& K, bool ip, float* out, const float* x, const float* y,
                         size_t d, size_t ny) {
    if (ip) {
        K.inner_product_ny(out, x, y, d, ny);
    } else {
        K.L2sqr_ny(out, x, y, d, ny);
    }
}

}  // namespace kernels
}  // namespace faisslike
