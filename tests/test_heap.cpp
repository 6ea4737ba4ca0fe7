#include <algorithm>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "faisslike/impl/Heap.h"

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
