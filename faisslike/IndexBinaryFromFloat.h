// A binary index backed by a float index over the codes as -1 / +1 vectors (FAISS's
// IndexBinaryFromFloat): for those vectors L2^2 = 4 * Hamming and <x, y> = d - 2 * Hamming,
// so any float index (HNSW, IVF, ...) answers Hamming queries. 32x the memory of the codes.
#pragma once

#include "faisslike/Index.h"
#include "faisslike/IndexBinary.h"
#include "faisslike/impl/SubIndex.h"

namespace faisslike {

struct IndexBinaryFromFloat : IndexBinary {
    SubIndex index;  // d = this index's bits; not owned unless index.set_owned(true)

    explicit IndexBinaryFromFloat(Index* index);
    RemovalMode removal_mode() const override { return index->removal_mode(); }
    bool accepts_ids() const override { return index->accepts_ids(); }
    bool is_deleted(idx_t label) const override { return index->is_deleted(label); }

   protected:
    void do_train(idx_t n, const uint8_t* x) override;
    void do_add(idx_t n, const uint8_t* x) override;
    void do_add_with_ids(idx_t n, const uint8_t* x, const idx_t* xids) override;
    void do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_reset() override;
    size_t do_remove_ids(const IDSelector& sel) override;
    void do_reconstruct(idx_t key, uint8_t* recons) const override;

   private:
    std::vector<float> to_real(idx_t n, const uint8_t* x) const;
};

}  // namespace faisslike
