// Vectors stored scalar-quantized (SQ8: 1 byte per component, SQfp16: 2), scanned
// exhaustively; and the IVF variant that stores them in inverted lists.
#pragma once

#include <memory>
#include <vector>

#include "faisslike/IndexIVF.h"
#include "faisslike/ScalarQuantizer.h"

namespace faisslike {

struct IndexScalarQuantizer : Index {
    ScalarQuantizer sq;
    std::vector<uint8_t> codes;  // ntotal x sq.code_size

    // QT_8bit needs train() (per-dimension ranges); QT_fp16 does not.
    IndexScalarQuantizer(idx_t d, ScalarQuantizer::QuantizerType qtype,
                         MetricType metric = METRIC_L2);

    void train(idx_t n, const float* x) override;
    void add(idx_t n, const float* x) override;
    void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                const SearchParameters* params = nullptr) const override;
    void reset() override;
    // Removes the selected ids; later codes move down (ids renumbered, as FAISS).
    size_t remove_ids(const IDSelector& sel) override;
    void reconstruct(idx_t key, float* recons) const override;
};

struct IndexIVFScalarQuantizer : IndexIVF {
    ScalarQuantizer sq;
    // Code the residual to the list centroid (FAISS's default): finer ranges per component.
    bool by_residual = true;

    IndexIVFScalarQuantizer(Index* quantizer, idx_t d, size_t nlist,
                            ScalarQuantizer::QuantizerType qtype, MetricType metric = METRIC_L2,
                            bool by_residual = true);

    void encode_vector(const float* x, size_t list_no, uint8_t* code) const override;
    void encode_vectors(size_t n, const float* x, const idx_t* list_nos,
                        uint8_t* codes) const override;
    void decode_vector(const uint8_t* code, size_t list_no, float* x) const override;
    std::unique_ptr<InvertedListScanner> get_scanner() const override;
    void train_encoder(idx_t n, const float* x) override;
};

}  // namespace faisslike
