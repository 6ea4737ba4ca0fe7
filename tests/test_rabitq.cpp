// RaBitQ: the kernels of every ISA against the scalar ones and a direct computation, the
// estimator against float64 brute force (unbiased, within its error bound), the bounded
// multi-bit scan against the unbounded one, round trips and bad input.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "faisslike/Error.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexRaBitQ.h"
#include "faisslike/index_factory.h"
#include "faisslike/index_io.h"
#include "kernels/kernel_table.h"
#include "test_util.h"

using namespace faisslike;
using namespace faisslike_test;

namespace {

std::vector<const kernels::KernelTable*> tables() {
    std::vector<const kernels::KernelTable*> t;
    for (SIMDLevel l : {SIMDLevel::AVX2, SIMDLevel::AVX512})
        if (simd_level_supported(l)) t.push_back(kernels::kernel_table(l));
    if (kernels::cpu_has_vpopcntdq()) t.push_back(kernels::kernel_table_avx512_vpopcnt());
    return t;
}

}  // namespace

TEST(RaBitQ, DotKernelOfEveryIsaEqualsDirectCount) {
    std::mt19937_64 rng(3);
    const kernels::KernelTable* ref = kernels::kernel_table(SIMDLevel::NONE);
    for (size_t nbytes : {1, 7, 8, 9, 16, 24, 63, 64, 65, 96, 128, 200}) {
        const size_t nw = (nbytes + 7) / 8, stride = nbytes + 12, n = 37;
        std::vector<uint8_t> codes(n * stride);
        for (auto& c : codes) c = uint8_t(rng());  // factor bytes too: must never be counted
        for (size_t qb = 1; qb <= 8; ++qb) {
            std::vector<uint64_t> planes(qb * nw);
            for (auto& p : planes) p = rng();
            for (size_t b = 0; b < qb; ++b)  // bits past the sign bytes are zero
                if (nbytes % 8) planes[b * nw + nw - 1] &= (uint64_t(1) << (8 * (nbytes % 8))) - 1;
            std::vector<uint32_t> d0(n), p0(n);
            ref->rabitq_dot_ny(planes.data(), nbytes, qb, codes.data(), stride, n, d0.data(),
                               p0.data());
            for (size_t j = 0; j < n; ++j) {
                uint64_t dot = 0, pop = 0;
                for (size_t i = 0; i < 8 * nbytes; ++i) {
                    const unsigned bit = (codes[j * stride + i / 8] >> (i % 8)) & 1u;
                    pop += bit;
                    for (size_t b = 0; b < qb; ++b)
                        dot += uint64_t(bit & ((planes[b * nw + i / 64] >> (i % 64)) & 1u)) << b;
                }
                ASSERT_EQ(d0[j], dot) << "nbytes=" << nbytes << " qb=" << qb;
                ASSERT_EQ(p0[j], pop) << "nbytes=" << nbytes << " qb=" << qb;
            }
            for (const kernels::KernelTable* K : tables()) {
                std::vector<uint32_t> d1(n), p1(n);
                K->rabitq_dot_ny(planes.data(), nbytes, qb, codes.data(), stride, n, d1.data(),
                                 p1.data());
                EXPECT_EQ(d0, d1) << "nbytes=" << nbytes << " qb=" << qb;
                EXPECT_EQ(p0, p1) << "nbytes=" << nbytes << " qb=" << qb;
            }
        }
    }
}

