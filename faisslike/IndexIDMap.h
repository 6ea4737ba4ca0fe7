// User-chosen ids on top of any index: the wrapped index numbers vectors with inner ids and
// id_map[inner] is the user id. Everything it needs of the wrapped index is asked through
// the Index contract (accepts_ids, removal_mode, is_deleted), so it composes with any
// index and any wrapper in between.
#pragma once

#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "faisslike/Index.h"
#include "faisslike/impl/LiveArray.h"
#include "faisslike/impl/SubIndex.h"

namespace faisslike {

struct IndexIDMap : Index {
    SubIndex index;
    // User id of each inner id. When the wrapped index keeps ids (accepts_ids: IVF, ...),
    // inner ids are positions in id_map given explicitly (never reused) and removed entries
    // are -1, so id_map may be longer than ntotal.
    // Grows beside searches: ids are published before the vectors they name.
    LiveArray<idx_t> id_map;

    // The wrapped index must be empty. Not owned unless own_fields (or constructed from a
    // unique_ptr).
    explicit IndexIDMap(Index* index);
    explicit IndexIDMap(std::unique_ptr<Index> index);
    IndexIDMap(const IndexIDMap&) = delete;
    IndexIDMap& operator=(const IndexIDMap&) = delete;

    RemovalMode removal_mode() const override;
    bool accepts_ids() const override { return true; }
    bool concurrent_add() const override { return index->concurrent_add(); }

   protected:
    void do_train(idx_t n, const float* x) override;
    // Throws: vectors need ids here (add_with_ids), as in FAISS.
    void do_add(idx_t n, const float* x) override;
    // Duplicates are allowed (IndexIDMap2 rejects them).
    void do_add_with_ids(idx_t n, const float* x, const idx_t* xids) override;
    // Labels are user ids; a selector in params selects user ids.
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                         const SearchParameters* params) const override;
    // sel selects user ids; id_map follows what the wrapped index does (removal_mode).
    size_t do_remove_ids(const IDSelector& sel) override;
    // Frees what the wrapped index only marked deleted; id_map follows.
    size_t do_compact() override;
    void do_reset() override;

    // Hooks for IndexIDMap2's reverse map: ids about to be added, and id_map entries from
    // `first` on changed (0 after removal or reset: everything).
    virtual void check_new_ids(idx_t /*n*/, const idx_t* /*xids*/) const {}
    virtual void on_ids_changed(size_t /*first*/) {}
    // Copy of params whose selector works on the wrapped index's ids.
    std::unique_ptr<SearchParameters> translate_params(const SearchParameters* params,
                                                       std::unique_ptr<IDSelector>& holder) const;
    // Whether inner id i still holds a vector (not removed, not marked deleted).
    bool inner_live(size_t i) const;

   private:
    void init();
};

// IndexIDMap plus the reverse map: reconstruct(user id). Ids must be unique (add_with_ids
// throws on a duplicate, naming it).
struct IndexIDMap2 : IndexIDMap {
    std::unordered_map<idx_t, idx_t> rev_map;  // user id -> wrapped index's id
    // Guards rev_map: adds change it while reconstruct reads it.
    mutable std::shared_mutex rev_mutex;

    // Asks the wrapped index to reconstruct by id (IVF: a Hashtable direct map).
    explicit IndexIDMap2(Index* index);
    explicit IndexIDMap2(std::unique_ptr<Index> index);
    // Maps id_map entries from `first` on (0: rebuilds everything, e.g. after reading a file).
    void construct_rev_map(size_t first = 0);

   protected:
    void do_reconstruct(idx_t key, float* recons) const override;
    void check_new_ids(idx_t n, const idx_t* xids) const override;
    void on_ids_changed(size_t first) override { construct_rev_map(first); }
};

}  // namespace faisslike
