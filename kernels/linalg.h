// Internal: dense linear algebra for the vector transforms (BLAS / LAPACK, like blas_tiles the
// only other place they are called).
#pragma once

#include <cstddef>

namespace faisslike {
namespace kernels {

// c (n x m) = a (n x k) * b^T, b row-major m x k. Any n (split into int-sized blocks).
void matmul_abt(const float* a, size_t n, const float* b, size_t m, size_t k, float* c);
// c (n x m) = a (n x k) * b, b row-major k x m.
void matmul_ab(const float* a, size_t n, const float* b, size_t k, size_t m, float* c);
// Eigen-decomposition of the symmetric d x d matrix a (row-major, overwritten by the
// eigenvectors as rows), eigenvalues in ascending order. Throws Error if LAPACK fails.
void symmetric_eigen(size_t d, double* a, double* eigenvalues);
// Thin SVD of the m x n matrix a (row-major, m >= n, destroyed): a = u diag(s) vt with u
// m x n (row-major), s n values (decreasing), vt n x n. Throws Error if LAPACK fails.
void svd(size_t m, size_t n, double* a, double* u, double* s, double* vt);
// c (k x m) = a^T b, a n x k and b n x m row-major (n < 2^31).
void matmul_atb(const float* a, size_t n, size_t k, const float* b, size_t m, float* c);
// c (m x n) = a^T b^T, a k x m and b n x k row-major, in double (the OPQ rotation update).
void matmul_atbt_d(const double* a, size_t k, size_t m, const double* b, size_t n, double* c);
// Orthonormalizes the r rows of a (r x c, r <= c) in place (Gram-Schmidt, twice for
// accuracy). Throws Error if the rows are linearly dependent.
void orthonormalize_rows(size_t r, size_t c, double* a);

}  // namespace kernels
}  // namespace faisslike
