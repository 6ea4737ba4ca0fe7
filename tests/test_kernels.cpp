// Every kernel of every ISA this CPU has, against double-precision references.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "faisslike/Error.h"
#include "faisslike/distances.h"
#include "kernels/half.h"
#include "kernels/kernel_table.h"
#include "test_util.h"

using namespace faisslike;
using namespace faisslike_test;

namespace {

const size_t kDims[] = {1,   2,   3,   4,   5,   7,   8,   9,    15,   16,  17,
                        31,  32,  33,  47,  63,  64,  65,  100,  127,  128, 129,
                        255, 256, 257, 511, 512, 513, 768, 1000, 1023, 1024};

std::vector<SIMDLevel> supported_levels() {
    std::vector<SIMDLevel> out;
    for (SIMDLevel l : {SIMDLevel::NONE, SIMDLevel::AVX2, SIMDLevel::AVX512})
        if (simd_level_supported(l)) out.push_back(l);
    return out;
}

double abs_sum_L2(const float* x, const float* y, size_t d) {
    return ref_L2(x, y, d);
}
double abs_sum_IP(const float* x, const float* y, size_t d) {
    double s = 0;
    for (size_t i = 0; i < d; ++i) s += std::fabs(double(x[i]) * y[i]);
    return s;
}

}  // namespace

TEST(Kernels, SingleVectorAllIsas) {
    for (SIMDLevel l : supported_levels()) {
        const kernels::KernelTable* K = kernels::kernel_table(l);
        SCOPED_TRACE(simd_level_name(l));
        for (size_t d : kDims) {
            SCOPED_TRACE("d=" + std::to_string(d));
            auto x = randn(d, 1 + d), y = randn(d, 1000 + d);
            double l2 = ref_L2(x.data(), y.data(), d), ip = ref_IP(x.data(), y.data(), d);
            double nr = ref_IP(x.data(), x.data(), d);
            EXPECT_NEAR(K->L2sqr(x.data(), y.data(), d), l2,
                        tol_for(abs_sum_L2(x.data(), y.data(), d), d));
            EXPECT_NEAR(K->inner_product(x.data(), y.data(), d), ip,
                        tol_for(abs_sum_IP(x.data(), y.data(), d), d));
            EXPECT_NEAR(K->norm_L2sqr(x.data(), d), nr, tol_for(nr, d));
        }
    }
}

TEST(Kernels, ManyVectorsAllIsas) {
    const size_t ny = 37;
    for (SIMDLevel l : supported_levels()) {
        const kernels::KernelTable* K = kernels::kernel_table(l);
        SCOPED_TRACE(simd_level_name(l));
        for (size_t d : kDims) {
            SCOPED_TRACE("d=" + std::to_string(d));
            auto x = randn(d, 7 + d), y = randn(ny * d, 77 + d);
            std::vector<float> dis(ny), ip(ny), nr(ny);
            K->L2sqr_ny(dis.data(), x.data(), y.data(), d, ny);
            K->inner_product_ny(ip.data(), x.data(), y.data(), d, ny);
            K->norms_L2sqr(nr.data(), y.data(), d, ny);
            for (size_t j = 0; j < ny; ++j) {
                const float* yj = y.data() + j * d;
                EXPECT_NEAR(dis[j], ref_L2(x.data(), yj, d),
                            tol_for(abs_sum_L2(x.data(), yj, d), d));
                EXPECT_NEAR(ip[j], ref_IP(x.data(), yj, d),
                            tol_for(abs_sum_IP(x.data(), yj, d), d));
                EXPECT_NEAR(nr[j], ref_IP(yj, yj, d), tol_for(ref_IP(yj, yj, d), d));
            }
        }
    }
}

TEST(Kernels, IsasAgree) {
    auto levels = supported_levels();
    const kernels::KernelTable* S = kernels::kernel_table(SIMDLevel::NONE);
    for (size_t d : kDims) {
        auto x = randn(d, 3 + d), y = randn(d, 33 + d);
        float l2 = S->L2sqr(x.data(), y.data(), d), ip = S->inner_product(x.data(), y.data(), d);
        for (SIMDLevel l : levels) {
            const kernels::KernelTable* K = kernels::kernel_table(l);
            EXPECT_NEAR(K->L2sqr(x.data(), y.data(), d), l2, 1e-5 * std::max(1.0f, l2));
            EXPECT_NEAR(K->inner_product(x.data(), y.data(), d), ip,
                        tol_for(abs_sum_IP(x.data(), y.data(), d), d));
        }
    }
}

