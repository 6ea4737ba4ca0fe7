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

// The query side of a probed list, once per (query, list): r = q - c (q when c is null) and,
// in the same pass, stats = {sum r_i, sum r_i^2, min r_i, max r_i}. The sums' order differs
// between ISAs (a few ulps); min and max do not.
template <class Arch>
FAISSLIKE_KERNEL void rabitq_residual(const float* q, const float* c, size_t d, float* r,
                                      float* stats) {
    using O = Ops<Arch>;
    using B = typename O::B;
    constexpr size_t W = O::W;
    size_t i = 0;
    float s = 0, s2 = 0, lo = 0, hi = 0;
    if (d >= W) {
        B a = O::zero(), a2 = O::zero();
        B vlo = O::load(q), vhi = vlo;
        if (c) vlo = vhi = vlo - O::load(c);
        for (; i + W <= d; i += W) {
            B v = O::load(q + i);
            if (c) v = v - O::load(c + i);
            O::store(r + i, v);
            a = a + v;
            a2 = O::fmadd(v, v, a2);
            vlo = O::min(vlo, v);
            vhi = O::max(vhi, v);
        }
        s = O::hsum(a), s2 = O::hsum(a2);
        float tl[W], th[W];
        O::store(tl, vlo), O::store(th, vhi);
        lo = tl[0], hi = th[0];
        for (size_t j = 1; j < W; ++j) lo = std::min(lo, tl[j]), hi = std::max(hi, th[j]);
    } else if (d > 0) {
        lo = hi = c ? q[0] - c[0] : q[0];
    }
    for (; i < d; ++i) {
        const float v = c ? q[i] - c[i] : q[i];
        r[i] = v;
        s += v, s2 += v * v;
        lo = std::min(lo, v), hi = std::max(hi, v);
    }
    stats[0] = s, stats[1] = s2, stats[2] = lo, stats[3] = hi;
}

// The qb (1..8) bit planes of r quantized to round(clamp((r_i - vmin) * inv, 0, 2^qb - 1)):
// planes[b * nwords + w] bit t = bit b of component 64 w + t's value (zero past d), nwords =
// ceil(d / 64). Every ISA gives the same bits (no FMA, the same rounding).
template <class Arch>
FAISSLIKE_KERNEL void rabitq_query_planes(const float* r, size_t d, float vmin, float inv,
                                          size_t qb, uint64_t* planes) {
    const size_t nwords = (d + 63) / 64;
    const float top = float((1u << qb) - 1);
    auto quant = [&](float x) {
        const float t = std::min(top, std::max(0.0f, (x - vmin) * inv));
        return uint8_t(int(t + 0.5f));
    };
    constexpr bool v512 = std::is_base_of<xsimd::avx512bw, Arch>::value;
    constexpr bool v256 = !v512 && std::is_base_of<xsimd::avx2, Arch>::value;
    alignas(64) uint8_t buf[64];
    for (size_t w = 0; w < nwords; ++w) {
        const size_t i0 = 64 * w, n = std::min<size_t>(64, d - i0);
        size_t i = 0;
        if constexpr (v512 || v256) {
            using O = Ops<Arch>;
            const auto vm = O::set1(vmin), vi = O::set1(inv), vt = O::set1(top);
            const auto z = O::zero(), h = O::set1(0.5f);
            for (; i + O::W <= n; i += O::W) {
                const auto t = O::min(vt, O::max(z, (O::load(r + i0 + i) - vm) * vi)) + h;
                // Truncated to int32, narrowed to bytes (values in [0, 255]).
                if constexpr (v512) {
                    const __m512i qi = _mm512_cvttps_epi32(t);
                    _mm_store_si128(reinterpret_cast<__m128i*>(buf + i), _mm512_cvtepi32_epi8(qi));
                } else {
                    const __m256i qi = _mm256_cvttps_epi32(t);
                    const __m128i p16 = _mm_packus_epi32(_mm256_castsi256_si128(qi),
                                                         _mm256_extracti128_si256(qi, 1));
                    _mm_storel_epi64(reinterpret_cast<__m128i*>(buf + i),
                                     _mm_packus_epi16(p16, p16));
                }
            }
        }
        for (; i < n; ++i) buf[i] = quant(r[i0 + i]);
        for (; i < 64; ++i) buf[i] = 0;
        if constexpr (v512) {
            const __m512i v = _mm512_load_si512(buf);
            for (size_t b = 0; b < qb; ++b)
                planes[b * nwords + w] = _mm512_test_epi8_mask(v, _mm512_set1_epi8(char(1 << b)));
        } else if constexpr (v256) {
            const __m256i v0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(buf));
            const __m256i v1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(buf + 32));
            for (size_t b = 0; b < qb; ++b) {
                const int sh = int(7 - b);
                const uint32_t m0 = uint32_t(_mm256_movemask_epi8(_mm256_slli_epi16(v0, sh)));
                const uint32_t m1 = uint32_t(_mm256_movemask_epi8(_mm256_slli_epi16(v1, sh)));
                planes[b * nwords + w] = uint64_t(m0) | (uint64_t(m1) << 32);
            }
        } else {
            // Bit b of 8 bytes gathered into one byte by a multiplication.
            for (size_t b = 0; b < qb; ++b) {
                uint64_t word = 0;
                for (size_t g = 0; g < 8; ++g) {
                    uint64_t x;
                    std::memcpy(&x, buf + 8 * g, 8);
                    const uint64_t bits =
                        (((x >> b) & 0x0101010101010101ull) * 0x0102040810204080ull) >> 56;
                    word |= bits << (8 * g);
                }
                planes[b * nwords + w] = word;
            }
        }
    }
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
