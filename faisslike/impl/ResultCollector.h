// Internal: feeds blocks of candidate values to a k-heap through the SIMD pre-filter, and
// turns heaps into final results. Shared by exact search and the IVF scanners.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "faisslike/IDSelector.h"
#include "faisslike/Index.h"
#include "faisslike/impl/Heap.h"
#include "kernels/kernel_table.h"

namespace faisslike {

// Every search keeps the k *smallest* values: L2 distances as they are, inner products
// negated. finalize() undoes the negation.
using HeapC = CMax<float, idx_t>;

// The r-th smallest (1-based) of the non-NaN values in v[0, n), at least r of them: a
// bisection on the values' order-preserving integer keys, each step one branch-free count
// (kernel count_le). nth_element costs more: its partition loop mispredicts about every
// other comparison (~2 us for 512 values, perf of the IVF coarse step). With slack > 0 it
// may stop early at a value h >= the r-th smallest with count(v <= h) <= r + slack (or, with
// ties, at the r-th smallest itself).
inline float kth_smallest(const kernels::KernelTable& K, const float* v, size_t n, size_t r,
                          size_t slack = 0) {
    const auto to_key = [](float f) {
        uint32_t u;
        std::memcpy(&u, &f, sizeof u);
        return u & 0x80000000u ? ~u : u | 0x80000000u;
    };
    const auto from_key = [](uint32_t key) {
        const uint32_t u = key & 0x80000000u ? key & 0x7fffffffu : ~key;
        float f;
        std::memcpy(&f, &u, sizeof f);
        return f;
    };
    // Every non-NaN float has a key in [key(-inf), key(+inf)], and count(<= +inf) >= r.
    uint32_t lo = to_key(-std::numeric_limits<float>::infinity());
    uint32_t hi = to_key(std::numeric_limits<float>::infinity());
    size_t hi_count = SIZE_MAX;  // not counted yet
    while (lo < hi && !(slack > 0 && hi_count <= r + slack)) {
        const uint32_t mid = lo + (hi - lo) / 2;
        const size_t c = K.count_le(v, n, from_key(mid));
        if (c >= r) {
            hi = mid, hi_count = c;
        } else {
            lo = mid + 1;
        }
    }
    return from_key(hi);
}

// The heap (hv, hi) of the k best (value, id) pairs of cand (reordered; NaN and +inf dropped:
// neither enters a heap by pushes), built bottom-up in O(k) instead of by pushes; empty slots when
// there are fewer than k pairs. vals: scratch.
inline void heap_from_pairs(const kernels::KernelTable& K, size_t k,
                            std::vector<std::pair<float, idx_t>>& cand, std::vector<float>& vals,
                            float* hv, idx_t* hi) {
    cand.erase(std::remove_if(cand.begin(), cand.end(),
                              [](const std::pair<float, idx_t>& p) {
                                  return !(p.first < std::numeric_limits<float>::infinity());
                              }),
               cand.end());
    size_t m = cand.size();
    if (m > k) {
        // The k-th value t; every pair below it, then the pairs equal to it by id.
        vals.resize(m);
        for (size_t j = 0; j < m; ++j) vals[j] = cand[j].first;
        const float t = kth_smallest(K, vals.data(), m, k);
        const auto mid =
            std::partition(cand.begin(), cand.end(),
                           [t](const std::pair<float, idx_t>& p) { return p.first < t; });
        const auto end = std::partition(
            mid, cand.end(), [t](const std::pair<float, idx_t>& p) { return p.first == t; });
        const size_t below = size_t(mid - cand.begin()), need = k - below;
        if (size_t(end - mid) > need) std::nth_element(mid, mid + ptrdiff_t(need - 1), end);
        m = k;
    }
    heap_heapify<HeapC>(k, hv, hi);
    for (size_t j = 0; j < m; ++j) hv[j] = cand[j].first, hi[j] = cand[j].second;
    for (size_t i = k / 2; i-- > 0;) heap_sift_down<HeapC>(k, hv, hi, i, hv[i], hi[i]);
}

struct Selector {
    static constexpr size_t kBlock = 256;  // small enough that the threshold tightens quickly
    static constexpr size_t kFillBlock = 32;
    static constexpr size_t kArgminBlock = size_t(1) << 20;  // indices stay exact in float
    const kernels::KernelTable& K;
    float vals[kBlock];
    int32_t idx[kBlock];

