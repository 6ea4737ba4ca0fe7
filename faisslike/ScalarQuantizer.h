// Scalar quantizer: each component coded on its own (8-bit with trained per-dimension ranges,
// or IEEE half floats), decoded on the fly by the kernels in kernels/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "faisslike/Index.h"

namespace faisslike {

namespace kernels {
struct KernelTable;
}

struct ScalarQuantizer {
    // FAISS's numbering, so stored integers mean the same thing.
    enum QuantizerType : int { QT_8bit = 0, QT_fp16 = 4 };

    size_t d;
    QuantizerType qtype;
    size_t code_size;
    // QT_8bit: component j decodes to vmin[j] + (c + 0.5) * vdiff[j] / 256.
    std::vector<float> vmin, vdiff;

    ScalarQuantizer(size_t d, QuantizerType qtype);
    bool needs_training() const { return qtype == QT_8bit; }
    bool is_trained() const { return !needs_training() || vmin.size() == d; }
    // Per-dimension min / max of the n training vectors (QT_8bit; no-op for fp16).
    void train(size_t n, const float* x);
    void compute_codes(const float* x, uint8_t* codes, size_t n) const;
    void decode(const uint8_t* codes, float* x, size_t n) const;
    // Throws Error unless the range arrays fit d (used after reading a file).
    void validate() const;

    // Per-query state for distances to codes (IP: inner products, L2: distances).
    struct QueryTables {
        std::vector<float> qa;  // 8-bit L2: x - vmin - s / 2; 8-bit IP: x * s; fp16: x
        float offset = 0;       // 8-bit IP: sum_j x_j (vmin_j + s_j / 2)
    };
    void set_query(const float* x, bool ip, QueryTables& t) const;
    void distances(const kernels::KernelTable& K, const QueryTables& t, bool ip,
                   const uint8_t* codes, size_t n, float* out) const;

    std::vector<float> scale;  // vdiff / 256, derived: update_scale() after vdiff changes
    void update_scale();
};

}  // namespace faisslike
