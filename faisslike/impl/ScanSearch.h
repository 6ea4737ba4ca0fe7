// Internal: the one parallel top-k scan skeleton, used by exact k-NN (Flat), the exhaustive
// coded scans (PQ, SQ, filtered Flat) and the IVF list scans.
//
// The work of query i is `nunits` units (row blocks, probed lists). A Scanner, one per
// thread (made by make(), which may throw), provides
//   void set_query(size_t i);                                    // before query i's units
//   void scan(size_t i, size_t u, size_t k, float* hv, idx_t* hi);  // unit u into the heap
// Heaps keep the k smallest values (inner products negated); finalize_results undoes that.
//
// Two schedules: threads take whole queries (many queries), or, for few queries and much
// work each (`split`), the units of every query are shared among threads, each keeping a
// partial heap per query, merged at the end. kUnitMajor (split only) scores a unit against
// every query while it is hot in cache: for scanners whose set_query is free (Flat).
#pragma once

#include <algorithm>
#include <memory>
#include <vector>

#include "faisslike/impl/Parallel.h"
#include "faisslike/impl/ResultCollector.h"

namespace faisslike {

template <bool kUnitMajor = false, class Make>
void topk_scan(size_t nq, size_t nunits, size_t k, bool ip, float* D, idx_t* I, bool split,
               const Make& make) {
    using Scanner = decltype(make());
    if (nq == 0) return;
    if (!split) {
        parallel_for_with(
            int64_t(nq), make,
            [&](Scanner& sc, int64_t i) {
                float* hv = D + size_t(i) * k;
                idx_t* hi = I + size_t(i) * k;
                heap_heapify<HeapC>(k, hv, hi);
                sc.set_query(size_t(i));
                for (size_t u = 0; u < nunits; ++u) sc.scan(size_t(i), u, k, hv, hi);
                finalize_results(k, hv, hi, ip, 0.0f);
            },
            nq > 1);
        return;
    }
    const int nt = parallel_threads();
    const size_t stride = nq * k;  // one thread's partial heaps
    std::vector<float> pv(size_t(nt) * stride);
    std::vector<idx_t> pi(pv.size());
    // Every slot starts empty: members that get no work (or do not exist) merge as nothing.
    for (size_t h = 0; h < size_t(nt) * nq; ++h)
        heap_heapify<HeapC>(k, pv.data() + h * k, pi.data() + h * k);
    parallel_region(nt, [&](Team& team) {
        std::unique_ptr<Scanner> sc;
        team.guard([&] { sc.reset(new Scanner(make())); });
        float* tv = pv.data() + size_t(team.rank) * stride;
        idx_t* ti = pi.data() + size_t(team.rank) * stride;
        if (kUnitMajor) {
            team.for_range(int64_t(nunits), [&](int64_t u) {
                for (size_t i = 0; i < nq; ++i) {
                    sc->set_query(i);
                    sc->scan(i, size_t(u), k, tv + i * k, ti + i * k);
                }
            });
        } else {
            for (size_t i = 0; i < nq; ++i) {
                bool ready = false;
                team.for_range(int64_t(nunits), [&](int64_t u) {
                    if (!ready) sc->set_query(i), ready = true;
                    sc->scan(i, size_t(u), k, tv + i * k, ti + i * k);
                });
            }
        }
    });
    parallel_for(
        int64_t(nq),
        [&](int64_t i) {
            merge_partial_heaps(k, size_t(nt), pv.data() + size_t(i) * k, pi.data() + size_t(i) * k,
                                stride, D + size_t(i) * k, I + size_t(i) * k, ip);
        },
        nq > 1);
}

// Rows stored back to back (row_bytes each) for queries of d floats: the Scorer
// (set_query(const float*), score(const uint8_t* rows, n, out)) gives distances or inner
// products, then the ids `sel` rejects are masked out.
template <class Scorer>
struct RowScanner {
    const uint8_t* rows;
    size_t row_bytes;
    const float* x;
    size_t d;
    bool ip;
    const IDSelector* sel;
    Scorer scorer;
    void set_query(size_t i) { scorer.set_query(x + i * d); }
    void score(size_t j0, size_t nb, float* out) {
        scorer.score(rows + j0 * row_bytes, nb, out);
        mask_rejected(sel, out, ip ? -1.0f : 1.0f, nb, IdRange{idx_t(j0)});
    }
};

// Float rows through the _ny kernels (a RowScanner Scorer).
struct FloatRowScorer {
    const kernels::KernelTable& K;
    size_t d;
    bool ip;
    const float* q = nullptr;
    void set_query(const float* x) { q = x; }
    void score(const uint8_t* rows, size_t n, float* out) const {
        kernels::distances_ny(K, ip, out, q, reinterpret_cast<const float*>(rows), d, n);
    }
};

// Queries x against ny x d float rows xb, ids sel rejects masked (null: none).
inline RowScanner<FloatRowScorer> float_rows(const float* xb, size_t d, bool ip, const float* x,
                                             const IDSelector* sel) {
    return {reinterpret_cast<const uint8_t*>(xb),     sizeof(float) * d, x, d, ip, sel,
            FloatRowScorer{kernels::current(), d, ip}};
}

// topk_scan over ny rows in blocks of `block`, for a RowScanner-like `rows` (set_query(i),
// score(j0, nb, out)).
template <class Rows>
struct RowBlockScanner {
    static constexpr size_t kRows = 1024;
    Rows rows;
    size_t ny;
    float sign;
    size_t block = kRows;
    Selector sel{kernels::current()};
    std::unique_ptr<float[]> buf{new float[block]};
    void set_query(size_t i) { rows.set_query(i); }
    void scan(size_t, size_t u, size_t k, float* hv, idx_t* hi) {
        const size_t j0 = u * block, nb = std::min(block, ny - j0);
        rows.score(j0, nb, buf.get());
        sel.add(k, hv, hi, buf.get(), nullptr, sign, nb, IdRange{idx_t(j0)});
    }
};

// Exhaustive top-k over ny rows scored by make_rows() (a RowScanner-like object per thread).
template <class MakeRows>
void scan_search(size_t nq, size_t ny, size_t k, bool ip, float* D, idx_t* I,
                 const MakeRows& make_rows) {
    using Rows = decltype(make_rows());
    constexpr size_t kRows = RowBlockScanner<Rows>::kRows;
    const size_t nt = size_t(parallel_threads());
    // Few queries over many rows: split the rows among threads.
    const bool split = nq < nt && ny >= nt * kRows * 4 && nq * k <= (size_t(1) << 20);
    topk_scan(nq, (ny + kRows - 1) / kRows, k, ip, D, I, split, [&] {
        return RowBlockScanner<Rows>{make_rows(), ny, ip ? -1.0f : 1.0f};
    });
}

}  // namespace faisslike
