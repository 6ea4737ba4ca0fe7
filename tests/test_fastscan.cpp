// 4-bit PQ fast-scan: the kernel of every ISA against the scalar one, and IndexPQFastScan
// against IndexPQ with the same codebooks (same top-k up to the table quantization bound).
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/IndexIVFPQFastScan.h"
#include "faisslike/IndexPQ.h"
#include "faisslike/IndexPQFastScan.h"
#include "faisslike/IndexRefine.h"
#include "faisslike/impl/PQ4Scan.h"
#include "faisslike/index_factory.h"
#include "faisslike/index_io.h"
#include "kernels/kernel_table.h"
#include "test_util.h"

using namespace faisslike;
using namespace faisslike_test;

TEST(FastScan, KernelOfEveryIsaEqualsScalar) {
    std::mt19937 rng(7);
    const kernels::KernelTable* ref = kernels::kernel_table(SIMDLevel::NONE);
    for (SIMDLevel l : {SIMDLevel::AVX2, SIMDLevel::AVX512}) {
        if (!simd_level_supported(l)) continue;
        const kernels::KernelTable* K = kernels::kernel_table(l);
        SCOPED_TRACE(simd_level_name(l));
        for (size_t M4 : {4, 8, 12, 32, 64, 256}) {
            for (size_t nq = 1; nq <= 4; ++nq) {
                const size_t nb = 5;
                std::vector<uint8_t> blocks(nb * M4 * 16), lut(nq * M4 * 16);
                // Extreme tables too: all 255 (the largest sums, 255 * 256 at M4 = 256).
                for (auto& b : blocks) b = uint8_t(rng());
                for (auto& t : lut) t = M4 == 256 ? 255 : uint8_t(rng());
                std::vector<uint16_t> lim(nq);
                for (auto& v : lim) v = uint16_t(rng() % (M4 * 160));
                std::vector<uint16_t> o1(nq * nb * 32), o2(nq * nb * 32);
                std::vector<uint32_t> m1(nq * nb), m2(nq * nb);
                std::vector<const uint8_t*> tabs(nq);
                for (size_t q = 0; q < nq; ++q) tabs[q] = lut.data() + q * M4 * 16;
                ref->pq4_scan(blocks.data(), nb, M4, tabs.data(), nq, lim.data(), o1.data(),
                              m1.data());
                K->pq4_scan(blocks.data(), nb, M4, tabs.data(), nq, lim.data(), o2.data(),
                            m2.data());
                EXPECT_EQ(o1, o2) << "M4=" << M4 << " nq=" << nq;
                EXPECT_EQ(m1, m2) << "M4=" << M4 << " nq=" << nq;
                // The scalar reference against the layout, summed directly.
                for (size_t q = 0; q < nq; ++q)
                    for (size_t b = 0; b < nb; ++b)
                        for (size_t j = 0; j < 32; ++j) {
                            unsigned s = 0;
                            for (size_t m = 0; m < M4; ++m) {
                                const uint8_t byte = blocks[(b * M4 + m) * 16 + j % 16];
                                s += lut[q * M4 * 16 + m * 16 + (j < 16 ? byte & 15 : byte >> 4)];
                            }
                            ASSERT_EQ(o1[(q * nb + b) * 32 + j], s);
                            ASSERT_EQ((m1[q * nb + b] >> j) & 1, uint32_t(s <= lim[q]));
                        }
            }
        }
    }
}

