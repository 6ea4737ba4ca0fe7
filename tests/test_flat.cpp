// IndexFlat against brute force in double precision, on both search paths (SIMD and BLAS).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <string>

#include <gtest/gtest.h>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/distances.h"
#include "faisslike/impl/LargeAlloc.h"
#include "kernels/kernel_table.h"
#include "test_util.h"

using namespace faisslike;
using namespace faisslike_test;

namespace {

// Restores the BLAS threshold after a test changes it.
struct ThresholdGuard {
    int saved = distance_compute_blas_threshold;
    ~ThresholdGuard() { distance_compute_blas_threshold = saved; }
};

// Checks results without being fooled by ties: the i-th returned distance must match the
// i-th best true distance, and every returned label must really be at the returned distance.
void check_against_brute_force(const IndexFlat& index, const std::vector<float>& xq, size_t nq,
                               idx_t k, const std::vector<float>& D, const std::vector<idx_t>& I) {
    const size_t d = size_t(index.d), nb = size_t(index.ntotal);
    const bool ip = index.metric_type == METRIC_INNER_PRODUCT;
    const float* xb = index.get_xb();
    for (size_t q = 0; q < nq; ++q) {
        const float* x = xq.data() + q * d;
        std::vector<double> ref(nb);
        for (size_t j = 0; j < nb; ++j)
            ref[j] = ip ? ref_IP(x, xb + j * d, d) : ref_L2(x, xb + j * d, d);
        std::vector<double> sorted = ref;
        if (ip)
            std::sort(sorted.rbegin(), sorted.rend());
        else
            std::sort(sorted.begin(), sorted.end());
        double scale = 0;
        for (double r : ref) scale = std::max(scale, std::fabs(r));
        const double tol = 1e-4 * std::max(1.0, scale);
        std::vector<bool> seen(nb, false);
        for (idx_t j = 0; j < k; ++j) {
            float dis = D[q * k + j];
            idx_t lab = I[q * k + j];
            if (size_t(j) >= nb) {
                EXPECT_EQ(lab, -1) << "q=" << q << " j=" << j;
                EXPECT_EQ(dis, ip ? -std::numeric_limits<float>::infinity()
                                  : std::numeric_limits<float>::infinity());
                continue;
            }
            ASSERT_GE(lab, 0) << "q=" << q << " j=" << j;
            ASSERT_LT(lab, idx_t(nb));
            EXPECT_FALSE(seen[size_t(lab)]) << "duplicate label " << lab;
            seen[size_t(lab)] = true;
            EXPECT_NEAR(dis, sorted[size_t(j)], tol) << "rank " << j << " of query " << q;
            EXPECT_NEAR(dis, ref[size_t(lab)], tol) << "label " << lab << " of query " << q;
            if (j > 0) {
                if (ip)
                    EXPECT_GE(D[q * k + j - 1], dis);
                else
                    EXPECT_LE(D[q * k + j - 1], dis);
            }
            if (!ip) EXPECT_GE(dis, 0.0f);
        }
    }
}

void run_case(MetricType metric, size_t d, size_t nb, size_t nq, idx_t k, int threshold) {
    ThresholdGuard g;
    distance_compute_blas_threshold = threshold;
    IndexFlat index(idx_t(d), metric);
    auto xb = randn(nb * d, 11), xq = randn(nq * d, 22);
    index.add(idx_t(nb), xb.data());
    std::vector<float> D(nq * size_t(k));
    std::vector<idx_t> I(nq * size_t(k));
    index.search(idx_t(nq), xq.data(), k, D.data(), I.data());
    check_against_brute_force(index, xq, nq, k, D, I);
}

}  // namespace

class FlatSearch : public ::testing::TestWithParam<std::tuple<MetricType, int>> {};

TEST_P(FlatSearch, MatchesBruteForce) {
    MetricType metric = std::get<0>(GetParam());
    int threshold = std::get<1>(GetParam());  // 1: always BLAS, 1<<30: never BLAS
    for (size_t d : {1, 7, 32, 100}) {
        for (size_t nq : {1, 3, 19, 20, 21, 64}) {
            for (idx_t k : {1, 10}) {
                SCOPED_TRACE("d=" + std::to_string(d) + " nq=" + std::to_string(nq) +
                             " k=" + std::to_string(k));
                run_case(metric, d, 300, nq, k, threshold);
            }
        }
    }
}

