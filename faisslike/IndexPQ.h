// Vectors stored as product-quantization codes; search by asymmetric distance (ADC).
#pragma once

#include <vector>

#include "faisslike/IndexFlatCodes.h"
#include "faisslike/ProductQuantizer.h"

namespace faisslike {

struct IndexPQ : IndexFlatCodes {
    ProductQuantizer pq;

    IndexPQ(idx_t d, size_t M, size_t nbits = 8, MetricType metric = METRIC_L2);

   protected:
    void do_train(idx_t n, const float* x) override;
    std::unique_ptr<CodeScorer> get_scorer() const override;
    void encode(size_t n, const float* x, uint8_t* out) const override {
        pq.compute_codes(x, out, n);
    }
    void decode(size_t n, const uint8_t* in, float* x) const override { pq.decode(in, x, n); }
};

// FAISS's MultiIndexQuantizer (index_factory's "IMI2x<b>"): the ksub^M centroids formed by
// concatenating one PQ sub-centroid per sub-vector, never materialized. Label of a centroid:
// sub-centroid m's number in bits [m * nbits, (m + 1) * nbits). Search enumerates the k
// smallest sums of per-sub-vector distances (multi-sequence algorithm). L2 only; add and
// reset throw (the elements are virtual), as FAISS.
struct MultiIndexQuantizer : Index {
    ProductQuantizer pq;

    // M * nbits <= 62 (labels are int64).
    MultiIndexQuantizer(idx_t d, size_t M, size_t nbits);
    bool trains_alone() const override { return true; }
    // The number of centroids once trained: ksub^M.
    idx_t n_centroids() const { return idx_t(1) << (pq.M * pq.nbits); }

   protected:
    void do_train(idx_t n, const float* x) override;
    void do_add(idx_t n, const float* x) override;
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_reset() override;
    void do_reconstruct(idx_t key, float* recons) const override;
};

}  // namespace faisslike
