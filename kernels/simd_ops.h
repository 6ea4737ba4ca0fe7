// Internal: the few vector operations the kernels need, over an xsimd architecture or plain
// floats. Include only from per-ISA translation units (they are compiled with -m flags).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <immintrin.h>  // widen_u8 names its intrinsics; only instantiated in the AVX TUs

#include <xsimd/xsimd.hpp>

#include "kernels/half.h"

namespace faisslike {
namespace kernels {

// Everything the kernels call must be inlined into them: an out-of-line copy of a shared
// template compiled with AVX-512 flags could be picked by the linker for the AVX2 or scalar
// path and crash on older CPUs (FAISS #5296). tests/check_isa_isolation.py guards this.
#define FAISSLIKE_KERNEL __attribute__((flatten))

// One float from any address. Stored rows may sit at any byte offset (a FAISS file mapped in
// place puts its vectors at byte 45), so reads of stored rows never dereference a float*;
// this compiles to the same single load.
inline float ldf(const float* p) {
    float v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

template <class Arch>
struct Ops {
    using B = xsimd::batch<float, Arch>;
    static constexpr size_t W = B::size;
    static inline B zero() { return B(0.0f); }
    static inline B set1(float v) { return B(v); }
    static inline B load(const float* p) { return B::load_unaligned(p); }
    static inline void store(float* p, const B& v) { v.store_unaligned(p); }
    static inline B fmadd(const B& a, const B& b, const B& c) { return xsimd::fma(a, b, c); }
    static inline float hsum(const B& v) { return xsimd::hadd(v); }
    // Bit l set when a[l] < b[l] (xsimd 8 has no mask()).
    static inline uint32_t lt_mask(const B& a, const B& b) {
        if constexpr (std::is_base_of<xsimd::avx512f, Arch>::value) {
            return uint32_t(_mm512_cmp_ps_mask(__m512(a), __m512(b), _CMP_LT_OQ));
        } else {
            return uint32_t(_mm256_movemask_ps(_mm256_cmp_ps(__m256(a), __m256(b), _CMP_LT_OQ)));
        }
    }
    // Bit l set when a[l] <= b[l] (false for NaN).
    static inline uint32_t le_mask(const B& a, const B& b) {
        if constexpr (std::is_base_of<xsimd::avx512f, Arch>::value) {
            return uint32_t(_mm512_cmp_ps_mask(__m512(a), __m512(b), _CMP_LE_OQ));
        } else {
            return uint32_t(_mm256_movemask_ps(_mm256_cmp_ps(__m256(a), __m256(b), _CMP_LE_OQ)));
        }
    }
    // Appends the lanes of v set in m to vals (and i0 + lane to idx) at *cnt. AVX-512:
    // compressed in registers and written with a masked store, no branch per lane (the
    // memory form of vcompressps is microcoded on Zen 4).
    static inline void append_masked(const B& v, uint32_t m, int32_t i0, float* vals, int32_t* idx,
                                     size_t* cnt) {
        if constexpr (std::is_base_of<xsimd::avx512f, Arch>::value) {
            const __mmask16 k = __mmask16(m);
            const __mmask16 head = __mmask16((1u << __builtin_popcount(m)) - 1u);
            const __m512i lanes = _mm512_add_epi32(
                _mm512_set1_epi32(i0),
                _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
            _mm512_mask_storeu_ps(vals + *cnt, head, _mm512_maskz_compress_ps(k, __m512(v)));
            _mm512_mask_storeu_epi32(idx + *cnt, head, _mm512_maskz_compress_epi32(k, lanes));
            *cnt += size_t(__builtin_popcount(m));
        } else {
            alignas(64) float buf[W];
            v.store_aligned(buf);
            while (m) {
                const size_t l = size_t(__builtin_ctz(m));
                m &= m - 1;
                vals[*cnt] = buf[l];
                idx[(*cnt)++] = i0 + int32_t(l);
            }
        }
    }
    static inline B min(const B& a, const B& b) { return xsimd::min(a, b); }
    static inline B max(const B& a, const B& b) { return xsimd::max(a, b); }
    // a < b ? x : y, lane-wise.
    static inline B select_lt(const B& a, const B& b, const B& x, const B& y) {
        return xsimd::select(a < b, x, y);
    }
    using BI = xsimd::batch<int32_t, Arch>;
    static constexpr bool has_gather = W >= 8;
    // W code bytes, zero-extended to int32 lanes (the one step xsimd 8 lacks an op for).
    static inline BI widen_u8(const uint8_t* p) {
        if constexpr (std::is_base_of<xsimd::avx512f, Arch>::value) {
            return BI(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
        } else {
            return BI(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
        }
    }
    // W code bytes as floats 0..255 (scalar quantizer decode).
    static inline B load_u8(const uint8_t* p) {
        if constexpr (std::is_base_of<xsimd::avx512f, Arch>::value) {
            return B(_mm512_cvtepi32_ps(widen_u8(p)));
        } else {
            return B(_mm256_cvtepi32_ps(widen_u8(p)));
        }
    }
    // W IEEE half floats as floats (F16C: every AVX2 CPU has it; checked at dispatch).
    static inline B load_f16(const uint16_t* p) {
        if constexpr (std::is_base_of<xsimd::avx512f, Arch>::value) {
            return B(_mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))));
        } else {
            return B(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
        }
    }
    static inline B gather(const float* base, const BI& idx) { return B::gather(base, idx); }
    static inline BI lane_ids() {
        alignas(64) int32_t v[W];
        for (size_t l = 0; l < W; ++l) v[l] = int32_t(l);
        return BI::load_aligned(v);
    }
    // 0, 1, 2, ... W-1.
    static inline B iota() {
        alignas(64) float v[W];
        for (size_t l = 0; l < W; ++l) v[l] = float(l);
        return B::load_aligned(v);
    }
};

struct ScalarArch {};

template <>
struct Ops<ScalarArch> {
    using B = float;
    static constexpr size_t W = 1;
    static inline B zero() { return 0.0f; }
    static inline B set1(float v) { return v; }
    static inline B load(const float* p) { return ldf(p); }
    static inline void store(float* p, B v) { *p = v; }
    static inline B fmadd(B a, B b, B c) { return a * b + c; }
    static inline float hsum(B v) { return v; }
    static inline uint32_t lt_mask(B a, B b) { return a < b ? 1u : 0u; }
    static inline uint32_t le_mask(B a, B b) { return a <= b ? 1u : 0u; }
    static inline void append_masked(B v, uint32_t m, int32_t i0, float* vals, int32_t* idx,
                                     size_t* cnt) {
        if (m) vals[*cnt] = v, idx[(*cnt)++] = i0;
    }
    static inline B min(B a, B b) { return a < b ? a : b; }
    static inline B max(B a, B b) { return a < b ? b : a; }
    static inline B select_lt(B a, B b, B x, B y) { return a < b ? x : y; }
    static inline B iota() { return 0.0f; }
    static constexpr bool has_gather = false;
    static inline B load_u8(const uint8_t* p) { return float(*p); }
    static inline B load_f16(const uint16_t* p) { return half_to_float(*p); }
};

}  // namespace kernels
}  // namespace faisslike