TEST_P(FlatSearch, KEqualsAndExceedsNtotal) {
    MetricType metric = std::get<0>(GetParam());
    int threshold = std::get<1>(GetParam());
    run_case(metric, 16, 50, 25, 50, threshold);
    run_case(metric, 16, 50, 25, 57, threshold);
    run_case(metric, 16, 3, 2, 8, threshold);
}

TEST_P(FlatSearch, DatabaseSplitAcrossThreads) {
    // Few queries and a large database take the per-thread partial-heap path.
    MetricType metric = std::get<0>(GetParam());
    int threshold = std::get<1>(GetParam());
    int saved = omp_get_max_threads();
    omp_set_num_threads(std::max(2, saved));
    run_case(metric, 24, 9000, 1, 10, threshold);
    run_case(metric, 24, 9000, 1, 9000, threshold);
    omp_set_num_threads(saved);
}

INSTANTIATE_TEST_SUITE_P(AllPaths, FlatSearch,
                         ::testing::Combine(::testing::Values(METRIC_L2, METRIC_INNER_PRODUCT),
                                            ::testing::Values(1, 20, 1 << 30)),
                         [](const ::testing::TestParamInfo<FlatSearch::ParamType>& info) {
                             return std::string(std::get<0>(info.param) == METRIC_L2 ? "L2"
                                                                                     : "IP") +
                                    "_thr" + std::to_string(std::get<1>(info.param));
                         });

TEST(Flat, BlasAndSimdPathsAgree) {
    ThresholdGuard g;
    const size_t d = 64, nb = 5000, nq = 50;
    const idx_t k = 20;
    IndexFlatL2 index(d);
    auto xb = randn(nb * d, 5), xq = randn(nq * d, 6);
    index.add(nb, xb.data());
    std::vector<float> D1(nq * k), D2(nq * k);
    std::vector<idx_t> I1(nq * k), I2(nq * k);
    distance_compute_blas_threshold = 1;
    index.search(nq, xq.data(), k, D1.data(), I1.data());
    distance_compute_blas_threshold = 1 << 30;
    index.search(nq, xq.data(), k, D2.data(), I2.data());
    size_t same = 0;
    for (size_t i = 0; i < nq * k; ++i) {
        same += I1[i] == I2[i];
        EXPECT_NEAR(D1[i], D2[i], 1e-3 * std::max(1.0f, D2[i]));
    }
    // Random Gaussian data has no exact ties; near-ties may swap neighbours.
    EXPECT_GE(same, nq * k * 99 / 100);
}

// The ids I[0, k) (and the distances D, unless null) of one query are its exact k best
// against its float64 distances ref[0, ny) (largest first for inner product).
static void expect_exact_top_k(const double* ref, size_t ny, size_t k, bool ip, const idx_t* I,
                               const float* D) {
    std::vector<double> sorted(ref, ref + ny);
    if (ip)
        std::partial_sort(sorted.begin(), sorted.begin() + long(k), sorted.end(),
                          std::greater<double>());
    else
        std::partial_sort(sorted.begin(), sorted.begin() + long(k), sorted.end());
    for (size_t j = 0; j < k; ++j) {
        const idx_t id = I[j];
        ASSERT_GE(id, 0);
        ASSERT_LT(size_t(id), ny);
        const double tol = 1e-5 * std::max(1.0, std::fabs(sorted[j]));
        ASSERT_NEAR(ref[size_t(id)], sorted[j], tol) << "j=" << j;
        if (D) ASSERT_NEAR(D[j], sorted[j], tol) << "j=" << j;
    }
}