// The table quantization: every ISA writes the scalar path's bytes, scale and bias, and the
// scalar path is the definition (per sub-quantizer minimum, one scale, round half up).
TEST(FastScan, TableQuantizationOfEveryIsaEqualsScalar) {
    std::mt19937 rng(11);
    std::normal_distribution<float> g(0.0f, 3.0f);
    const kernels::KernelTable* ref = kernels::kernel_table(SIMDLevel::NONE);
    for (size_t M : {1, 3, 4, 16, 33, 256}) {
        const size_t M4 = (M + 3) / 4 * 4;
        for (int trial = 0; trial < 4; ++trial) {
            std::vector<float> t(M * 16);
            for (auto& v : t) v = g(rng);
            if (trial == 1) std::fill(t.begin(), t.end(), 2.5f);  // span 0
            if (trial == 2)
                for (auto& v : t) v = std::round(v) * 0.25f;  // exact halves
            if (trial == 3) t[5] = -1e6f;                     // one wide table
            std::vector<uint8_t> q1(M4 * 16, 77);
            float s1, b1;
            ref->pq4_quantize_table(t.data(), M, M4, q1.data(), &s1, &b1);
            // The definition.
            float bias = 0, span = 0;
            std::vector<float> lo(M);
            for (size_t m = 0; m < M; ++m) {
                lo[m] = *std::min_element(&t[m * 16], &t[m * 16 + 16]);
                bias += lo[m];
                span = std::max(span, *std::max_element(&t[m * 16], &t[m * 16 + 16]) - lo[m]);
            }
            const float scale = span > 0 ? 255.0f / span : 1.0f;
            ASSERT_EQ(s1, scale);
            ASSERT_EQ(b1, bias);
            for (size_t i = 0; i < M4 * 16; ++i) {
                const float y = i < M * 16 ? (t[i] - lo[i / 16]) * scale + 0.5f : 0.0f;
                ASSERT_EQ(q1[i], uint8_t(std::min(255.0f, std::max(0.0f, y))))
                    << "M=" << M << " i=" << i;
            }
            for (SIMDLevel l : {SIMDLevel::AVX2, SIMDLevel::AVX512}) {
                if (!simd_level_supported(l)) continue;
                SCOPED_TRACE(simd_level_name(l));
                std::vector<uint8_t> q2(M4 * 16, 99);
                float s2, b2;
                kernels::kernel_table(l)->pq4_quantize_table(t.data(), M, M4, q2.data(), &s2, &b2);
                EXPECT_EQ(q1, q2) << "M=" << M << " trial=" << trial;
                EXPECT_EQ(s1, s2);
                EXPECT_EQ(b1, b2);
            }
        }
    }
}

namespace {

// Every vector's exact PQ distance (the float tables), via IndexPQ with k = ntotal.
std::vector<std::map<idx_t, float>> all_distances(const IndexPQ& pq, const std::vector<float>& xq,
                                                  size_t nq) {
    const size_t n = size_t(pq.ntotal);
    std::vector<float> D(nq * n);
    std::vector<idx_t> I(nq * n);
    pq.search(idx_t(nq), xq.data(), idx_t(n), D.data(), I.data());
    std::vector<std::map<idx_t, float>> out(nq);
    for (size_t q = 0; q < nq; ++q)
        for (size_t j = 0; j < n; ++j) out[q][I[q * n + j]] = D[q * n + j];
    return out;
}

}  // namespace

// The stated bound: the quantized tables rank every vector within table error e of its exact
// PQ distance (M entries, each rounded by at most half a step), so a returned result is never
// worse than IndexPQ's k-th by more than 2e, and its returned distance is IndexPQ's exactly.
TEST(FastScan, SameTopKAsIndexPQUpToTheTableBound) {
    for (size_t M : {8, 10, 16, 32}) {
        for (MetricType metric : {METRIC_L2, METRIC_INNER_PRODUCT}) {
            SCOPED_TRACE("M=" + std::to_string(M) + (metric == METRIC_L2 ? " L2" : " IP"));
            const size_t d = 2 * M, n = 3000, nq = 40, k = 10;
            auto xb = clustered(n, d, 3, 20, 2.0f), xq = clustered(nq, d, 4, 20, 2.0f);
            IndexPQ pq(idx_t(d), M, 4, metric);
            pq.train(idx_t(n), xb.data());
            pq.add(idx_t(n), xb.data());
            IndexPQFastScan fs(pq);
            EXPECT_EQ(fs.ntotal, pq.ntotal);
            auto exact = all_distances(pq, xq, nq);
            std::vector<float> Dp(nq * k), Df(nq * k);
            std::vector<idx_t> Ip(nq * k), If(nq * k);
            pq.search(idx_t(nq), xq.data(), idx_t(k), Dp.data(), Ip.data());
            for (size_t batch : {size_t(1), nq}) {  // split blocks / query groups
                for (size_t q0 = 0; q0 < nq; q0 += batch)
                    fs.search(idx_t(std::min(batch, nq - q0)), xq.data() + q0 * d, idx_t(k),
                              Df.data() + q0 * k, If.data() + q0 * k);
                size_t same = 0;
                for (size_t q = 0; q < nq; ++q) {
                    pq4scan::QueryTable t;
                    t.compute(pq.pq, pq4::padded_M(M), metric, xq.data() + q * d);
                    const float kth = metric == METRIC_L2 ? Dp[q * k + k - 1] : -Dp[q * k + k - 1];
                    for (size_t j = 0; j < k; ++j) {
                        const idx_t id = If[q * k + j];
                        ASSERT_GE(id, 0);
                        EXPECT_EQ(Df[q * k + j], exact[q].at(id));
                        const float mine = metric == METRIC_L2 ? Df[q * k + j] : -Df[q * k + j];
                        EXPECT_LE(mine, kth + 2 * t.error + 1e-4f * std::fabs(kth));
                        if (j) {
                            const float prev =
                                metric == METRIC_L2 ? Df[q * k + j - 1] : -Df[q * k + j - 1];
                            EXPECT_LE(prev, mine);
                        }
                        same +=
                            std::count(Ip.begin() + long(q * k), Ip.begin() + long(q * k + k), id);
                    }
                }
                EXPECT_GE(double(same) / double(nq * k), 0.9);
            }
        }
    }
}

