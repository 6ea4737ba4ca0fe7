// Product quantization: codec properties, ADC exactness, IndexPQ / IndexIVFPQ vs references.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "faisslike/Error.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexIVFPQ.h"
#include "faisslike/IndexPQ.h"
#include "faisslike/IndexRefine.h"
#include "faisslike/index_io.h"
#include "kernels/kernel_table.h"
#include "test_util.h"

using namespace faisslike;
using namespace faisslike_test;

namespace {

double mse(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    return s / double(a.size());
}

// Search results must equal brute force over the given reconstructions (exact ADC).
void expect_matches_reconstruction(const Index& index, const std::vector<float>& recon,
                                   const std::vector<float>& xq, size_t nq, size_t k,
                                   const SearchParameters* params = nullptr) {
    const size_t d = size_t(index.d), n = recon.size() / d;
    const bool ip = index.metric_type == METRIC_INNER_PRODUCT;
    std::vector<float> D(nq * k);
    std::vector<idx_t> I(nq * k);
    index.search(nq, xq.data(), k, D.data(), I.data(), params);
    for (size_t q = 0; q < nq; ++q) {
        std::vector<double> ref(n);
        for (size_t j = 0; j < n; ++j)
            ref[j] =
                ip ? ref_IP(&xq[q * d], &recon[j * d], d) : ref_L2(&xq[q * d], &recon[j * d], d);
        std::vector<double> sorted = ref;
        if (ip)
            std::sort(sorted.rbegin(), sorted.rend());
        else
            std::sort(sorted.begin(), sorted.end());
        const double tol = 1e-3 * std::max(1.0, std::fabs(sorted[0]) + std::fabs(sorted[k - 1]));
        for (size_t j = 0; j < k; ++j) {
            ASSERT_GE(I[q * k + j], 0);
            EXPECT_NEAR(D[q * k + j], sorted[j], tol) << "q=" << q << " rank " << j;
            EXPECT_NEAR(D[q * k + j], ref[size_t(I[q * k + j])], tol) << "q=" << q;
        }
    }
}

}  // namespace

TEST(PQ, ReconstructionErrorDecreasesWithM) {
    const size_t d = 32, n = 5000;
    auto x = clustered(n, d, 1, 30, 3.0f);
    double prev = 1e30;
    for (size_t M : {2, 4, 8, 16, 32}) {
        ProductQuantizer pq(d, M, 6);
        pq.cp.niter = 10;
        pq.train(n, x.data());
        std::vector<uint8_t> codes(n * pq.code_size);
        pq.compute_codes(x.data(), codes.data(), n);
        std::vector<float> rec(n * d);
        pq.decode(codes.data(), rec.data(), n);
        double e = mse(x, rec);
        EXPECT_LT(e, prev) << "M=" << M;
        prev = e;
    }
}

TEST(PQ, AdcEqualsDistanceToDecodedVectors) {
    const size_t d = 24, n = 3000;
    auto x = clustered(n, d, 2, 30, 3.0f), q = randn(5 * d, 3);
    for (size_t nbits : {8, 5}) {
        ProductQuantizer pq(d, 6, nbits);
        pq.cp.niter = 8;
        pq.train(n, x.data());
        std::vector<uint8_t> codes(n * pq.code_size);
        pq.compute_codes(x.data(), codes.data(), n);
        std::vector<float> rec(n * d);
        pq.decode(codes.data(), rec.data(), n);
        std::vector<float> tl2(pq.M * pq.ksub), tip(pq.M * pq.ksub), dl2(n), dip(n);
        const auto& K = kernels::current();
        for (size_t qi = 0; qi < 5; ++qi) {
            pq.compute_distance_table(&q[qi * d], tl2.data());
            pq.compute_inner_prod_table(&q[qi * d], tip.data());
            pq.adc(K, tl2.data(), codes.data(), n, dl2.data());
            pq.adc(K, tip.data(), codes.data(), n, dip.data());
            for (size_t i = 0; i < n; ++i) {
                EXPECT_NEAR(dl2[i], ref_L2(&q[qi * d], &rec[i * d], d), 1e-3 * (1 + dl2[i]));
                EXPECT_NEAR(dip[i], ref_IP(&q[qi * d], &rec[i * d], d),
                            1e-3 * (1 + std::fabs(dip[i])));
            }
        }
        // Codes of nbits < 8 pack tightly.
        EXPECT_EQ(pq.code_size, (6 * nbits + 7) / 8);
    }
}

