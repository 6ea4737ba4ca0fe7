// Indexes that keep one fixed-size code per vector, in insertion order (PQ, SQ): adding,
// removal, reset and reconstruction are the same for all; subclasses encode and decode.
#pragma once

#include <memory>
#include <vector>

#include "faisslike/Index.h"
#include "faisslike/impl/LiveArray.h"

namespace faisslike {

// Per-thread scoring of codes for one query at a time (lookup tables etc. live here).
struct CodeScorer {
    virtual ~CodeScorer() = default;
    virtual void set_query(const float* x) = 0;
    // out[j] = L2 distance (or inner product) to each of the n codes.
    virtual void score(const uint8_t* codes, size_t n, float* out) = 0;
};

struct IndexFlatCodes : Index {
    size_t code_size;
    LiveArray<uint8_t> codes;  // ntotal x code_size; grows beside searches

    IndexFlatCodes(idx_t d, size_t code_size, MetricType metric);

    // Removal: the selected ids go, later codes move down (ids renumbered, as FAISS).
    RemovalMode removal_mode() const override { return RemovalMode::Renumber; }
    // Appends publish after encoding (types with more per-vector state say false).
    bool concurrent_add() const override { return true; }

    // The codec, for indexes built over this storage (IndexHNSWSQ / PQ): a per-thread
    // scorer (distances from a query to codes), and decoding.
    virtual std::unique_ptr<CodeScorer> get_scorer() const = 0;
    virtual void decode(size_t n, const uint8_t* in, float* x) const = 0;

   protected:
    void do_add(idx_t n, const float* x) override;
    void do_reset() override;
    size_t do_remove_ids(const IDSelector& sel) override;
    void do_reconstruct(idx_t key, float* recons) const override;
    // The stored code (encode / decode).
    size_t do_sa_code_size() const override;
    void do_sa_encode(idx_t n, const float* x, uint8_t* bytes) const override;
    void do_sa_decode(idx_t n, const uint8_t* bytes, float* x) const override;
    // Exhaustive scan through get_scorer(); honours SearchParameters::sel.
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    // Training a filled index would leave its codes meaningless under the new codec.
    void check_empty_for_training() const;
    virtual void encode(size_t n, const float* x, uint8_t* out) const = 0;
};

}  // namespace faisslike