TEST(FastScan, RemoveReconstructCodecSelectorAndRoundTrip) {
    const size_t d = 32, M = 8, n = 2000, nq = 15, k = 7;
    auto xb = clustered(n, d, 5, 20, 2.0f), xq = clustered(nq, d, 6, 20, 2.0f);
    auto idx = index_factory(int(d), "PQ8x4fs");
    auto* fs = dynamic_cast<IndexPQFastScan*>(idx.get());
    ASSERT_NE(fs, nullptr);
    idx->train(idx_t(n), xb.data());
    idx->add(idx_t(n), xb.data());
    IndexPQ pq(idx_t(d), M, 4);
    pq.pq = fs->pq;
    pq.is_trained = true;
    pq.add(idx_t(n), xb.data());
    // Reconstruction and the standalone codec: IndexPQ's.
    std::vector<float> a(d), b(d);
    for (idx_t i : {idx_t(0), idx_t(31), idx_t(32), idx_t(n - 1)}) {
        fs->reconstruct(i, a.data());
        pq.reconstruct(i, b.data());
        EXPECT_EQ(a, b);
    }
    EXPECT_EQ(fs->sa_code_size(), pq.sa_code_size());
    std::vector<uint8_t> c1(nq * fs->sa_code_size()), c2(c1.size());
    fs->sa_encode(idx_t(nq), xq.data(), c1.data());
    pq.sa_encode(idx_t(nq), xq.data(), c2.data());
    EXPECT_EQ(c1, c2);
    EXPECT_THROW(fs->reconstruct(idx_t(n), a.data()), InvalidArgument);
    // Selector: only selected ids, and the same ones as IndexPQ's within the bound.
    IDSelectorRange sel(100, 900);
    SearchParameters sp;
    sp.sel = &sel;
    std::vector<float> D(nq * k);
    std::vector<idx_t> I(nq * k);
    fs->search(idx_t(nq), xq.data(), idx_t(k), D.data(), I.data(), &sp);
    for (idx_t l : I) EXPECT_TRUE(l >= 100 && l < 900) << l;
    // Round trip: same results.
    auto bytes = serialize_index(idx.get());
    auto back = deserialize_index(bytes.data(), bytes.size());
    std::vector<float> D2(nq * k), D3(nq * k);
    std::vector<idx_t> I2(nq * k), I3(nq * k);
    idx->search(idx_t(nq), xq.data(), idx_t(k), D2.data(), I2.data());
    back->search(idx_t(nq), xq.data(), idx_t(k), D3.data(), I3.data());
    EXPECT_EQ(I2, I3);
    EXPECT_EQ(D2, D3);
    // Removal renumbers the survivors, in order (as IndexPQ).
    IDSelectorRange first(0, 50);
    EXPECT_EQ(fs->remove_ids(first), 50u);
    EXPECT_EQ(pq.remove_ids(first), 50u);
    EXPECT_EQ(fs->ntotal, idx_t(n - 50));
    for (idx_t i : {idx_t(0), idx_t(1000), idx_t(n - 51)}) {
        fs->reconstruct(i, a.data());
        pq.reconstruct(i, b.data());
        EXPECT_EQ(a, b);
    }
    // Fewer vectors than k: the rest is -1.
    fs->reset();
    fs->add(3, xb.data());
    fs->search(1, xq.data(), idx_t(k), D.data(), I.data());
    EXPECT_EQ(std::count(I.begin(), I.begin() + long(k), idx_t(-1)), long(k - 3));
}

