// IVF with the full vectors stored in the lists: exact distances within probed cells.
#pragma once

#include "faisslike/IndexIVF.h"

namespace faisslike {

struct IndexIVFFlat : IndexIVF {
    // The quantizer (usually an IndexFlat of dimension d) is not owned unless own_fields.
    IndexIVFFlat(Index* quantizer, idx_t d, size_t nlist, MetricType metric = METRIC_L2);

    void encode_vector(const float* x, size_t list_no, uint8_t* code) const override;
    void decode_vector(const uint8_t* code, size_t list_no, float* x) const override;
    void scan_list(const float* x, size_t list_no, float coarse_dis, Selector& sel, size_t k,
                   float* hv, idx_t* hi, float* buf) const override;
};

}  // namespace faisslike
