// Vectors stored scalar-quantized (SQ8: 1 byte per component, SQfp16: 2), scanned
// exhaustively; and the IVF variant that stores them in inverted lists.
#pragma once

#include <memory>
#include <vector>

#include "faisslike/IndexFlatCodes.h"
#include "faisslike/IndexIVF.h"
#include "faisslike/ScalarQuantizer.h"

namespace faisslike {

struct IndexScalarQuantizer : IndexFlatCodes {
    ScalarQuantizer sq;

    // QT_8bit needs train() (per-dimension ranges); QT_fp16 does not.
    IndexScalarQuantizer(idx_t d, ScalarQuantizer::QuantizerType qtype,
                         MetricType metric = METRIC_L2);

   protected:
    void do_train(idx_t n, const float* x) override;
    std::unique_ptr<CodeScorer> get_scorer() const override;
    void encode(size_t n, const float* x, uint8_t* out) const override {
        sq.compute_codes(x, out, n);
    }
    void decode(size_t n, const uint8_t* in, float* x) const override { sq.decode(in, x, n); }
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
