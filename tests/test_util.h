// Helpers shared by the C++ tests: deterministic data and double-precision references.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace faisslike_test {

inline std::vector<float> randn(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist;
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
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

}  // namespace faisslike_test
