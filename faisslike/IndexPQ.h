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

}  // namespace faisslike
