// User-chosen ids on top of any index: the wrapped index numbers vectors with inner ids and
// id_map[inner] is the user id. Everything it needs of the wrapped index is asked through
// the Index contract (accepts_ids, removal_mode, is_deleted), so it composes with any
// index and any wrapper in between.
#pragma once

#include <atomic>
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

    // Removal is live: remove_ids marks the entries dead (tombstones, beside searches) and
    // they are freed from the wrapped index later: by compact(), or by the first write that
    // finds more than this fraction of the stored entries dead (that write then excludes
    // searches while it compacts). 0: the next write always compacts; >= 1: only compact().
    void set_max_dead_fraction(float f);  // InvalidArgument unless f >= 0 (not NaN)
    float max_dead_fraction() const { return max_dead_fraction_.load(std::memory_order_relaxed); }
    // Entries removed (or replaced) and not yet freed from the wrapped index.
    size_t num_dead() const { return ndead_.load(std::memory_order_acquire); }

    RemovalMode removal_mode() const override;
    bool accepts_ids() const override { return true; }
    bool concurrent_add() const override { return index->concurrent_add() && !compaction_due(); }
    idx_t add_block_size() const override { return index->add_block_size(); }
    bool concurrent_remove() const override { return !compaction_due(); }
    bool filters_cheaply() const override { return index->filters_cheaply(); }

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
    // Frees the dead entries (and what the wrapped index only marked deleted); id_map
    // follows.
    size_t do_compact() override;
    void do_reset() override;

    // Hooks for IndexIDMap2's reverse map: ids about to be added, id_map entries from
    // `first` on changed (0 after compaction or reset: everything), positions now dead.
    virtual void check_new_ids(idx_t /*n*/, const idx_t* /*xids*/) const {}
    virtual void on_ids_changed(size_t /*first*/) {}
    virtual void on_dead(const std::vector<size_t>& /*positions*/) {}
    // Copy of params whose selector works on the wrapped index's ids and, with `hide`, also
    // hides what the snapshot `snap` must not see (entries dead or being replaced).
    std::unique_ptr<SearchParameters> translate_params(const SearchParameters* params,
                                                       uint64_t snap, bool hide,
                                                       std::unique_ptr<IDSelector>& holder) const;
    // Search while entries are hidden, for wrapped indexes whose selectors are costly.
    void search_post_filtered(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                              const SearchParameters* params, uint64_t snap) const;
    // Whether inner id i still holds a vector (not removed, not dead, not marked deleted).
    bool inner_live(size_t i) const;
    // Adds with the user ids; the entries at the positions `replaced` die as the new ones
    // become visible, both at once for searches (an upsert).
    void add_entries(idx_t n, const float* x, const idx_t* xids,
                     const std::vector<size_t>& replaced);

    // ---- Tombstones. Position i (an inner id) is visible to a search whose snapshot of
    // version_ is s iff life_[i].born <= s < life_[i].died; positions past life_'s size are
    // visible. life_ is empty while nothing is dead or being replaced, and searches then
    // pass no visibility selector (they keep their fastest paths).
    struct Life {
        uint64_t born, died;
    };
    static constexpr uint64_t kNever = ~uint64_t(0);
    LiveArray<Life> life_;
    std::atomic<uint64_t> version_{0};  // published after the changes it commits
    std::atomic<size_t> ndead_{0};
    std::atomic<float> max_dead_fraction_{0.5f};
    friend struct IDSelectorVisible;
    friend struct IDMapRecordAccess;

    bool compaction_due() const;
    // Marks the positions dead at the next version, then publishes it (with whatever was
    // born at that version: an upsert's swap is one version).
    void commit_deaths(const std::vector<size_t>& positions);
    // Frees the dead entries from the wrapped index (the write excludes searches); returns
    // how many the wrapped index freed.
    size_t compact_dead();
    // Frees what the wrapped index marked deleted (MarkDeleted).
    size_t compact_marked();
    // Makes life_ cover every position, plus `extra` new ones born at `born`. When life_ was
    // empty, waits for the searches that started before (they check no visibility).
    void cover_life(size_t extra, uint64_t born);

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
    bool supports_replace() const override { return true; }
    // Upsert: ids already present are replaced (their old vector dies as the new one appears,
    // atomically for searches), the others added.
    void do_upsert(idx_t n, const float* x, const idx_t* xids) override;
    void check_new_ids(idx_t n, const idx_t* xids) const override;
    void on_ids_changed(size_t first) override { construct_rev_map(first); }
    void on_dead(const std::vector<size_t>& positions) override;
};

}  // namespace faisslike
