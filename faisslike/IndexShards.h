// Several indexes searched as one: queries go to every shard in parallel, the top-k lists
// are merged. The building block for spreading an index over machines.
#pragma once

#include <vector>

#include "faisslike/Index.h"
#include "faisslike/impl/SubIndex.h"

namespace faisslike {

// The top-k of several result tables: D_all / I_all hold nshard tables of n x k results
// (labels -1 = none), table s's labels shifted by offsets[s] (offsets null: none); the
// k best per query (smallest distances, largest when keep_max) go to D / I, -1 padded.
// IndexShards merges with it, and so does faisslike.distributed.ShardedIndex (Python:
// merge_knn_results).
void merge_knn_results(idx_t n, idx_t k, size_t nshard, const float* D_all, const idx_t* I_all,
                       bool keep_max, const idx_t* offsets, float* D, idx_t* I);

struct IndexShards : Index {
    std::vector<SubIndex> shards;
    // true: shard i's labels are shifted by the ntotal of shards 0..i-1 (ids = positions in
    // the concatenation of the shards), and selectors see those global ids. false: labels
    // as the shards return them (give each vector an id with add_with_ids).
    bool successive_ids;
    // Shards are the unit of work of one parallel loop (no thread per shard): any count is
    // fine, but more than this is refused (a file cannot ask for millions of nested records).
    static constexpr size_t kMaxShards = 65536;

    explicit IndexShards(idx_t d, bool successive_ids = true, MetricType metric = METRIC_L2);
    IndexShards(const IndexShards&) = delete;
    IndexShards& operator=(const IndexShards&) = delete;

    // Same d and metric required. Owned when `owned`.
    void add_shard(Index* shard, bool owned = false);
    Index* shard(size_t i) const { return shards.at(i).get(); }
    void sync_ntotal();

    // Successive ids: removal only marks (every shard MarkDeleted), so the offsets stay.
    // Otherwise the shards keep the caller's ids.
    RemovalMode removal_mode() const override;
    bool accepts_ids() const override;
    bool is_deleted(idx_t label) const override;
    void enable_reconstruct() override;

   protected:
    void do_train(idx_t n, const float* x) override;
    // Splits the n vectors into contiguous, nearly equal parts, one per shard. With
    // successive_ids, ids then follow shard order: only a single add into empty shards keeps
    // them equal to insertion order (as FAISS).
    void do_add(idx_t n, const float* x) override;
    // Needs successive_ids = false and shards that accept ids (IndexIDMap, IVF).
    void do_add_with_ids(idx_t n, const float* x, const idx_t* xids) override;
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                         const SearchParameters* params) const override;
    size_t do_remove_ids(const IDSelector& sel) override;
    size_t do_compact() override;
    void do_reset() override;
    // Successive ids only (the shard holding the label answers).
    void do_reconstruct(idx_t key, float* recons) const override;

   private:
    std::vector<idx_t> offsets() const;
    // Shard and local label of a global label (successive ids); shard = size() if none.
    std::pair<size_t, idx_t> locate(idx_t label) const;
    void check_not_empty() const;
};

}  // namespace faisslike
