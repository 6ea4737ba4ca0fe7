#include "faisslike/RaBitQuantizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <queue>

#include "faisslike/Error.h"
#include "kernels/kernel_table.h"

namespace faisslike {

namespace {

inline float ld32(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
}
inline void st32(uint8_t* p, float v) {
    std::memcpy(p, &v, 4);
}

// Radius (in units of the query's RMS) of the symmetric qb-bit query quantizer that minimizes
// its L2 error for Gaussian-like components (the RaBitQ library's values; FAISS uses them).
constexpr float kCenteredRadius[8] = {0.79688f, 1.49375f, 2.05078f, 2.50938f,
                                      2.91250f, 3.26406f, 3.59844f, 3.91016f};

// Search window of the ex-bit scale t, as a fraction of its upper end (the RaBitQ library's
// settings: below it the best t has never been found).
constexpr float kTightStart[9] = {0.0f, 0.15f, 0.20f, 0.52f, 0.59f, 0.71f, 0.75f, 0.77f, 0.81f};
constexpr double kLevelEps = 1e-5;

// The scale t maximizing the cosine between |u| (unit) and the levels
// min(floor(t |u_i|), M) + 0.5: every level change is an event at t = (k + 1) / |u_i|; events
// are visited in increasing t, keeping the numerator and squared norm exact.
float best_scale(const float* a, size_t d, size_t ex_bits) {
    const int M = (1 << ex_bits) - 1;
    const float amax = *std::max_element(a, a + d);
    const float t_end = float(M + 10) / amax;
    const float t_start = t_end * kTightStart[ex_bits];
    std::vector<int> lev(d);
    double num = 0, den = 0;
    using Ev = std::pair<float, size_t>;
    std::priority_queue<Ev, std::vector<Ev>, std::greater<Ev>> events;
    for (size_t i = 0; i < d; ++i) {
        const int l = std::min(int(double(t_start) * a[i] + kLevelEps), M);
        lev[i] = l;
        num += (l + 0.5) * a[i];
        den += (l + 0.5) * (l + 0.5);
        if (l < M && a[i] > 0) {
            const float t = float(l + 1) / a[i];
            if (t < t_end) events.emplace(t, i);
        }
    }
    double best = num / std::sqrt(den);
    float t_best = t_start;
    while (!events.empty()) {
        const auto [t, i] = events.top();
        events.pop();
        const int l = ++lev[i];
        num += a[i];
        den += 2.0 * l;  // (l + 0.5)^2 - (l - 0.5)^2
        const double cosv = num / std::sqrt(den);
        if (cosv > best) best = cosv, t_best = t;
        if (l < M) {
            const float tn = float(l + 1) / a[i];
            if (tn < t_end) events.emplace(tn, i);
        }
    }
    return t_best;
}

}  // namespace

RaBitQuantizer::RaBitQuantizer(size_t d_in, MetricType metric_in, size_t nb_bits_in)
    : d(d_in), metric(metric_in), nb_bits(nb_bits_in) {
    FAISSLIKE_CHECK_ARG(d >= 1, "RaBitQ needs d >= 1, got d=%zu", d);
    FAISSLIKE_CHECK_ARG(nb_bits >= 1 && nb_bits <= 9,
                        "RaBitQ nb_bits must be in [1, 9], got nb_bits=%zu", nb_bits);
    FAISSLIKE_CHECK_ARG(metric == METRIC_L2 || metric == METRIC_INNER_PRODUCT,
                        "RaBitQ supports METRIC_L2 and METRIC_INNER_PRODUCT, got metric %d",
                        int(metric));
    code_size = sign_bytes() + (nb_bits == 1 ? 8 : 12 + (d * ex_bits() + 7) / 8 + 8);
}

void RaBitQuantizer::encode(const float* x, const float* c, uint8_t* code) const {
    std::memset(code, 0, code_size);
    std::vector<float> r(d);
    double norm2 = 0, x2 = 0, l1 = 0;
    for (size_t i = 0; i < d; ++i) {
        r[i] = x[i] - (c ? c[i] : 0.0f);
        norm2 += double(r[i]) * r[i];
        x2 += double(x[i]) * x[i];
        l1 += std::fabs(r[i]);
        if (r[i] > 0) code[i / 8] |= uint8_t(1u << (i % 8));
    }
    // <o_hat, x_bar> = |r|_1 / (|r| sqrt(d)): the cosine between the residual and its sign
    // vector; the estimate divides by it (dp_multiplier = |r| / cosine).
    const float eps = std::numeric_limits<float>::epsilon();
    const double norm = std::sqrt(norm2), sd = std::sqrt(double(d));
    const double cosv = norm2 < eps ? l1 / sd : l1 / (norm * sd);
    const double inv_cos = std::fabs(cosv) < eps ? 1.0 : 1.0 / cosv;
    uint8_t* f = code + sign_bytes();
    st32(f, float(metric == METRIC_INNER_PRODUCT ? norm2 - x2 : norm2));
    st32(f + 4, float(inv_cos * norm));
    if (nb_bits == 1) return;

    // Error factor of the 1-bit estimate (the paper's bound with its constant 1.9): how far
    // the sign vector is from the residual's direction.
    double err = 0;
    const double half_l1 = 0.5 * l1;
    if (half_l1 > eps) {
        const double ratio = norm2 * (0.25 * double(d)) / (half_l1 * half_l1);
        if (ratio > 1.0) err = norm * 1.9 * std::sqrt((ratio - 1.0) / double(d > 1 ? d - 1 : 1));
    }
    st32(f + 8, float(metric == METRIC_L2 ? 2.0 * err : err));

    // Ex bits: levels of |r| / |r| at the best scale, complemented for negative components
    // so that (sign << ex_bits) + level - (2^ex_bits - 0.5) = +-(level + 0.5).
    const size_t eb = ex_bits();
    uint8_t* ex = code + ex_offset();
    uint8_t* exf = ex + (d * eb + 7) / 8;
    if (norm < 1e-10) return;  // x on the centre: zero levels and factors
    std::vector<float> a(d);
    for (size_t i = 0; i < d; ++i) a[i] = float(std::fabs(r[i]) / norm);
    const float t = best_scale(a.data(), d, eb);
    const int M = (1 << eb) - 1;
    double ipn = 0;
    for (size_t i = 0; i < d; ++i) {
        int l = std::min(int(double(t) * a[i] + kLevelEps), M);
        ipn += (l + 0.5) * a[i];
        if (r[i] < 0) l = ~l & M;
        const size_t bit = i * eb;
        const uint32_t v = uint32_t(l) << (bit % 8);
        ex[bit / 8] |= uint8_t(v);
        if ((bit % 8) + eb > 8) ex[bit / 8 + 1] |= uint8_t(v >> 8);
    }
    double inv_ipn = 1.0 / ipn;
    if (!std::isnormal(inv_ipn)) inv_ipn = 1.0;
    if (metric == METRIC_L2) {
        st32(exf, float(norm2));
        st32(exf + 4, float(-2.0 * inv_ipn * norm));
    } else {
        double cr = 0;
        if (c)
            for (size_t i = 0; i < d; ++i) cr += double(c[i]) * r[i];
        st32(exf, float(cr));
        st32(exf + 4, float(inv_ipn * norm));
    }
}

void RaBitQuantizer::decode(const uint8_t* code, const float* c, float* x) const {
    const uint8_t* f = code + sign_bytes();
    if (nb_bits == 1) {
        // r ~ |r| / cosine * x_bar / sqrt(d)... scaled so that <q, x> keeps the estimate's value.
        const float s = 2.0f * ld32(f + 4) / std::sqrt(float(d));
        for (size_t i = 0; i < d; ++i) {
            const float b = float((code[i / 8] >> (i % 8)) & 1u);
            x[i] = (c ? c[i] : 0.0f) + (b - 0.5f) * s;
        }
        return;
    }
    // With ex bits: r ~ |r| / <u, levels> * (+-(level + 0.5)), the multi-bit estimate's vector.
    const size_t eb = ex_bits();
    const uint8_t* ex = code + ex_offset();
    const uint8_t* exf = ex + (d * eb + 7) / 8;
    const float resc = ld32(exf + 4);
    const float s = metric == METRIC_L2 ? -0.5f * resc : resc;
    const float cb = -(float(1u << eb) - 0.5f);
    const uint32_t mask = (1u << eb) - 1;
    for (size_t i = 0; i < d; ++i) {
        const uint32_t sb = (code[i / 8] >> (i % 8)) & 1u;
        const size_t bit = i * eb;
        uint32_t w = ex[bit / 8];
        if ((bit % 8) + eb > 8) w |= uint32_t(ex[bit / 8 + 1]) << 8;
        const uint32_t e = (w >> (bit % 8)) & mask;
        x[i] = (c ? c[i] : 0.0f) + s * (float((sb << eb) + e) + cb);
    }
}

void RaBitQuantizer::set_query(const kernels::KernelTable& K, const float* q, const float* c,
                               Query& s) const {
    // Once per query and probed list: at d = 768 and nprobe 64 a plain-loop version of this
    // cost as much as scanning the lists' codes, hence the kernels.
    s.r.resize(d);
    float st[4];
    K.rabitq_residual(q, c, d, s.r.data(), st);
    s.r_norm2 = st[1];
    s.sum_r = st[0];
    s.q_norm2 = s.q_dot_c = 0;
    if (metric == METRIC_INNER_PRODUCT) {
        s.q_norm2 = K.norm_L2sqr(q, d);
        s.q_dot_c = c ? K.inner_product(q, c, d) : 0.0f;
    }
    s.g_error = std::sqrt(s.r_norm2);
    const float isd = 1.0f / std::sqrt(float(d));
    if (s.qb == 0) {
        s.c1 = 2.0f * isd;
        s.c2 = 0.0f;
        s.c34 = s.sum_r * isd;
        return;
    }
    const int M = (1 << s.qb) - 1;
    float vmin, vmax;
    if (s.centered) {
        const float rad = kCenteredRadius[s.qb - 1] * std::sqrt(s.r_norm2 / float(d));
        vmin = -rad, vmax = rad;
    } else {
        vmin = st[2], vmax = st[3];
    }
    const float delta = (vmax - vmin) / float(M);
    // The quantized components as qb bit planes, zero past d (inv = 0: every value 0).
    s.nwords = (sign_bytes() + 7) / 8;
    s.planes.resize(size_t(s.qb) * s.nwords);
    K.rabitq_query_planes(s.r.data(), d, vmin, delta > 0 ? 1.0f / delta : 0.0f, s.qb,
                          s.planes.data());
    // sum_i q_i and sum_i q_i^2 from the planes: q_i = sum_b 2^b bit_b(i).
    int64_t sum_qq = 0, sum_sq = 0;
    for (int b = 0; b < s.qb; ++b) {
        const uint64_t* pb = s.planes.data() + size_t(b) * s.nwords;
        for (size_t w = 0; w < s.nwords; ++w) sum_qq += int64_t(__builtin_popcountll(pb[w])) << b;
        if (!s.centered) continue;
        for (int b2 = 0; b2 <= b; ++b2) {
            const uint64_t* pb2 = s.planes.data() + size_t(b2) * s.nwords;
            int64_t n = 0;
            for (size_t w = 0; w < s.nwords; ++w) n += __builtin_popcountll(pb[w] & pb2[w]);
            sum_sq += (n << (b + b2)) * (b2 == b ? 1 : 2);
        }
    }
    s.plane_sum = sum_qq;
    // sum_i (2 q_i - M)^2 over the d components (the centered estimator's scale).
    const int64_t sum2 = s.centered ? 4 * sum_sq - 4 * int64_t(M) * sum_qq + int64_t(d) * M * M : 0;
    s.c1 = 2.0f * delta * isd;
    s.c2 = 2.0f * vmin * isd;
    s.c34 = isd * (delta * float(sum_qq) + float(d) * vmin);
    s.int_dot_scale = std::sqrt(s.r_norm2 / (float(sum2) * float(d)));
}

void RaBitQuantizer::estimates_1bit(const kernels::KernelTable& K, Query& s, const uint8_t* codes,
                                    size_t n, float* out) const {
    const size_t sb = sign_bytes(), cs = code_size;
    const uint8_t* f = codes + sb;  // each code's factors
    // First the 1-bit dot products <x_bar, r> (up to the factor), then the estimates.
    if (s.qb == 0) {
        for (size_t j = 0; j < n; ++j)
            out[j] = s.c1 * K.rabitq_code_ip(codes + j * cs, nullptr, 0, s.r.data(), d) - s.c34;
    } else {
        if (s.dot.size() < n) s.dot.resize(n), s.pop.resize(n);
        K.rabitq_dot_ny(s.planes.data(), sb, s.qb, codes, cs, n, s.dot.data(), s.pop.data());
        const uint32_t* dot = s.dot.data();
        const uint32_t* pop = s.pop.data();
        if (s.centered) {
            const int64_t M = (int64_t(1) << s.qb) - 1, md = M * int64_t(d);
            for (size_t j = 0; j < n; ++j) {
                const int64_t x = s.plane_sum + M * int64_t(pop[j]) - 2 * int64_t(dot[j]);
                out[j] = float(md - 2 * x) * s.int_dot_scale;
            }
        } else {
            for (size_t j = 0; j < n; ++j)
                out[j] = s.c1 * float(dot[j]) + s.c2 * float(pop[j]) - s.c34;
        }
    }
    const float r2 = s.r_norm2;
    if (metric == METRIC_INNER_PRODUCT) {
        const float qn = s.q_norm2;
        for (size_t j = 0; j < n; ++j)
            out[j] = -0.5f * (ld32(f + j * cs) + r2 - 2.0f * ld32(f + j * cs + 4) * out[j] - qn);
    } else {
        for (size_t j = 0; j < n; ++j)
            out[j] = std::max(0.0f, ld32(f + j * cs) + r2 - 2.0f * ld32(f + j * cs + 4) * out[j]);
    }
}

float RaBitQuantizer::full_estimate(const kernels::KernelTable& K, const Query& s,
                                    const uint8_t* code) const {
    const size_t eb = ex_bits();
    const uint8_t* ex = code + ex_offset();
    const uint8_t* exf = ex + (d * eb + 7) / 8;
    const float cb = -(float(1u << eb) - 0.5f);
    const float v = K.rabitq_code_ip(code, ex, eb, s.r.data(), d) + cb * s.sum_r;
    const bool ip = metric == METRIC_INNER_PRODUCT;
    const float dist = (ip ? s.q_dot_c : s.r_norm2) + ld32(exf) + ld32(exf + 4) * v;
    return ip ? dist : std::max(0.0f, dist);
}

void RaBitQuantizer::distances(const kernels::KernelTable& K, Query& s, const uint8_t* codes,
                               size_t n, float* out, float bound) const {
    estimates_1bit(K, s, codes, n, out);
    if (nb_bits > 1) refine(K, s, codes, n, out, bound);
}

void RaBitQuantizer::refine(const kernels::KernelTable& K, const Query& s, const uint8_t* codes,
                            size_t n, float* out, float bound, const float* ferr) const {
    const size_t sb = sign_bytes();
    const bool ip = metric == METRIC_INNER_PRODUCT;
    const float skip =
        ip ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
    for (size_t j = 0; j < n; ++j) {
        const uint8_t* code = codes + j * code_size;
        const float err = (ferr ? ferr[j] : ld32(code + sb + 8)) * s.g_error;
        // The code can only enter the results if its most favourable value does.
        const bool keep = ip ? -(out[j] + err) < bound : std::max(0.0f, out[j] - err) < bound;
        out[j] = keep ? full_estimate(K, s, code) : skip;
    }
}

}  // namespace faisslike
