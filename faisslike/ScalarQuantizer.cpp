#include "faisslike/ScalarQuantizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "faisslike/Error.h"
#include "faisslike/impl/Parallel.h"
#include "kernels/half.h"
#include "kernels/kernel_table.h"

namespace faisslike {

ScalarQuantizer::ScalarQuantizer(size_t d_in, QuantizerType qt) : d(d_in), qtype(qt) {
    FAISSLIKE_CHECK_ARG(qtype == QT_8bit || qtype == QT_fp16,
                        "unsupported scalar quantizer type %d (QT_8bit=0, QT_fp16=4)", int(qtype));
    FAISSLIKE_CHECK_ARG(d >= 1, "scalar quantizer needs d >= 1, got %zu", d);
    code_size = qtype == QT_8bit ? d : 2 * d;
}

void ScalarQuantizer::train(size_t n, const float* x) {
    if (qtype != QT_8bit) return;
    FAISSLIKE_CHECK_ARG(n >= 1, "scalar quantizer training needs >= 1 vector, got %zu", n);
    vmin.assign(x, x + d);
    std::vector<float> vmax(vmin);
    for (size_t i = 1; i < n; ++i) {
        const float* xi = x + i * d;
        for (size_t j = 0; j < d; ++j) {
            vmin[j] = std::min(vmin[j], xi[j]);
            vmax[j] = std::max(vmax[j], xi[j]);
        }
    }
    vdiff.resize(d);
    for (size_t j = 0; j < d; ++j) vdiff[j] = vmax[j] - vmin[j];
    update_scale();
}

void ScalarQuantizer::update_scale() {
    scale.resize(vdiff.size());
    for (size_t j = 0; j < vdiff.size(); ++j) scale[j] = vdiff[j] / 256.0f;
}

void ScalarQuantizer::validate() const {
    if (qtype != QT_8bit) return;
    FAISSLIKE_THROW_IF_NOT_FMT(vmin.size() == d && vdiff.size() == d,
                               "scalar quantizer ranges have %zu / %zu entries for d=%zu",
                               vmin.size(), vdiff.size(), d);
    for (size_t j = 0; j < d; ++j)
        FAISSLIKE_THROW_IF_NOT_FMT(
            std::isfinite(vmin[j]) && std::isfinite(vdiff[j]) && vdiff[j] >= 0.0f,
            "scalar quantizer range of dimension %zu is invalid", j);
}

void ScalarQuantizer::compute_codes(const float* x, uint8_t* codes, size_t n) const {
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained(), "scalar quantizer is not trained");
    parallel_for(
        int64_t(n),
        [&](int64_t i) {
            const float* xi = x + size_t(i) * d;
            uint8_t* c = codes + size_t(i) * code_size;
            if (qtype == QT_8bit) {
                for (size_t j = 0; j < d; ++j) {
                    // 256 equal bins over [vmin, vmin + vdiff]; values outside clamp to the ends.
                    const float u = vdiff[j] > 0 ? (xi[j] - vmin[j]) / vdiff[j] * 256.0f : 0.0f;
                    c[j] = uint8_t(std::min(255.0f, std::max(0.0f, std::floor(u))));
                }
            } else {
                for (size_t j = 0; j < d; ++j) {
                    const uint16_t h = kernels::float_to_half(xi[j]);
                    std::memcpy(c + 2 * j, &h, 2);
                }
            }
        },
        n > 1024, false);
}

void ScalarQuantizer::decode(const uint8_t* codes, float* x, size_t n) const {
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained(), "scalar quantizer is not trained");
    for (size_t i = 0; i < n; ++i) {
        const uint8_t* c = codes + i * code_size;
        float* xi = x + i * d;
        for (size_t j = 0; j < d; ++j) {
            if (qtype == QT_8bit) {
                xi[j] = vmin[j] + (float(c[j]) + 0.5f) * scale[j];
            } else {
                uint16_t h;
                std::memcpy(&h, c + 2 * j, 2);
                xi[j] = kernels::half_to_float(h);
            }
        }
    }
}

void ScalarQuantizer::set_query(const float* x, bool ip, QueryTables& t) const {
    t.qa.resize(d);
    t.offset = 0;
    if (qtype == QT_fp16) {
        std::copy(x, x + d, t.qa.begin());
        return;
    }
    for (size_t j = 0; j < d; ++j) {
        if (ip) {
            t.qa[j] = x[j] * scale[j];
            t.offset += x[j] * (vmin[j] + 0.5f * scale[j]);
        } else {
            t.qa[j] = x[j] - vmin[j] - 0.5f * scale[j];
        }
    }
}

void ScalarQuantizer::distances(const kernels::KernelTable& K, const QueryTables& t, bool ip,
                                const uint8_t* codes, size_t n, float* out) const {
    if (qtype == QT_fp16) {
        const uint16_t* y = reinterpret_cast<const uint16_t*>(codes);
        if (ip) {
            K.fp16_inner_product_ny(out, t.qa.data(), y, d, n);
        } else {
            K.fp16_L2sqr_ny(out, t.qa.data(), y, d, n);
        }
        return;
    }
    if (ip) {
        K.sq8_dot_ny(out, t.qa.data(), codes, d, n);
        for (size_t i = 0; i < n; ++i) out[i] += t.offset;
    } else {
        K.sq8_L2sqr_ny(out, t.qa.data(), scale.data(), codes, d, n);
    }
}

}  // namespace faisslike
