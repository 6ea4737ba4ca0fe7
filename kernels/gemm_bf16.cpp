// Inner products in bfloat16 (AVX512-BF16: vdpbf16ps, two products per fp32 lane, twice the
// multiply-adds of an fp32 FMA per instruction). Only a pre-filter: faisslike/distances.cpp
// bounds their error and recomputes the survivors exactly. Compiled with the AVX-512 flags
// plus -mavx512bf16; the table that points here is used only when the CPU has AVX512-BF16.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/kernel_table.h"

namespace faisslike {
namespace kernels {

namespace {

// Nothing from distances_simd.h here (see hamming_vpopcnt.cpp: the same template symbols
// compiled with these flags could be picked by the linker for CPUs without BF16).

// Row i of x minus shift, rounded to bf16 (to nearest even), zero-padded to 2 * d2 values.
void bf16_pack_rows_avx512(const float* x, size_t n, size_t d, const float* shift, uint16_t* out) {
    const size_t d2 = (d + 1) / 2, w = 2 * d2;
    float buf[32];
    for (size_t i = 0; i < n; ++i) {
        const float* xi = x + i * d;
        uint16_t* o = out + i * w;
        for (size_t j0 = 0; j0 < w; j0 += 32) {
            const size_t m = std::min<size_t>(32, w - j0);
            for (size_t j = 0; j < 32; ++j) {
                const size_t c = j0 + j;
                buf[j] = j < m && c < d ? xi[c] - shift[c] : 0.0f;
            }
            const __m512i v = reinterpret_cast<__m512i>(
                _mm512_cvtne2ps_pbh(_mm512_loadu_ps(buf + 16), _mm512_loadu_ps(buf)));
            alignas(64) uint16_t t[32];
            _mm512_store_si512(t, v);
            std::memcpy(o + j0, t, m * sizeof(uint16_t));
        }
    }
}

// Rows (n x d2 pairs) into panels of 32 rows: panel g holds, for each pair p, the 32 rows'
// pair p (32 x uint32), so the kernel reads one panel front to back. Missing rows are zero.
void bf16_pack_panels_avx512(const uint16_t* rows, size_t n, size_t d2, uint32_t* panels) {
    const size_t np = (n + 31) / 32;
    const uint32_t* r = reinterpret_cast<const uint32_t*>(rows);
    for (size_t g = 0; g < np; ++g)
        for (size_t p = 0; p < d2; ++p)
            for (size_t j = 0; j < 32; ++j) {
                const size_t row = g * 32 + j;
                uint32_t v = 0;
                if (row < n) std::memcpy(&v, r + row * d2 + p, sizeof(v));
                panels[(g * d2 + p) * 32 + j] = v;
            }
}

// R rows of a against one panel: out[r * ldo + j] = <a_r, panel row j>, j < 32.
template <int R>
inline void micro_avx512(const uint32_t* a, size_t d2, const uint32_t* panel, float* out,
                         size_t ldo) {
    __m512 acc0[R], acc1[R];
    for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm512_setzero_ps();
    for (size_t p = 0; p < d2; ++p) {
        const __m512bh b0 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(panel + p * 32));
        const __m512bh b1 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(panel + p * 32 + 16));
        for (int r = 0; r < R; ++r) {
            const __m512bh av =
                reinterpret_cast<__m512bh>(_mm512_set1_epi32(int(a[size_t(r) * d2 + p])));
            acc0[r] = _mm512_dpbf16_ps(acc0[r], av, b0);
            acc1[r] = _mm512_dpbf16_ps(acc1[r], av, b1);
        }
    }
    for (int r = 0; r < R; ++r) {
        _mm512_storeu_ps(out + size_t(r) * ldo, acc0[r]);
        _mm512_storeu_ps(out + size_t(r) * ldo + 16, acc1[r]);
    }
}

// R (1 or 2) rows of a against four panels at once: eight independent accumulator chains per
// row, so that a single query is bound by the dot-product rate, not by vdpbf16ps's latency
// (one panel alone gives two chains of d2 steps).
template <int R>
inline void micro4p_avx512(const uint32_t* a, size_t d2, const uint32_t* panels, float* out,
                           size_t ldo) {
    __m512 acc[R][8];
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < 8; ++t) acc[r][t] = _mm512_setzero_ps();
    const size_t ps = d2 * 32;  // one panel
    for (size_t p = 0; p < d2; ++p) {
        __m512bh b[8];
        for (int q = 0; q < 4; ++q) {
            b[2 * q] = reinterpret_cast<__m512bh>(_mm512_loadu_si512(panels + q * ps + p * 32));
            b[2 * q + 1] =
                reinterpret_cast<__m512bh>(_mm512_loadu_si512(panels + q * ps + p * 32 + 16));
        }
        for (int r = 0; r < R; ++r) {
            const __m512bh av =
                reinterpret_cast<__m512bh>(_mm512_set1_epi32(int(a[size_t(r) * d2 + p])));
            for (int t = 0; t < 8; ++t) acc[r][t] = _mm512_dpbf16_ps(acc[r][t], av, b[t]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < 8; ++t)
            _mm512_storeu_ps(out + size_t(r) * ldo + size_t(t) * 16, acc[r][t]);
}

// out[i * ldo + j] = <a_i, b_j> for i < nx and j < 32 * npanels (a: nx rows of d2 pairs from
// bf16_pack_rows; panels from bf16_pack_panels). Panels outer: one panel (d2 x 128 bytes)
// stays in L1 while every row of a passes over it.
void bf16_ip_tile_avx512(const uint16_t* a_rows, size_t nx, const uint32_t* panels, size_t npanels,
                         size_t d2, float* out, size_t ldo) {
    const uint32_t* a = reinterpret_cast<const uint32_t*>(a_rows);
    size_t g0 = 0;
    if (nx < 4) {  // few queries (single-query searches): four panels per pass
        for (; g0 + 4 <= npanels; g0 += 4) {
            const uint32_t* p4 = panels + g0 * d2 * 32;
            size_t i = 0;
            for (; i + 2 <= nx; i += 2)
                micro4p_avx512<2>(a + i * d2, d2, p4, out + i * ldo + g0 * 32, ldo);
            if (i < nx) micro4p_avx512<1>(a + i * d2, d2, p4, out + i * ldo + g0 * 32, ldo);
        }
    }
    for (size_t g = g0; g < npanels; ++g) {
        const uint32_t* panel = panels + g * d2 * 32;
        size_t i = 0;
        for (; i + 8 <= nx; i += 8)
            micro_avx512<8>(a + i * d2, d2, panel, out + i * ldo + g * 32, ldo);
        float* o = out + i * ldo + g * 32;
        const uint32_t* ai = a + i * d2;
        switch (nx - i) {
            case 7:
                micro_avx512<7>(ai, d2, panel, o, ldo);
                break;
            case 6:
                micro_avx512<6>(ai, d2, panel, o, ldo);
                break;
            case 5:
                micro_avx512<5>(ai, d2, panel, o, ldo);
                break;
            case 4:
                micro_avx512<4>(ai, d2, panel, o, ldo);
                break;
            case 3:
                micro_avx512<3>(ai, d2, panel, o, ldo);
                break;
            case 2:
                micro_avx512<2>(ai, d2, panel, o, ldo);
                break;
            case 1:
                micro_avx512<1>(ai, d2, panel, o, ldo);
                break;
            default:
                break;
        }
    }
}

KernelTable make_table_avx512_bf16(const KernelTable& base) {
    KernelTable t = base;
    t.bf16_pack_rows = &bf16_pack_rows_avx512;
    t.bf16_pack_panels = &bf16_pack_panels_avx512;
    t.bf16_ip_tile = &bf16_ip_tile_avx512;
    return t;
}

}  // namespace

const KernelTable* kernel_table_avx512_bf16(const KernelTable* base) {
    // Built on first use (after dispatch chose this level), never at load time; one per base
    // (the AVX-512 table with or without VPOPCNTDQ).
    if (base == kernel_table_avx512_vpopcnt()) {
        static const KernelTable with_vpopcnt = make_table_avx512_bf16(*base);
        return &with_vpopcnt;
    }
    static const KernelTable plain = make_table_avx512_bf16(*kernel_table_avx512());
    return &plain;
}

}  // namespace kernels
}  // namespace faisslike