    static constexpr size_t kFastFillK = 32;
    std::vector<float> smp;  // fill_empty's scratch
    std::vector<std::pair<float, idx_t>> cand;

    explicit Selector(const kernels::KernelTable& K) : K(K) {}

    // A guess g at the k-th smallest v_j = sign * a[j] (+ b[j]), j < n: the
    // (k/8 + k/16 + 5)-th smallest of every 8th value (NaN skipped), found with slack. Usually
    // a little above the k-th; below it when the sample misses the smallest values (callers
    // check). False when the sample is too small.
    bool sampled_guess(size_t k, const float* a, const float* b, float sign, size_t n, float* g) {
        smp.clear();
        for (size_t j = 0; j < n; j += 8) {
            const float v = sign * a[j] + (b ? b[j] : 0.0f);
            if (v == v) smp.push_back(v);  // NaN never enters a heap
        }
        const size_t ks = k / 8 + k / 16 + 4;
        if (smp.size() <= ks) return false;
        *g = kth_smallest(K, smp.data(), smp.size(), ks + 1, ks / 2);
        return true;
    }

    // Calls f(v_j, j) for every v_j < thr, in order of j (the filter_lt kernel, by blocks).
    template <class F>
    void for_each_below(const float* a, const float* b, float sign, size_t n, float thr, F&& f) {
        for (size_t j0 = 0; j0 < n; j0 += kBlock) {
            const size_t nb = std::min(kBlock, n - j0);
            const size_t nc = K.filter_lt(a + j0, b ? b + j0 : nullptr, sign, nb, thr, vals, idx);
            for (size_t c = 0; c < nc; ++c) f(vals[c], j0 + size_t(idx[c]));
        }
    }

    // Large k into an empty heap (the first database block, or an IVF coarse step of many
    // probes): ~k ln(n / k) pushes of log k each cost more than the distances. Instead the
    // values at or below a sampled guess are collected, and their k smallest (by value, then
    // id, as the heap orders them) become the heap at once.
    // Returns false, the heap untouched, when the guess holds fewer than k values.
    template <class IdOf>
    bool fill_empty(size_t k, float* hv, idx_t* hi, const float* a, const float* b, float sign,
                    size_t n, const IdOf& ids) {
        float g;
        if (!sampled_guess(k, a, b, sign, n, &g)) return false;
        cand.clear();
        for_each_below(a, b, sign, n, std::nextafter(g, std::numeric_limits<float>::infinity()),
                       [&](float v, size_t j) { cand.emplace_back(v, ids(j)); });
        if (cand.size() < k) return false;
        heap_from_pairs(K, k, cand, smp, hv, hi);
        return true;
    }

