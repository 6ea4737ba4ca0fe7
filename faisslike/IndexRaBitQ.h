// RaBitQ indexes (faisslike/RaBitQuantizer.h): IndexRaBitQ codes every vector against the
// mean of the training set and scans all codes; IndexIVFRaBitQ codes each vector against its
// list's centroid. Factory: "RaBitQ[<nb_bits>]", "IVF<n>,RaBitQ[<nb_bits>]" (FAISS's), with
// ",RFlat" / ",Refine(...)" for exact re-ranking and "RR<d>," / "HR," for the rotation.
#pragma once

#include <memory>
#include <vector>

#include "faisslike/IndexFlatCodes.h"
#include "faisslike/IndexIVF.h"
#include "faisslike/RaBitQuantizer.h"

namespace faisslike {

// FAISS's RaBitQSearchParameters: query bits (0: float query, 1..8) and the symmetric
// ("centered") query quantizer.
struct SearchParametersRaBitQ : SearchParameters {
    int qb = 4;
    bool centered = false;
    std::unique_ptr<SearchParameters> clone() const override {
        return std::make_unique<SearchParametersRaBitQ>(*this);
    }
};

// FAISS's IVFRaBitQSearchParameters.
struct SearchParametersIVFRaBitQ : SearchParametersIVF {
    int qb = 4;
    bool centered = false;
    std::unique_ptr<SearchParameters> clone() const override {
        return std::make_unique<SearchParametersIVFRaBitQ>(*this);
    }
};

// qb must be in [0, 8] (InvalidArgument naming the value).
void check_rabitq_qb(int qb);

struct IndexRaBitQ : IndexFlatCodes {
    RaBitQuantizer rabitq;
    std::vector<float> center;  // mean of the training vectors
    int qb = 4;                 // default query bits (FAISS's default)
    bool centered = false;

    // nb_bits in [1, 9]: 1 sign bit + nb_bits - 1 extra bits per component.
    explicit IndexRaBitQ(idx_t d, MetricType metric = METRIC_L2, int nb_bits = 1);

    std::unique_ptr<CodeScorer> get_scorer() const override;
    void decode(size_t n, const uint8_t* in, float* x) const override;
    // Its scans read ntotal per block: adds exclude them.
    bool concurrent_add() const override { return false; }

   protected:
    void do_train(idx_t n, const float* x) override;
    void encode(size_t n, const float* x, uint8_t* out) const override;
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                         const SearchParameters* params) const override;
};

struct IndexIVFRaBitQ : IndexIVF {
    RaBitQuantizer rabitq;
    int qb = 4;
    bool centered = false;

    IndexIVFRaBitQ(Index* quantizer, idx_t d, size_t nlist, MetricType metric = METRIC_L2,
                   int nb_bits = 1);

    void encode_vector(const float* x, size_t list_no, uint8_t* code) const override;
    void encode_vectors(size_t n, const float* x, const idx_t* list_nos,
                        uint8_t* codes) const override;
    void decode_vector(const uint8_t* code, size_t list_no, float* x) const override;
    std::unique_ptr<InvertedListScanner> get_scanner() const override;
    // qb / centered from SearchParametersIVFRaBitQ, else the index's.
    std::unique_ptr<InvertedListScanner> get_scanner_for(
        const SearchParameters* params) const override;
};

// IndexIVFRaBitQ whose 1-bit stage runs on the fast-scan kernel (FAISS's
// IndexIVFRaBitQFastScan, factory "IVF<n>,RaBitQfs[<b>][_<bbs>]"): a code's sign bits, 4
// components per nibble, are a 4-bit PQ code of ceil(d / 4) sub-quantizers whose tables hold
// sum_{i in group} bit_i * (q_i - c_i); packed copies of the lists in blocks of 32
// (kernels/pq4_simd.h) are refreshed through IndexIVF::lists_changed, the tables quantized to
// 8 bits (the query side is then 8-bit, whatever qb says). The lists keep the ordinary codes:
// factors, extra bits, files, removal and reconstruction are IndexIVFRaBitQ's. d <= 1024.
struct IndexIVFRaBitQFastScan : IndexIVFRaBitQ {
    int bbs = 32;  // FAISS's block size (a positive multiple of 32)
    size_t M, M4;  // sub-quantizers: ceil(d / 4), padded to a multiple of 4

    IndexIVFRaBitQFastScan(Index* quantizer, idx_t d, size_t nlist, MetricType metric = METRIC_L2,
                           int nb_bits = 1, int bbs = 32);

    void lists_changed(bool appended) override;
    // The packed blocks are rebuilt after adds: they exclude searches.
    bool concurrent_add() const override { return false; }
    size_t packed_bytes() const;  // the packed copies (memory reporting)
    std::unique_ptr<InvertedListScanner> get_scanner() const override;
    std::unique_ptr<InvertedListScanner> get_scanner_for(
        const SearchParameters* params) const override;
    // A list's packed form: the sign nibbles in blocks of 32, and per block the factors the
    // 1-bit estimate reads as arrays of 32 (||o - c||^2 term, dp multiplier, and for
    // multi-bit codes the error factor), so that the estimate loop vectorizes.
    struct Packed {
        const uint8_t* blocks;
        const float* factors;
    };
    size_t factors_per_vector() const { return rabitq.nb_bits > 1 ? 3 : 2; }
    // List l's packed form (ls entries), built into the tmp buffers if out of step.
    Packed packed_list(size_t l, size_t ls, std::vector<uint8_t>& tmp_blocks,
                       std::vector<float>& tmp_factors) const;

   private:
    void pack_factors(const uint8_t* codes, size_t n0, size_t n, std::vector<float>& out) const;
    std::vector<std::vector<uint8_t>> packed_;
    std::vector<std::vector<float>> factors_;
    std::vector<size_t> packed_n_;
};

}  // namespace faisslike
