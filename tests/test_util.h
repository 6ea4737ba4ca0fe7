// Helpers shared by the C++ tests: deterministic data and double-precision references.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "faisslike/Index.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexIVF.h"

namespace faisslike_test {

// Adds n vectors to an index built from factory string `desc`: with `ids` when it is an
// IDMap / IDMap2 wrapper (they refuse plain add), else plain add.
inline void add_per_factory(faisslike::Index& idx, const std::string& desc, faisslike::idx_t n,
                            const float* x, const faisslike::idx_t* ids) {
    if (desc.rfind("MinMax", 0) == 0) return;  // a codec: nothing to add
    if (desc.rfind("IDMap", 0) == 0) {
        idx.add_with_ids(n, x, ids);
    } else {
        idx.add(n, x);
    }
}

inline std::vector<float> randn(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist;
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

// n points around ncent Gaussian centres (scale x N(0,1)) plus unit noise; the centres depend
// only on (ncent, d), so base and query sets drawn with different seeds share them.
inline std::vector<float> clustered(size_t n, size_t d, uint32_t seed, size_t ncent = 20,
                                    float scale = 4.0f) {
    auto c = randn(ncent * d, 4242 + uint32_t(ncent));
    auto x = randn(n * d, seed);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < d; ++j) x[i * d + j] += scale * c[(i % ncent) * d + j];
    return x;
}

inline double ref_L2(const float* x, const float* y, size_t d) {
    double s = 0;
    for (size_t i = 0; i < d; ++i) s += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
    return s;
}

inline double ref_IP(const float* x, const float* y, size_t d) {
    double s = 0;
    for (size_t i = 0; i < d; ++i) s += double(x[i]) * y[i];
    return s;
}

// Float error bound for a sum of d products of magnitude ~|terms|.
inline double tol_for(double abs_sum, size_t d) {
    return 1e-5 * abs_sum + 1e-6 * std::sqrt(double(d));
}

// Search parameters of idx's own kind, looking through an IDMap: nprobe for an IVF (0: all
// its lists), efSearch for an HNSW, plain otherwise.
inline std::unique_ptr<faisslike::SearchParameters> typed_params(const faisslike::Index& idx,
                                                                 size_t nprobe, int efSearch) {
    using namespace faisslike;
    const Index* inner = &idx;
    if (auto im = dynamic_cast<const IndexIDMap*>(&idx)) inner = im->index;
    if (auto ivf = dynamic_cast<const IndexIVF*>(inner)) {
        auto p = std::make_unique<SearchParametersIVF>();
        p->nprobe = nprobe ? nprobe : ivf->nlist;
        return p;
    }
    if (dynamic_cast<const IndexHNSWFlat*>(inner)) {
        auto p = std::make_unique<SearchParametersHNSW>();
        p->efSearch = efSearch;
        return p;
    }
    return std::make_unique<SearchParameters>();
}

}  // namespace faisslike_test
