// Re-ranking: a fast base index proposes k * k_factor candidates, exact distances from a
// stored IndexFlat pick the final k.
#pragma once

#include <memory>

#include "faisslike/Index.h"
#include "faisslike/IndexFlat.h"

namespace faisslike {

struct SearchParametersRefine : SearchParameters {
    float k_factor = 0;                             // 0: the index's k_factor
    const SearchParameters* base_params = nullptr;  // passed to the base index (e.g. nprobe)
    std::unique_ptr<SearchParameters> clone() const override {
        return std::make_unique<SearchParametersRefine>(*this);
    }
};

struct IndexRefineFlat : Index {
    Index* base_index;
    bool own_fields = false;  // whether the destructor deletes base_index
    IndexFlat refine_index;   // the exact vectors, in the same order as the base index
    float k_factor = 1;

    // The base index must be empty; both are filled by add(). Not owned unless own_fields.
    explicit IndexRefineFlat(Index* base_index);
    ~IndexRefineFlat() override;
    IndexRefineFlat(const IndexRefineFlat&) = delete;
    IndexRefineFlat& operator=(const IndexRefineFlat&) = delete;

    void train(idx_t n, const float* x) override;
    void add(idx_t n, const float* x) override;
    void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                const SearchParameters* params = nullptr) const override;
    void reset() override;
    void reconstruct(idx_t key, float* recons) const override;
};

}  // namespace faisslike