TEST(FastScan, BadInput) {
    EXPECT_THROW(IndexPQFastScan(32, 8, 8), InvalidArgument);                 // nbits
    EXPECT_THROW(IndexPQFastScan(30, 8, 4), InvalidArgument);                 // M does not divide d
    EXPECT_THROW(IndexPQFastScan(32, 8, 4, METRIC_L2, 48), InvalidArgument);  // bbs
    EXPECT_THROW(index_factory(32, "PQ8x4fs_40"), InvalidArgument);
    IndexPQFastScan fs(32, 8);
    std::vector<float> x(32 * 10, 0.5f), D(10);
    std::vector<idx_t> I(10);
    EXPECT_THROW(fs.add(10, x.data()), Error);  // not trained
    EXPECT_THROW(fs.search(1, x.data(), 10, D.data(), I.data()), Error);
    EXPECT_THROW(fs.train(10, x.data()), Error);  // fewer points than 16 centroids
}

// IndexIVFPQFastScan against IndexIVFPQ over the same quantizer, codebooks and codes: the
// returned distances are IndexIVFPQ's, the results its top-k up to the tables' bound.
TEST(FastScan, IVFSameTopKAsIndexIVFPQ) {
    const size_t d = 32, M = 16, n = 6000, nq = 30, k = 10, nlist = 32;
    auto xb = clustered(n, d, 13, 40, 5.0f), xq = clustered(nq, d, 14, 40, 5.0f);
    for (bool residual : {false, true}) {
        for (MetricType metric : {METRIC_L2, METRIC_INNER_PRODUCT}) {
            SCOPED_TRACE(std::string(residual ? "fsr" : "fs") +
                         (metric == METRIC_L2 ? " L2" : " IP"));
            auto fsi =
                index_factory(int(d), residual ? "IVF32,PQ16x4fsr" : "IVF32,PQ16x4fs", metric);
            auto* fs = dynamic_cast<IndexIVFPQFastScan*>(fsi.get());
            ASSERT_NE(fs, nullptr);
            fs->train(idx_t(n), xb.data());
            fs->add(idx_t(n), xb.data());
            IndexIVFPQ ref(fs->quantizer.get(), idx_t(d), nlist, M, 4, metric);
            ref.by_residual = residual;
            ref.pq = fs->pq;
            ref.is_trained = true;
            ref.precompute_table();
            ref.add(idx_t(n), xb.data());
            for (size_t nprobe : {1, 4, 32}) {
                SearchParametersIVF sp;
                sp.nprobe = nprobe;
                std::vector<float> Df(nq * k), Dr(nq * k), Dall(nq * n);
                std::vector<idx_t> If(nq * k), Ir(nq * k), Iall(nq * n);
                fs->search(idx_t(nq), xq.data(), idx_t(k), Df.data(), If.data(), &sp);
                ref.search(idx_t(nq), xq.data(), idx_t(k), Dr.data(), Ir.data(), &sp);
                ref.search(idx_t(nq), xq.data(), idx_t(n), Dall.data(), Iall.data(), &sp);
                size_t same = 0;
                for (size_t q = 0; q < nq; ++q) {
                    std::map<idx_t, float> exact;
                    for (size_t j = 0; j < n; ++j)
                        if (Iall[q * n + j] >= 0) exact[Iall[q * n + j]] = Dall[q * n + j];
                    // The bound: M + 1 half steps of the widest table entry span.
                    float span = 0;
                    std::vector<float> t(M * 16), r(d);
                    std::vector<float> cd(nprobe);
                    std::vector<idx_t> lists(nprobe);
                    fs->quantizer->search(1, xq.data() + q * d, idx_t(nprobe), cd.data(),
                                          lists.data());
                    for (idx_t l : lists) {
                        if (residual && metric == METRIC_L2) {
                            fs->compute_residual(xq.data() + q * d, size_t(l), r.data());
                            fs->pq.compute_distance_table(r.data(), t.data());
                        } else {
                            fs->pq.compute_table(metric, xq.data() + q * d, t.data());
                        }
                        for (size_t m = 0; m < M; ++m) {
                            auto mm = std::minmax_element(t.begin() + long(m * 16),
                                                          t.begin() + long(m * 16 + 16));
                            span = std::max(span, *mm.second - *mm.first);
                        }
                    }
                    const float err = (float(M) * 0.5f + 0.5f) * span / 255.0f * 1.01f;
                    const float sign = metric == METRIC_L2 ? 1.0f : -1.0f;
                    const float kth = sign * Dr[q * k + k - 1];
                    for (size_t j = 0; j < k; ++j) {
                        const idx_t id = If[q * k + j];
                        ASSERT_GE(id, 0);
                        ASSERT_TRUE(exact.count(id));
                        EXPECT_NEAR(Df[q * k + j], exact[id],
                                    1e-4f * std::max(1.0f, std::fabs(exact[id])));
                        EXPECT_LE(sign * Df[q * k + j], kth + 2 * err + 1e-4f * std::fabs(kth));
                        same +=
                            std::count(Ir.begin() + long(q * k), Ir.begin() + long(q * k + k), id);
                    }
                }
                EXPECT_GE(double(same) / double(nq * k), 0.85) << "nprobe " << nprobe;
            }
            // The three search paths (list by list for big batches, query by query, one query's
            // probes split over threads) agree, up to ties between estimates.
            {
                SearchParametersIVF sp;
                sp.nprobe = 16;
                std::vector<float> Db(nq * k), Dq(nq * k), D1(nq * k);
                std::vector<idx_t> Ib(nq * k), Iq(nq * k), I1(nq * k);
                const double saved = fs->by_list_min_visits;
                fs->by_list_min_visits = 0;  // list by list
                fs->search(idx_t(nq), xq.data(), idx_t(k), Db.data(), Ib.data(), &sp);
                fs->by_list_min_visits = 1e30;  // query by query
                fs->search(idx_t(nq), xq.data(), idx_t(k), Dq.data(), Iq.data(), &sp);
                fs->by_list_min_visits = saved;
                for (size_t q = 0; q < nq; ++q)
                    fs->search(1, xq.data() + q * d, idx_t(k), D1.data() + q * k, I1.data() + q * k,
                               &sp);
                size_t same = 0, same_q = 0;
                for (size_t i = 0; i < nq * k; ++i) {
                    same += Ib[i] == I1[i];
                    same_q += Iq[i] == I1[i];
                }
                EXPECT_GE(double(same) / double(nq * k), 0.98);
                EXPECT_GE(double(same_q) / double(nq * k), 0.98);
            }
            // Round trip, removal and reset keep the packed copies in step with the lists.
            auto back = deserialize_index(serialize_index(fs).data(), serialize_index(fs).size());
            std::vector<float> D1(nq * k), D2(nq * k);
            std::vector<idx_t> I1(nq * k), I2(nq * k);
            fs->search(idx_t(nq), xq.data(), idx_t(k), D1.data(), I1.data());
            back->search(idx_t(nq), xq.data(), idx_t(k), D2.data(), I2.data());
            EXPECT_EQ(I1, I2);
            IDSelectorRange sel(0, idx_t(n / 2));
            EXPECT_EQ(fs->remove_ids(sel), n / 2);
            EXPECT_EQ(ref.remove_ids(sel), n / 2);
            SearchParametersIVF all;
            all.nprobe = nlist;
            fs->search(idx_t(nq), xq.data(), idx_t(k), D1.data(), I1.data(), &all);
            for (idx_t l : I1) EXPECT_GE(l, idx_t(n / 2));
            fs->reset();
            fs->add(10, xb.data());
            fs->search(1, xq.data(), idx_t(k), D1.data(), I1.data(), &all);
            for (size_t j = 0; j < k; ++j) EXPECT_LT(I1[j], 10);
        }
    }
}

