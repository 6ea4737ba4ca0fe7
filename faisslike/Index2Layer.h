// Two-level codes stored flat (FAISS's Index2Layer, the storage of IndexHNSW2Level): each
// vector is coded as its coarse list number (code_size_1 little-endian bytes) followed by the
// PQ code of its residual to that list's centroid. Search scans every code (FAISS's has none).
#pragma once

#include "faisslike/Clustering.h"
#include "faisslike/IndexFlatCodes.h"
#include "faisslike/ProductQuantizer.h"
#include "faisslike/impl/SubIndex.h"

namespace faisslike {

struct Index2Layer : IndexFlatCodes {
    SubIndex q1;  // the coarse quantizer (nlist centroids once trained)
    size_t nlist;
    ProductQuantizer pq;
    size_t code_size_1, code_size_2;
    ClusteringParameters cp;  // k-means of the coarse level (FAISS's defaults: 10 iterations)
    bool quantizer_trains_alone = false;

    // `quantizer` (not owned unless q1.set_owned(true)) has d = the index's.
    Index2Layer(Index* quantizer, size_t nlist, int M, int nbits = 8,
                MetricType metric = METRIC_L2);
    Index2Layer(const Index2Layer&) = delete;
    Index2Layer& operator=(const Index2Layer&) = delete;

    std::unique_ptr<CodeScorer> get_scorer() const override;
    // InvalidArgument for a code whose list number is >= nlist.
    void decode(size_t n, const uint8_t* in, float* x) const override;
    // The list number of a code.
    size_t list_of(const uint8_t* code) const;

   protected:
    void do_train(idx_t n, const float* x) override;
    void encode(size_t n, const float* x, uint8_t* out) const override;

   private:
    // r = x - its nearest centroid (n x d); returns the list numbers (training and encoding).
    std::vector<idx_t> residuals(idx_t n, const float* x, float* r) const;
};

}  // namespace faisslike