    // Offers v_j = sign * a[j] (+ b[j]) for j < n, with id ids(j), to the heap (hv, hi).
    template <class IdOf>
    void add(size_t k, float* hv, idx_t* hi, const float* a, const float* b, float sign, size_t n,
             const IdOf& ids) {
        if (k >= kFastFillK && n >= 8 * k && hi[0] < 0 &&
            std::all_of(hi, hi + k, [](idx_t i) { return i < 0; }) &&
            fill_empty(k, hv, hi, a, b, sign, n, ids))
            return;
        if (k == 1) {  // one fused pass, at most one heap update per block
            for (size_t j0 = 0; j0 < n; j0 += kArgminBlock) {
                const size_t nb = std::min(kArgminBlock, n - j0);
                float v;
                const size_t j = K.argmin_add(a + j0, b ? b + j0 : nullptr, sign, nb, &v);
                heap_push_if_better<HeapC>(1, hv, hi, v, ids(j0 + j));
            }
            return;
        }
        for (size_t j0 = 0; j0 < n;) {
            // Until the heap is full every value passes: small blocks let the threshold
            // become useful sooner.
            size_t nb = std::min(hi[0] < 0 ? kFillBlock : kBlock, n - j0);
            size_t nc = K.filter_lt(a + j0, b ? b + j0 : nullptr, sign, nb, hv[0], vals, idx);
            for (size_t c = 0; c < nc; ++c) {
                heap_push_if_better<HeapC>(k, hv, hi, vals[c], ids(j0 + size_t(idx[c])));
            }
            j0 += nb;
        }
    }
};

// Consecutive ids id0, id0+1, ...
struct IdRange {
    idx_t id0;
    idx_t operator()(size_t j) const { return id0 + idx_t(j); }
};

// Ids from an array (inverted lists).
struct IdArray {
    const idx_t* ids;
    idx_t operator()(size_t j) const { return ids[j]; }
};

// Rules out the values of ids that sel rejects (they become +inf once signed), so that the
// Selector and the range collector skip them. No-op without a selector.
template <class IdOf>
inline void mask_rejected(const IDSelector* sel, float* a, float sign, size_t n, const IdOf& ids) {
    if (!sel) return;
    const float v = sign * std::numeric_limits<float>::infinity();
    for (size_t j = 0; j < n; ++j)
        if (!sel->is_member(ids(j))) a[j] = v;
}

// Range search: (distance, id) pairs of one query, kept in "heap space" (L2 distances, or
// negated inner products) until finalize_range.
using RangeHits = std::vector<std::pair<float, idx_t>>;

// Appends every sign * a[j] (+ b[j]) below thr (heap space) to hits.
template <class IdOf>
inline void collect_range(const float* a, const float* b, float sign, size_t n, float thr,
                          const IdOf& ids, RangeHits& hits) {
    for (size_t j = 0; j < n; ++j) {
        const float v = sign * a[j] + (b ? b[j] : 0.0f);
        if (v < thr) hits.emplace_back(v, ids(j));
    }
}

// Heap-space threshold of a radius: L2 keeps distance < r, inner product keeps ip > r.
inline float range_threshold(bool ip, float radius) {
    return ip ? -radius : radius;
}

// Sorts each query's hits best first and lays them out as FAISS does. xnorms (L2, may be
// null) are added back to each query's values, like finalize_results.
inline void finalize_range(std::vector<RangeHits>& per_query, bool ip, const float* xnorms,
                           RangeSearchResult* res) {
    res->nq = per_query.size();
    res->lims.assign(per_query.size() + 1, 0);
    for (size_t i = 0; i < per_query.size(); ++i)
        res->lims[i + 1] = res->lims[i] + per_query[i].size();
    res->labels.resize(res->lims.back());
    res->distances.resize(res->lims.back());
    for (size_t i = 0; i < per_query.size(); ++i) {
        RangeHits& h = per_query[i];
        std::sort(h.begin(), h.end());
        const float xn = xnorms ? xnorms[i] : 0.0f;
        for (size_t j = 0; j < h.size(); ++j) {
            res->labels[res->lims[i] + j] = h[j].second;
            res->distances[res->lims[i] + j] = ip ? -h[j].first : std::max(0.0f, h[j].first + xn);
        }
        RangeHits().swap(h);
    }
}

// Sorts the heap best first; distances become max(0, v + xnorm) for L2 or -v for inner
// product; missing results get -1 and +inf (L2) / -inf (IP).
inline void finalize_results(size_t k, float* hv, idx_t* hi, bool ip, float xnorm) {
    heap_reorder<HeapC>(k, hv, hi);
    for (size_t j = 0; j < k; ++j) {
        if (hi[j] < 0) {
            hv[j] = ip ? -std::numeric_limits<float>::infinity()
                       : std::numeric_limits<float>::infinity();
        } else if (ip) {
            hv[j] = -hv[j];
        } else {
            hv[j] = std::max(0.0f, hv[j] + xnorm);
        }
    }
}

// Merges `nparts` partial heaps (k entries each, `stride` apart) into (hv, hi) and finalizes
// (xnorm as in finalize_results).
inline void merge_partial_heaps(size_t k, size_t nparts, const float* pv, const idx_t* pi,
                                size_t stride, float* hv, idx_t* hi, bool ip, float xnorm = 0.0f) {
    heap_heapify<HeapC>(k, hv, hi);
    for (size_t t = 0; t < nparts; ++t) {
        for (size_t j = 0; j < k; ++j) {
            if (pi[t * stride + j] >= 0)
                heap_push_if_better<HeapC>(k, hv, hi, pv[t * stride + j], pi[t * stride + j]);
        }
    }
    finalize_results(k, hv, hi, ip, xnorm);
}

}  // namespace faisslike
