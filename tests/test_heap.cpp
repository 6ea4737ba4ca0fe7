#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "faisslike/impl/Heap.h"
#include "faisslike/impl/ResultCollector.h"
#include "kernels/kernel_table.h"

using namespace faisslike;

template <class C>
void check_heap(bool smallest) {
    std::mt19937 rng(123);
    std::uniform_int_distribution<int> small(0, 20);  // many ties
    for (size_t k : {1, 2, 5, 16, 100}) {
        for (size_t n : {0, 1, 3, 50, 500}) {
            std::vector<float> v(n);
            for (auto& x : v) x = float(small(rng));
            std::vector<float> hv(k);
            std::vector<idx_t> hi(k);
            heap_heapify<C>(k, hv.data(), hi.data());
            for (size_t i = 0; i < n; ++i)
                heap_push_if_better<C>(k, hv.data(), hi.data(), v[i], idx_t(i));
            heap_reorder<C>(k, hv.data(), hi.data());
            // Expected: sort (value, id) best first, ties by smaller id.
            std::vector<size_t> order(n);
            for (size_t i = 0; i < n; ++i) order[i] = i;
            std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
                if (v[a] != v[b]) return smallest ? v[a] < v[b] : v[a] > v[b];
                return a < b;
            });
            for (size_t j = 0; j < k; ++j) {
                if (j < n) {
                    EXPECT_EQ(hi[j], idx_t(order[j])) << "k=" << k << " n=" << n << " j=" << j;
                    EXPECT_EQ(hv[j], v[order[j]]);
                } else {
                    EXPECT_EQ(hi[j], -1);
                    EXPECT_EQ(hv[j], C::neutral());
                }
            }
        }
    }
}

TEST(Heap, MaxHeapKeepsSmallestSortedWithIdTies) {
    check_heap<CMax<float, idx_t>>(true);
}
TEST(Heap, MinHeapKeepsLargestSortedWithIdTies) {
    check_heap<CMin<float, idx_t>>(false);
}

