// The contract of binary indexes (FAISS's IndexBinary): vectors are d bits packed in
// code_size = d / 8 bytes (bit j of a vector is bit j % 8 of byte j / 8), compared by
// Hamming distance; search returns int32 distances. Same shape as Index: checked public
// entry points, protected do_* implementations, a usage guard against mutation during
// search.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "faisslike/Index.h"

namespace faisslike {

struct IndexBinary {
    int d;          // bits, a multiple of 8
    int code_size;  // bytes per vector
    idx_t ntotal = 0;
    bool verbose = false;
    bool is_trained = true;
    MetricType metric_type = METRIC_L2;  // Hamming; kept for FAISS's field

    // d in [8, kMaxDim] and a multiple of 8 (InvalidArgument otherwise).
    explicit IndexBinary(idx_t d);
    virtual ~IndexBinary();
    IndexBinary(const IndexBinary& other);
    IndexBinary& operator=(const IndexBinary& other);

    void train(idx_t n, const uint8_t* x);
    void add(idx_t n, const uint8_t* x);
    void add_with_ids(idx_t n, const uint8_t* x, const idx_t* xids);
    // k nearest by Hamming distance, ties by smaller id; missing results: label -1,
    // distance INT32_MAX.
    void search(idx_t n, const uint8_t* x, idx_t k, int32_t* distances, idx_t* labels,
                const SearchParameters* params = nullptr) const;
    // Results with Hamming distance < radius (distances stored as floats, as FAISS).
    void range_search(idx_t n, const uint8_t* x, int radius, RangeSearchResult* result,
                      const SearchParameters* params = nullptr) const;
    void reset();
    size_t remove_ids(const IDSelector& sel);
    void reconstruct(idx_t key, uint8_t* recons) const;
    void reconstruct_n(idx_t i0, idx_t ni, uint8_t* recons) const;
    void check_id_range(idx_t i0, idx_t ni) const;

    virtual RemovalMode removal_mode() const { return RemovalMode::Unsupported; }
    virtual bool accepts_ids() const { return false; }
    virtual bool is_deleted(idx_t /*label*/) const { return false; }
    virtual void enable_reconstruct() {}

    void set_mapped_file(std::shared_ptr<const MappedFile> file) { mapped_file_ = std::move(file); }
    void check_mapped_file() const;
    const UsageCounter& usage() const { return usage_; }

   protected:
    virtual void do_train(idx_t /*n*/, const uint8_t* /*x*/) {}
    virtual void do_add(idx_t n, const uint8_t* x) = 0;
    virtual void do_add_with_ids(idx_t n, const uint8_t* x, const idx_t* xids);
    virtual void do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* distances, idx_t* labels,
                           const SearchParameters* params) const = 0;
    virtual void do_range_search(idx_t n, const uint8_t* x, int radius, RangeSearchResult* result,
                                 const SearchParameters* params) const;
    virtual void do_reset() = 0;
    virtual size_t do_remove_ids(const IDSelector& sel);
    virtual void do_reconstruct(idx_t key, uint8_t* recons) const;
    void check_search_args(idx_t n, const uint8_t* x, idx_t k, const int32_t* distances,
                           const idx_t* labels) const;

   private:
    void check_add_args(idx_t n, const uint8_t* x) const;
    UsageCounter usage_;
    std::shared_ptr<const MappedFile> mapped_file_;
};

using IndexBinaryReadScope = ReadScope<IndexBinary>;
using IndexBinaryWriteScope = WriteScope<IndexBinary>;

// FAISS's bit order, used by the float <-> binary helpers: bit j set iff x[j] > 0.
void binary_to_real(size_t d, const uint8_t* codes, float* x);  // bits to -1 / +1
void real_to_binary(size_t d, const float* x, uint8_t* codes);  // x > 0 to bit 1

// Per-query (distance, id) hits of a binary range search into FAISS's layout (each query's
// hits sorted; distances as floats).
using BinaryRangeHits = std::vector<std::vector<std::pair<int32_t, idx_t>>>;
void set_range_result(BinaryRangeHits& hits, RangeSearchResult* result);

// k smallest (distance, id) pairs of one query, kept as a max-heap and sorted at the end;
// ties go to the smaller id, so results do not depend on scan order.
struct HammingTopK {
    size_t k;
    int32_t* D;
    idx_t* I;
    size_t n = 0;
    HammingTopK(size_t k, int32_t* D, idx_t* I) : k(k), D(D), I(I) {}
    int32_t threshold() const { return n < k ? INT32_MAX : D[0]; }
    void add(int32_t dis, idx_t id);
    // Sorts ascending and fills the unused slots with (INT32_MAX, -1).
    void finish();
};

}  // namespace faisslike
