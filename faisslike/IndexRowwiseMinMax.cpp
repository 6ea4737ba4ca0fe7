#include "faisslike/IndexRowwiseMinMax.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "faisslike/Error.h"
#include "faisslike/impl/Parallel.h"
#include "kernels/half.h"

namespace faisslike {

namespace {
Index* checked_codec(Index* index) {
    FAISSLIKE_CHECK_ARG_MSG(index != nullptr, "IndexRowwiseMinMax: the wrapped index is null");
    FAISSLIKE_CHECK_ARG_MSG(index->has_sa_codec(),
                            "IndexRowwiseMinMax: the wrapped index has no standalone codec");
    return index;
}
}  // namespace

IndexRowwiseMinMax::IndexRowwiseMinMax(Index* index_in, bool fp16_in)
    : Index(checked_codec(index_in)->d, index_in->metric_type),
      index(index_in, false),
      fp16(fp16_in) {
    is_trained = index->is_trained;
}

void IndexRowwiseMinMax::normalize(idx_t n, const float* x, float* xt, float* scale,
                                   float* offset) const {
    parallel_for(n, [&](idx_t i) {
        const float* v = x + size_t(i) * size_t(d);
        float lo = std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::lowest();
        for (int j = 0; j < d; ++j) {
            lo = std::min(lo, v[j]);
            hi = std::max(hi, v[j]);
        }
        float s = hi - lo, o = lo;
        if (fp16) {  // normalize with the values decoding will see
            s = kernels::half_to_float(kernels::float_to_half(s));
            o = kernels::half_to_float(kernels::float_to_half(o));
        }
        scale[i] = s;
        offset[i] = o;
        float* out = xt + size_t(i) * size_t(d);
        if (s == 0) {
            std::fill(out, out + d, 0.f);
        } else {
            const float inv = 1.0f / s;
            for (int j = 0; j < d; ++j) out[j] = (v[j] - o) * inv;
        }
    });
}

void IndexRowwiseMinMax::do_train(idx_t n, const float* x) {
    const size_t nn = size_t(n);
    std::vector<float> xt(nn * size_t(d)), s(nn), o(nn);
    normalize(n, x, xt.data(), s.data(), o.data());
    index->train(n, xt.data());
    is_trained = index->is_trained;
}

void IndexRowwiseMinMax::do_add(idx_t, const float*) {
    FAISSLIKE_THROW_MSG("IndexRowwiseMinMax is a codec: add is not supported (use sa_encode)");
}

void IndexRowwiseMinMax::do_search(idx_t, const float*, idx_t, float*, idx_t*,
                                   const SearchParameters*) const {
    FAISSLIKE_THROW_MSG("IndexRowwiseMinMax is a codec: search is not supported");
}

void IndexRowwiseMinMax::do_reset() {
    index->reset();
    ntotal = 0;
}

size_t IndexRowwiseMinMax::do_sa_code_size() const {
    return index->has_sa_codec() ? header_size() + index->sa_code_size() : 0;
}

void IndexRowwiseMinMax::do_sa_encode(idx_t n, const float* x, uint8_t* bytes) const {
    const size_t nn = size_t(n);
    std::vector<float> xt(nn * size_t(d)), s(nn), o(nn);
    normalize(n, x, xt.data(), s.data(), o.data());
    const size_t sub = index->sa_code_size(), hs = header_size();
    std::vector<uint8_t> codes(size_t(n) * sub);
    index->sa_encode(n, xt.data(), codes.data());
    for (idx_t i = 0; i < n; ++i) {
        uint8_t* out = bytes + size_t(i) * (hs + sub);
        if (fp16) {
            const uint16_t h[2] = {kernels::float_to_half(s[size_t(i)]),
                                   kernels::float_to_half(o[size_t(i)])};
            std::memcpy(out, h, 4);
        } else {
            const float f[2] = {s[size_t(i)], o[size_t(i)]};
            std::memcpy(out, f, 8);
        }
        std::memcpy(out + hs, codes.data() + size_t(i) * sub, sub);
    }
}

void IndexRowwiseMinMax::do_sa_decode(idx_t n, const uint8_t* bytes, float* x) const {
    const size_t sub = index->sa_code_size(), hs = header_size();
    std::vector<uint8_t> codes(size_t(n) * sub);
    for (idx_t i = 0; i < n; ++i)
        std::memcpy(codes.data() + size_t(i) * sub, bytes + size_t(i) * (hs + sub) + hs, sub);
    index->sa_decode(n, codes.data(), x);
    for (idx_t i = 0; i < n; ++i) {
        const uint8_t* in = bytes + size_t(i) * (hs + sub);
        float s, o;
        if (fp16) {
            uint16_t h[2];
            std::memcpy(h, in, 4);
            s = kernels::half_to_float(h[0]);
            o = kernels::half_to_float(h[1]);
        } else {
            float f[2];
            std::memcpy(f, in, 8);
            s = f[0];
            o = f[1];
        }
        float* v = x + size_t(i) * size_t(d);
        for (int j = 0; j < d; ++j) v[j] = v[j] * s + o;
    }
}

}  // namespace faisslike
