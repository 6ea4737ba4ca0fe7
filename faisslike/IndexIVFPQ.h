// IVF whose lists hold PQ codes of the residuals x - centroid (by default).
#pragma once

#include <vector>

#include "faisslike/IndexIVF.h"
#include "faisslike/ProductQuantizer.h"

namespace faisslike {

struct IndexIVFPQ : IndexIVF {
    ProductQuantizer pq;
    bool by_residual = true;
    // L2 + by_residual: store ||r||^2 + 2<c, r> per (list, sub-quantizer, centroid) at train
    // time (FAISS's use_precomputed_table), so a probe costs a table add instead of a table.
    bool use_precomputed_table = true;
    // The table has nlist x M x 2^nbits floats: above this size it is not built and lists
    // compute their tables at search time (FAISS's limit, 2 GiB). Also what keeps a small
    // crafted file from asking for a huge table on load.
    size_t precomputed_table_max_bytes = size_t(2) << 30;
    std::vector<float> precomputed_table;  // nlist x M x ksub (derived: rebuilt after train/read)

    IndexIVFPQ(Index* quantizer, idx_t d, size_t nlist, size_t M, size_t nbits = 8,
               MetricType metric = METRIC_L2);

    // by_residual can only change before training (InvalidArgument after); switching the
    // precomputed table on builds it at once when trained.
    void set_by_residual(bool on);
    void set_use_precomputed_table(bool on);

    void train_encoder(idx_t n, const float* x) override;
    void encode_vector(const float* x, size_t list_no, uint8_t* code) const override;
    void encode_vectors(size_t n, const float* x, const idx_t* list_nos,
                        uint8_t* codes) const override;
    void decode_vector(const uint8_t* code, size_t list_no, float* x) const override;
    std::unique_ptr<InvertedListScanner> get_scanner() const override;

    // Rebuilds precomputed_table from the quantizer and pq (after train or read).
    void precompute_table();
    bool uses_precomputed_table() const;
    // Residual of x with respect to centroid list_no.
    void compute_residual(const float* x, size_t list_no, float* residual) const;
};

}  // namespace faisslike