TEST(RaBitQ, QuerySideKernelsOfEveryIsaEqualDirectComputation) {
    const kernels::KernelTable* ref = kernels::kernel_table(SIMDLevel::NONE);
    std::vector<const kernels::KernelTable*> all = tables();
    all.insert(all.begin(), ref);
    for (size_t d : {1, 5, 15, 16, 17, 63, 64, 65, 100, 128, 768, 777}) {
        std::vector<float> q = randn(d, uint32_t(11 * d)), c = randn(d, uint32_t(13 * d));
        double s = 0, s2 = 0;
        float lo = q[0] - c[0], hi = lo;
        for (size_t i = 0; i < d; ++i) {
            const float v = q[i] - c[i];
            s += v, s2 += double(v) * v, lo = std::min(lo, v), hi = std::max(hi, v);
        }
        const size_t nw = (d + 63) / 64;
        for (const kernels::KernelTable* K : all) {
            std::vector<float> r(d);
            float st[4];
            K->rabitq_residual(q.data(), c.data(), d, r.data(), st);
            for (size_t i = 0; i < d; ++i) ASSERT_EQ(r[i], q[i] - c[i]) << d;
            EXPECT_NEAR(st[0], s, 1e-5 * (d + std::fabs(s))) << d;
            EXPECT_NEAR(st[1], s2, 1e-5 * s2) << d;
            EXPECT_EQ(st[2], lo) << d;
            EXPECT_EQ(st[3], hi) << d;
            K->rabitq_residual(q.data(), nullptr, d, r.data(), st);  // no centre: a copy
            EXPECT_EQ(r, q) << d;
        }
        std::vector<float> r(d);
        for (size_t i = 0; i < d; ++i) r[i] = q[i] - c[i];
        for (size_t qb = 1; qb <= 8; ++qb) {
            const float M = float((1u << qb) - 1), inv = M / (hi - lo);
            // Exact halves land on both sides of .5 roundings; values outside [lo, hi] clamp.
            std::vector<float> rr = r;
            if (d > 3) rr[1] = lo + 0.5f / inv, rr[2] = hi + 1.0f, rr[3] = lo - 1.0f;
            std::vector<uint64_t> want(qb * nw, 0);
            for (size_t i = 0; i < d; ++i) {
                const float t = std::min(M, std::max(0.0f, (rr[i] - lo) * inv));
                const unsigned v = unsigned(int(t + 0.5f));
                for (size_t b = 0; b < qb; ++b)
                    want[b * nw + i / 64] |= uint64_t((v >> b) & 1u) << (i % 64);
            }
            for (const kernels::KernelTable* K : all) {
                std::vector<uint64_t> got(qb * nw, ~uint64_t(0));  // every word overwritten
                K->rabitq_query_planes(rr.data(), d, lo, inv, qb, got.data());
                EXPECT_EQ(got, want) << "d=" << d << " qb=" << qb;
                K->rabitq_query_planes(rr.data(), d, lo, 0.0f, qb, got.data());  // all zero
                EXPECT_EQ(got, std::vector<uint64_t>(qb * nw, 0)) << "d=" << d << " qb=" << qb;
            }
        }
    }
}

