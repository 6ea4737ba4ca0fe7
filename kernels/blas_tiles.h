// Internal: the one place BLAS is called. tile[i * ny + j] = alpha * <x_i, y_j> for row-major
// x (nx x d) and y (ny x d). Inside an OpenMP parallel region the OpenMP build of OpenBLAS
// runs single-threaded, so callers may run one tile per thread.
#pragma once

#include <cstddef>

namespace faisslike {
namespace kernels {

void gemm_tile(const float* x, size_t nx, const float* y, size_t ny, size_t d, float alpha,
               float* tile);

}  // namespace kernels
}  // namespace faisslike