// Selector::add: large k into an empty heap takes the sampled-guess path (and falls back to
// pushes when the guess holds fewer than k values, or when the heap is not empty); the kept
// (value, id) pairs must be those of plain pushes, on every ISA's filter kernel, ties, NaN and
// infinities included, for both sign conventions and with a second operand.
TEST(Heap, SelectorFastFillEqualsPlainPushes) {
    std::mt19937 rng(77);
    std::uniform_int_distribution<int> small(0, 40);
    std::normal_distribution<float> normal;
    size_t fast_cases = 0;
    for (SIMDLevel l : {SIMDLevel::NONE, SIMDLevel::AVX2, SIMDLevel::AVX512}) {
        if (!simd_level_supported(l)) continue;
        Selector sel(*kernels::kernel_table(l));
        for (size_t k : {32, 100}) {
            for (size_t n : {255, 800, 5000}) {
                for (int kind = 0; kind < 4; ++kind) {
                    // 0: ties, 1: continuous with NaN / inf, 2: every 8th value the smallest
                    // (the guess holds too few), 3: heap already holding one item.
                    std::vector<float> a(n), b(n);
                    for (size_t j = 0; j < n; ++j) {
                        a[j] = kind == 0 ? float(small(rng)) : normal(rng);
                        b[j] = normal(rng);
                        if (kind == 2 && j % 8 == 0) a[j] = -100.0f - float(j);
                    }
                    if (kind == 1 && n > 20)
                        a[3] = std::nanf(""), a[11] = INFINITY, a[19] = -INFINITY;
                    for (float sign : {1.0f, -2.0f}) {
                        for (bool with_b : {false, true}) {
                            const float* bp = with_b ? b.data() : nullptr;
                            std::vector<float> hv(k), rv(k);
                            std::vector<idx_t> hi(k), ri(k);
                            heap_heapify<HeapC>(k, hv.data(), hi.data());
                            heap_heapify<HeapC>(k, rv.data(), ri.data());
                            if (kind == 3) {
                                heap_push_if_better<HeapC>(k, hv.data(), hi.data(), 0.5f, 99999);
                                heap_push_if_better<HeapC>(k, rv.data(), ri.data(), 0.5f, 99999);
                            }
                            sel.add(k, hv.data(), hi.data(), a.data(), bp, sign, n, IdRange{1000});
                            for (size_t j = 0; j < n; ++j) {
                                const float v = sign * a[j] + (bp ? bp[j] : 0.0f);
                                if (v == v)
                                    heap_push_if_better<HeapC>(k, rv.data(), ri.data(), v,
                                                               idx_t(1000 + j));
                            }
                            fast_cases += kind < 2 && n >= 8 * k;
                            heap_reorder<HeapC>(k, hv.data(), hi.data());
                            heap_reorder<HeapC>(k, rv.data(), ri.data());
                            ASSERT_EQ(hi, ri) << "k=" << k << " n=" << n << " kind=" << kind;
                            for (size_t j = 0; j < k; ++j) {
                                if (std::isinf(rv[j])) {
                                    ASSERT_EQ(hv[j], rv[j]);
                                } else {
                                    ASSERT_NEAR(hv[j], rv[j],
                                                1e-5f * std::max(1.0f, std::fabs(rv[j])))
                                        << "k=" << k << " n=" << n << " kind=" << kind;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    EXPECT_GT(fast_cases, 0u);
}

// kth_smallest (bisection over float keys with the count_le kernel) against a sort, on every
// ISA: ties, NaN (never counted), +-inf, -0 / +0, exact and with slack; heap_from_pairs against
// the k best (value, id) pairs of a sort (ids in no order, NaN and +inf dropped, ties by id).
TEST(Heap, KthSmallestAndHeapFromPairsMatchASort) {
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> small(-6, 6);
    std::normal_distribution<float> normal;
    for (SIMDLevel l : {SIMDLevel::NONE, SIMDLevel::AVX2, SIMDLevel::AVX512}) {
        if (!simd_level_supported(l)) continue;
        const kernels::KernelTable& K = *kernels::kernel_table(l);
        for (size_t n : {1, 7, 16, 17, 100, 513}) {
            for (int kind = 0; kind < 3; ++kind) {
                std::vector<float> v(n);
                for (size_t j = 0; j < n; ++j)
                    v[j] = kind == 0 ? float(small(rng)) : normal(rng) * (kind == 2 ? 1e30f : 1.0f);
                if (n > 5) v[1] = std::nanf(""), v[2] = INFINITY, v[3] = -INFINITY, v[4] = -0.0f;
                if (n > 6) v[5] = 0.0f;
                std::vector<float> sorted;
                for (float x : v)
                    if (x == x) sorted.push_back(x);
                std::sort(sorted.begin(), sorted.end());
                for (size_t r = 1; r <= sorted.size(); ++r) {
                    EXPECT_EQ(kth_smallest(K, v.data(), n, r), sorted[r - 1])
                        << simd_level_name(l) << " n=" << n << " kind=" << kind << " r=" << r;
                    const size_t slack = r / 2;
                    const float h = kth_smallest(K, v.data(), n, r, slack);
                    const size_t c =
                        size_t(std::count_if(v.begin(), v.end(), [h](float x) { return x <= h; }));
                    EXPECT_GE(h, sorted[r - 1]);
                    EXPECT_GE(c, r);
                    // Ties can put more than r + slack at the r-th value itself.
                    EXPECT_TRUE(c <= r + slack || h == sorted[r - 1]) << c << " " << r;
                }
                for (size_t k : {1, 3, 10, 64}) {
                    std::vector<std::pair<float, idx_t>> cand, ref;
                    for (size_t j = 0; j < n; ++j)
                        cand.emplace_back(v[j], idx_t((j * 7919) % 10007));
                    for (const auto& p : cand)  // what pushes would keep: no NaN, no +inf
                        if (p.first < INFINITY) ref.push_back(p);
                    std::sort(ref.begin(), ref.end());
                    std::vector<float> hv(k), scratch;
                    std::vector<idx_t> hi(k);
                    heap_from_pairs(K, k, cand, scratch, hv.data(), hi.data());
                    heap_reorder<HeapC>(k, hv.data(), hi.data());
                    for (size_t j = 0; j < k; ++j) {
                        if (j < ref.size()) {
                            EXPECT_EQ(hi[j], ref[j].second)
                                << "n=" << n << " k=" << k << " j=" << j;
                            EXPECT_EQ(hv[j], ref[j].first);
                        } else {
                            EXPECT_EQ(hi[j], -1);
                        }
                    }
                }
            }
        }
    }
}
