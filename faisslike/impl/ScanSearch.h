// Internal: exhaustive scan of ny coded items for nq queries, for any index whose items are
// scored in blocks (PQ codes, ...). The scanner type provides, per thread:
//   void set_query(size_t i);                       // e.g. build the query's lookup table
//   void score(size_t j0, size_t nb, float* out);   // values for items j0 .. j0 + nb - 1
// Values are distances (L2) or similarities (IP, negated for the heaps via `ip`).
#pragma once

#include <omp.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "faisslike/impl/ResultCollector.h"

namespace faisslike {

// A scan_search scanner over rows stored back to back (row_bytes each) for queries of d
// floats: the Scorer (set_query(const float*), score(const uint8_t* rows, n, out)) gives
// distances or inner products, then the ids `sel` rejects are masked out.
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

template <class MakeScanner>
void scan_search(const kernels::KernelTable& K, size_t nq, size_t ny, size_t k, bool ip, float* D,
                 idx_t* I, const MakeScanner& make_scanner) {
    constexpr size_t kRows = 1024;
    const float sign = ip ? -1.0f : 1.0f;
    const int nt = omp_get_max_threads();
    if (nq >= size_t(nt) || ny < size_t(nt) * kRows * 4 || nq * k > (size_t(1) << 20)) {
#pragma omp parallel if (nq > 1)
        {
            auto sc = make_scanner();
            Selector sel(K);
            std::unique_ptr<float[]> buf(new float[kRows]);
#pragma omp for schedule(dynamic)
            for (int64_t i = 0; i < int64_t(nq); ++i) {
                float* hv = D + size_t(i) * k;
                idx_t* hi = I + size_t(i) * k;
                heap_heapify<HeapC>(k, hv, hi);
                sc.set_query(size_t(i));
                for (size_t j0 = 0; j0 < ny; j0 += kRows) {
                    const size_t nb = std::min(kRows, ny - j0);
                    sc.score(j0, nb, buf.get());
                    sel.add(k, hv, hi, buf.get(), nullptr, sign, nb, IdRange{idx_t(j0)});
                }
                finalize_results(k, hv, hi, ip, 0.0f);
            }
        }
        return;
    }
    // Few queries: each thread scans a slice of the items, partial heaps merged at the end.
    std::vector<float> pv(size_t(nt) * nq * k);
    std::vector<idx_t> pi(pv.size());
#pragma omp parallel num_threads(nt)
    {
        const size_t t = size_t(omp_get_thread_num()), nth = size_t(omp_get_num_threads());
        auto sc = make_scanner();
        Selector sel(K);
        std::unique_ptr<float[]> buf(new float[kRows]);
        const size_t j_begin = ny * t / nth, j_end = ny * (t + 1) / nth;
        for (size_t i = 0; i < nq; ++i) {
            float* hv = pv.data() + (t * nq + i) * k;
            idx_t* hi = pi.data() + (t * nq + i) * k;
            heap_heapify<HeapC>(k, hv, hi);
            sc.set_query(i);
            for (size_t j0 = j_begin; j0 < j_end; j0 += kRows) {
                const size_t nb = std::min(kRows, j_end - j0);
                sc.score(j0, nb, buf.get());
                sel.add(k, hv, hi, buf.get(), nullptr, sign, nb, IdRange{idx_t(j0)});
            }
        }
    }
    for (size_t i = 0; i < nq; ++i)
        merge_partial_heaps(k, size_t(nt), pv.data() + i * k, pi.data() + i * k, nq * k, D + i * k,
                            I + i * k, ip);
}

}  // namespace faisslike
