// Several indexes searched as one: queries go to every shard in parallel, the top-k lists
// are merged. The building block for spreading an index over machines.
#pragma once

#include <vector>

#include "faisslike/Index.h"

namespace faisslike {

struct IndexShards : Index {
    std::vector<Index*> shards;
    bool own_fields = false;  // whether the destructor deletes the shards
    // true: shard i's labels are shifted by the ntotal of shards 0..i-1 (ids = positions in
    // the concatenation of the shards). false: labels as the shards return them (give each
    // vector an id with add_with_ids).
    bool successive_ids;

    explicit IndexShards(idx_t d, bool successive_ids = true, MetricType metric = METRIC_L2);
    ~IndexShards() override;
    IndexShards(const IndexShards&) = delete;
    IndexShards& operator=(const IndexShards&) = delete;

    // Same d and metric required. Not owned unless own_fields.
    void add_shard(Index* shard);
    void train(idx_t n, const float* x) override;
    // Splits the n vectors into contiguous, nearly equal parts, one per shard. With
    // successive_ids, ids then follow shard order: only a single add into empty shards keeps
    // them equal to insertion order (as FAISS).
    void add(idx_t n, const float* x) override;
    // Needs successive_ids = false and shards that accept ids (IndexIDMap, IVF).
    void add_with_ids(idx_t n, const float* x, const idx_t* xids) override;
    void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                const SearchParameters* params = nullptr) const override;
    // Only without successive_ids (removal would shift the later shards' ids).
    size_t remove_ids(const IDSelector& sel) override;
    void reset() override;
    void sync_ntotal();

   private:
    template <class F>
    void for_each_shard(const F& f) const;
};

}  // namespace faisslike
