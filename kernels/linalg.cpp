#include "kernels/linalg.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <vector>

#include "faisslike/Error.h"
#include "kernels/blas_api.h"

namespace faisslike {
namespace kernels {

namespace {
constexpr size_t kRowBlock = size_t(1) << 20;  // rows per BLAS call (ints stay small)
}

void matmul_abt(const float* a, size_t n, const float* b, size_t m, size_t k, float* c) {
    for (size_t i0 = 0; i0 < n; i0 += kRowBlock) {
        const size_t ni = std::min(kRowBlock, n - i0);
        FAISSLIKE_BLAS(cblas_sgemm)
        (CblasRowMajor, CblasNoTrans, CblasTrans, int(ni), int(m), int(k), 1.0f, a + i0 * k, int(k),
         b, int(k), 0.0f, c + i0 * m, int(m));
    }
}

void matmul_ab(const float* a, size_t n, const float* b, size_t k, size_t m, float* c) {
    for (size_t i0 = 0; i0 < n; i0 += kRowBlock) {
        const size_t ni = std::min(kRowBlock, n - i0);
        FAISSLIKE_BLAS(cblas_sgemm)
        (CblasRowMajor, CblasNoTrans, CblasNoTrans, int(ni), int(m), int(k), 1.0f, a + i0 * k,
         int(k), b, int(m), 0.0f, c + i0 * m, int(m));
    }
}

void symmetric_eigen(size_t d, double* a, double* eigenvalues) {
    FAISSLIKE_THROW_IF_NOT_FMT(d > 0 && d < size_t(INT_MAX / 4), "eigen-decomposition of d=%zu", d);
    const int n = int(d);
    int info = 0, lwork = -1;
    double wq = 0;
    // Row-major symmetric = column-major symmetric: the eigenvectors come back as columns of
    // the column-major matrix, i.e. as rows here.
    FAISSLIKE_BLAS(dsyev_)("V", "U", &n, a, &n, eigenvalues, &wq, &lwork, &info);
    FAISSLIKE_THROW_IF_NOT_FMT(info == 0, "LAPACK dsyev workspace query failed (info=%d)", info);
    lwork = int(wq);
    std::vector<double> work(size_t(std::max(lwork, 1)));
    FAISSLIKE_BLAS(dsyev_)("V", "U", &n, a, &n, eigenvalues, work.data(), &lwork, &info);
    FAISSLIKE_THROW_IF_NOT_FMT(info == 0, "LAPACK dsyev failed (info=%d)", info);
}

void svd(size_t m, size_t n, double* a, double* u, double* s, double* vt) {
    FAISSLIKE_THROW_IF_NOT_FMT(m >= n && n > 0 && m < size_t(INT_MAX / 4), "svd of %zu x %zu", m,
                               n);
    // Row-major a (m x n) is, to LAPACK, the column-major n x m matrix a^T = V S U^T. Its
    // left factor V (column-major n x n) read row-major is V^T: our vt. Its right factor U^T
    // (column-major n x m) read row-major (m x n) is U: our u.
    const int M = int(n), N = int(m), ldu = int(n), ldvt = int(n);
    int info = 0, lwork = -1;
    double wq = 0;
    FAISSLIKE_BLAS(dgesvd_)("S", "S", &M, &N, a, &M, s, vt, &ldu, u, &ldvt, &wq, &lwork, &info);
    FAISSLIKE_THROW_IF_NOT_FMT(info == 0, "LAPACK dgesvd workspace query failed (info=%d)", info);
    lwork = int(wq);
    std::vector<double> work(size_t(std::max(lwork, 1)));
    FAISSLIKE_BLAS(dgesvd_)
    ("S", "S", &M, &N, a, &M, s, vt, &ldu, u, &ldvt, work.data(), &lwork, &info);
    FAISSLIKE_THROW_IF_NOT_FMT(info == 0, "LAPACK dgesvd failed (info=%d)", info);
}

void matmul_atb(const float* a, size_t n, size_t k, const float* b, size_t m, float* c) {
    FAISSLIKE_THROW_IF_NOT_FMT(n < size_t(INT_MAX), "matmul_atb over %zu rows", n);
    FAISSLIKE_BLAS(cblas_sgemm)
    (CblasRowMajor, CblasTrans, CblasNoTrans, int(k), int(m), int(n), 1.0f, a, int(k), b, int(m),
     0.0f, c, int(m));
}

void matmul_atbt_d(const double* a, size_t k, size_t m, const double* b, size_t n, double* c) {
    FAISSLIKE_BLAS(cblas_dgemm)
    (CblasRowMajor, CblasTrans, CblasTrans, int(m), int(n), int(k), 1.0, a, int(m), b, int(k), 0.0,
     c, int(n));
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