TEST(RaBitQ, FastScanTablesOfEveryIsaEqualDirectSums) {
    const kernels::KernelTable* ref = kernels::kernel_table(SIMDLevel::NONE);
    for (size_t d : {1, 3, 4, 5, 17, 64, 128, 130, 768}) {
        const size_t M = (d + 3) / 4;
        std::vector<float> r = randn(d, uint32_t(7 * d));
        r[0] = 0.0f;  // zero components are neither negative nor positive
        std::vector<uint8_t> q0(M * 16);
        float bias0 = 0, scale0 = 0;
        ref->rabitq_fs_tables(r.data(), d, M, q0.data(), &bias0, &scale0);
        // Direct: sums in double, one scale over the largest group span.
        double bias = 0, span = 0;
        for (size_t i = 0; i < d; ++i) bias += std::min(0.0f, r[i]);
        for (size_t m = 0; m < M; ++m) {
            double sp = 0;
            for (size_t t = 0; t < 4 && 4 * m + t < d; ++t) sp += std::fabs(r[4 * m + t]);
            span = std::max(span, sp);
        }
        ASSERT_NEAR(bias0, bias, 1e-5 * (1 + std::fabs(bias))) << d;
        ASSERT_NEAR(scale0, 255.0 / span, 1e-4 * 255.0 / span) << d;
        for (size_t m = 0; m < M; ++m)
            for (size_t v = 0; v < 16; ++v) {
                double t = 0, lo = 0;
                for (size_t b = 0; b < 4 && 4 * m + b < d; ++b) {
                    lo += std::min(0.0f, r[4 * m + b]);
                    if (v >> b & 1) t += r[4 * m + b];
                }
                const double want = (t - lo) * scale0;
                ASSERT_LE(std::fabs(double(q0[16 * m + v]) - want), 0.5 + 1e-3)
                    << "d=" << d << " m=" << m << " v=" << v;
            }
        for (const kernels::KernelTable* K : tables()) {
            std::vector<uint8_t> q1(M * 16);
            float bias1 = 0, scale1 = 0;
            K->rabitq_fs_tables(r.data(), d, M, q1.data(), &bias1, &scale1);
            EXPECT_EQ(bias1, bias0) << d;
            EXPECT_EQ(scale1, scale0) << d;
            size_t differ = 0;
            for (size_t i = 0; i < M * 16; ++i) {
                ASSERT_LE(std::abs(int(q1[i]) - int(q0[i])), 1) << "d=" << d << " i=" << i;
                differ += q1[i] != q0[i];
            }
            EXPECT_LE(differ, M * 16 / 100 + 1) << "d=" << d;  // only rounding ties differ
        }
    }
}

TEST(RaBitQ, CodeInnerProductOfEveryIsaAgreesWithScalar) {
    std::mt19937 rng(5);
    const kernels::KernelTable* ref = kernels::kernel_table(SIMDLevel::NONE);
    for (size_t d : {1, 5, 8, 15, 16, 17, 64, 100, 128, 333}) {
        std::vector<float> q = randn(d, uint32_t(d));
        for (size_t eb = 0; eb <= 8; ++eb) {
            const size_t sb = (d + 7) / 8, exb = (d * eb + 7) / 8;
            std::vector<uint8_t> code(sb + exb + 8);
            for (auto& c : code) c = uint8_t(rng());
            const uint8_t* ex = code.data() + sb;
            double direct = 0;
            for (size_t i = 0; i < d; ++i) {
                unsigned e = 0;
                for (size_t b = 0; b < eb; ++b)
                    e |= unsigned((ex[(i * eb + b) / 8] >> ((i * eb + b) % 8)) & 1u) << b;
                const unsigned s = (code[i / 8] >> (i % 8)) & 1u;
                direct += double(q[i]) * double((s << eb) + e);
            }
            const float r0 = ref->rabitq_code_ip(code.data(), ex, eb, q.data(), d);
            const double tol = 1e-5 * (std::fabs(direct) + 256.0 * std::sqrt(double(d)));
            EXPECT_NEAR(r0, direct, tol) << "d=" << d << " ex_bits=" << eb;
            for (const kernels::KernelTable* K : tables())
                EXPECT_NEAR(K->rabitq_code_ip(code.data(), ex, eb, q.data(), d), r0, tol)
                    << "d=" << d << " ex_bits=" << eb;
        }
    }
}

