// Internal: every distance kernel, written once over Ops<Arch>. Instantiated by
// distances_{scalar,avx2,avx512}.cpp, each compiled with its own -m flags.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "kernels/kernel_table.h"
#include "kernels/pq4_simd.h"
#include "kernels/rabitq_simd.h"
#include "kernels/simd_ops.h"

namespace faisslike {
namespace kernels {

// Stored rows (y) may be misaligned: every read of them goes through O::load or ldf.
// Four independent accumulators hide FMA latency (hnswlib uses one: see field notes).
template <class Arch, bool is_L2>
FAISSLIKE_KERNEL float distance1(const float* x, const float* y, size_t d) {
    using O = Ops<Arch>;
    using B = typename O::B;
    constexpr size_t W = O::W;
    // L2 accumulates (x - y)^2, inner product x * y.
    auto term = [](const B& a, const B& b, const B& acc) {
        if (is_L2) {
            B t = a - b;
            return O::fmadd(t, t, acc);
        }
        return O::fmadd(a, b, acc);
    };
    B a0 = O::zero(), a1 = O::zero(), a2 = O::zero(), a3 = O::zero();
    size_t i = 0;
    for (; i + 4 * W <= d; i += 4 * W) {
        a0 = term(O::load(x + i), O::load(y + i), a0);
        a1 = term(O::load(x + i + W), O::load(y + i + W), a1);
        a2 = term(O::load(x + i + 2 * W), O::load(y + i + 2 * W), a2);
        a3 = term(O::load(x + i + 3 * W), O::load(y + i + 3 * W), a3);
    }
    for (; i + W <= d; i += W) a0 = term(O::load(x + i), O::load(y + i), a0);
    float s = O::hsum((a0 + a1) + (a2 + a3));
    for (; i < d; ++i) {
        const float xi = ldf(x + i), yi = ldf(y + i);
        float t = is_L2 ? xi - yi : xi;
        s += t * (is_L2 ? t : yi);
    }
    return s;
}

template <class Arch>
FAISSLIKE_KERNEL float L2sqr(const float* x, const float* y, size_t d) {
    return distance1<Arch, true>(x, y, d);
}

template <class Arch>
FAISSLIKE_KERNEL float inner_product(const float* x, const float* y, size_t d) {
    return distance1<Arch, false>(x, y, d);
}

template <class Arch>
FAISSLIKE_KERNEL float norm_L2sqr(const float* x, size_t d) {
    return inner_product<Arch>(x, x, d);
}

// Four arbitrary rows (graph neighbours): the query is loaded once per step for all four.
template <class Arch, bool is_L2>
FAISSLIKE_KERNEL void distances_batch4(const float* x, const float* y0, const float* y1,
                                       const float* y2, const float* y3, size_t d, float* out) {
    using O = Ops<Arch>;
    using B = typename O::B;
    constexpr size_t W = O::W;
    B a0 = O::zero(), a1 = O::zero(), a2 = O::zero(), a3 = O::zero();
    size_t i = 0;
    for (; i + W <= d; i += W) {
        B xi = O::load(x + i);
        if (is_L2) {
            B t0 = O::load(y0 + i) - xi, t1 = O::load(y1 + i) - xi;
            B t2 = O::load(y2 + i) - xi, t3 = O::load(y3 + i) - xi;
            a0 = O::fmadd(t0, t0, a0);
            a1 = O::fmadd(t1, t1, a1);
            a2 = O::fmadd(t2, t2, a2);
            a3 = O::fmadd(t3, t3, a3);
        } else {
            a0 = O::fmadd(O::load(y0 + i), xi, a0);
            a1 = O::fmadd(O::load(y1 + i), xi, a1);
            a2 = O::fmadd(O::load(y2 + i), xi, a2);
            a3 = O::fmadd(O::load(y3 + i), xi, a3);
        }
    }
    float s[4] = {O::hsum(a0), O::hsum(a1), O::hsum(a2), O::hsum(a3)};
    const float* ys[4] = {y0, y1, y2, y3};
    for (; i < d; ++i)
        for (int r = 0; r < 4; ++r) {
            const float xi = ldf(x + i), yi = ldf(ys[r] + i);
            const float t = is_L2 ? xi - yi : xi * yi;
            s[r] += is_L2 ? t * t : t;
        }
    for (int r = 0; r < 4; ++r) out[r] = s[r];
}

// Four rows at a time: each load of x serves four rows, which halves the loads per row
// (loads, not FMAs, bound the one-row loop on Zen 4 and Skylake).
template <class Arch, bool is_L2>
FAISSLIKE_KERNEL void distances_ny(float* out, const float* x, const float* y, size_t d,
                                   size_t ny) {
    if constexpr (Ops<Arch>::W == 1) {
        // Scalar build: the one-row loop, whose four accumulators the compiler can still pack
        // into SSE2 registers (the four-row form defeats that, 1.7x slower).
        for (size_t r = 0; r < ny; ++r) out[r] = distance1<Arch, is_L2>(x, y + r * d, d);
    } else {
        size_t j = 0;
        for (; j + 4 <= ny; j += 4) {
            const float* y0 = y + j * d;
            // One core's bandwidth is bound by misses in flight: ask for every line of the block
            // after next, not just its first line.
            {
                const char* pf = reinterpret_cast<const char*>(y + (j + 8) * d);
                const char* pf_end = reinterpret_cast<const char*>(y + std::min(ny, j + 12) * d);
                for (; pf < pf_end; pf += 64) __builtin_prefetch(pf);
            }
            distances_batch4<Arch, is_L2>(x, y0, y0 + d, y0 + 2 * d, y0 + 3 * d, d, out + j);
        }
        for (; j < ny; ++j) {
            out[j] = is_L2 ? L2sqr<Arch>(x, y + j * d, d) : inner_product<Arch>(x, y + j * d, d);
        }
    }
}

template <class Arch>
void L2sqr_batch4(const float* x, const float* y0, const float* y1, const float* y2,
                  const float* y3, size_t d, float* out) {
    distances_batch4<Arch, true>(x, y0, y1, y2, y3, d, out);
}

template <class Arch>
void inner_product_batch4(const float* x, const float* y0, const float* y1, const float* y2,
                          const float* y3, size_t d, float* out) {
    distances_batch4<Arch, false>(x, y0, y1, y2, y3, d, out);
}

template <class Arch>
void L2sqr_ny(float* dis, const float* x, const float* y, size_t d, size_t ny) {
    distances_ny<Arch, true>(dis, x, y, d, ny);
}

template <class Arch>
void inner_product_ny(float* ip, const float* x, const float* y, size_t d, size_t ny) {
    distances_ny<Arch, false>(ip, x, y, d, ny);
}

template <class Arch>
FAISSLIKE_KERNEL void norms_L2sqr(float* nr, const float* x, size_t d, size_t nx) {
    for (size_t i = 0; i < nx; ++i) nr[i] = inner_product<Arch>(x + i * d, x + i * d, d);
}

template <class Arch, bool with_b>
FAISSLIKE_KERNEL size_t filter_lt_impl(const float* a, const float* b, float sign, size_t n,
                                       float thr, float* vals, int32_t* idx) {
    using O = Ops<Arch>;
    using B = typename O::B;
    constexpr size_t W = O::W;
    const B vthr = O::set1(thr), vsign = O::set1(sign);
    size_t cnt = 0, i = 0;
    for (; i + W <= n; i += W) {
        B v = O::load(a + i) * vsign;
        if (with_b) v = v + O::load(b + i);
        // Once the heap is full almost no block passes; a passing one costs no branch per
        // lane (AVX-512: in-register compress) or one per passing lane.
        const uint32_t m = O::lt_mask(v, vthr);
        if (m) O::append_masked(v, m, int32_t(i), vals, idx, &cnt);
    }
    for (; i < n; ++i) {
        float v = a[i] * sign;
        if (with_b) v += b[i];
        if (v < thr) {
            vals[cnt] = v;
            idx[cnt++] = int32_t(i);
        }
    }
    return cnt;
}

template <class Arch>
size_t filter_lt(const float* a, const float* b, float sign, size_t n, float thr, float* vals,
                 int32_t* idx) {
    return b ? filter_lt_impl<Arch, true>(a, b, sign, n, thr, vals, idx)
             : filter_lt_impl<Arch, false>(a, b, sign, n, thr, vals, idx);
}

template <class Arch, bool with_b>
FAISSLIKE_KERNEL size_t argmin_add_impl(const float* a, const float* b, float sign, size_t n,
                                        float* val) {
    using O = Ops<Arch>;
    using B = typename O::B;
    constexpr size_t W = O::W;
    const B vsign = O::set1(sign), step = O::set1(float(W));
    B best = O::set1(std::numeric_limits<float>::infinity()), best_i = O::set1(0.0f);
    B cur_i = O::iota();
    size_t i = 0;
    for (; i + W <= n; i += W) {
        B v = O::load(a + i) * vsign;
        if (with_b) v = v + O::load(b + i);
        // Strict <: each lane keeps its first minimum.
        best_i = O::select_lt(v, best, cur_i, best_i);
        best = O::min(v, best);
        cur_i = cur_i + step;
    }
    alignas(64) float bv[W], bi[W];
    O::store(bv, best);
    O::store(bi, best_i);
    float m = std::numeric_limits<float>::infinity();
    size_t arg = 0;
    for (size_t l = 0; l < W; ++l) {
        if (bv[l] < m || (bv[l] == m && size_t(bi[l]) < arg)) {
            m = bv[l];
            arg = size_t(bi[l]);
        }
    }
    for (; i < n; ++i) {
        float v = a[i] * sign + (with_b ? b[i] : 0.0f);
        if (v < m) {
            m = v;
            arg = i;
        }
    }
    *val = m;
    return arg;
}

template <class Arch>
size_t argmin_add(const float* a, const float* b, float sign, size_t n, float* val) {
    return b ? argmin_add_impl<Arch, true>(a, b, sign, n, val)
             : argmin_add_impl<Arch, false>(a, b, sign, n, val);
}

template <class Arch, bool is_L2>
FAISSLIKE_KERNEL void distances_ny_transposed(float* out, const float* x, const float* yt, size_t d,
                                              size_t ny, size_t ld) {
    using O = Ops<Arch>;
    using B = typename O::B;
    constexpr size_t W = O::W;
    size_t j = 0;
    for (; j + W <= ny; j += W) {
        B acc = O::zero();
        for (size_t t = 0; t < d; ++t) {
            B c = O::load(yt + t * ld + j);
            if (is_L2) {
                B diff = c - O::set1(x[t]);
                acc = O::fmadd(diff, diff, acc);
            } else {
                acc = O::fmadd(c, O::set1(x[t]), acc);
            }
        }
        O::store(out + j, acc);
    }
    for (; j < ny; ++j) {
        float s = 0;
        for (size_t t = 0; t < d; ++t) {
            float c = yt[t * ld + j];
            s += is_L2 ? (c - x[t]) * (c - x[t]) : c * x[t];
        }
        out[j] = s;
    }
}

template <class Arch>
void L2sqr_ny_transposed(float* out, const float* x, const float* yt, size_t d, size_t ny,
                         size_t ld) {
    distances_ny_transposed<Arch, true>(out, x, yt, d, ny, ld);
}

template <class Arch>
void inner_product_ny_transposed(float* out, const float* x, const float* yt, size_t d, size_t ny,
                                 size_t ld) {
    distances_ny_transposed<Arch, false>(out, x, yt, d, ny, ld);
}

// Lookups of 4 codes at a time: independent load chains instead of one serial sum. This beats
// gathers on Zen 4 (benchs/bench_kernels pq_adc8 vs pq_adc8_gather), so it is the default.
template <class Arch>
FAISSLIKE_KERNEL void pq_adc8(const float* table, size_t M, const uint8_t* codes, size_t n,
                              float* dis) {
    // Four named accumulators: an array of them gets auto-vectorized into gathers in the AVX
    // units, which is slower (see above).
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint8_t* c = codes + i * M;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (size_t m = 0; m < M; ++m) {
            const float* t = table + m * 256;
            s0 += t[c[m]];
            s1 += t[c[M + m]];
            s2 += t[c[2 * M + m]];
            s3 += t[c[3 * M + m]];
        }
        dis[i] = s0;
        dis[i + 1] = s1;
        dis[i + 2] = s2;
        dis[i + 3] = s3;
    }
    for (; i < n; ++i) {
        float s = 0;
        for (size_t m = 0; m < M; ++m) s += table[m * 256 + codes[i * M + m]];
        dis[i] = s;
    }
}

// One gather fetches W sub-quantizers' entries of one code (lane l reads
// table[(m0 + l) * 256 + code[m0 + l]]). Kept to re-measure on CPUs with fast gathers.
template <class Arch>
FAISSLIKE_KERNEL void pq_adc8_gather(const float* table, size_t M, const uint8_t* codes, size_t n,
                                     float* dis) {
    using O = Ops<Arch>;
    if constexpr (O::has_gather) {
        using B = typename O::B;
        using BI = typename O::BI;
        constexpr size_t W = O::W;
        const size_t Mv = M - M % W;
        const BI lane_off = O::lane_ids() * BI(256);
        for (size_t i = 0; i < n; ++i) {
            const uint8_t* c = codes + i * M;
            B acc = O::zero();
            for (size_t m0 = 0; m0 < Mv; m0 += W) {
                const BI idx = O::widen_u8(c + m0) + lane_off + BI(int32_t(m0 * 256));
                acc = acc + O::gather(table, idx);
            }
            float s = O::hsum(acc);
            for (size_t m = Mv; m < M; ++m) s += table[m * 256 + c[m]];
            dis[i] = s;
        }
    } else {
        pq_adc8<Arch>(table, M, codes, n, dis);
    }
}

// Rows of coded components (uint8 for SQ8, IEEE half for fp16), decoded in registers:
// L2: out[i] = sum_j (q_j - dec(c_ij) * s_j)^2; IP: out[i] = sum_j q_j * dec(c_ij). With
// `scaled` false there is no s (fp16 decodes to the value itself). For SQ8 the caller folds the
// offsets into q, so one FMA per component remains.
template <class Arch, bool is_L2, bool scaled, class Code>
FAISSLIKE_KERNEL void coded_ny(float* out, const float* q, const float* s, const Code* codes,
                               size_t d, size_t ny) {
    using O = Ops<Arch>;
    using B = typename O::B;
    constexpr size_t W = O::W;
    auto load = [](const Code* c) {
        if constexpr (sizeof(Code) == 1) {
            return O::load_u8(c);
        } else {
            return O::load_f16(c);
        }
    };
    auto dec1 = [](Code c) {
        if constexpr (sizeof(Code) == 1) {
            return float(c);
        } else {
            return half_to_float(c);
        }
    };
    for (size_t i = 0; i < ny; ++i) {
        const Code* c = codes + i * d;
        B a0 = O::zero(), a1 = O::zero();
        size_t j = 0;
        for (; j + 2 * W <= d; j += 2 * W) {
            B v0 = load(c + j), v1 = load(c + j + W);
            if (is_L2) {
                if (scaled) {
                    v0 = v0 * O::load(s + j);
                    v1 = v1 * O::load(s + j + W);
                }
                B t0 = O::load(q + j) - v0, t1 = O::load(q + j + W) - v1;
                a0 = O::fmadd(t0, t0, a0);
                a1 = O::fmadd(t1, t1, a1);
            } else {
                a0 = O::fmadd(O::load(q + j), v0, a0);
                a1 = O::fmadd(O::load(q + j + W), v1, a1);
            }
        }
        float acc = O::hsum(a0 + a1);
        for (; j < d; ++j) {
            const float v = dec1(c[j]) * (is_L2 && scaled ? s[j] : 1.0f);
            acc += is_L2 ? (q[j] - v) * (q[j] - v) : q[j] * v;
        }
        out[i] = acc;
    }
}

template <class Arch>
FAISSLIKE_KERNEL void sq8_L2sqr_ny(float* out, const float* qa, const float* s,
                                   const uint8_t* codes, size_t d, size_t ny) {
    coded_ny<Arch, true, true>(out, qa, s, codes, d, ny);
}

template <class Arch>
FAISSLIKE_KERNEL void sq8_dot_ny(float* out, const float* w, const uint8_t* codes, size_t d,
                                 size_t ny) {
    coded_ny<Arch, false, false>(out, w, nullptr, codes, d, ny);
}

template <class Arch>
FAISSLIKE_KERNEL void fp16_L2sqr_ny(float* out, const float* x, const uint16_t* y, size_t d,
                                    size_t ny) {
    coded_ny<Arch, true, false>(out, x, nullptr, y, d, ny);
}

template <class Arch>
FAISSLIKE_KERNEL void fp16_inner_product_ny(float* out, const float* x, const uint16_t* y, size_t d,
                                            size_t ny) {
    coded_ny<Arch, false, false>(out, x, nullptr, y, d, ny);
}

// Constant-initialized: no code from a per-ISA unit runs at load time.
// Hamming distances on 64-bit words (popcnt where the ISA flags allow it); Arch only picks
// the translation unit's instruction set.
inline uint64_t load_u64(const uint8_t* p) {
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    return v;
}

inline int32_t hamming1(const uint8_t* a, const uint8_t* b, size_t nbytes) {
    int32_t s = 0;
    size_t i = 0;
    for (; i + 8 <= nbytes; i += 8) s += __builtin_popcountll(load_u64(a + i) ^ load_u64(b + i));
    for (; i < nbytes; ++i) s += __builtin_popcount(unsigned(a[i] ^ b[i]));
    return s;
}

template <class Arch>
FAISSLIKE_KERNEL void hamming_ny(int32_t* out, const uint8_t* a, const uint8_t* b, size_t nbytes,
                                 size_t ny) {
    for (size_t j = 0; j < ny; ++j) out[j] = hamming1(a, b + j * nbytes, nbytes);
}

template <class Arch>
FAISSLIKE_KERNEL void hamming_batch4(const uint8_t* a, const uint8_t* b0, const uint8_t* b1,
                                     const uint8_t* b2, const uint8_t* b3, size_t nbytes,
                                     int32_t* out) {
    out[0] = hamming1(a, b0, nbytes);
    out[1] = hamming1(a, b1, nbytes);
    out[2] = hamming1(a, b2, nbytes);
    out[3] = hamming1(a, b3, nbytes);
}

// For each of n queries (d <= 32 components) the nearest of ny rows of y (row-major) by L2:
// W queries at a time, transposed so that each lane holds one query and the rows are
// broadcast (k-means of PQ sub-quantizers: 16 rows of 8 components scored per 16 queries in
// 128 vector FMAs). Ties keep the lowest row. D > 0: d == D, the queries' components held in
// registers (with a runtime d they are reloaded for every row: 2.5x slower at d = 4 or 8).
template <class Arch, size_t D>
inline void L2sqr_argmin_small_d(const float* x, size_t n, size_t d, const float* y, size_t ny,
                                 float* dist, int64_t* idx) {
    using O = Ops<Arch>;
    using B = typename O::B;
    constexpr size_t W = O::W;
    float xt[32 * W], bd[W], bi[W];
    auto block = [&](size_t i, size_t w) {  // w <= W queries from i (a partial last block)
        for (size_t c = 0; c < d; ++c)
            for (size_t l = 0; l < W; ++l) xt[c * W + l] = l < w ? x[(i + l) * d + c] : 0.0f;
        B best = O::set1(std::numeric_limits<float>::infinity()), bj = O::zero();
        B jv = O::zero();
        const B one = O::set1(1.0f);
        // Keeps (v, j) where v < best: ties keep the earlier row.
        const auto keep = [](const B& v, const B& j, B& best_v, B& best_j) {
            best_j = O::select_lt(v, best_v, j, best_j);
            best_v = O::select_lt(v, best_v, v, best_v);
        };
        if constexpr (D > 0) {
            B xr[D];
            for (size_t c = 0; c < D; ++c) xr[c] = O::load(xt + c * W);
            const auto dist2 = [&](const float* yj) {
                B acc = O::zero();
                for (size_t c = 0; c < D; ++c) {
                    const B t = xr[c] - O::set1(yj[c]);
                    acc = O::fmadd(t, t, acc);
                }
                return acc;
            };
            // Rows [0, h) and [h, ny) in two chains: one compare-and-select chain through
            // `best` per row was the bound (perf: the masked moves), not the arithmetic.
            const size_t h = ny / 2;
            B best2 = best, bj2 = bj, jv2 = O::set1(float(h));
            for (size_t j = 0; j < h; ++j, jv = jv + one, jv2 = jv2 + one) {
                keep(dist2(y + j * D), jv, best, bj);
                keep(dist2(y + (h + j) * D), jv2, best2, bj2);
            }
            if (ny % 2) keep(dist2(y + (ny - 1) * D), jv2, best2, bj2);  // last of its half
            // The second half's rows are the higher ones: it wins only when strictly nearer.
            keep(best2, bj2, best, bj);
        } else {
            for (size_t j = 0; j < ny; ++j, jv = jv + one) {
                const float* yj = y + j * d;
                B acc = O::zero();
                for (size_t c = 0; c < d; ++c) {
                    const B t = O::load(xt + c * W) - O::set1(yj[c]);
                    acc = O::fmadd(t, t, acc);
                }
                keep(acc, jv, best, bj);
            }
        }
        O::store(bd, best);
        O::store(bi, bj);
        for (size_t l = 0; l < w; ++l) dist[i + l] = bd[l], idx[i + l] = int64_t(bi[l]);
    };
    size_t i = 0;
    for (; i + W <= n; i += W) block(i, W);
    if (i < n) block(i, n - i);
}

template <class Arch>
FAISSLIKE_KERNEL void L2sqr_argmin_small(const float* x, size_t n, size_t d, const float* y,
                                         size_t ny, float* dist, int64_t* idx) {
    switch (d) {  // the sub-vector sizes of 4-bit PQ on 128- to 1536-d data
        case 2:
            return L2sqr_argmin_small_d<Arch, 2>(x, n, d, y, ny, dist, idx);
        case 4:
            return L2sqr_argmin_small_d<Arch, 4>(x, n, d, y, ny, dist, idx);
        case 8:
            return L2sqr_argmin_small_d<Arch, 8>(x, n, d, y, ny, dist, idx);
        default:
            return L2sqr_argmin_small_d<Arch, 0>(x, n, d, y, ny, dist, idx);
    }
}

template <class Arch>
FAISSLIKE_KERNEL size_t count_le(const float* v, size_t n, float thr) {
    using O = Ops<Arch>;
    constexpr size_t W = O::W;
    const typename O::B vthr = O::set1(thr);
    size_t cnt = 0, i = 0;
    for (; i + W <= n; i += W) cnt += size_t(__builtin_popcount(O::le_mask(O::load(v + i), vthr)));
    for (; i < n; ++i) cnt += ldf(v + i) <= thr;
    return cnt;
}

template <class Arch>
struct TableFor {
    static constexpr KernelTable table{
        &L2sqr<Arch>,
        &inner_product<Arch>,
        &norm_L2sqr<Arch>,
        &L2sqr_ny<Arch>,
        &inner_product_ny<Arch>,
        &norms_L2sqr<Arch>,
        &filter_lt<Arch>,
        &argmin_add<Arch>,
        &L2sqr_ny_transposed<Arch>,
        &inner_product_ny_transposed<Arch>,
        &pq_adc8<Arch>,
        &pq_adc8_gather<Arch>,
        &L2sqr_batch4<Arch>,
        &inner_product_batch4<Arch>,
        &sq8_L2sqr_ny<Arch>,
        &sq8_dot_ny<Arch>,
        &fp16_L2sqr_ny<Arch>,
        &fp16_inner_product_ny<Arch>,
        &hamming_ny<Arch>,
        &hamming_batch4<Arch>,
        &pq4_scan<Arch>,
        &pq4_quantize_table<Arch>,
        &rabitq_dot_ny<Arch>,
        &rabitq_code_ip<Arch>,
        &rabitq_fs_tables<Arch>,
        &rabitq_residual<Arch>,
        &rabitq_query_planes<Arch>,
        &L2sqr_argmin_small<Arch>,
        &count_le<Arch>,
        nullptr,  // the bf16 kernels: kernels/gemm_bf16.cpp
        nullptr,
        nullptr,
    };
};

}  // namespace kernels
}  // namespace faisslike
