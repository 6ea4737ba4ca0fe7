#pragma once

#include <cstdint>

namespace faisslike {

using idx_t = int64_t;

// Values match FAISS so that metric codes mean the same in both libraries.
enum MetricType : int {
    METRIC_INNER_PRODUCT = 0,
    METRIC_L2 = 1,
};

inline bool is_similarity_metric(MetricType m) {
    return m == METRIC_INNER_PRODUCT;
}

}  // namespace faisslike
