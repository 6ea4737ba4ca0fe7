// Internal: the search loop around the 4-bit fast-scan kernel (kernels/pq4_simd.h), shared by
// IndexPQFastScan and IndexIVFPQFastScan: per-query quantized tables, a top-k of estimated
// distances fed through the kernel's threshold masks, and the final exact re-scoring of the
// survivors.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "faisslike/IDSelector.h"
#include "faisslike/IndexPQFastScan.h"
#include "faisslike/MetricType.h"
#include "faisslike/ProductQuantizer.h"
#include "kernels/kernel_table.h"

namespace faisslike {
namespace pq4scan {

// One query's tables: float (M x 16; negated for inner product, so smaller is always
// better) and quantized (M4 x 16).
struct QueryTable {
    std::vector<float> f;
    std::vector<uint8_t> q;
    float scale = 1, bias = 0, error = 0;
    void compute(const ProductQuantizer& pq, size_t M4, MetricType metric, const float* x) {
        f.resize(pq.M * 16);
        pq.compute_table(metric, x, f.data());
        if (metric == METRIC_INNER_PRODUCT)
            for (float& v : f) v = -v;
        q.resize(M4 * 16);
        error = pq4::quantize_table(f.data(), pq.M, M4, q.data(), scale, bias);
    }
    // The float-table distance of vector i of a packed array (no unpacking).
    float exact_packed(size_t M, size_t M4, const uint8_t* packed, size_t i) const {
        float s = 0;
        for (size_t m = 0; m < M; ++m) s += f[m * 16 + pq4::packed_nibble(packed, M4, i, m)];
        return s;
    }
};

// The kernel's limit for sums of a table with this scale and bias when only distances below
// `bound` are wanted: every sum that could qualify is <= it; -1 when none can, 65535 when
// all can (an infinite bound, or a NaN from degenerate tables such as a hostile file's).
inline int kernel_limit(float bound, float scale, float bias) {
    const float l = std::floor((bound - bias) * scale);
    return l < 0 ? -1 : !(l < 65535) ? 65535 : int(l);
}

// The k best (smallest estimated distance, then smallest key) seen so far: a max-heap. An
// estimate is a kernel sum mapped back through its table's scale and bias, so sums from
// tables quantized differently (one per IVF list) compare directly.
struct Candidates {
    struct Item {
        float v;
        int64_t key;
        bool operator<(const Item& o) const { return v < o.v || (v == o.v && key < o.key); }
    };
    std::vector<Item> h;
    size_t k = 0;
    // Only estimates below cap are wanted (another top-k of the same query already holds k
    // items at or below it: see IndexIVFPQFastScan::search_by_list).
    float cap = std::numeric_limits<float>::infinity();
    void reset(size_t k_in, float cap_in = std::numeric_limits<float>::infinity()) {
        k = k_in;
        cap = cap_in;
        h.clear();
        h.reserve(k);
    }
    bool full() const { return h.size() >= k; }
    // The estimate an item must beat (infinite: anything enters).
    float limit() const { return full() ? std::min(cap, h.front().v) : cap; }
    bool bounded() const { return full() || cap < std::numeric_limits<float>::infinity(); }
    // Whether an estimate can still enter (keys only grow during a scan, so ties lose).
    bool admits(float v) const { return v < cap && (!full() || v < h.front().v); }
    // The kernel's limit for sums of a table with this scale and bias: every sum that could
    // enter is <= it (it may let a few more through); -1 when none can.
    int kernel_lim(float scale, float bias) const {
        return bounded() ? kernel_limit(limit(), scale, bias) : 65535;
    }
    void push(float v, int64_t key) {
        const Item it{v, key};
        if (!full()) {
            h.push_back(it);
            std::push_heap(h.begin(), h.end());
        } else if (it < h.front()) {
            std::pop_heap(h.begin(), h.end());
            h.back() = it;
            std::push_heap(h.begin(), h.end());
        }
    }
    void merge(const Candidates& o) {
        for (const Item& it : o.h) push(it.v, it.key);
    }
};

// A quantized table: the kernel's uint8 entries, and how its sums map back to distances
// (sum / scale + bias).
struct QTable {
    const uint8_t* q;
    float scale, bias;
    int64_t key0;  // vector i of the scanned blocks gets key key0 + i
};

struct Scratch {
    static constexpr size_t kChunk = 64;  // blocks per kernel call: 4 KB of sums per query
    static constexpr size_t kMaxQ = 4;    // queries per kernel call
    std::vector<uint16_t> out = std::vector<uint16_t>(kMaxQ * kChunk * 32);
    std::vector<uint32_t> masks = std::vector<uint32_t>(kMaxQ * kChunk);
};

// The smallest t such that at least k of the n sums are <= t (n >= k): no sum above it can
// enter a top-k that these sums alone would fill.
inline uint16_t kth_sum(const uint16_t* sums, size_t n, size_t k) {
    // Binary search on the value; the counts are 16-bit (n <= Scratch::kChunk * 32) so that
    // the counting loop vectorizes 8 or more sums per instruction.
    unsigned lo = 65535, hi = 0;
    for (size_t i = 0; i < n; ++i) {
        lo = std::min<unsigned>(lo, sums[i]);
        hi = std::max<unsigned>(hi, sums[i]);
    }
    while (lo < hi) {
        const uint16_t mid = uint16_t((lo + hi) / 2);
        uint16_t c = 0;
        for (size_t i = 0; i < n; ++i) c = uint16_t(c + (sums[i] <= mid ? 1 : 0));
        if (c >= k)
            hi = mid;
        else
            lo = unsigned(mid) + 1;
    }
    return uint16_t(lo);
}

// Scans nblocks blocks holding n vectors (the last block may be partial) for nq <=
// Scratch::kMaxQ queries at once (t[q], results into c[q]); ids (null: the keys) are what the
// selector sees.
inline void scan_blocks(const kernels::KernelTable& K, const uint8_t* blocks, size_t nblocks,
                        size_t M4, const QTable* t, size_t nq, size_t n, const IDSelector* sel,
                        const idx_t* ids, Scratch& s, Candidates* const* c) {
    const size_t bb = pq4::block_bytes(M4);
    const uint8_t* luts[Scratch::kMaxQ];
    for (size_t q = 0; q < nq; ++q) luts[q] = t[q].q;
    float inv[Scratch::kMaxQ];
    for (size_t q = 0; q < nq; ++q) inv[q] = 1.0f / t[q].scale;
    uint16_t lim[Scratch::kMaxQ], top[Scratch::kMaxQ];
    // A top-k that is not full yet takes a whole chunk's sums, and only those up to the
    // chunk's own k-th smallest (kth_sum) are offered to it: filling it by pushes of every
    // sum costs several times the scan. With a selector the chunk's k-th is no bound (some
    // of those k may be rejected): chunks then double from one block, so that the limits
    // are refreshed often while they fall fast.
    size_t nb = 1;
    for (size_t b0 = 0; b0 < nblocks; b0 += nb) {
        bool all_full = true;
        for (size_t q = 0; q < nq; ++q) all_full &= c[q]->bounded();
        nb = all_full || !sel ? Scratch::kChunk : b0 == 0 ? 1 : std::min(2 * nb, Scratch::kChunk);
        bool any = false;
        for (size_t q = 0; q < nq; ++q) {
            const int l = c[q]->kernel_lim(t[q].scale, t[q].bias);
            lim[q] = uint16_t(std::max(l, 0));
            any |= l >= 0;
        }
        if (!any) return;  // nothing left in these blocks can enter any top-k
        nb = std::min(nb, nblocks - b0);
        K.pq4_scan(blocks + b0 * bb, nb, M4, luts, nq, lim, s.out.data(), s.masks.data());
        const size_t nv = std::min(nb * 32, n - b0 * 32);  // real vectors in these blocks
        for (size_t q = 0; q < nq; ++q) {
            top[q] = 65535;
            if (!sel && !c[q]->bounded() && nv > c[q]->k && c[q]->k > 0)
                top[q] = kth_sum(s.out.data() + q * nb * 32, nv, c[q]->k);
        }
        for (size_t q = 0; q < nq; ++q) {
            Candidates& cq = *c[q];
            for (size_t b = 0; b < nb; ++b) {
                uint32_t mask = s.masks[q * nb + b];
                while (mask) {
                    const size_t j = size_t(__builtin_ctz(mask));
                    mask &= mask - 1;
                    const size_t i = (b0 + b) * 32 + j;
                    if (i >= n) break;  // padding of the last block
                    const uint16_t sum = s.out[(q * nb + b) * 32 + j];
                    if (sum > top[q]) continue;
                    const float v = float(sum) * inv[q] + t[q].bias;
                    if (!cq.admits(v)) continue;
                    if (sel && !sel->is_member(ids ? ids[i] : idx_t(t[q].key0) + idx_t(i)))
                        continue;
                    cq.push(v, t[q].key0 + int64_t(i));
                }
            }
        }
    }
}

// Re-scores the candidates exactly (exact(key): the float-table distance) and writes the k
// best, ordered by that distance then label, labels from label(key); the rest -1 / worst.
template <class Exact, class Label>
void finish(const Candidates& c, size_t k, bool ip, Exact&& exact, Label&& label, float* D,
            idx_t* I) {
    std::vector<std::pair<float, idx_t>> r;
    r.reserve(c.h.size());
    for (const auto& it : c.h) r.emplace_back(exact(it.key), label(it.key));
    std::sort(r.begin(), r.end());
    for (size_t j = 0; j < k; ++j) {
        if (j < r.size()) {
            D[j] = ip ? -r[j].first : r[j].first;
            I[j] = r[j].second;
        } else {
            D[j] = ip ? -std::numeric_limits<float>::infinity()
                      : std::numeric_limits<float>::infinity();
            I[j] = -1;
        }
    }
}

// The candidates' own estimates, best first (SearchParameters::estimates_suffice): the same
// ids as finish() when c holds at most k items.
template <class Label>
void finish_estimates(Candidates& c, size_t k, bool ip, Label&& label, float* D, idx_t* I) {
    std::sort(c.h.begin(), c.h.end());
    for (size_t j = 0; j < k; ++j) {
        const bool has = j < c.h.size();
        const float v = has ? c.h[j].v : std::numeric_limits<float>::infinity();
        D[j] = ip ? -v : v;
        I[j] = has ? label(c.h[j].key) : -1;
    }
}

template <class Exact>
void finish(const Candidates& c, size_t k, bool ip, Exact&& exact, float* D, idx_t* I) {
    finish(
        c, k, ip, exact, [](int64_t key) { return idx_t(key); }, D, I);
}

}  // namespace pq4scan
}  // namespace faisslike
