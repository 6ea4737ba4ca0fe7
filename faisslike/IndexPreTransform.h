// Vector transforms applied before an index sees the data (index_factory's "L2norm,").
#pragma once

#include <memory>
#include <vector>

#include "faisslike/Index.h"

namespace faisslike {

struct VectorTransform {
    int d_in, d_out;
    VectorTransform(int d_in, int d_out) : d_in(d_in), d_out(d_out) {}
    virtual ~VectorTransform() = default;
    // xt: n x d_out.
    virtual void apply(idx_t n, const float* x, float* xt) const = 0;
};

// Scales each vector to unit L2 norm (zero vectors stay zero): inner product on the
// result is cosine similarity.
struct NormalizationTransform : VectorTransform {
    explicit NormalizationTransform(int d) : VectorTransform(d, d) {}
    void apply(idx_t n, const float* x, float* xt) const override;
};

struct IndexPreTransform : Index {
    std::vector<std::unique_ptr<VectorTransform>> chain;  // applied in order
    Index* index;
    bool own_fields = false;  // whether the destructor deletes `index`

    // Takes ownership of vt.
    IndexPreTransform(VectorTransform* vt, Index* index);
    ~IndexPreTransform() override;
    IndexPreTransform(const IndexPreTransform&) = delete;
    IndexPreTransform& operator=(const IndexPreTransform&) = delete;

    void train(idx_t n, const float* x) override;
    void add(idx_t n, const float* x) override;
    void add_with_ids(idx_t n, const float* x, const idx_t* xids) override;
    void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                const SearchParameters* params = nullptr) const override;
    void range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                      const SearchParameters* params = nullptr) const override;
    size_t remove_ids(const IDSelector& sel) override;
    void reset() override;
    // The stored (transformed) vector: normalization cannot be undone.
    void reconstruct(idx_t key, float* recons) const override;

    // x through the chain (copy; n x index->d).
    std::vector<float> apply_chain(idx_t n, const float* x) const;
};

}  // namespace faisslike
