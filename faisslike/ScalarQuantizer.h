// Scalar quantizer: each component coded on its own: 4, 6 or 8 bits over trained ranges (per
// dimension, or one for all: "uniform"), 8 bits taken as they are ("direct"), IEEE half
// floats or bfloat16. 8-bit and fp16 codes are scored by dedicated kernels in kernels/; the
// others are decoded in small blocks and scored by the float kernels.
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
    enum QuantizerType : int {
        QT_8bit = 0,
        QT_4bit = 1,
        QT_8bit_uniform = 2,
        QT_4bit_uniform = 3,
        QT_fp16 = 4,
        QT_8bit_direct = 5,  // components are integers 0..255, stored as they are
        QT_6bit = 6,
        QT_bf16 = 7,
        QT_8bit_direct_signed = 8,  // integers -128..127
    };
    static bool valid_type(int qt) { return qt >= 0 && qt <= 8; }

    size_t d;
    QuantizerType qtype;
    size_t code_size;
    // Trained ranges: component j decodes to vmin[j] + (c + 0.5) * vdiff[j] / 2^bits
    // (uniform types: one range, vmin[0] / vdiff[0], for every component).
    std::vector<float> vmin, vdiff;

    ScalarQuantizer(size_t d, QuantizerType qtype);
    int bits() const;  // per component
    // Ranges learned from data: per dimension (d values) or one (uniform), or none (0).
    size_t n_ranges() const;
    bool needs_training() const { return n_ranges() > 0; }
    bool is_trained() const { return !needs_training() || vmin.size() == n_ranges(); }
    // Min / max of the n training vectors (per dimension or overall); no-op without ranges.
    void train(size_t n, const float* x);
    void compute_codes(const float* x, uint8_t* codes, size_t n) const;
    void decode(const uint8_t* codes, float* x, size_t n) const;
    // Throws Error unless the range arrays fit d (used after reading a file).
    void validate() const;

    // Per-query state for distances to codes (IP: inner products, L2: distances).
    struct QueryTables {
        std::vector<float> qa;           // 8-bit L2: x - vmin - s / 2; 8-bit IP: x * s; others: x
        float offset = 0;                // 8-bit IP: sum_j x_j (vmin_j + s_j / 2)
        mutable std::vector<float> buf;  // decoded block (the other types)
    };
    void set_query(const float* x, bool ip, QueryTables& t) const;
    void distances(const kernels::KernelTable& K, const QueryTables& t, bool ip,
                   const uint8_t* codes, size_t n, float* out) const;

    // Derived, per dimension (uniform ranges expanded): update_scale() after vmin / vdiff
    // change. scale = vdiff / 2^bits.
    std::vector<float> scale, vmin_d;
    void update_scale();

   private:
    bool fast_path() const {
        return qtype == QT_8bit || qtype == QT_8bit_uniform || qtype == QT_fp16;
    }
};

}  // namespace faisslike