TEST(Kernels, FilterLtMatchesScalarDefinition) {
    for (SIMDLevel l : supported_levels()) {
        const kernels::KernelTable* K = kernels::kernel_table(l);
        SCOPED_TRACE(simd_level_name(l));
        for (size_t n : {0, 1, 15, 16, 17, 100, 256}) {
            auto a = randn(n, 5 + n), b = randn(n, 55 + n);
            for (bool with_b : {false, true}) {
                for (float sign : {1.0f, -1.0f}) {
                    std::vector<float> vals(n);
                    std::vector<int32_t> idx(n);
                    const float thr = 0.3f;
                    size_t cnt = K->filter_lt(a.data(), with_b ? b.data() : nullptr, sign, n, thr,
                                              vals.data(), idx.data());
                    size_t c = 0;
                    for (size_t i = 0; i < n; ++i) {
                        float v = sign * a[i] + (with_b ? b[i] : 0.0f);
                        if (v < thr) {
                            ASSERT_LT(c, cnt);
                            EXPECT_EQ(idx[c], int32_t(i));
                            EXPECT_FLOAT_EQ(vals[c], v);
                            ++c;
                        }
                    }
                    EXPECT_EQ(c, cnt);
                }
            }
        }
    }
}

TEST(Kernels, PublicWrappersUseCurrentLevel) {
    const char* env = std::getenv("FAISSLIKE_SIMD");
    if (env) EXPECT_EQ(simd_level(), parse_simd_level(env));
    auto x = randn(128, 1), y = randn(128, 2);
    EXPECT_NEAR(fvec_L2sqr(x.data(), y.data(), 128), ref_L2(x.data(), y.data(), 128), 1e-3);
    EXPECT_NEAR(fvec_inner_product(x.data(), y.data(), 128), ref_IP(x.data(), y.data(), 128), 1e-3);
}

