// Internal: the 4-bit PQ fast-scan kernel, written once over a byte-shuffle traits struct and
// instantiated per ISA (included by distances_simd.h).
//
// Layout (faisslike/IndexPQFastScan.h): codes in blocks of 32 vectors; in a block, sub-quantizer
// m owns 16 bytes whose byte j holds vector j's code (low nibble) and vector j + 16's (high
// nibble). M4 (a multiple of 4) sub-quantizers per block, padding ones coded 0 with a zero
// table. The per-query table is uint8, 16 entries per sub-quantizer: a 128-bit register lane
// holds one sub-quantizer's table, and a byte shuffle (vpshufb) looks up 16 codes at once.
#pragma once

#include <cstddef>
#include <cstdint>

#include <immintrin.h>

#include "kernels/simd_ops.h"

namespace faisslike {
namespace kernels {

// S sub-quantizers per register (one per 128-bit lane).
template <class Arch, class Enable = void>
struct Nib;

template <class Arch>
struct Nib<Arch, std::enable_if_t<std::is_base_of<xsimd::avx512f, Arch>::value>> {
    using V = __m512i;
    static constexpr size_t S = 4;
    static inline V zero() { return _mm512_setzero_si512(); }
    static inline V load(const uint8_t* p) { return _mm512_loadu_si512(p); }
    static inline V low4(V c) { return _mm512_and_si512(c, _mm512_set1_epi8(0x0f)); }
    static inline V high4(V c) {
        return _mm512_and_si512(_mm512_srli_epi16(c, 4), _mm512_set1_epi8(0x0f));
    }
    static inline V lookup(V lut, V idx) { return _mm512_shuffle_epi8(lut, idx); }
    static inline V add16(V a, V b) { return _mm512_add_epi16(a, b); }
    static inline V sub16(V a, V b) { return _mm512_sub_epi16(a, b); }
    static inline V srli16_8(V a) { return _mm512_srli_epi16(a, 8); }
    static inline V slli16_8(V a) { return _mm512_slli_epi16(a, 8); }
    // Sum of the four 128-bit lanes (u16 each).
    static inline __m128i fold(V a) {
        const __m256i h =
            _mm256_add_epi16(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
        return _mm_add_epi16(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    }
    // Bits of the 16 u16 values in a, b (8 each) that are <= lim.
    static inline uint32_t le_mask16(__m128i a, __m128i b, __m128i lim) {
        const __m128i ma = _mm_cmpeq_epi16(_mm_min_epu16(a, lim), a);
        const __m128i mb = _mm_cmpeq_epi16(_mm_min_epu16(b, lim), b);
        return uint32_t(_mm_movemask_epi8(_mm_packs_epi16(ma, mb)));
    }
};

template <class Arch>
struct Nib<Arch, std::enable_if_t<!std::is_base_of<xsimd::avx512f, Arch>::value &&
                                  std::is_base_of<xsimd::avx2, Arch>::value>> {
    using V = __m256i;
    static constexpr size_t S = 2;
    static inline V zero() { return _mm256_setzero_si256(); }
    static inline V load(const uint8_t* p) {
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    }
    static inline V low4(V c) { return _mm256_and_si256(c, _mm256_set1_epi8(0x0f)); }
    static inline V high4(V c) {
        return _mm256_and_si256(_mm256_srli_epi16(c, 4), _mm256_set1_epi8(0x0f));
    }
    static inline V lookup(V lut, V idx) { return _mm256_shuffle_epi8(lut, idx); }
    static inline V add16(V a, V b) { return _mm256_add_epi16(a, b); }
    static inline V sub16(V a, V b) { return _mm256_sub_epi16(a, b); }
    static inline V srli16_8(V a) { return _mm256_srli_epi16(a, 8); }
    static inline V slli16_8(V a) { return _mm256_slli_epi16(a, 8); }
    static inline __m128i fold(V a) {
        return _mm_add_epi16(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    }
    // Bits of the 16 u16 values in a, b (8 each) that are <= lim.
    static inline uint32_t le_mask16(__m128i a, __m128i b, __m128i lim) {
        const __m128i ma = _mm_cmpeq_epi16(_mm_min_epu16(a, lim), a);
        const __m128i mb = _mm_cmpeq_epi16(_mm_min_epu16(b, lim), b);
        return uint32_t(_mm_movemask_epi8(_mm_packs_epi16(ma, mb)));
    }
};

// Q queries over the same blocks (FAISS's query blocking): each block's codes are loaded
// and split into nibbles once for all Q tables.
template <class Arch, size_t Q>
FAISSLIKE_KERNEL void pq4_scan_q(const uint8_t* blocks, size_t nblocks, size_t M4,
                                 const uint8_t* const* lut, const uint16_t* lim, uint16_t* out,
                                 uint32_t* masks) {
    if constexpr (Ops<Arch>::W == 1) {
        for (size_t q = 0; q < Q; ++q) {
            const uint8_t* t = lut[q];
            for (size_t b = 0; b < nblocks; ++b) {
                const uint8_t* c = blocks + b * M4 * 16;
                uint16_t* o = out + (q * nblocks + b) * 32;
                uint32_t mask = 0;
                for (size_t j = 0; j < 32; ++j) {
                    unsigned s = 0;
                    const unsigned shift = j < 16 ? 0 : 4;
                    for (size_t m = 0; m < M4; ++m)
                        s += t[m * 16 + ((c[m * 16 + (j & 15)] >> shift) & 15)];
                    o[j] = uint16_t(s);
                    mask |= uint32_t(s <= lim[q]) << j;
                }
                masks[q * nblocks + b] = mask;
            }
        }
    } else {
        using N = Nib<Arch>;
        using V = typename N::V;
        constexpr size_t S = N::S;
        for (size_t b = 0; b < nblocks; ++b) {
            const uint8_t* c = blocks + b * M4 * 16;
            // u16 lanes pair two vectors' bytes: acc sums both (the odd one times 256, mod
            // 2^16), acc_odd the odd one alone, so even = acc - 256 * acc_odd exactly (every
            // sum is at most 255 * 256 < 2^16).
            V a0[Q], a0o[Q], a1[Q], a1o[Q];
            for (size_t q = 0; q < Q; ++q) a0[q] = a0o[q] = a1[q] = a1o[q] = N::zero();
            for (size_t m = 0; m < M4; m += S) {
                const V codes = N::load(c + m * 16);
                const V lo = N::low4(codes), hi = N::high4(codes);
                for (size_t q = 0; q < Q; ++q) {
                    const V t = N::load(lut[q] + m * 16);
                    const V r0 = N::lookup(t, lo);  // vectors 0..15
                    const V r1 = N::lookup(t, hi);  // vectors 16..31
                    a0[q] = N::add16(a0[q], r0);
                    a0o[q] = N::add16(a0o[q], N::srli16_8(r0));
                    a1[q] = N::add16(a1[q], r1);
                    a1o[q] = N::add16(a1o[q], N::srli16_8(r1));
                }
            }
            for (size_t q = 0; q < Q; ++q) {
                const __m128i e0 = N::fold(N::sub16(a0[q], N::slli16_8(a0o[q])));
                const __m128i o0 = N::fold(a0o[q]);
                const __m128i e1 = N::fold(N::sub16(a1[q], N::slli16_8(a1o[q])));
                const __m128i o1 = N::fold(a1o[q]);
                const __m128i v0 = _mm_unpacklo_epi16(e0, o0), v1 = _mm_unpackhi_epi16(e0, o0);
                const __m128i v2 = _mm_unpacklo_epi16(e1, o1), v3 = _mm_unpackhi_epi16(e1, o1);
                __m128i* o = reinterpret_cast<__m128i*>(out + (q * nblocks + b) * 32);
                _mm_storeu_si128(o, v0);
                _mm_storeu_si128(o + 1, v1);
                _mm_storeu_si128(o + 2, v2);
                _mm_storeu_si128(o + 3, v3);
                const __m128i vlim = _mm_set1_epi16(int16_t(lim[q]));
                masks[q * nblocks + b] =
                    N::le_mask16(v0, v1, vlim) | (N::le_mask16(v2, v3, vlim) << 16);
            }
        }
    }
}

// A query's float table (M x 16, smaller is better) quantized to the kernel's uint8 entries
// (M4 x 16, padding zero): entry = round((t - lo_m) * scale), lo_m the smallest entry of
// sub-quantizer m, one scale for all so that every entry fits 0..255. *bias = sum of the lo_m
// (in order m = 0, 1, ...), so a sum maps back as sum / scale + bias. Every ISA gives the
// scalar path's bytes: min / max are exact, and the rounding is the same sub, mul, add.
template <class Arch>
FAISSLIKE_KERNEL void pq4_quantize_table(const float* table, size_t M, size_t M4, uint8_t* qtable,
                                         float* scale_out, float* bias_out) {
    constexpr bool vec =
        std::is_base_of<xsimd::avx2, Arch>::value || std::is_base_of<xsimd::avx512f, Arch>::value;
    float lo_buf[256];
    float bias = 0, span = 0;
    for (size_t m = 0; m < M; ++m) {
        const float* t = table + m * 16;
        float lo, hi;
        if constexpr (vec) {
            const __m256 a = _mm256_loadu_ps(t), b = _mm256_loadu_ps(t + 8);
            const __m256 mn8 = _mm256_min_ps(a, b), mx8 = _mm256_max_ps(a, b);
            __m128 mn = _mm_min_ps(_mm256_castps256_ps128(mn8), _mm256_extractf128_ps(mn8, 1));
            __m128 mx = _mm_max_ps(_mm256_castps256_ps128(mx8), _mm256_extractf128_ps(mx8, 1));
            mn = _mm_min_ps(mn, _mm_movehl_ps(mn, mn));
            mx = _mm_max_ps(mx, _mm_movehl_ps(mx, mx));
            lo = _mm_cvtss_f32(_mm_min_ss(mn, _mm_shuffle_ps(mn, mn, 1)));
            hi = _mm_cvtss_f32(_mm_max_ss(mx, _mm_shuffle_ps(mx, mx, 1)));
        } else {
            lo = hi = t[0];
            for (size_t j = 1; j < 16; ++j) {
                lo = t[j] < lo ? t[j] : lo;
                hi = t[j] > hi ? t[j] : hi;
            }
        }
        lo_buf[m] = lo;
        bias += lo;
        span = hi - lo > span ? hi - lo : span;
    }
    const float scale = span > 0 ? 255.0f / span : 1.0f;
    *scale_out = scale;
    *bias_out = bias;
    for (size_t m = 0; m < M; ++m) {
        const float* t = table + m * 16;
        uint8_t* q = qtable + m * 16;
        const float lo = lo_buf[m];
        if constexpr (vec) {
            const __m256 vlo = _mm256_set1_ps(lo), vs = _mm256_set1_ps(scale);
            const __m256 half = _mm256_set1_ps(0.5f), zero = _mm256_setzero_ps();
            const __m256 top = _mm256_set1_ps(255.0f);
            auto quant = [&](const float* p) {
                const __m256 y =
                    _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(p), vlo), vs), half);
                return _mm256_cvttps_epi32(_mm256_min_ps(top, _mm256_max_ps(zero, y)));
            };
            const __m256i a = quant(t), b = quant(t + 8);
            const __m128i w0 =
                _mm_packus_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
            const __m128i w1 =
                _mm_packus_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm_packus_epi16(w0, w1));
        } else {
            for (size_t j = 0; j < 16; ++j) {
                float y = (t[j] - lo) * scale + 0.5f;
                y = y < 0.0f ? 0.0f : y;
                y = y > 255.0f ? 255.0f : y;
                q[j] = uint8_t(y);
            }
        }
    }
    for (size_t i = M * 16; i < M4 * 16; ++i) qtable[i] = 0;
}

template <class Arch>
void pq4_scan(const uint8_t* blocks, size_t nblocks, size_t M4, const uint8_t* const* lut,
              size_t nq, const uint16_t* lim, uint16_t* out, uint32_t* masks) {
    switch (nq) {
        case 1:
            return pq4_scan_q<Arch, 1>(blocks, nblocks, M4, lut, lim, out, masks);
        case 2:
            return pq4_scan_q<Arch, 2>(blocks, nblocks, M4, lut, lim, out, masks);
        case 3:
            return pq4_scan_q<Arch, 3>(blocks, nblocks, M4, lut, lim, out, masks);
        default:
            return pq4_scan_q<Arch, 4>(blocks, nblocks, M4, lut, lim, out, masks);
    }
}

}  // namespace kernels
}  // namespace faisslike
