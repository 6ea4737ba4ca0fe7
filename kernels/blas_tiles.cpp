#include "kernels/blas_tiles.h"

#include <cblas.h>

namespace faisslike {
namespace kernels {

void gemm_tile(const float* x, size_t nx, const float* y, size_t ny, size_t d, float alpha,
               float* tile) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(nx), int(ny), int(d), alpha, x, int(d),
                y, int(d), 0.0f, tile, int(ny));
}

}  // namespace kernels
}  // namespace faisslike