// The bf16 pre-filter (faisslike/distances.cpp) must return the exact k nearest: checked
// against float64 on data where its estimates are far off (rows offset by up to 1e4, which
// it centres away; the fp32 BLAS path's ||x||^2 + ||y||^2 - 2 <x, y> loses the digits there
// and does not pass this check), with exact ties, odd d, ny not a multiple of 32 and nx not
// a multiple of the kernel's 8 rows. Skipped where the kernels are not in use.
TEST(Flat, Bf16PrefilterGivesExactTopK) {
    if (simd_level() != SIMDLevel::AVX512 || !kernels::cpu_has_avx512bf16())
        GTEST_SKIP() << "no AVX512-BF16 on this CPU (or FAISSLIKE_SIMD / FAISSLIKE_NO_BF16)";
    ASSERT_NE(kernels::current().bf16_ip_tile, nullptr);
    const size_t nx = 203;
    size_t checked = 0;
    // k >= 32 selects the k-th estimate from a guess sampled from every 8th row; "strided"
    // puts those rows near every query, so the guess holds fewer than k rows and the heap
    // path must take over.
    for (size_t ny : {64, 1000, 4097}) {
        for (size_t d : {16, 37, 128}) {
            for (float shift : {0.0f, 100.0f, 1e4f, -1.0f}) {
                const bool strided = shift < 0;
                auto xb = randn(ny * d, uint32_t(ny + d)), xq = randn(nx * d, uint32_t(7 * d));
                for (auto& v : xb) v = strided ? 10.0f * v : v + shift;
                for (auto& v : xq) v = strided ? 0.01f * v : v + shift;
                for (size_t j = 0; strided && j < ny; j += 8)
                    for (size_t c = 0; c < d; ++c) xb[j * d + c] *= 0.001f;
                for (size_t c = 0; c < d; ++c) {  // ties: rows 1..3 copy row 0
                    for (size_t r = 1; r <= 3; ++r) xb[r * d + c] = xb[c];
                    xq[c] = xb[5 * d + c];  // a query on a database row
                }
                for (bool ip : {false, true}) {
                    // float64 distances once for every k below.
                    std::vector<double> ref(nx * ny);
                    for (size_t q = 0; q < nx; ++q)
                        for (size_t j = 0; j < ny; ++j)
                            ref[q * ny + j] = ip ? ref_IP(xq.data() + q * d, xb.data() + j * d, d)
                                                 : ref_L2(xq.data() + q * d, xb.data() + j * d, d);
                    for (size_t k : {1, 10, 50, 128}) {
                        if (8 * k > ny) continue;
                        SCOPED_TRACE("ny=" + std::to_string(ny) + " d=" + std::to_string(d) +
                                     " shift=" + std::to_string(shift) + " k=" + std::to_string(k) +
                                     (ip ? " IP" : " L2"));
                        std::vector<float> D(nx * k);
                        std::vector<idx_t> I(nx * k);
                        (ip ? knn_inner_product : knn_L2sqr)(xq.data(), xb.data(), d, nx, ny, k,
                                                             D.data(), I.data());
                        for (size_t q = 0; q < nx; ++q) {
                            SCOPED_TRACE("q=" + std::to_string(q));
                            expect_exact_top_k(ref.data() + q * ny, ny, k, ip, I.data() + q * k,
                                               D.data() + q * k);
                            if (::testing::Test::HasFatalFailure()) return;
                            ++checked;
                        }
                    }
                }
            }
        }
    }
    EXPECT_GT(checked, 0u);
}