namespace {

// ||q - x||^2 in double.
double l2_64(const float* a, const float* b, size_t d) {
    double s = 0;
    for (size_t i = 0; i < d; ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    return s;
}

}  // namespace

// The 1-bit estimate (float query) against float64 distances: its signed errors average out
// (unbiased) and the per-code bound f_error * ||q - c|| holds as the paper states it: the
// error is about Gaussian and the bound is 1.9 of its standard deviations (~94% inside;
// 1.5 times the bound, 2.85 sigma, leaves < 1% outside).
TEST(RaBitQ, EstimatorIsUnbiasedWithinItsBound) {
    const size_t d = 128, n = 4000, nq = 20;
    std::vector<float> xb = randn(n * d, 11), xq = randn(nq * d, 12);
    for (MetricType m : {METRIC_L2, METRIC_INNER_PRODUCT}) {
        IndexRaBitQ idx(d, m, 4);
        idx.qb = 0;
        idx.train(n, xb.data());
        idx.add(n, xb.data());
        const RaBitQuantizer& rq = idx.rabitq;
        const kernels::KernelTable& K = kernels::current();
        RaBitQuantizer::Query s;
        s.qb = 0;
        std::vector<float> est(n);
        double sum_err = 0, sum_abs = 0, sum_full_abs = 0;
        size_t outside = 0, outside15 = 0;
        for (size_t i = 0; i < nq; ++i) {
            const float* q = xq.data() + i * d;
            rq.set_query(K, q, idx.center.data(), s);
            rq.estimates_1bit(K, s, idx.codes.data(), n, est.data());
            for (size_t j = 0; j < n; ++j) {
                const float* x = xb.data() + j * d;
                double truth = 0;
                if (m == METRIC_L2) {
                    truth = l2_64(q, x, d);
                } else {
                    for (size_t t = 0; t < d; ++t) truth += double(q[t]) * x[t];
                }
                const double e = double(est[j]) - truth;
                sum_err += e;
                sum_abs += std::fabs(e);
                float ferr;
                std::memcpy(&ferr, idx.codes.data() + j * rq.code_size + rq.sign_bytes() + 8, 4);
                const double bound = double(ferr) * s.g_error;
                if (std::fabs(e) > bound * 1.0001 + 1e-3) ++outside;
                if (std::fabs(e) > bound * 1.5 + 1e-3) ++outside15;
                sum_full_abs += std::fabs(
                    double(rq.full_estimate(K, s, idx.codes.data() + j * rq.code_size)) - truth);
            }
        }
        const double cnt = double(n * nq);
        SCOPED_TRACE(m == METRIC_L2 ? "L2" : "IP");
        EXPECT_LT(std::fabs(sum_err) / cnt, 0.05 * sum_abs / cnt);  // bias << spread
        EXPECT_LT(double(outside) / cnt, 0.08);
        EXPECT_LT(double(outside15) / cnt, 0.01);
        EXPECT_LT(sum_full_abs, 0.35 * sum_abs);  // 4 bits: several times closer than 1 bit
    }
}

// The bounded multi-bit scan (codes skipped by their error bound) finds what estimating
// every code finds, and its distances are those codes' full estimates.
TEST(RaBitQ, BoundedScanMatchesFullScan) {
    const size_t d = 64, n = 6000, nq = 30, k = 10;
    std::vector<float> xb = clustered(n, d, 21), xq = clustered(nq, d, 22);
    for (MetricType m : {METRIC_L2, METRIC_INNER_PRODUCT}) {
        for (int nb : {2, 5}) {
            IndexRaBitQ idx(d, m, nb);
            idx.train(n, xb.data());
            idx.add(n, xb.data());
            std::vector<float> D(nq * k);
            std::vector<idx_t> I(nq * k);
            idx.search(nq, xq.data(), k, D.data(), I.data());
            auto sc = idx.get_scorer();
            std::vector<float> all(n);
            size_t same = 0;
            for (size_t i = 0; i < nq; ++i) {
                sc->set_query(xq.data() + i * d);
                sc->score(idx.codes.data(), n, all.data());
                std::vector<idx_t> order(n);
                for (size_t j = 0; j < n; ++j) order[j] = idx_t(j);
                const float sgn = m == METRIC_L2 ? 1.0f : -1.0f;
                std::partial_sort(order.begin(), order.begin() + k, order.end(),
                                  [&](idx_t a, idx_t b) { return sgn * all[a] < sgn * all[b]; });
                std::set<idx_t> want(order.begin(), order.begin() + k);
                for (size_t j = 0; j < k; ++j) {
                    same += want.count(I[i * k + j]);
                    ASSERT_GE(I[i * k + j], 0);
                    EXPECT_FLOAT_EQ(D[i * k + j], all[size_t(I[i * k + j])]);
                }
            }
            EXPECT_GE(double(same) / double(nq * k), 0.99) << "nb_bits=" << nb;
        }
    }
}

TEST(RaBitQ, IVFRoundTripAndParameters) {
    const size_t d = 48, n = 3000, nq = 10, k = 5;
    std::vector<float> xb = clustered(n, d, 31), xq = clustered(nq, d, 32);
    for (const char* desc : {"IVF16,RaBitQ", "IVF16,RaBitQ6", "RaBitQ", "RaBitQ3", "IVF16,RaBitQfs",
                             "IVF16,RaBitQfs4"}) {
        SCOPED_TRACE(desc);
        std::unique_ptr<Index> idx(index_factory(int(d), desc, METRIC_L2));
        idx->train(n, xb.data());
        idx->add(n, xb.data());
        std::vector<float> D(nq * k), D2(nq * k);
        std::vector<idx_t> I(nq * k), I2(nq * k);
        idx->search(nq, xq.data(), k, D.data(), I.data());
        VectorIOWriter w;
        write_index(idx.get(), &w);
        BufferIOReader r(w.data.data(), w.data.size());
        std::unique_ptr<Index> back(read_index(&r));
        back->search(nq, xq.data(), k, D2.data(), I2.data());
        EXPECT_EQ(I, I2);
        EXPECT_EQ(D, D2);
    }
    // qb through parameters: 0 (float query), out of range -> InvalidArgument.
    IndexFlatL2 q(d);
    IndexIVFRaBitQ ivf(&q, d, 8, METRIC_L2, 3);
    ivf.train(n, xb.data());
    ivf.add(n, xb.data());
    SearchParametersIVFRaBitQ p;
    p.nprobe = 8;
    std::vector<float> D(nq * k);
    std::vector<idx_t> I(nq * k);
    for (int qb : {0, 1, 8}) {
        p.qb = qb;
        ivf.search(nq, xq.data(), k, D.data(), I.data(), &p);
        for (idx_t id : I) EXPECT_GE(id, 0);
    }
    p.qb = 9;
    EXPECT_THROW(ivf.search(nq, xq.data(), k, D.data(), I.data(), &p), InvalidArgument);
    SearchParametersIVF plain;  // any IVF parameters are fine
    plain.nprobe = 2;
    ivf.search(nq, xq.data(), k, D.data(), I.data(), &plain);
}

TEST(RaBitQ, BadInputIsRefusedWithTheValue) {
    auto msg = [](auto f) {
        try {
            f();
        } catch (const InvalidArgument& e) {
            return std::string(e.what());
        }
        return std::string("no InvalidArgument");
    };
    EXPECT_NE(msg([] { IndexRaBitQ(16, METRIC_L2, 0); }).find("nb_bits=0"), std::string::npos);
    EXPECT_NE(msg([] { IndexRaBitQ(16, METRIC_L2, 10); }).find("nb_bits=10"), std::string::npos);
    EXPECT_NE(msg([] { IndexRaBitQ(16, MetricType(2), 1); }).find("metric"), std::string::npos);
    EXPECT_NE(msg([] {
                  std::unique_ptr<Index> idx(index_factory(16, "RaBitQ12", METRIC_L2));
              }).find("RaBitQ12"),
              std::string::npos);
    IndexRaBitQ idx(16, METRIC_L2, 1);
    std::vector<float> x = randn(16 * 4, 1), D(4);
    std::vector<idx_t> I(4);
    EXPECT_THROW(idx.search(1, x.data(), 4, D.data(), I.data()), Error);  // not trained
    idx.train(4, x.data());
    idx.add(4, x.data());
    idx.qb = 9;
    EXPECT_NE(msg([&] { idx.search(1, x.data(), 4, D.data(), I.data()); }).find("qb=9"),
              std::string::npos);
}
