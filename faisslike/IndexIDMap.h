// User-chosen ids on top of any index: the wrapped index numbers vectors 0..n-1 and
// id_map[i] is the user id of its vector i.
#pragma once

#include <unordered_map>
#include <vector>

#include "faisslike/Index.h"

namespace faisslike {

struct IndexIDMap : Index {
    Index* index;
    bool own_fields = false;  // whether the destructor deletes `index`
    // User id of each inner id. Over IVF, inner ids are positions in id_map given explicitly
    // (never reused) and removed entries are -1, so id_map may be longer than ntotal.
    std::vector<idx_t> id_map;

    explicit IndexIDMap(Index* index);
    ~IndexIDMap() override;
    IndexIDMap(const IndexIDMap&) = delete;
    IndexIDMap& operator=(const IndexIDMap&) = delete;

    void train(idx_t n, const float* x) override;
    // Throws: vectors need ids here (add_with_ids), as in FAISS.
    void add(idx_t n, const float* x) override;
    // Ids must be >= 0 (-1 marks missing results); duplicates are allowed (IndexIDMap2
    // rejects them).
    void add_with_ids(idx_t n, const float* x, const idx_t* xids) override;
    // Labels are user ids; a selector in params selects user ids.
    void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                const SearchParameters* params = nullptr) const override;
    void range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                      const SearchParameters* params = nullptr) const override;
    // sel selects user ids. Over indexes that renumber on removal (Flat, PQ, SQ) id_map is
    // compacted the same way; over HNSW (marked deleted) it is unchanged; over IVF (which
    // keeps ids) removed entries become -1.
    size_t remove_ids(const IDSelector& sel) override;
    // Over HNSW: frees the nodes marked deleted (IndexHNSWFlat::compact), id_map follows.
    // Returns how many were freed; 0 for other inner indexes (their removal already frees).
    size_t compact();
    void reset() override;

   protected:
    // Hooks for IndexIDMap2's reverse map: ids about to be added, and id_map entries from
    // `first` on changed (0 after removal or reset: everything).
    virtual void check_new_ids(idx_t /*n*/, const idx_t* /*xids*/) const {}
    virtual void on_ids_changed(size_t /*first*/) {}
    // Copy of params whose selector works on the wrapped index's ids.
    std::unique_ptr<SearchParameters> translate_params(const SearchParameters* params,
                                                       std::unique_ptr<IDSelector>& holder) const;
};

// IndexIDMap plus the reverse map: reconstruct(user id). Ids must be unique (add_with_ids
// throws on a duplicate, naming it).
struct IndexIDMap2 : IndexIDMap {
    std::unordered_map<idx_t, idx_t> rev_map;  // user id -> wrapped index's id

    // Over IVF, turns on a Hashtable direct map (reconstruct needs it).
    explicit IndexIDMap2(Index* index);
    void reconstruct(idx_t key, float* recons) const override;
    // Maps id_map entries from `first` on (0: rebuilds everything, e.g. after reading a file).
    void construct_rev_map(size_t first = 0);

   protected:
    void check_new_ids(idx_t n, const idx_t* xids) const override;
    void on_ids_changed(size_t first) override { construct_rev_map(first); }
};

}  // namespace faisslike