// Searches of 1-3 queries keep the rows in bf16 once the same rows served a few of them
// (IndexFlat::bf16_rows, the 4-panel kernel for few queries): the results must stay the exact
// top k against float64 through every change of the rows, a direct write into codes
// included (the cache is keyed by the rows' generation; without it this test fails there).
TEST(Flat, Bf16RowsOfFewQueriesFollowEveryChange) {
    if (simd_level() != SIMDLevel::AVX512 || !kernels::cpu_has_avx512bf16())
        GTEST_SKIP() << "no AVX512-BF16 on this CPU (or FAISSLIKE_SIMD / FAISSLIKE_NO_BF16)";
    const size_t d = 37, k = 10;
    size_t checked = 0;
    for (bool ip : {false, true}) {
        IndexFlat index(idx_t(d), ip ? METRIC_INNER_PRODUCT : METRIC_L2);
        std::vector<float> rows = randn(4097 * d, 31);  // odd panels: 4-panel groups + rest
        for (auto& v : rows) v += ip ? 0.0f : 100.0f;
        index.add(idx_t(rows.size() / d), rows.data());
        const auto xq = [&] {
            auto q = randn(3 * 40 * d, 32);
            for (auto& v : q) v += ip ? 0.0f : 100.0f;
            return q;
        }();
        const auto check = [&](const char* stage) {
            SCOPED_TRACE(std::string(stage) + (ip ? " IP" : " L2"));
            const size_t ny = rows.size() / d;
            ASSERT_EQ(size_t(index.ntotal), ny);
            for (size_t round = 0; round < 40; ++round) {
                const size_t nq = 1 + round % 3;
                const float* x = xq.data() + round * 3 * d;
                std::vector<float> D(nq * k);
                std::vector<idx_t> I(nq * k);
                index.search(idx_t(nq), x, idx_t(k), D.data(), I.data());
                for (size_t q = 0; q < nq; ++q) {
                    std::vector<double> ref(ny);
                    for (size_t j = 0; j < ny; ++j)
                        ref[j] = ip ? ref_IP(x + q * d, rows.data() + j * d, d)
                                    : ref_L2(x + q * d, rows.data() + j * d, d);
                    SCOPED_TRACE("round=" + std::to_string(round) + " q=" + std::to_string(q));
                    expect_exact_top_k(ref.data(), ny, k, ip, I.data() + q * k, nullptr);
                    if (::testing::Test::HasFatalFailure()) return;
                    ++checked;
                }
            }
        };
        check("first searches");
        // A direct write into the stored rows: row 7 becomes the first query of round 1.
        std::copy(xq.data() + 3 * d, xq.data() + 4 * d, rows.data() + 7 * d);
        std::copy(xq.data() + 3 * d, xq.data() + 4 * d, index.codes.data() + 7 * d);
        check("row overwritten in place");
        const auto extra = randn(50 * d, 33);
        index.add(50, extra.data());
        rows.insert(rows.end(), extra.begin(), extra.end());
        check("rows added");
        IDSelectorRange first(0, 100);
        index.remove_ids(first);
        rows.erase(rows.begin(), rows.begin() + long(100 * d));
        check("rows removed");
        index.reset();
        rows = randn(3000 * d, 34);
        index.add(3000, rows.data());
        check("reset and filled again");
    }
    EXPECT_GT(checked, 0u);
}

TEST(Flat, ExactSelfMatch) {
    IndexFlatL2 index(32);
    auto xb = randn(1000 * 32, 9);
    index.add(1000, xb.data());
    std::vector<float> D(1000);
    std::vector<idx_t> I(1000);
    index.search(1000, xb.data(), 1, D.data(), I.data());
    for (idx_t i = 0; i < 1000; ++i) {
        EXPECT_EQ(I[i], i);
        EXPECT_GE(D[i], 0.0f);  // clamped: sgemm cancellation can go slightly negative
        EXPECT_LT(D[i], 1e-3f);
    }
}

TEST(Flat, EmptyIndexAndEmptyQueries) {
    IndexFlatIP index(8);
    auto xq = randn(3 * 8, 1);
    std::vector<float> D(3 * 4);
    std::vector<idx_t> I(3 * 4);
    index.search(3, xq.data(), 4, D.data(), I.data());
    for (size_t i = 0; i < D.size(); ++i) {
        EXPECT_EQ(I[i], -1);
        EXPECT_EQ(D[i], -std::numeric_limits<float>::infinity());
    }
    index.search(0, nullptr, 4, nullptr, nullptr);  // n = 0 is fine
    index.add(0, nullptr);
    EXPECT_EQ(index.ntotal, 0);
}

TEST(Flat, AddReconstructReset) {
    IndexFlatL2 index(5);
    auto a = randn(10 * 5, 1), b = randn(7 * 5, 2);
    index.add(10, a.data());
    index.add(7, b.data());
    EXPECT_EQ(index.ntotal, 17);
    std::vector<float> r(5);
    index.reconstruct(12, r.data());
    for (int j = 0; j < 5; ++j) EXPECT_EQ(r[j], b[2 * 5 + j]);
    std::vector<float> rn(3 * 5);
    index.reconstruct_n(9, 3, rn.data());
    EXPECT_EQ(rn[0], a[9 * 5]);
    EXPECT_EQ(rn[5], b[0]);
    index.reset();
    EXPECT_EQ(index.ntotal, 0);
    EXPECT_THROW(index.reconstruct(0, r.data()), Error);
}

