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
// Orthonormalizes the r rows of a (r x c, r <= c) in place (Gram-Schmidt, twice for
// accuracy). Throws Error if the rows are linearly dependent.
void orthonormalize_rows(size_t r, size_t c, double* a);

}  // namespace kernels
}  // namespace faisslike