// estimates_suffice (set by IndexRefineFlat for its base): the fast-scan indexes return their
// estimates without re-scoring them, on every search path, and the ids are the same as
// without it; so a re-ranked search equals the exact re-ranking of the re-scored base results.
TEST(FastScan, EstimatesSufficeKeepTheIdsAndTheRefinedResults) {
    const size_t d = 32, n = 6000, nq = 40, k = 10, kf = 4;
    auto xb = clustered(n, d, 21, 40, 5.0f), xq = clustered(nq, d, 22, 40, 5.0f);
    for (const char* key : {"PQ16x4fs", "IVF32,PQ16x4fs", "IVF32,PQ16x4fsr"}) {
        for (MetricType metric : {METRIC_L2, METRIC_INNER_PRODUCT}) {
            SCOPED_TRACE(std::string(key) + (metric == METRIC_L2 ? " L2" : " IP"));
            auto base = index_factory(int(d), key, metric);
            IndexRefineFlat refine(base.get());
            refine.k_factor = float(kf);
            refine.train(idx_t(n), xb.data());
            refine.add(idx_t(n), xb.data());
            auto* ivf = dynamic_cast<IndexIVFPQFastScan*>(base.get());
            // List by list, query by query, and one query at a time (probes split).
            for (int path = 0; path < 3; ++path) {
                if (ivf) ivf->by_list_min_visits = path == 0 ? 0.0 : 1e30;
                const size_t kb = k * kf;
                std::vector<float> De(nq * kb), Dx(nq * kb);
                std::vector<idx_t> Ie(nq * kb), Ix(nq * kb);
                SearchParametersIVF sp, se;
                sp.nprobe = se.nprobe = 8;
                se.estimates_suffice = true;
                const SearchParameters* p0 = ivf ? &sp : nullptr;
                SearchParameters plain_est;
                plain_est.estimates_suffice = true;
                const SearchParameters* p1 = ivf ? &se : &plain_est;
                for (size_t q0 = 0; q0 < nq; q0 += path == 2 ? 1 : nq) {
                    const size_t m = path == 2 ? 1 : nq;
                    base->search(idx_t(m), xq.data() + q0 * d, idx_t(kb), Dx.data() + q0 * kb,
                                 Ix.data() + q0 * kb, p0);
                    base->search(idx_t(m), xq.data() + q0 * d, idx_t(kb), De.data() + q0 * kb,
                                 Ie.data() + q0 * kb, p1);
                }
                size_t differ = 0;
                for (size_t q = 0; q < nq; ++q) {
                    std::vector<idx_t> a(Ix.begin() + long(q * kb), Ix.begin() + long(q * kb + kb));
                    std::vector<idx_t> b(Ie.begin() + long(q * kb), Ie.begin() + long(q * kb + kb));
                    differ += std::equal(Dx.begin() + long(q * kb), Dx.begin() + long(q * kb + kb),
                                         De.begin() + long(q * kb))
                                  ? 0
                                  : 1;
                    std::sort(a.begin(), a.end());
                    std::sort(b.begin(), b.end());
                    ASSERT_EQ(a, b) << "query " << q << " path " << path;
                }
                EXPECT_GT(differ, 0u) << "the estimates were re-scored anyway";
                // The refined search: the exact top k of the re-scored base candidates.
                std::vector<float> Dr(nq * k);
                std::vector<idx_t> Ir(nq * k);
                SearchParametersRefine rp;
                rp.base_params = p0;
                refine.search(idx_t(nq), xq.data(), idx_t(k), Dr.data(), Ir.data(), &rp);
                for (size_t q = 0; q < nq; ++q) {
                    std::vector<std::pair<float, idx_t>> ex;
                    for (size_t j = 0; j < kb; ++j) {
                        const idx_t id = Ix[q * kb + j];
                        if (id < 0) continue;
                        const float* y = xb.data() + size_t(id) * d;
                        double v = 0;
                        for (size_t c = 0; c < d; ++c)
                            v += metric == METRIC_L2
                                     ? double(xq[q * d + c] - y[c]) * (xq[q * d + c] - y[c])
                                     : -double(xq[q * d + c]) * y[c];
                        ex.emplace_back(float(v), id);
                    }
                    std::sort(ex.begin(), ex.end());
                    for (size_t j = 0; j < k; ++j) {
                        EXPECT_NEAR(Dr[q * k + j], metric == METRIC_L2 ? ex[j].first : -ex[j].first,
                                    1e-3f * std::max(1.0f, std::fabs(ex[j].first)));
                    }
                }
            }
        }
    }
}
