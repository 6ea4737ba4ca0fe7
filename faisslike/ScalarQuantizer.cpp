#include "faisslike/ScalarQuantizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "faisslike/Error.h"
#include "faisslike/impl/Parallel.h"
#include "kernels/half.h"
#include "kernels/kernel_table.h"

namespace faisslike {

namespace {

inline uint16_t float_to_bf16(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even (finite inputs only)
    return uint16_t(u >> 16);
}

inline float bf16_to_float(uint16_t h) {
    const uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// bits-wide values packed little-endian (component j at bit j * bits).
inline void put_bits(uint8_t* code, size_t j, int bits, uint32_t v) {
    // Codes start zeroed: OR the value in (spilling into the next byte when it straddles).
    const size_t bit = j * size_t(bits);
    const uint32_t w = v << (bit % 8);
    code[bit / 8] |= uint8_t(w);
    if ((bit % 8) + size_t(bits) > 8) code[bit / 8 + 1] |= uint8_t(w >> 8);
}

inline uint32_t get_bits(const uint8_t* code, size_t j, int bits) {
    const size_t bit = j * size_t(bits);
    uint32_t w = code[bit / 8];
    if ((bit % 8) + size_t(bits) > 8) w |= uint32_t(code[bit / 8 + 1]) << 8;
    return (w >> (bit % 8)) & ((1u << bits) - 1);
}

}  // namespace

ScalarQuantizer::ScalarQuantizer(size_t d_in, QuantizerType qt) : d(d_in), qtype(qt) {
    FAISSLIKE_CHECK_ARG(
        valid_type(int(qtype)),
        "unsupported scalar quantizer type %d (QT_8bit=0 .. QT_8bit_direct_signed=8)", int(qtype));
    FAISSLIKE_CHECK_ARG(d >= 1, "scalar quantizer needs d >= 1, got %zu", d);
    code_size = (d * size_t(bits()) + 7) / 8;
    if (!needs_training()) update_scale();
}

int ScalarQuantizer::bits() const {
    switch (qtype) {
        case QT_4bit:
        case QT_4bit_uniform:
            return 4;
        case QT_6bit:
            return 6;
        case QT_fp16:
        case QT_bf16:
            return 16;
        default:
            return 8;
    }
}

size_t ScalarQuantizer::n_ranges() const {
    switch (qtype) {
        case QT_8bit:
        case QT_4bit:
        case QT_6bit:
            return d;
        case QT_8bit_uniform:
        case QT_4bit_uniform:
            return 1;
        default:
            return 0;
    }
}

void ScalarQuantizer::train(size_t n, const float* x) {
    const size_t nr = n_ranges();
    if (nr == 0) return;
    FAISSLIKE_CHECK_ARG(n >= 1, "scalar quantizer training needs >= 1 vector, got %zu", n);
    std::vector<float> lo(x, x + d), hi(lo);
    for (size_t i = 1; i < n; ++i) {
        const float* xi = x + i * d;
        for (size_t j = 0; j < d; ++j) {
            lo[j] = std::min(lo[j], xi[j]);
            hi[j] = std::max(hi[j], xi[j]);
        }
    }
    if (nr == 1) {
        lo.assign(1, *std::min_element(lo.begin(), lo.end()));
        hi.assign(1, *std::max_element(hi.begin(), hi.end()));
    }
    vmin = lo;
    vdiff.resize(nr);
    for (size_t j = 0; j < nr; ++j) vdiff[j] = hi[j] - lo[j];
    update_scale();
}

void ScalarQuantizer::update_scale() {
    const size_t nr = n_ranges();
    const float levels = float(1u << std::min(bits(), 8));
    scale.assign(d, 1.0f);
    vmin_d.assign(d, 0.0f);
    if (nr == 0 || vmin.size() != nr || vdiff.size() != nr) return;
    for (size_t j = 0; j < d; ++j) {
        const size_t r = nr == 1 ? 0 : j;
        scale[j] = vdiff[r] / levels;
        vmin_d[j] = vmin[r];
    }
}

void ScalarQuantizer::validate() const {
    const size_t nr = n_ranges();
    if (nr == 0) return;
    FAISSLIKE_THROW_IF_NOT_FMT(vmin.size() == nr && vdiff.size() == nr,
                               "scalar quantizer ranges have %zu / %zu entries, expected %zu",
                               vmin.size(), vdiff.size(), nr);
    for (size_t j = 0; j < nr; ++j)
        FAISSLIKE_THROW_IF_NOT_FMT(
            std::isfinite(vmin[j]) && std::isfinite(vdiff[j]) && vdiff[j] >= 0.0f,
            "scalar quantizer range %zu is invalid", j);
}

void ScalarQuantizer::compute_codes(const float* x, uint8_t* codes, size_t n) const {
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained(), "scalar quantizer is not trained");
    const int nb = bits();
    const float levels = float(1u << std::min(nb, 8));
    parallel_for(
        int64_t(n),
        [&](int64_t i) {
            const float* xi = x + size_t(i) * d;
            uint8_t* c = codes + size_t(i) * code_size;
            switch (qtype) {
                case QT_fp16:
                    for (size_t j = 0; j < d; ++j) {
                        const uint16_t h = kernels::float_to_half(xi[j]);
                        std::memcpy(c + 2 * j, &h, 2);
                    }
                    return;
                case QT_bf16:
                    for (size_t j = 0; j < d; ++j) {
                        const uint16_t h = float_to_bf16(xi[j]);
                        std::memcpy(c + 2 * j, &h, 2);
                    }
                    return;
                case QT_8bit_direct:
                    for (size_t j = 0; j < d; ++j)
                        c[j] = uint8_t(std::min(255.0f, std::max(0.0f, std::floor(xi[j]))));
                    return;
                case QT_8bit_direct_signed:
                    for (size_t j = 0; j < d; ++j)
                        c[j] = uint8_t(int(std::min(127.0f, std::max(-128.0f, std::floor(xi[j])))) +
                                       128);
                    return;
                default:
                    break;
            }
            // Range types: 2^bits equal bins over [vmin, vmin + vdiff]; outside clamps.
            if (nb < 8) std::memset(c, 0, code_size);
            for (size_t j = 0; j < d; ++j) {
                const float diff = scale[j] * levels;
                const float u = diff > 0 ? (xi[j] - vmin_d[j]) / diff * levels : 0.0f;
                const uint32_t v = uint32_t(std::min(levels - 1, std::max(0.0f, std::floor(u))));
                if (nb == 8) {
                    c[j] = uint8_t(v);
                } else {
                    put_bits(c, j, nb, v);
                }
            }
        },
        n > 1024, false);
}

void ScalarQuantizer::decode(const uint8_t* codes, float* x, size_t n) const {
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained(), "scalar quantizer is not trained");
    const int nb = bits();
    for (size_t i = 0; i < n; ++i) {
        const uint8_t* c = codes + i * code_size;
        float* xi = x + i * d;
        switch (qtype) {
            case QT_fp16:
                for (size_t j = 0; j < d; ++j) {
                    uint16_t h;
                    std::memcpy(&h, c + 2 * j, 2);
                    xi[j] = kernels::half_to_float(h);
                }
                break;
            case QT_bf16:
                for (size_t j = 0; j < d; ++j) {
                    uint16_t h;
                    std::memcpy(&h, c + 2 * j, 2);
                    xi[j] = bf16_to_float(h);
                }
                break;
            case QT_8bit_direct:
                for (size_t j = 0; j < d; ++j) xi[j] = float(c[j]);
                break;
            case QT_8bit_direct_signed:
                for (size_t j = 0; j < d; ++j) xi[j] = float(int(c[j]) - 128);
                break;
            default:
                for (size_t j = 0; j < d; ++j) {
                    const uint32_t v = nb == 8 ? c[j] : get_bits(c, j, nb);
                    xi[j] = vmin_d[j] + (float(v) + 0.5f) * scale[j];
                }
        }
    }
}

