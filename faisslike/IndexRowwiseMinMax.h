// A standalone codec (FAISS's IndexRowwiseMinMax / IndexRowwiseMinMaxFP16, index_factory's
// "MinMax," / "MinMaxFP16," prefixes): each vector is scaled to [0, 1] by its own min and
// max before the wrapped index's codec; the code is (max - min, min) then the wrapped code.
// Only train / sa_encode / sa_decode / reset: add and search throw, as in FAISS.
#pragma once

#include "faisslike/Index.h"
#include "faisslike/impl/SubIndex.h"

namespace faisslike {

struct IndexRowwiseMinMax : Index {
    SubIndex index;
    bool fp16;  // scale and offset stored as float16 (4 bytes) instead of float32 (8 bytes)

    // `index` (not owned unless index.set_owned(true)) must have a standalone codec.
    IndexRowwiseMinMax(Index* index, bool fp16 = false);
    IndexRowwiseMinMax(const IndexRowwiseMinMax&) = delete;
    IndexRowwiseMinMax& operator=(const IndexRowwiseMinMax&) = delete;

    size_t header_size() const { return fp16 ? 4 : 8; }

   protected:
    void do_train(idx_t n, const float* x) override;
    void do_add(idx_t n, const float* x) override;
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_reset() override;
    size_t do_sa_code_size() const override;
    void do_sa_encode(idx_t n, const float* x, uint8_t* bytes) const override;
    void do_sa_decode(idx_t n, const uint8_t* bytes, float* x) const override;

   private:
    // Rows of x scaled to [0, 1] into xt; scale / offset as stored (rounded to fp16 if so).
    void normalize(idx_t n, const float* x, float* xt, float* scale, float* offset) const;
};

// The fp16 variant under FAISS's name.
struct IndexRowwiseMinMaxFP16 : IndexRowwiseMinMax {
    explicit IndexRowwiseMinMaxFP16(Index* index) : IndexRowwiseMinMax(index, true) {}
};

}  // namespace faisslike
