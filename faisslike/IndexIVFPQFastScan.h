// IVF over 4-bit PQ codes searched with the fast-scan kernel (FAISS's IndexIVFPQFastScan,
// factory "IVF<n>,PQ<M>x4fs" (codes of the vectors) and "IVF<n>,PQ<M>x4fsr" (of the
// residuals)). The lists hold ordinary PQ codes, so everything IndexIVFPQ does with them
// (files, mmap, on-disk lists, removal, reconstruct, range search: exact ADC) works as is;
// the search reads a packed copy of each list (blocks of 32, kernels/pq4_simd.h), refreshed
// through IndexIVF::lists_changed. The tables of all the lists a query probes share one
// 8-bit scale, so 16-bit sums from different lists compare directly; the survivors are
// re-scored exactly (the returned distances are IndexIVFPQ's for the same codes).
#pragma once

#include <vector>

#include "faisslike/IDSelector.h"

#include "faisslike/IndexIVFPQ.h"

namespace faisslike {

struct IndexIVFPQFastScan : IndexIVFPQ {
    int bbs = 32;  // FAISS's block size (a multiple of 32; the layout uses blocks of 32)
    size_t M4;

    IndexIVFPQFastScan(Index* quantizer, idx_t d, size_t nlist, size_t M, size_t nbits = 4,
                       MetricType metric = METRIC_L2, int bbs = 32);

    void lists_changed(bool appended) override;
    // The packed blocks are rebuilt after adds: they exclude searches.
    bool concurrent_add() const override { return false; }
    // Bytes held by the packed copies (memory reporting).
    size_t packed_bytes() const;

   protected:
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;

   private:
    // Big batches: list by list, up to 4 of the queries probing a list per kernel pass.
    void search_by_list(const float* x, size_t nq, size_t np, size_t k, const idx_t* ci,
                        const float* cd, const IDSelector* sel, bool estimates, float* distances,
                        idx_t* labels) const;
    // List l's packed blocks (ls entries), packed into tmp if the copy is out of step.
    const uint8_t* blocks_of(size_t l, size_t ls, std::vector<uint8_t>& tmp) const;
    // Starts loading list l's first block; a no-op for l out of range.
    void prefetch_list(size_t l) const;
    std::vector<std::vector<uint8_t>> packed_;  // per list, pq4 layout
    std::vector<size_t> packed_n_;              // entries packed per list
};

}  // namespace faisslike
