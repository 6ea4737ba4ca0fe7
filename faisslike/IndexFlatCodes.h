// Indexes that keep one fixed-size code per vector, in insertion order (PQ, SQ): adding,
// removal, reset and reconstruction are the same for all; subclasses encode and decode.
#pragma once

#include <vector>

#include "faisslike/Index.h"

namespace faisslike {

struct IndexFlatCodes : Index {
    size_t code_size;
    std::vector<uint8_t> codes;  // ntotal x code_size

    IndexFlatCodes(idx_t d, size_t code_size, MetricType metric);

    // Needs a trained index; NaN / inf are refused.
    void add(idx_t n, const float* x) override;
    void reset() override;
    // Removes the selected ids; later codes move down (ids renumbered, as FAISS).
    size_t remove_ids(const IDSelector& sel) override;
    void reconstruct(idx_t key, float* recons) const override;

   protected:
    virtual void encode(size_t n, const float* x, uint8_t* out) const = 0;
    virtual void decode(size_t n, const uint8_t* in, float* x) const = 0;
};

}  // namespace faisslike
