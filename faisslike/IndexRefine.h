// Re-ranking: a fast base index proposes k * k_factor candidates, exact distances from a
// stored IndexFlat pick the final k.
#pragma once

#include <memory>

#include "faisslike/Index.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/impl/SubIndex.h"

namespace faisslike {

struct SearchParametersRefine : SearchParameters {
    float k_factor = 0;                             // 0: the index's k_factor
    const SearchParameters* base_params = nullptr;  // passed to the base index (e.g. nprobe)
    std::unique_ptr<SearchParameters> clone() const override {
        return std::make_unique<SearchParametersRefine>(*this);
    }
};

struct IndexRefineFlat : Index {
    SubIndex base_index;
    IndexFlat refine_index;  // the exact vectors; row i is the base index's label i
    float k_factor = 1;

    // The base index must be empty; both are filled by add(). Not owned unless
    // base_index.set_owned(true).
    explicit IndexRefineFlat(Index* base_index);
    void set_k_factor(float k_factor);  // check_k_factor, then set
    IndexRefineFlat(const IndexRefineFlat&) = delete;
    IndexRefineFlat& operator=(const IndexRefineFlat&) = delete;

    // Labels are rows of refine_index: a base that renumbers or marks removed vectors keeps
    // them in step; one that keeps ids (IVF) cannot remove here (wrap an IndexIDMap around
    // the refine index for that).
    RemovalMode removal_mode() const override;
    bool is_deleted(idx_t label) const override { return base_index->is_deleted(label); }
    idx_t add_block_size() const override { return base_index->add_block_size(); }

   protected:
    void do_train(idx_t n, const float* x) override;
    void do_add(idx_t n, const float* x) override;
    // base_params of SearchParametersRefine go to the base index; the selector filters the
    // base search. Candidates: k x k_factor, at most ntotal.
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_reset() override;
    size_t do_remove_ids(const IDSelector& sel) override;
    size_t do_compact() override;
    void do_reconstruct(idx_t key, float* recons) const override;
};

// k_factor must be finite and in [1, 1e6] (checked on set, search and load).
void check_k_factor(float k_factor);

}  // namespace faisslike
