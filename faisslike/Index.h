// The contract every index implements (FAISS semantics: row-major float vectors, int64 ids).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <typeinfo>

#include "faisslike/Error.h"
#include "faisslike/MetricType.h"

namespace faisslike {

struct IDSelector;

// Per-call search settings. Index types extend it (e.g. nprobe, efSearch) so concurrent
// searches with different settings never share mutable state.
struct SearchParameters {
    // Only ids for which sel->is_member() holds are returned (not owned; null: all ids).
    const IDSelector* sel = nullptr;
    virtual ~SearchParameters() = default;
    // Wrappers (IndexIDMap, ...) pass a copy with another selector to the index they wrap.
    virtual std::unique_ptr<SearchParameters> clone() const {
        return std::make_unique<SearchParameters>(*this);
    }
};

// Results of range_search for nq queries: those of query i are entries lims[i] .. lims[i+1]
// of labels / distances (FAISS's layout), sorted best first.
struct RangeSearchResult {
    size_t nq = 0;
    std::vector<size_t> lims;
    std::vector<idx_t> labels;
    std::vector<float> distances;
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
    // Removes the vectors whose ids sel selects; returns how many. Flat, PQ and SQ indexes
    // renumber the rest (as FAISS), IVF keeps ids, HNSW marks nodes deleted. The default
    // throws (not supported).
    virtual size_t remove_ids(const IDSelector& sel);
    // All results within `radius`: L2 distance < radius, or inner product > radius. The
    // default throws (not supported).
    virtual void range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                              const SearchParameters* params = nullptr) const;
    virtual void reconstruct(idx_t key, float* recons) const;
    virtual void reconstruct_n(idx_t i0, idx_t ni, float* recons) const;

   protected:
    // Argument checks shared by all indexes; each throws Error naming the bad value.
    void check_add_args(idx_t n, const float* x) const;
    void check_search_args(idx_t n, const float* x, idx_t k, const float* distances,
                           const idx_t* labels) const;
    void check_reconstruct_n_args(idx_t i0, idx_t ni, const float* recons) const;
    void check_range_args(idx_t n, const float* x, float radius,
                          const RangeSearchResult* result) const;
};

// The selector of params (null when there are no params or no selector).
inline const IDSelector* selector_of(const SearchParameters* params) {
    return params ? params->sel : nullptr;
}

// params as the index type's own parameters P: null for no params or a plain
// SearchParameters (selector only); Error for parameters of another index type.
template <class P>
const P* params_as(const SearchParameters* params, const char* expected) {
    if (!params) return nullptr;
    if (auto p = dynamic_cast<const P*>(params)) return p;
    FAISSLIKE_THROW_IF_NOT_FMT(typeid(*params) == typeid(SearchParameters),
                               "this index takes %s (or plain SearchParameters)", expected);
    return nullptr;
}

// Throws Error if any of the n x d values is NaN or infinite (names the row and column).
void check_finite(const char* what, idx_t n, int d, const float* x);

}  // namespace faisslike
