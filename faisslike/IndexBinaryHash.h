// Hash-bucket search over binary codes (FAISS's IndexBinaryHash and IndexBinaryMultiHash):
// codes are bucketed by b of their bits; a search looks up the query's bucket and every
// bucket within nflip bit flips of it, then ranks the codes found by full Hamming distance.
// Exact within what it looks at; recall grows with nflip.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "faisslike/IndexBinary.h"
#include "faisslike/IndexBinaryFlat.h"

namespace faisslike {

// Bits [start, start + b) of a code as an integer (bit t of the result = code bit start+t).
uint64_t code_bits(const uint8_t* code, size_t start, int b);

// Every key within nflip flips of key (b bits), including key itself, in order of flips.
void keys_within(uint64_t key, int b, int nflip, std::vector<uint64_t>& out);

struct IndexBinaryHash : IndexBinary {
    struct Bucket {
        std::vector<idx_t> ids;
        std::vector<uint8_t> codes;
    };
    int b;          // bits hashed, in [1, min(64, d)]
    int nflip = 0;  // buckets within this many flips are searched too
    std::unordered_map<uint64_t, Bucket> invlists;

    IndexBinaryHash(idx_t d, int b);
    void set_nflip(int nflip);
    bool accepts_ids() const override { return true; }

   protected:
    void do_add(idx_t n, const uint8_t* x) override;
    void do_add_with_ids(idx_t n, const uint8_t* x, const idx_t* xids) override;
    void do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_range_search(idx_t n, const uint8_t* x, int radius, RangeSearchResult* result,
                         const SearchParameters* params) const override;
    void do_reset() override;

   private:
    template <class Visit>
    void scan(const uint8_t* q, const IDSelector* sel, std::vector<uint64_t>& keys,
              std::vector<int32_t>& buf, const Visit& visit) const;
};

struct IndexBinaryMultiHash : IndexBinary {
    IndexBinaryFlat storage;  // the codes, by id (positions)
    int nhash;                // tables, table i hashing bits [i b, (i + 1) b)
    int b;
    int nflip = 0;
    std::vector<std::unordered_map<uint64_t, std::vector<idx_t>>> maps;

    IndexBinaryMultiHash(idx_t d, int nhash, int b);
    void set_nflip(int nflip);
    RemovalMode removal_mode() const override { return RemovalMode::Unsupported; }

   protected:
    void do_add(idx_t n, const uint8_t* x) override;
    void do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_range_search(idx_t n, const uint8_t* x, int radius, RangeSearchResult* result,
                         const SearchParameters* params) const override;
    void do_reset() override;
    void do_reconstruct(idx_t key, uint8_t* recons) const override;

   private:
    // Candidate ids of query q (sorted, unique).
    void candidates(const uint8_t* q, std::vector<uint64_t>& keys, std::vector<idx_t>& out) const;
    // visit(i, each): each(take) calls take(distance, id) for query i's candidates.
    template <class Visit>
    void scan(idx_t n, const uint8_t* x, const IDSelector* sel, const Visit& visit) const;
};

}  // namespace faisslike
