// User ids on top of a binary index (FAISS's IndexBinaryIDMap / IndexBinaryIDMap2): the same
// contract as IndexIDMap, through the IndexBinary capabilities only.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "faisslike/IndexBinary.h"

namespace faisslike {

struct IndexBinaryIDMap : IndexBinary {
    IndexBinary* index;
    bool own_fields = false;
    // User id of each inner id; over an index that keeps ids (IVF) inner ids are positions
    // here and removed entries are -1.
    std::vector<idx_t> id_map;

    // The wrapped index must be empty; not owned unless own_fields.
    explicit IndexBinaryIDMap(IndexBinary* index);
    ~IndexBinaryIDMap() override;
    IndexBinaryIDMap(const IndexBinaryIDMap&) = delete;
    IndexBinaryIDMap& operator=(const IndexBinaryIDMap&) = delete;

    RemovalMode removal_mode() const override;
    bool accepts_ids() const override { return true; }

   protected:
    void do_train(idx_t n, const uint8_t* x) override;
    void do_add(idx_t n, const uint8_t* x) override;
    void do_add_with_ids(idx_t n, const uint8_t* x, const idx_t* xids) override;
    void do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_range_search(idx_t n, const uint8_t* x, int radius, RangeSearchResult* result,
                         const SearchParameters* params) const override;
    size_t do_remove_ids(const IDSelector& sel) override;
    void do_reset() override;
    virtual void check_new_ids(idx_t /*n*/, const idx_t* /*xids*/) const {}
    virtual void on_ids_changed() {}
    std::unique_ptr<SearchParameters> translate_params(const SearchParameters* params,
                                                       std::unique_ptr<IDSelector>& holder) const;
};

// Plus the reverse map: reconstruct(user id); ids must be unique.
struct IndexBinaryIDMap2 : IndexBinaryIDMap {
    std::unordered_map<idx_t, idx_t> rev_map;
    explicit IndexBinaryIDMap2(IndexBinary* index);
    void construct_rev_map();

   protected:
    void do_reconstruct(idx_t key, uint8_t* recons) const override;
    void check_new_ids(idx_t n, const idx_t* xids) const override;
    void on_ids_changed() override { construct_rev_map(); }
};

}  // namespace faisslike