// Bad input: every case is an Error whose message names the offending value.
static void expect_error_mentioning(const std::function<void()>& f, const std::string& needle) {
    try {
        f();
        FAIL() << "expected faisslike::Error mentioning '" << needle << "'";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

TEST(FlatErrors, BadConstructionAndArguments) {
    expect_error_mentioning([] { IndexFlatL2 i(0); }, "d=0");
    expect_error_mentioning([] { IndexFlatL2 i(-3); }, "d=-3");
    expect_error_mentioning([] { IndexFlat i(4, MetricType(7)); }, "metric type 7");
    IndexFlatL2 index(4);
    auto x = randn(4 * 4, 1);
    std::vector<float> D(8);
    std::vector<idx_t> I(8);
    expect_error_mentioning([&] { index.add(-1, x.data()); }, "n=-1");
    expect_error_mentioning([&] { index.add(2, nullptr); }, "null");
    index.add(4, x.data());
    expect_error_mentioning([&] { index.search(2, x.data(), 0, D.data(), I.data()); }, "k=0");
    expect_error_mentioning([&] { index.search(2, x.data(), -5, D.data(), I.data()); }, "k=-5");
    expect_error_mentioning([&] { index.search(-2, x.data(), 1, D.data(), I.data()); }, "n=-2");
    expect_error_mentioning([&] { index.search(2, nullptr, 1, D.data(), I.data()); }, "null");
    expect_error_mentioning([&] { index.search(2, x.data(), 1, nullptr, I.data()); }, "null");
    expect_error_mentioning([&] { index.search(2, x.data(), 1, D.data(), nullptr); }, "null");
    expect_error_mentioning([&] { index.reconstruct(4, D.data()); }, "key 4");
    expect_error_mentioning([&] { index.reconstruct_n(2, 3, D.data()); }, "[2, 5)");
}

TEST(FlatErrors, NonFiniteValuesRejected) {
    IndexFlatL2 index(4);
    std::vector<float> x = {1, 2, 3, 4, 5, 6, std::nanf(""), 8};
    expect_error_mentioning([&] { index.add(2, x.data()); }, "row 1, column 2");
    EXPECT_EQ(index.ntotal, 0);  // nothing half-added
    x[6] = std::numeric_limits<float>::infinity();
    expect_error_mentioning([&] { index.add(2, x.data()); }, "inf");
    x[6] = 7;
    index.add(2, x.data());
    std::vector<float> q = {std::nanf(""), 0, 0, 0}, D(1);
    std::vector<idx_t> I(1);
    expect_error_mentioning([&] { index.search(1, q.data(), 1, D.data(), I.data()); }, "query");
}

TEST(LargeAlloc, AlignmentAndHugeBlocks) {
    for (size_t bytes : {size_t(1), size_t(100), size_t(1) << 20, size_t(5) << 20}) {
        void* p = large_alloc(bytes);
        const uintptr_t a = reinterpret_cast<uintptr_t>(p);
        EXPECT_EQ(a % 64, 0u) << bytes;
        // Huge-page candidates are 2 MiB aligned so whole pages can back them.
        if (bytes >= (size_t(4) << 20) && large_alloc_hugepages()) EXPECT_EQ(a % (2 << 20), 0u);
        std::memset(p, 1, bytes);  // the whole block is usable
        large_free(p);
    }
    LargeAllocator<float> alloc;
    EXPECT_THROW(alloc.allocate(std::numeric_limits<size_t>::max() / 2), std::bad_alloc);
    // The vectors of a flat index: aligned rows, growing by insert like a std::vector.
    IndexFlat index(8);
    std::vector<float> x(8 * 1000, 0.5f);
    for (int i = 0; i < 3; ++i) index.add(1000, x.data());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(index.get_xb()) % 64, 0u);
    EXPECT_EQ(index.codes.size(), size_t(3 * 8 * 1000));
    EXPECT_EQ(index.codes[8 * 2500], 0.5f);
}