TEST(Kernels, LevelNamesAndErrors) {
    EXPECT_EQ(parse_simd_level("AVX2"), SIMDLevel::AVX2);
    EXPECT_EQ(parse_simd_level("scalar"), SIMDLevel::NONE);
    EXPECT_EQ(parse_simd_level("avx512"), SIMDLevel::AVX512);
    try {
        parse_simd_level("sse9");
        FAIL() << "no exception";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("sse9"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(simd_level_supported(SIMDLevel::NONE));
    // set_simd_level round trip, restoring the level the suite runs under.
    SIMDLevel before = simd_level();
    set_simd_level(SIMDLevel::NONE);
    EXPECT_EQ(simd_level(), SIMDLevel::NONE);
    set_simd_level(before);
    EXPECT_EQ(simd_level(), before);
    if (!simd_level_supported(SIMDLevel::AVX512)) {
        EXPECT_THROW(set_simd_level(SIMDLevel::AVX512), Error);
    }
}

TEST(Kernels, ArgminAddAllIsas) {
    for (SIMDLevel l : supported_levels()) {
        const kernels::KernelTable* K = kernels::kernel_table(l);
        SCOPED_TRACE(simd_level_name(l));
        for (size_t n : {1, 7, 16, 31, 32, 33, 256, 1000}) {
            auto a = randn(n, 9 + n), b = randn(n, 99 + n);
            a[n / 2] = a[n - 1];  // a tie: the first index must win
            for (bool with_b : {false, true}) {
                for (float sign : {1.0f, -1.0f}) {
                    float ref = std::numeric_limits<float>::infinity();
                    size_t arg = 0;
                    for (size_t i = 0; i < n; ++i) {
                        float v = sign * a[i] + (with_b ? b[i] : 0.0f);
                        if (v < ref) {
                            ref = v;
                            arg = i;
                        }
                    }
                    float got;
                    EXPECT_EQ(K->argmin_add(a.data(), with_b ? b.data() : nullptr, sign, n, &got),
                              arg)
                        << "n=" << n;
                    EXPECT_EQ(got, ref);
                }
            }
        }
    }
}

TEST(Kernels, L2ArgminSmallAllIsas) {
    for (SIMDLevel l : supported_levels()) {
        const kernels::KernelTable* K = kernels::kernel_table(l);
        SCOPED_TRACE(simd_level_name(l));
        for (size_t d : {1, 2, 4, 8, 13, 32}) {  // 2, 4, 8: components in registers
            for (size_t ny : {1, 16, 33, 64}) {
                for (size_t n : {1, 15, 16, 17, 100}) {  // partial blocks of every width
                    auto x = randn(n * d, uint32_t(d * 7 + n)), y = randn(ny * d, uint32_t(ny + d));
                    if (ny > 3)  // a tie: rows 1 and 3 equal, query 0 on them
                        for (size_t c = 0; c < d; ++c) y[3 * d + c] = y[d + c], x[c] = y[d + c];
                    std::vector<float> dist(n);
                    std::vector<int64_t> idx(n);
                    K->L2sqr_argmin_small(x.data(), n, d, y.data(), ny, dist.data(), idx.data());
                    for (size_t i = 0; i < n; ++i) {
                        std::vector<double> ref(ny, 0.0);
                        for (size_t j = 0; j < ny; ++j)
                            for (size_t c = 0; c < d; ++c) {
                                const double t = double(x[i * d + c]) - y[j * d + c];
                                ref[j] += t * t;
                            }
                        const double best = *std::min_element(ref.begin(), ref.end());
                        ASSERT_GE(idx[i], 0);
                        ASSERT_LT(idx[i], int64_t(ny));
                        // The nearest up to float rounding; the exact tie: the lower row.
                        ASSERT_LE(ref[size_t(idx[i])], best + 1e-5 * (1 + best))
                            << "d=" << d << " ny=" << ny << " i=" << i;
                        if (i == 0 && ny > 3) ASSERT_EQ(idx[i], 1);
                        ASSERT_NEAR(dist[i], ref[size_t(idx[i])], 1e-4 * (1 + best));
                    }
                }
            }
        }
    }
}

TEST(Kernels, TransposedDistancesAllIsas) {
    for (SIMDLevel l : supported_levels()) {
        const kernels::KernelTable* K = kernels::kernel_table(l);
        SCOPED_TRACE(simd_level_name(l));
        for (size_t d : {1, 2, 4, 8, 12, 16, 32}) {
            for (size_t ny : {1, 15, 16, 17, 256}) {
                const size_t ld = ny + 3;  // padded stride
                auto x = randn(d, 5 + d), yt = randn(d * ld, 55 + ny);
                std::vector<float> l2(ny), ip(ny);
                K->L2sqr_ny_transposed(l2.data(), x.data(), yt.data(), d, ny, ld);
                K->inner_product_ny_transposed(ip.data(), x.data(), yt.data(), d, ny, ld);
                for (size_t j = 0; j < ny; ++j) {
                    double r2 = 0, ri = 0, ai = 0;
                    for (size_t t = 0; t < d; ++t) {
                        double c = yt[t * ld + j];
                        r2 += (x[t] - c) * (x[t] - c);
                        ri += x[t] * c;
                        ai += std::fabs(x[t] * c);
                    }
                    EXPECT_NEAR(l2[j], r2, tol_for(r2, d));
                    EXPECT_NEAR(ip[j], ri, tol_for(ai, d));
                }
            }
        }
    }
}

TEST(Kernels, PqAdc8AllIsas) {
    std::mt19937 rng(17);
    for (SIMDLevel l : supported_levels()) {
        const kernels::KernelTable* K = kernels::kernel_table(l);
        SCOPED_TRACE(simd_level_name(l));
        for (size_t M : {1, 4, 8, 9, 16, 24, 32, 64}) {
            const size_t n = 37;
            auto table = randn(M * 256, 3 + M);
            std::vector<uint8_t> codes(n * M);
            for (auto& c : codes) c = uint8_t(rng());
            std::vector<float> dis(n), dis_g(n);
            K->pq_adc8(table.data(), M, codes.data(), n, dis.data());
            K->pq_adc8_gather(table.data(), M, codes.data(), n, dis_g.data());
            for (size_t i = 0; i < n; ++i) {
                EXPECT_NEAR(dis_g[i], dis[i], 1e-4 * (1 + std::fabs(dis[i])));
                double ref = 0, a = 0;
                for (size_t m = 0; m < M; ++m) {
                    ref += table[m * 256 + codes[i * M + m]];
                    a += std::fabs(table[m * 256 + codes[i * M + m]]);
                }
                EXPECT_NEAR(dis[i], ref, 1e-5 * a + 1e-6) << "M=" << M << " i=" << i;
            }
        }
    }
}

TEST(Kernels, ScalarQuantizerKernelsAllIsas) {
    const size_t ny = 37;
    for (SIMDLevel l : supported_levels()) {
        const kernels::KernelTable* K = kernels::kernel_table(l);
        for (size_t d : kDims) {
            auto x = randn(d, 5), s = randn(d, 6);
            std::vector<uint8_t> c8(ny * d);
            std::vector<uint16_t> c16(ny * d);
            auto yf = randn(ny * d, 7);
            for (size_t i = 0; i < ny * d; ++i) {
                c8[i] = uint8_t((i * 131 + d) % 256);
                c16[i] = kernels::float_to_half(yf[i]);
            }
            std::vector<float> o8(ny), od(ny), oh(ny), oi(ny);
            K->sq8_L2sqr_ny(o8.data(), x.data(), s.data(), c8.data(), d, ny);
            K->sq8_dot_ny(od.data(), x.data(), c8.data(), d, ny);
            K->fp16_L2sqr_ny(oh.data(), x.data(), c16.data(), d, ny);
            K->fp16_inner_product_ny(oi.data(), x.data(), c16.data(), d, ny);
            for (size_t i = 0; i < ny; ++i) {
                double r8 = 0, a8 = 0, rd = 0, ad = 0;
                std::vector<float> yh(d);
                for (size_t j = 0; j < d; ++j) {
                    const double t = double(x[j]) - double(c8[i * d + j]) * s[j];
                    r8 += t * t;
                    rd += double(x[j]) * c8[i * d + j];
                    ad += std::fabs(double(x[j]) * c8[i * d + j]);
                    a8 += t * t;
                    yh[j] = kernels::half_to_float(c16[i * d + j]);
                }
                const double rh = ref_L2(x.data(), yh.data(), d);
                const double ri = ref_IP(x.data(), yh.data(), d);
                EXPECT_NEAR(o8[i], r8, tol_for(a8, d)) << simd_level_name(l) << " d=" << d;
                EXPECT_NEAR(od[i], rd, tol_for(ad, d)) << simd_level_name(l) << " d=" << d;
                EXPECT_NEAR(oh[i], rh, tol_for(rh, d)) << simd_level_name(l) << " d=" << d;
                EXPECT_NEAR(oi[i], ri, tol_for(abs_sum_IP(x.data(), yh.data(), d), d))
                    << simd_level_name(l) << " d=" << d;
            }
        }
    }
}

TEST(Kernels, HalfFloatConversions) {
    // Every finite half survives half -> float -> half exactly.
    for (uint32_t h = 0; h < 65536; ++h) {
        if (((h >> 10) & 0x1f) == 0x1f) continue;  // inf / NaN
        const float f = kernels::half_to_float(uint16_t(h));
        ASSERT_EQ(kernels::float_to_half(f), uint16_t(h)) << h;
    }
    EXPECT_EQ(kernels::half_to_float(0x3c00), 1.0f);
    EXPECT_EQ(kernels::half_to_float(0xc000), -2.0f);
    EXPECT_EQ(kernels::half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
    // Rounding to nearest even, and clamping instead of overflowing to infinity.
    EXPECT_EQ(kernels::float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie -> even
    EXPECT_EQ(kernels::float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
    EXPECT_EQ(kernels::float_to_half(1e9f), 0x7bff);
    EXPECT_EQ(kernels::float_to_half(-1e9f), 0xfbff);
}
