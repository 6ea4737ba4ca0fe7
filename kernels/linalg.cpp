#include "kernels/linalg.h"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <vector>

#include "faisslike/Error.h"

extern "C" void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                       double* w, double* work, const int* lwork, int* info);

namespace faisslike {
namespace kernels {

namespace {
constexpr size_t kRowBlock = size_t(1) << 20;  // rows per BLAS call (ints stay small)
}

void matmul_abt(const float* a, size_t n, const float* b, size_t m, size_t k, float* c) {
    for (size_t i0 = 0; i0 < n; i0 += kRowBlock) {
        const size_t ni = std::min(kRowBlock, n - i0);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(ni), int(m), int(k), 1.0f,
                    a + i0 * k, int(k), b, int(k), 0.0f, c + i0 * m, int(m));
    }
}

void matmul_ab(const float* a, size_t n, const float* b, size_t k, size_t m, float* c) {
    for (size_t i0 = 0; i0 < n; i0 += kRowBlock) {
        const size_t ni = std::min(kRowBlock, n - i0);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(ni), int(m), int(k), 1.0f,
                    a + i0 * k, int(k), b, int(m), 0.0f, c + i0 * m, int(m));
    }
}

void symmetric_eigen(size_t d, double* a, double* eigenvalues) {
    FAISSLIKE_THROW_IF_NOT_FMT(d > 0 && d < size_t(INT_MAX / 4), "eigen-decomposition of d=%zu", d);
    const int n = int(d);
    int info = 0, lwork = -1;
    double wq = 0;
    // Row-major symmetric = column-major symmetric: the eigenvectors come back as columns of
    // the column-major matrix, i.e. as rows here.
    dsyev_("V", "U", &n, a, &n, eigenvalues, &wq, &lwork, &info);
    FAISSLIKE_THROW_IF_NOT_FMT(info == 0, "LAPACK dsyev workspace query failed (info=%d)", info);
    lwork = int(wq);
    std::vector<double> work(size_t(std::max(lwork, 1)));
    dsyev_("V", "U", &n, a, &n, eigenvalues, work.data(), &lwork, &info);
    FAISSLIKE_THROW_IF_NOT_FMT(info == 0, "LAPACK dsyev failed (info=%d)", info);
}

void orthonormalize_rows(size_t r, size_t c, double* a) {
    for (size_t i = 0; i < r; ++i) {
        double* ai = a + i * c;
        for (int pass = 0; pass < 2; ++pass) {
            for (size_t j = 0; j < i; ++j) {
                const double* aj = a + j * c;
                double dot = 0;
                for (size_t t = 0; t < c; ++t) dot += ai[t] * aj[t];
                for (size_t t = 0; t < c; ++t) ai[t] -= dot * aj[t];
            }
        }
        double norm = 0;
        for (size_t t = 0; t < c; ++t) norm += ai[t] * ai[t];
        norm = std::sqrt(norm);
        FAISSLIKE_THROW_IF_NOT_FMT(norm > 1e-10, "orthonormalize: row %zu is linearly dependent",
                                   i);
        for (size_t t = 0; t < c; ++t) ai[t] /= norm;
    }
}

}  // namespace kernels
}  // namespace faisslike
