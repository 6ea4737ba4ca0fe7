#include "faisslike/IndexIVFFlat.h"

#include <algorithm>
#include <cstring>

#include "faisslike/impl/ResultCollector.h"

namespace faisslike {

IndexIVFFlat::IndexIVFFlat(Index* quantizer, idx_t d_in, size_t nlist_in, MetricType metric)
        : IndexIVF(quantizer, d_in, nlist_in, sizeof(float) * size_t(d_in), metric) {}

void IndexIVFFlat::encode_vector(const float* x, size_t, uint8_t* code) const {
    std::memcpy(code, x, code_size);
}

void IndexIVFFlat::decode_vector(const uint8_t* code, size_t, float* x) const {
    std::memcpy(x, code, code_size);
}

void IndexIVFFlat::scan_list(const float* x, size_t list_no, float, Selector& sel, size_t k,
                             float* hv, idx_t* hi, float* buf) const {
    const size_t ls = invlists->list_size(list_no);
    const float* y = reinterpret_cast<const float*>(invlists->get_codes(list_no));
    const idx_t* ids = invlists->get_ids(list_no);
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    const size_t dd = size_t(d);
    for (size_t b0 = 0; b0 < ls; b0 += kScanBlock) {
        const size_t nb = std::min(kScanBlock, ls - b0);
        if (ip) {
            sel.K.inner_product_ny(buf, x, y + b0 * dd, dd, nb);
        } else {
            sel.K.L2sqr_ny(buf, x, y + b0 * dd, dd, nb);
        }
        sel.add(k, hv, hi, buf, nullptr, ip ? -1.0f : 1.0f, nb, IdArray{ids + b0});
    }
}

}  // namespace faisslike
