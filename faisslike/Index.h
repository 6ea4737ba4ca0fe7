// The contract every index implements (FAISS semantics: row-major float vectors, int64 ids).
#pragma once

#include <cstddef>
#include <cstdint>

#include "faisslike/MetricType.h"

namespace faisslike {

// Per-call search settings. Index types extend it (e.g. nprobe, efSearch) so concurrent
// searches with different settings never share mutable state.
struct SearchParameters {
    virtual ~SearchParameters() = default;
};

struct Index {
    int d;
    idx_t ntotal = 0;
    bool verbose = false;
    bool is_trained = true;
    MetricType metric_type;

    explicit Index(idx_t d = 0, MetricType metric = METRIC_L2);
    virtual ~Index();

    virtual void train(idx_t n, const float* x);
    virtual void add(idx_t n, const float* x) = 0;
    // Indexes that keep their own ids override this; the default throws.
    virtual void add_with_ids(idx_t n, const float* x, const idx_t* xids);
    // For each of the n queries, the k nearest results, sorted (best first). Missing results
    // have label -1 and distance +inf (L2) or -inf (inner product).
    virtual void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                        const SearchParameters* params = nullptr) const = 0;
    virtual void reset() = 0;
    virtual void reconstruct(idx_t key, float* recons) const;
    virtual void reconstruct_n(idx_t i0, idx_t ni, float* recons) const;

   protected:
    // Argument checks shared by all indexes; each throws Error naming the bad value.
    void check_add_args(idx_t n, const float* x) const;
    void check_search_args(idx_t n, const float* x, idx_t k, const float* distances,
                           const idx_t* labels) const;
    void check_reconstruct_n_args(idx_t i0, idx_t ni, const float* recons) const;
};

// Throws Error if any of the n x d values is NaN or infinite (names the row and column).
void check_finite(const char* what, idx_t n, int d, const float* x);

}  // namespace faisslike
