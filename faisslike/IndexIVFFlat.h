// IVF with the full vectors stored in the lists: exact distances within probed cells.
#pragma once

#include "faisslike/IndexIVF.h"

namespace faisslike {

struct IndexIVFFlat : IndexIVF {
    // The quantizer (usually an IndexFlat of dimension d) is not owned unless
    // quantizer.set_owned(true).
    IndexIVFFlat(Index* quantizer, idx_t d, size_t nlist, MetricType metric = METRIC_L2);

    void encode_vector(const float* x, size_t list_no, uint8_t* code) const override;
    void decode_vector(const uint8_t* code, size_t list_no, float* x) const override;
    std::unique_ptr<InvertedListScanner> get_scanner() const override;
    // Each probed list once per batch: its queries against its vectors with one sgemm.
    bool search_preassigned_by_list(idx_t n, const float* x, idx_t k, const idx_t* assign,
                                    float* distances, idx_t* labels, size_t nprobe) const override;
};

}  // namespace faisslike
