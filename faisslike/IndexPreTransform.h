// Vector transforms applied before an index sees the data (index_factory's "L2norm,").
#pragma once

#include <memory>
#include <vector>

#include "faisslike/Index.h"
#include "faisslike/impl/SubIndex.h"

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
    SubIndex index;

    // Takes ownership of vt; `index` is not owned unless index.set_owned(true).
    IndexPreTransform(VectorTransform* vt, Index* index);
    IndexPreTransform(const IndexPreTransform&) = delete;
    IndexPreTransform& operator=(const IndexPreTransform&) = delete;

    // Ids pass through unchanged: every capability is the wrapped index's.
    RemovalMode removal_mode() const override { return index->removal_mode(); }
    bool accepts_ids() const override { return index->accepts_ids(); }
    bool is_deleted(idx_t label) const override { return index->is_deleted(label); }
    void enable_reconstruct() override { index->enable_reconstruct(); }

    // x through the chain (copy; n x index->d).
    std::vector<float> apply_chain(idx_t n, const float* x) const;

   protected:
    void do_train(idx_t n, const float* x) override;
    void do_add(idx_t n, const float* x) override;
    void do_add_with_ids(idx_t n, const float* x, const idx_t* xids) override;
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                         const SearchParameters* params) const override;
    size_t do_remove_ids(const IDSelector& sel) override;
    size_t do_compact() override;
    void do_reset() override;
    // The stored (transformed) vector: normalization cannot be undone.
    void do_reconstruct(idx_t key, float* recons) const override;
};

}  // namespace faisslike