void ScalarQuantizer::set_query(const float* x, bool ip, QueryTables& t) const {
    t.qa.resize(d);
    t.offset = 0;
    if (qtype != QT_8bit && qtype != QT_8bit_uniform) {
        std::copy(x, x + d, t.qa.begin());
        return;
    }
    for (size_t j = 0; j < d; ++j) {
        if (ip) {
            t.qa[j] = x[j] * scale[j];
            t.offset += x[j] * (vmin_d[j] + 0.5f * scale[j]);
        } else {
            t.qa[j] = x[j] - vmin_d[j] - 0.5f * scale[j];
        }
    }
}

void ScalarQuantizer::distances(const kernels::KernelTable& K, const QueryTables& t, bool ip,
                                const uint8_t* codes, size_t n, float* out) const {
    if (!fast_path()) {
        // Decode a few rows at a time (stays in L1/L2) and score them as floats.
        const size_t blk = std::max<size_t>(1, std::min<size_t>(64, 16384 / d));
        t.buf.resize(blk * d);
        for (size_t i0 = 0; i0 < n; i0 += blk) {
            const size_t ni = std::min(blk, n - i0);
            decode(codes + i0 * code_size, t.buf.data(), ni);
            kernels::distances_ny(K, ip, out + i0, t.qa.data(), t.buf.data(), d, ni);
        }
        return;
    }
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