TEST(PQ, IndexPQSearchAndCodec) {
    const size_t d = 32, n = 4000, nq = 20;
    auto x = clustered(n, d, 4, 30, 3.0f), xq = clustered(nq, d, 5, 30, 3.0f);
    for (MetricType m : {METRIC_L2, METRIC_INNER_PRODUCT}) {
        IndexPQ index(d, 8, 8, m);
        index.pq.cp.niter = 8;
        EXPECT_FALSE(index.is_trained);
        index.train(n, x.data());
        index.add(n, x.data());
        std::vector<float> rec(n * d);
        for (size_t i = 0; i < n; ++i) index.reconstruct(i, &rec[i * d]);
        expect_matches_reconstruction(index, rec, xq, nq, 10);
        expect_matches_reconstruction(index, rec, xq, 1, 10);  // single query: split scan
        // sa_encode / sa_decode agree with what add stored.
        std::vector<uint8_t> bytes(n * index.sa_code_size());
        index.sa_encode(n, x.data(), bytes.data());
        EXPECT_EQ(bytes, index.codes);
        std::vector<float> dec(n * d);
        index.sa_decode(n, bytes.data(), dec.data());
        EXPECT_EQ(dec, rec);
    }
}

class IVFPQModes : public ::testing::TestWithParam<std::tuple<MetricType, bool, bool>> {};

TEST_P(IVFPQModes, FullProbeEqualsBruteForceOverReconstructions) {
    const auto [metric, by_residual, precomputed] = GetParam();
    const size_t d = 32, n = 4000, nq = 15, nlist = 16;
    auto x = clustered(n, d, 6, 30, 3.0f), xq = clustered(nq, d, 7, 30, 3.0f);
    IndexFlat q(d, metric);
    IndexIVFPQ ivf(&q, d, nlist, 8, 8, metric);
    ivf.by_residual = by_residual;
    ivf.use_precomputed_table = precomputed;
    ivf.pq.cp.niter = 8;
    ivf.train(n, x.data());
    EXPECT_EQ(ivf.uses_precomputed_table(), precomputed && by_residual && metric == METRIC_L2);
    ivf.add(n, x.data());
    ivf.make_direct_map();
    std::vector<float> rec(n * d);
    for (size_t i = 0; i < n; ++i) ivf.reconstruct(i, &rec[i * d]);
    SearchParametersIVF p;
    p.nprobe = nlist;
    expect_matches_reconstruction(ivf, rec, xq, nq, 10, &p);
    expect_matches_reconstruction(ivf, rec, xq, 1, 10, &p);
    // Residual coding is more precise than coding the raw vectors.
    if (by_residual) EXPECT_LT(mse(x, rec), 2.0);
}

INSTANTIATE_TEST_SUITE_P(Modes, IVFPQModes,
                         ::testing::Combine(::testing::Values(METRIC_L2, METRIC_INNER_PRODUCT),
                                            ::testing::Bool(), ::testing::Bool()));

TEST(PQ, SerializationRoundTripAndCorruption) {
    const size_t d = 16, n = 600;
    auto x = clustered(n, d, 8, 30, 3.0f), xq = randn(10 * d, 9);
    IndexPQ pqi(d, 4, 8);
    pqi.train(n, x.data());
    pqi.add(n, x.data());
    IndexFlatL2 q(d);
    IndexIVFPQ ivf(&q, d, 4, 4, 6);
    ivf.train(n, x.data());
    ivf.add(n, x.data());
    ivf.nprobe = 2;
    for (const Index* idx : {static_cast<const Index*>(&pqi), static_cast<const Index*>(&ivf)}) {
        auto bytes = serialize_index(idx);
        auto back = deserialize_index(bytes.data(), bytes.size());
        std::vector<float> D1(10 * 5), D2(10 * 5);
        std::vector<idx_t> I1(10 * 5), I2(10 * 5);
        idx->search(10, xq.data(), 5, D1.data(), I1.data());
        back->search(10, xq.data(), 5, D2.data(), I2.data());
        EXPECT_EQ(I1, I2);
        EXPECT_EQ(D1, D2);
        for (size_t cut = 0; cut < bytes.size(); cut += 7)
            EXPECT_THROW(deserialize_index(bytes.data(), cut), Error) << cut;
    }
    // Flipped bytes in a small IVFPQ: an Error or an index of the right size, never a crash.
    IndexFlatL2 q2(d);
    IndexIVFPQ small(&q2, d, 2, 2, 4);
    small.train(300, x.data());
    small.add(20, x.data());
    auto sb = serialize_index(&small);
    for (size_t i = 0; i < sb.size(); ++i) {
        auto b = sb;
        b[i] ^= 0x5a;
        try {
            auto r = deserialize_index(b.data(), b.size());
            EXPECT_EQ(r->ntotal, 20);
        } catch (const Error&) {
        }
    }
}

