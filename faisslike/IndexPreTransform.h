// An index whose inputs go through a chain of vector transforms first (index_factory's
// "L2norm,", "PCA64,", "RR64,", "PCAR32," prefixes).
#pragma once

#include <memory>
#include <vector>

#include "faisslike/Index.h"
#include "faisslike/VectorTransform.h"
#include "faisslike/impl/SubIndex.h"

namespace faisslike {

struct IndexPreTransform : Index {
    // Applied in order; shared so that a caller (Python) may keep and inspect a transform
    // the index trains.
    std::vector<std::shared_ptr<VectorTransform>> chain;
    SubIndex index;

    // Takes ownership of vt; `index` is not owned unless index.set_owned(true).
    IndexPreTransform(VectorTransform* vt, Index* index);
    IndexPreTransform(std::shared_ptr<VectorTransform> vt, Index* index);
    // An empty chain (transforms come with prepend_transform).
    explicit IndexPreTransform(Index* index);
    IndexPreTransform(const IndexPreTransform&) = delete;
    IndexPreTransform& operator=(const IndexPreTransform&) = delete;

    // Ids pass through unchanged: every capability is the wrapped index's.
    RemovalMode removal_mode() const override { return index->removal_mode(); }
    bool accepts_ids() const override { return index->accepts_ids(); }
    bool is_deleted(idx_t label) const override { return index->is_deleted(label); }
    void enable_reconstruct() override { index->enable_reconstruct(); }
    idx_t add_block_size() const override { return index->add_block_size(); }

    bool chain_trained() const;
    // x through the chain (copy; n x index->d).
    std::vector<float> apply_chain(idx_t n, const float* x) const;
    // Puts vt (owned) in front of the chain; its d_out must be the current input d.
    void prepend_transform(VectorTransform* vt);
    void prepend_transform(std::shared_ptr<VectorTransform> vt);
    static constexpr size_t kMaxChain = 16;
    // ntotal = the wrapped index's, after it was filled directly (replace_invlists).
    void sync_ntotal() {
        IndexWriteScope w(*this);
        ntotal = index->ntotal;
    }

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
    // The stored vector back through the chain (each transform's reverse; normalization's
    // is the identity, as FAISS). Error if a transform cannot be reversed.
    void do_reconstruct(idx_t key, float* recons) const override;
    // The wrapped index's codec after the chain; decoding goes back through it.
    size_t do_sa_code_size() const override;
    void do_sa_encode(idx_t n, const float* x, uint8_t* bytes) const override;
    void do_sa_decode(idx_t n, const uint8_t* bytes, float* x) const override;
};

}  // namespace faisslike
