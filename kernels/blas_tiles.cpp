#include "kernels/blas_tiles.h"

#include <string>

#include "faisslike/distances.h"
#include "kernels/blas_api.h"

namespace faisslike {
namespace kernels {

namespace {
// The pthread OpenBLAS (scipy-openblas32) would run its own thread pool inside our parallel
// regions: its threads and OpenMP's spin against each other and concurrent multi-threaded
// calls serialize on its level-3 lock. Single-threaded, every call runs in its caller's thread
// and the parallel driver spreads the work, as with the OpenMP build inside a region.
#ifdef FAISSLIKE_SCIPY_OPENBLAS
const bool kBlasSingleThreaded = (FAISSLIKE_BLAS(openblas_set_num_threads)(1), true);
#endif
}  // namespace

void gemm_tile(const float* x, size_t nx, const float* y, size_t ny, size_t d, float alpha,
               float* tile) {
    FAISSLIKE_BLAS(cblas_sgemm)
    (CblasRowMajor, CblasNoTrans, CblasTrans, int(nx), int(ny), int(d), alpha, x, int(d), y, int(d),
     0.0f, tile, int(ny));
}

const char* blas_description() {
    static const std::string s = [] {
#ifdef FAISSLIKE_SCIPY_OPENBLAS
        std::string r = "scipy-openblas32 ";
#else
        std::string r = "system ";
#endif
        const int par = FAISSLIKE_BLAS(openblas_get_parallel)();
        r += FAISSLIKE_BLAS(openblas_get_config)();
        r += " core=";
        r += FAISSLIKE_BLAS(openblas_get_corename)();
        r += par == 2 ? " threads=openmp" : par == 1 ? " threads=pthreads" : " threads=none";
        return r;
    }();
    return s.c_str();
}

}  // namespace kernels

const char* blas_info() {
    return kernels::blas_description();
}

}  // namespace faisslike
