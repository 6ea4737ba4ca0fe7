// Internal: the RaBitQ kernels (faisslike/RaBitQuantizer.h), written once over the
// architecture and instantiated per ISA (included by distances_simd.h).
//
// A code starts with d sign bits (bit i of byte i / 8); multi-bit codes add ex_bits more bits
// per component, packed LSB first at bit i * ex_bits of the ex code. The query side of the
// 1-bit estimate is quantized to qb bits and stored as qb bit planes of nwords 64-bit words.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <immintrin.h>

#include "kernels/simd_ops.h"

namespace faisslike {
namespace kernels {

inline uint64_t rabitq_load_u64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

// The last, partial word of a code's sign bits (nb < 8 bytes): never reads past them, so the
// factors that follow never leak into a popcount.
inline uint64_t rabitq_load_tail(const uint8_t* p, size_t nb) {
    uint64_t v = 0;
    for (size_t i = 0; i < nb; ++i) v |= uint64_t(p[i]) << (8 * i);
    return v;
}

// QB known at compile time for the usual query widths: the plane loop unrolls.
template <int QB>
inline void rabitq_dot_fixed(const uint64_t* planes, size_t nbytes, size_t nwords,
                             const uint8_t* codes, size_t stride, size_t n, uint32_t* dot,
                             uint32_t* pop) {
    const size_t full = nbytes / 8, tail = nbytes % 8;
    for (size_t j = 0; j < n; ++j) {
        const uint8_t* c = codes + j * stride;
        uint64_t s = 0, p = 0;
        for (size_t w = 0; w < nwords; ++w) {
            const uint64_t y =
                w < full ? rabitq_load_u64(c + 8 * w) : rabitq_load_tail(c + 8 * w, tail);
            p += uint64_t(__builtin_popcountll(y));
            for (int b = 0; b < QB; ++b)
                s += uint64_t(__builtin_popcountll(planes[size_t(b) * nwords + w] & y)) << b;
        }
        dot[j] = uint32_t(s);
        pop[j] = uint32_t(p);
    }
}

// Whole words only, NW of them: the qb x NW plane words stay in registers across codes.
template <int QB, int NW>
inline void rabitq_dot_small(const uint64_t* planes, const uint8_t* codes, size_t stride, size_t n,
                             uint32_t* dot, uint32_t* pop) {
    uint64_t P[QB][NW];
    for (int b = 0; b < QB; ++b)
        for (int w = 0; w < NW; ++w) P[b][w] = planes[b * NW + w];
    for (size_t j = 0; j < n; ++j) {
        const uint8_t* c = codes + j * stride;
        uint64_t s = 0, p = 0;
        for (int w = 0; w < NW; ++w) {
            const uint64_t y = rabitq_load_u64(c + 8 * w);
            p += uint64_t(__builtin_popcountll(y));
            for (int b = 0; b < QB; ++b) s += uint64_t(__builtin_popcountll(P[b][w] & y)) << b;
        }
        dot[j] = uint32_t(s);
        pop[j] = uint32_t(p);
    }
}

template <int QB>
inline void rabitq_dot_q(const uint64_t* planes, size_t nbytes, size_t nwords, const uint8_t* codes,
                         size_t stride, size_t n, uint32_t* dot, uint32_t* pop) {
    if (nbytes % 8 == 0) {  // d a multiple of 64 up to 256: the common embedding widths
        switch (nwords) {
            case 1:
                return rabitq_dot_small<QB, 1>(planes, codes, stride, n, dot, pop);
            case 2:
                return rabitq_dot_small<QB, 2>(planes, codes, stride, n, dot, pop);
            case 3:
                return rabitq_dot_small<QB, 3>(planes, codes, stride, n, dot, pop);
            case 4:
                return rabitq_dot_small<QB, 4>(planes, codes, stride, n, dot, pop);
            default:
                break;
        }
    }
    rabitq_dot_fixed<QB>(planes, nbytes, nwords, codes, stride, n, dot, pop);
}

// For n codes (stride bytes apart, sign bits in the first nbytes of each):
//   dot[j] = sum_b 2^b popcount(plane_b & signs_j),  pop[j] = popcount(signs_j).
// planes: qb x nwords words, nwords = ceil(nbytes / 8), bits past d zero; qb in [1, 8].
// Integer results: every ISA returns the same values. (On CPUs with VPOPCNTDQ the AVX-512
// table uses kernels/hamming_vpopcnt.cpp's version: 8 popcounts per instruction, 3x at d = 768.)
template <class Arch>
FAISSLIKE_KERNEL void rabitq_dot_ny(const uint64_t* planes, size_t nbytes, size_t qb,
                                    const uint8_t* codes, size_t stride, size_t n, uint32_t* dot,
                                    uint32_t* pop) {
    const size_t nwords = (nbytes + 7) / 8;
    switch (qb) {
        case 1:
            return rabitq_dot_fixed<1>(planes, nbytes, nwords, codes, stride, n, dot, pop);
        case 2:
            return rabitq_dot_fixed<2>(planes, nbytes, nwords, codes, stride, n, dot, pop);
        case 3:
            return rabitq_dot_fixed<3>(planes, nbytes, nwords, codes, stride, n, dot, pop);
        case 4:
            return rabitq_dot_fixed<4>(planes, nbytes, nwords, codes, stride, n, dot, pop);
        case 5:
            return rabitq_dot_fixed<5>(planes, nbytes, nwords, codes, stride, n, dot, pop);
        case 6:
            return rabitq_dot_fixed<6>(planes, nbytes, nwords, codes, stride, n, dot, pop);
        case 7:
            return rabitq_dot_fixed<7>(planes, nbytes, nwords, codes, stride, n, dot, pop);
        default:
            return rabitq_dot_fixed<8>(planes, nbytes, nwords, codes, stride, n, dot, pop);
    }
}

// sum_i q_i * ((s_i << ex_bits) + e_i) with s_i the sign bit and e_i the ex_bits-bit value
// of component i (ex_bits in [0, 8]; ex unused when 0). The caller guarantees 8 readable
// bytes past the ex code (the code's ex factors follow it).
template <class Arch>
FAISSLIKE_KERNEL float rabitq_code_ip(const uint8_t* sign, const uint8_t* ex, size_t ex_bits,
                                      const float* q, size_t d) {
    size_t i = 0;
    float s = 0.0f;
    constexpr bool vec =
        std::is_base_of<xsimd::avx2, Arch>::value || std::is_base_of<xsimd::avx512f, Arch>::value;
    if constexpr (vec) {
        // Eight components per step: their ex values are ex_bits whole bytes, spread to one
        // byte each by pdep; the sign bits are one byte, spread by a compare.
        const uint64_t spread = 0x0101010101010101ull * ((1ull << ex_bits) - 1);
        const __m256i bitsel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
        const __m256 top = _mm256_set1_ps(float(1u << ex_bits));
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
        for (; i + 16 <= d; i += 16) {
            for (int h = 0; h < 2; ++h) {
                const size_t i0 = i + 8 * size_t(h);
                const __m256i sb = _mm256_and_si256(_mm256_set1_epi32(sign[i0 / 8]), bitsel);
                const __m256 sv =
                    _mm256_and_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(sb, bitsel)), top);
                __m256 v = sv;
                if (ex_bits) {
                    const uint64_t w = _pdep_u64(rabitq_load_u64(ex + i0 * ex_bits / 8), spread);
                    const __m256i e = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(int64_t(w)));
                    v = _mm256_add_ps(v, _mm256_cvtepi32_ps(e));
                }
                const __m256 qv = _mm256_loadu_ps(q + i0);
                if (h == 0) {
                    acc0 = _mm256_fmadd_ps(qv, v, acc0);
                } else {
                    acc1 = _mm256_fmadd_ps(qv, v, acc1);
                }
            }
        }
        const __m256 a = _mm256_add_ps(acc0, acc1);
        __m128 r = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        r = _mm_add_ps(r, _mm_movehl_ps(r, r));
        r = _mm_add_ss(r, _mm_movehdup_ps(r));
        s = _mm_cvtss_f32(r);
    }
    const uint64_t mask = (1ull << ex_bits) - 1;
    for (; i < d; ++i) {
        const uint32_t sb = (sign[i / 8] >> (i % 8)) & 1u;
        uint32_t e = 0;
        if (ex_bits) {
            const size_t bit = i * ex_bits;
            uint64_t w = 0;
            // At most 2 bytes hold one value (ex_bits <= 8).
            const size_t nb = (bit % 8 + ex_bits + 7) / 8;
            for (size_t t = 0; t < nb; ++t) w |= uint64_t(ex[bit / 8 + t]) << (8 * t);
            e = uint32_t((w >> (bit % 8)) & mask);
        }
        s += q[i] * float((sb << ex_bits) + e);
    }
    return s;
}

