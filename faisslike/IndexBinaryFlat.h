// Exact Hamming search over stored binary codes (FAISS's IndexBinaryFlat).
#pragma once

#include <memory>
#include <vector>

#include "faisslike/IndexBinary.h"

namespace faisslike {

struct IndexBinaryFlat : IndexBinary {
    // ntotal x code_size bytes, unless loaded memory-mapped (then read in place; a change
    // copies them here first).
    std::vector<uint8_t> xb;

    explicit IndexBinaryFlat(idx_t d);
    const uint8_t* get_xb() const { return mapped_ ? mapped_ : xb.data(); }
    void set_mapped(const uint8_t* codes, idx_t n, std::shared_ptr<const void> owner);

    // Removal renumbers the survivors (as FAISS).
    RemovalMode removal_mode() const override { return RemovalMode::Renumber; }

   protected:
    void do_add(idx_t n, const uint8_t* x) override;
    void do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_range_search(idx_t n, const uint8_t* x, int radius, RangeSearchResult* result,
                         const SearchParameters* params) const override;
    void do_reset() override;
    size_t do_remove_ids(const IDSelector& sel) override;
    void do_reconstruct(idx_t key, uint8_t* recons) const override;

   private:
    void materialize();
    const uint8_t* mapped_ = nullptr;
    std::shared_ptr<const void> mapped_owner_;
};

// Hamming k-NN of n queries among nb codes (labels = positions + id_offset); the building
// block of the flat, IVF-list and hash searches. Parallel over queries, or over the codes
// for few queries.
void hamming_knn(const uint8_t* x, idx_t n, const uint8_t* codes, idx_t nb, size_t code_size,
                 idx_t k, int32_t* distances, idx_t* labels, const IDSelector* sel);

}  // namespace faisslike
