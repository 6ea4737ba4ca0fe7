// Internal: the BLAS / LAPACK names the kernels call, for either OpenBLAS a build links.
// The system library exports cblas_sgemm, dsyev_...; scipy-openblas32 (the PyPI build used by
// pip installs, FAISSLIKE_BLAS=scipy-openblas32) exports the same functions prefixed scipy_
// so that it never clashes with another OpenBLAS loaded in the same process (numpy's).
#pragma once

#include <cblas.h>

#include <cstddef>

#ifdef FAISSLIKE_SCIPY_OPENBLAS
#define FAISSLIKE_BLAS(name) scipy_##name
#else
#define FAISSLIKE_BLAS(name) name
#endif

extern "C" {
void FAISSLIKE_BLAS(dsyev_)(const char* jobz, const char* uplo, const int* n, double* a,
                            const int* lda, double* w, double* work, const int* lwork, int* info);
void FAISSLIKE_BLAS(dgesvd_)(const char* jobu, const char* jobvt, const int* m, const int* n,
                             double* a, const int* lda, double* s, double* u, const int* ldu,
                             double* vt, const int* ldvt, double* work, const int* lwork,
                             int* info);
}

namespace faisslike {
namespace kernels {

// Which BLAS this build calls and how it runs, e.g. "scipy-openblas32 OpenBLAS 0.3.34 ...
// core=Zen threads=pthreads": for get_compile_options() and bug reports.
const char* blas_description();

}  // namespace kernels
}  // namespace faisslike