// Tables of the RaBitQ fast-scan 1-bit stage (IndexIVFRaBitQFastScan): group m (m < M) of the
// 4 components r[4m .. 4m + 3] (zero past d) gets, for each subset v of them (bit t of v:
// component 4m + t), the sum of r over v minus the group's minimum (the sum of its negative
// components), quantized with one scale for all groups: qlut[16 m + v] = round(t * scale),
// scale = 255 / (largest group span). *bias = the sum of all negative components, so a code's
// sum of r over its set bits ~ (sum of its entries) / scale + bias. The entries are sums in a
// fixed order on every ISA; the quantization may round an exact tie differently (FMA).
template <class Arch>
FAISSLIKE_KERNEL void rabitq_fs_tables(const float* r, size_t d, size_t M, uint8_t* qlut,
                                       float* bias_out, float* scale_out) {
    constexpr bool vec =
        std::is_base_of<xsimd::avx2, Arch>::value || std::is_base_of<xsimd::avx512f, Arch>::value;
    // Group m's components, zero past d (a copy only for the last, partial group).
    auto group = [&](size_t m, float* tmp) -> const float* {
        if (4 * m + 4 <= d) return r + 4 * m;
        for (size_t t = 0; t < 4; ++t) tmp[t] = 4 * m + t < d ? r[4 * m + t] : 0.0f;
        return tmp;
    };
    // Sums in the order of two horizontal adds, (c0 + c1) + (c2 + c3), on every ISA.
    auto lo_span = [&](const float* g, float& lo, float& sp) {
        if constexpr (vec) {
            const __m128 a = _mm_loadu_ps(g);
            const __m128 n = _mm_min_ps(_mm_setzero_ps(), a);
            const __m128 ab = _mm_andnot_ps(_mm_set1_ps(-0.0f), a);
            const __m128 h = _mm_hadd_ps(n, ab);
            const __m128 h2 = _mm_hadd_ps(h, h);
            lo = _mm_cvtss_f32(h2);
            sp = _mm_cvtss_f32(_mm_shuffle_ps(h2, h2, 1));
        } else {
            lo = (std::min(0.0f, g[0]) + std::min(0.0f, g[1])) +
                 (std::min(0.0f, g[2]) + std::min(0.0f, g[3]));
            sp = (std::fabs(g[0]) + std::fabs(g[1])) + (std::fabs(g[2]) + std::fabs(g[3]));
        }
    };
    float tmp[4];
    float bias = 0.0f, span = 0.0f;
    for (size_t m = 0; m < M; ++m) {
        float lo, sp;
        lo_span(group(m, tmp), lo, sp);
        bias += lo;
        span = std::max(span, sp);
    }
    const float scale = span > 0.0f ? 255.0f / span : 1.0f;
    *bias_out = bias;
    *scale_out = scale;
    for (size_t m = 0; m < M; ++m) {
        const float* g = group(m, tmp);
        float lo, sp;
        lo_span(g, lo, sp);
        uint8_t* q = qlut + 16 * m;
        // Entry v: -lo + the components whose bit is set in v, added in component order.
        if constexpr (vec) {
            // Entries 0..7 in one register, 8..15 (the same plus c3) in another.
            const __m256 m0 = _mm256_castsi256_ps(_mm256_setr_epi32(0, -1, 0, -1, 0, -1, 0, -1));
            const __m256 m1 = _mm256_castsi256_ps(_mm256_setr_epi32(0, 0, -1, -1, 0, 0, -1, -1));
            const __m256 m2 = _mm256_castsi256_ps(_mm256_setr_epi32(0, 0, 0, 0, -1, -1, -1, -1));
            const __m256 c = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(g));
            __m256 t0 = _mm256_set1_ps(-lo);
            t0 = _mm256_add_ps(t0, _mm256_and_ps(_mm256_permute_ps(c, 0x00), m0));
            t0 = _mm256_add_ps(t0, _mm256_and_ps(_mm256_permute_ps(c, 0x55), m1));
            t0 = _mm256_add_ps(t0, _mm256_and_ps(_mm256_permute_ps(c, 0xaa), m2));
            const __m256 t1 = _mm256_add_ps(t0, _mm256_permute_ps(c, 0xff));
            const __m256 sc = _mm256_set1_ps(scale), half = _mm256_set1_ps(0.5f);
            const __m256 zero = _mm256_setzero_ps(), top = _mm256_set1_ps(255.0f);
            auto quant = [&](__m256 t) {
                const __m256 y =
                    _mm256_min_ps(top, _mm256_max_ps(zero, _mm256_fmadd_ps(t, sc, half)));
                return _mm256_cvttps_epi32(y);
            };
            // 32-bit -> 16-bit packs within 128-bit lanes: reorder the 64-bit quarters.
            const __m256i w =
                _mm256_permute4x64_epi64(_mm256_packus_epi32(quant(t0), quant(t1)), 0xd8);
            const __m128i b =
                _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(q), b);
        } else {
            for (size_t v = 0; v < 16; ++v) {
                float t = -lo;
                if (v & 1) t += g[0];
                if (v & 2) t += g[1];
                if (v & 4) t += g[2];
                if (v & 8) t += g[3];
                q[v] = uint8_t(std::min(255.0f, std::max(0.0f, t * scale + 0.5f)));
            }
        }
    }
}

}  // namespace kernels
}  // namespace faisslike