TEST(PQ, BadInput) {
    auto expect_msg = [](const std::function<void()>& f, const std::string& needle) {
        try {
            f();
            FAIL() << needle;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    expect_msg([] { ProductQuantizer(30, 7); }, "d=30 is not a multiple of M=7");
    expect_msg([] { ProductQuantizer(32, 4, 17); }, "nbits=17");
    expect_msg([] { ProductQuantizer(32, 4, 0); }, "nbits=0");
    expect_msg([] { IndexPQ(30, 4); }, "not a multiple");
    const size_t d = 16;
    auto x = clustered(300, d, 10, 30, 3.0f);
    IndexPQ index(d, 4, 8);
    expect_msg([&] { index.train(100, x.data()); }, "at least ksub=256");
    std::vector<float> D(1);
    std::vector<idx_t> I(1);
    expect_msg([&] { index.add(10, x.data()); }, "not trained");
    expect_msg([&] { index.search(1, x.data(), 1, D.data(), I.data()); }, "not trained");
    index.train(300, x.data());  // fewer than 39 * 256: a warning, then it proceeds
    EXPECT_TRUE(index.is_trained);
    IndexFlatL2 q(d);
    IndexIVFPQ ivf(&q, d, 4, 4);
    expect_msg([&] { ivf.add(10, x.data()); }, "not trained");
}

TEST(Refine, ReRankingReachesExactResultsAndRoundTrips) {
    const size_t d = 32, n = 4000, nq = 20, k = 10;
    auto x = clustered(n, d, 11, 30, 3.0f), xq = clustered(nq, d, 12, 30, 3.0f);
    IndexPQ* base = new IndexPQ(d, 4, 6);  // coarse codes: poor ranking on its own
    IndexRefineFlat rf(base);
    rf.base_index.set_owned(true);
    rf.train(n, x.data());
    rf.add(n, x.data());
    IndexFlatL2 flat(d);
    flat.add(n, x.data());
    std::vector<float> Dg(nq * k), D1(nq * k), D2(nq * k);
    std::vector<idx_t> Ig(nq * k), I1(nq * k), I2(nq * k);
    flat.search(nq, xq.data(), k, Dg.data(), Ig.data());
    auto recall = [&](const std::vector<idx_t>& I) {
        size_t hit = 0;
        for (size_t q = 0; q < nq; ++q)
            for (size_t j = 0; j < k; ++j)
                hit += std::count(Ig.begin() + long(q * k), Ig.begin() + long(q * k + k),
                                  I[q * k + j]);
        return double(hit) / double(nq * k);
    };
    rf.search(nq, xq.data(), k, D1.data(), I1.data());  // k_factor 1: base ranking only
    SearchParametersRefine p;
    p.k_factor = 50;
    rf.search(nq, xq.data(), k, D2.data(), I2.data(), &p);
    EXPECT_GT(recall(I2), recall(I1));
    EXPECT_GE(recall(I2), 0.99);
    for (size_t i = 0; i < nq * k; ++i)  // refined distances are exact
        EXPECT_NEAR(D2[i], ref_L2(&xq[(i / k) * d], &x[size_t(I2[i]) * d], d), 1e-2);
    rf.k_factor = 50;
    auto bytes = serialize_index(&rf);
    auto back = deserialize_index(bytes.data(), bytes.size());
    std::vector<float> D3(nq * k);
    std::vector<idx_t> I3(nq * k);
    back->search(nq, xq.data(), k, D3.data(), I3.data());
    EXPECT_EQ(I3, I2);
    p.k_factor = 0.5f;
    EXPECT_THROW(rf.search(nq, xq.data(), k, D3.data(), I3.data(), &p), Error);
    IndexPQ nonempty(d, 4, 6);
    nonempty.train(n, x.data());
    nonempty.add(10, x.data());
    EXPECT_THROW(IndexRefineFlat{&nonempty}, Error);
}
