#include "faisslike/VectorTransform.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include "faisslike/Clustering.h"
#include "faisslike/Error.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/distances.h"
#include "faisslike/impl/Parallel.h"
#include "kernels/linalg.h"

namespace faisslike {

VectorTransform::VectorTransform(int d_in, int d_out) : d_in(d_in), d_out(d_out) {
    FAISSLIKE_CHECK_ARG(d_in > 0 && d_in <= kMaxDim && d_out > 0 && d_out <= kMaxDim,
                        "transform dimensions must be in [1, %lld], got d_in=%d d_out=%d",
                        (long long)kMaxDim, d_in, d_out);
}

void VectorTransform::train(idx_t n, const float* x) {
    FAISSLIKE_CHECK_ARG(n >= 0 && (n == 0 || x), "bad training set (n=%lld)", (long long)n);
    check_finite("transform training vectors", n, d_in, x);
    do_train(n, x);
}

void VectorTransform::apply(idx_t n, const float* x, float* xt) const {
    FAISSLIKE_CHECK_ARG(n >= 0 && (n == 0 || (x && xt)), "bad input (n=%lld)", (long long)n);
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "the transform is not trained (apply before train)");
    if (n == 0) return;
    check_finite("vectors to transform", n, d_in, x);
    do_apply(n, x, xt);
}

void VectorTransform::reverse_transform(idx_t n, const float* xt, float* x) const {
    FAISSLIKE_CHECK_ARG(n >= 0 && (n == 0 || (x && xt)), "bad input (n=%lld)", (long long)n);
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "the transform is not trained");
    FAISSLIKE_THROW_IF_NOT_MSG(has_reverse(), "this transform cannot be reversed");
    if (n == 0) return;
    do_reverse(n, xt, x);
}

void VectorTransform::do_reverse(idx_t, const float*, float*) const {
    FAISSLIKE_THROW_MSG("this transform cannot be reversed");
}

void NormalizationTransform::do_apply(idx_t n, const float* x, float* xt) const {
    std::memcpy(xt, x, sizeof(float) * size_t(n) * size_t(d_in));
    fvec_renorm_L2(size_t(d_in), size_t(n), xt);
}

void NormalizationTransform::do_reverse(idx_t n, const float* xt, float* x) const {
    std::memcpy(x, xt, sizeof(float) * size_t(n) * size_t(d_in));
}

LinearTransform::LinearTransform(int d_in, int d_out, bool have_bias)
    : VectorTransform(d_in, d_out), have_bias(have_bias) {
    is_trained = false;
}

void LinearTransform::set_matrix(const float* A_in, const float* b_in) {
    FAISSLIKE_CHECK_ARG_MSG(A_in != nullptr, "set_matrix: A is null");
    FAISSLIKE_CHECK_ARG_MSG(!have_bias || b_in != nullptr, "set_matrix: the bias b is missing");
    check_finite("matrix A", d_out, d_in, A_in);
    if (have_bias) check_finite("bias b", 1, d_out, b_in);
    A.assign(A_in, A_in + size_t(d_out) * size_t(d_in));
    if (have_bias)
        b.assign(b_in, b_in + d_out);
    else
        b.clear();
    set_is_orthonormal();
    is_trained = true;
}

void LinearTransform::set_is_orthonormal() {
    const size_t r = size_t(d_out), c = size_t(d_in);
    is_orthonormal = false;
    if (A.size() != r * c) return;
    const bool rows = r <= c;  // A A^T = I, else A^T A = I
    const size_t m = rows ? r : c;
    for (size_t i = 0; i < m; ++i)
        for (size_t j = 0; j <= i; ++j) {
            double dot = 0;
            if (rows)
                for (size_t t = 0; t < c; ++t) dot += double(A[i * c + t]) * A[j * c + t];
            else
                for (size_t t = 0; t < r; ++t) dot += double(A[t * c + i]) * A[t * c + j];
            if (std::fabs(dot - (i == j ? 1.0 : 0.0)) > 1e-4) return;
        }
    is_orthonormal = true;
}

namespace {
// Row blocks of a product spread over the parallel driver: BLAS runs single-threaded inside
// (the pthread OpenBLAS of pip builds always, the OpenMP one inside a region).
template <class F>
void by_row_blocks(idx_t n, const F& f) {
    constexpr idx_t kBlock = 1024;
    const idx_t nb = (n + kBlock - 1) / kBlock;
    parallel_for(
        nb, [&](idx_t b) { f(b * kBlock, std::min(n, (b + 1) * kBlock) - b * kBlock); }, nb > 1);
}
}  // namespace

void LinearTransform::do_apply(idx_t n, const float* x, float* xt) const {
    by_row_blocks(n, [&](idx_t i0, idx_t ni) {
        kernels::matmul_abt(x + i0 * d_in, size_t(ni), A.data(), size_t(d_out), size_t(d_in),
                            xt + i0 * d_out);
    });
    if (have_bias)
        for (size_t i = 0; i < size_t(n); ++i)
            for (size_t j = 0; j < size_t(d_out); ++j) xt[i * d_out + j] += b[j];
}

void LinearTransform::do_reverse(idx_t n, const float* xt, float* x) const {
    // x = (y - b) A: exact for orthonormal columns, the projection for orthonormal rows.
    std::vector<float> y;
    const float* src = xt;
    if (have_bias) {
        y.assign(xt, xt + size_t(n) * size_t(d_out));
        for (size_t i = 0; i < size_t(n); ++i)
            for (size_t j = 0; j < size_t(d_out); ++j) y[i * d_out + j] -= b[j];
        src = y.data();
    }
    by_row_blocks(n, [&](idx_t i0, idx_t ni) {
        kernels::matmul_ab(src + i0 * d_out, size_t(ni), A.data(), size_t(d_out), size_t(d_in),
                           x + i0 * d_in);
    });
}

RandomRotationMatrix::RandomRotationMatrix(int d_in, int d_out)
    : LinearTransform(d_in, d_out, false) {}

void RandomRotationMatrix::init(int64_t seed) {
    // Orthonormal rows of a Gaussian matrix (d_out <= d_in), or orthonormal columns.
    const size_t r = size_t(std::min(d_in, d_out)), c = size_t(std::max(d_in, d_out));
    std::mt19937_64 rng{uint64_t(seed)};
    std::normal_distribution<double> g;
    std::vector<double> m(r * c);
    for (double& v : m) v = g(rng);
    kernels::orthonormalize_rows(r, c, m.data());
    A.resize(size_t(d_out) * size_t(d_in));
    if (d_out <= d_in) {
        for (size_t i = 0; i < m.size(); ++i) A[i] = float(m[i]);
    } else {  // A = M^T: d_out x d_in with orthonormal columns
        for (size_t i = 0; i < r; ++i)
            for (size_t j = 0; j < c; ++j) A[j * r + i] = float(m[i * c + j]);
    }
    is_orthonormal = true;
    is_trained = true;
}

void RandomRotationMatrix::do_train(idx_t, const float*) {
    init(12345);  // FAISS's seed
}

namespace {
// The training vectors of PCA and OPQ: x itself when n <= nmax, else a deterministic random
// subset of nmax rows (in their original order) copied into storage; n becomes its size.
const float* subsample(const float* x, size_t& n, size_t d, size_t nmax,
                       std::vector<float>& storage) {
    if (n <= nmax) return x;
    std::mt19937 rng(1234);
    std::vector<size_t> perm(n);
    for (size_t i = 0; i < n; ++i) perm[i] = i;
    for (size_t i = 0; i < nmax; ++i)
        std::swap(perm[i], perm[std::uniform_int_distribution<size_t>(i, n - 1)(rng)]);
    std::sort(perm.begin(), perm.begin() + long(nmax));
    storage.resize(nmax * d);
    for (size_t i = 0; i < nmax; ++i)
        std::memcpy(&storage[i * d], x + perm[i] * d, d * sizeof(float));
    n = nmax;
    return storage.data();
}
}  // namespace

OPQMatrix::OPQMatrix(int d_in_, int M_, int d_out_)
    : LinearTransform(d_in_, d_out_ < 0 ? d_in_ : d_out_, false), M(M_) {
    FAISSLIKE_CHECK_ARG(M_ > 0, "OPQ needs M > 0, got M=%d", M_);
    FAISSLIKE_CHECK_ARG(d_out <= d_in, "OPQ output d_out=%d exceeds d_in=%d", d_out, d_in);
    FAISSLIKE_CHECK_ARG(d_out % M_ == 0, "OPQ: M=%d does not divide d_out=%d", M_, d_out);
    is_trained = false;
}

void OPQMatrix::do_train(idx_t n_in, const float* x_in) {
    constexpr size_t ksub = 256;
    FAISSLIKE_CHECK_ARG(niter >= 1 && niter_pq >= 1 && niter_pq_0 >= 1,
                        "OPQ iteration counts must be >= 1 (niter=%d, niter_pq=%d, niter_pq_0=%d)",
                        niter, niter_pq, niter_pq_0);
    FAISSLIKE_THROW_IF_NOT_FMT(size_t(n_in) >= ksub,
                               "OPQ training needs at least %zu vectors, got %lld", ksub,
                               (long long)n_in);
    const size_t d = size_t(d_in), d2 = size_t(d_out), dsub = d2 / size_t(M);
    size_t n = size_t(n_in);
    std::vector<float> sample;
    const float* x = max_train_points > 0 ? subsample(x_in, n, d, max_train_points, sample) : x_in;
    if (verbose)
        std::printf("OPQ: training %zu x %zu -> %zu, M=%d, %d rounds\n", n, d, d2, M, niter);
    // Start from a random rotation (d2 orthonormal rows).
    std::vector<double> Rd(d2 * d);
    {
        std::mt19937_64 rng(4321);
        std::normal_distribution<double> g;
        for (double& v : Rd) v = g(rng);
        kernels::orthonormalize_rows(d2, d, Rd.data());
    }
    std::vector<float> R(d2 * d), xproj(n * d2), recon(n * d2), sub(n * dsub), C(d * d2);
    std::vector<std::vector<float>> cents{size_t(M)};
    std::vector<float> D(n);
    std::vector<idx_t> I(n);
    std::vector<double> Cd(d * d2), U(d * d2), S(d2), Vt(d2 * d2);
    for (int it = 0; it < niter; ++it) {
        for (size_t i = 0; i < R.size(); ++i) R[i] = float(Rd[i]);
        kernels::matmul_abt(x, n, R.data(), d2, d, xproj.data());
        // The PQ round: each sub-space's k-means, hot-started after the first round.
        for (size_t m = 0; m < size_t(M); ++m) {
            for (size_t i = 0; i < n; ++i)
                std::memcpy(&sub[i * dsub], &xproj[i * d2 + m * dsub], dsub * sizeof(float));
            ClusteringParameters cp;
            cp.niter = it == 0 ? niter_pq_0 : niter_pq;
            cp.max_points_per_centroid = int(std::max<size_t>(256, n / ksub + 1));
            cp.min_points_per_centroid = 1;  // the subset size is the caller's choice
            cp.seed = 1234 + int(m);
            Clustering km(int(dsub), int(ksub), cp);
            km.centroids = cents[m];
            IndexFlatL2 assign{idx_t(dsub)};
            km.train(idx_t(n), sub.data(), assign);
            cents[m] = km.centroids;
            assign.search(idx_t(n), sub.data(), 1, D.data(), I.data());
            for (size_t i = 0; i < n; ++i)
                std::memcpy(&recon[i * d2 + m * dsub], &cents[m][size_t(I[i]) * dsub],
                            dsub * sizeof(float));
        }
        if (verbose) {
            double err = 0;
            for (size_t i = 0; i < n * d2; ++i)
                err += double(xproj[i] - recon[i]) * double(xproj[i] - recon[i]);
            std::printf("OPQ round %d: quantization MSE %g\n", it, err / double(n));
        }
        // Procrustes: the R with orthonormal rows minimizing ||x R^T - recon|| is V U^T
        // for x^T recon = U S V^T.
        kernels::matmul_atb(x, n, d, recon.data(), d2, C.data());
        for (size_t i = 0; i < C.size(); ++i) Cd[i] = double(C[i]);
        kernels::svd(d, d2, Cd.data(), U.data(), S.data(), Vt.data());
        kernels::matmul_atbt_d(Vt.data(), d2, d2, U.data(), d, Rd.data());
    }
    for (size_t i = 0; i < R.size(); ++i) R[i] = float(Rd[i]);
    set_matrix(R.data(), nullptr);
}

PCAMatrix::PCAMatrix(int d_in, int d_out, float eigen_power, bool random_rotation)
    : LinearTransform(d_in, d_out, true),
      eigen_power(eigen_power),
      random_rotation(random_rotation) {
    FAISSLIKE_CHECK_ARG(d_out <= d_in, "PCA output d_out=%d exceeds d_in=%d", d_out, d_in);
    FAISSLIKE_CHECK_ARG(std::isfinite(eigen_power), "eigen_power must be finite, got %g",
                        double(eigen_power));
}

void PCAMatrix::do_train(idx_t n_in, const float* x_in) {
    const size_t d = size_t(d_in);
    FAISSLIKE_THROW_IF_NOT_FMT(n_in >= 2, "PCA training needs at least 2 vectors, got %lld",
                               (long long)n_in);
    size_t n = size_t(n_in);
    std::vector<float> sample;
    const float* x =
        max_points_per_d > 0 ? subsample(x_in, n, d, max_points_per_d * d, sample) : x_in;
    std::vector<double> mu(d, 0.0);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < d; ++j) mu[j] += x[i * d + j];
    for (double& v : mu) v /= double(n);
    // Covariance in double, from float32 centered blocks through BLAS.
    std::vector<double> cov(d * d, 0.0);
    const size_t blk = 4096;
    std::vector<float> xc(std::min(blk, n) * d), part(d * d);
    for (size_t i0 = 0; i0 < n; i0 += blk) {
        const size_t ni = std::min(blk, n - i0);
        for (size_t i = 0; i < ni; ++i)
            for (size_t j = 0; j < d; ++j) xc[i * d + j] = float(x[(i0 + i) * d + j] - mu[j]);
        // part = xc^T xc  (d x d): transpose once so matmul_abt computes it
        std::vector<float> xt(d * ni);
        for (size_t i = 0; i < ni; ++i)
            for (size_t j = 0; j < d; ++j) xt[j * ni + i] = xc[i * d + j];
        kernels::matmul_abt(xt.data(), d, xt.data(), d, ni, part.data());
        for (size_t t = 0; t < d * d; ++t) cov[t] += part[t];
    }
    // Not divided by n: FAISS's eigenvalues are sums of squares, and whitening
    // (eigen_power < 0) scales by them, so distances match FAISS's.
    std::vector<double> ev(d);
    kernels::symmetric_eigen(d, cov.data(), ev.data());
    // Decreasing order, each direction's sign fixed (largest component positive) so that
    // the result does not depend on the LAPACK build.
    mean.assign(mu.begin(), mu.end());
    eigenvalues.resize(d);
    PCAMat.resize(d * d);
    for (size_t i = 0; i < d; ++i) {
        const size_t src = d - 1 - i;
        eigenvalues[i] = float(std::max(ev[src], 0.0));
        const double* row = &cov[src * d];
        size_t amax = 0;
        for (size_t j = 1; j < d; ++j)
            if (std::fabs(row[j]) > std::fabs(row[amax])) amax = j;
        const double sign = row[amax] < 0 ? -1.0 : 1.0;
        for (size_t j = 0; j < d; ++j) PCAMat[i * d + j] = float(sign * row[j]);
    }
    prepare_Ab();
}

void PCAMatrix::prepare_Ab() {
    const size_t di = size_t(d_in), dout = size_t(d_out);
    FAISSLIKE_THROW_IF_NOT_MSG(
        PCAMat.size() == di * di && mean.size() == di && eigenvalues.size() == di,
        "PCA is not trained");
    A.assign(PCAMat.begin(), PCAMat.begin() + long(dout * di));
    if (eigen_power != 0) {
        for (size_t i = 0; i < dout; ++i) {
            const double s =
                std::pow(double(eigenvalues[i]) + double(epsilon), double(eigen_power));
            FAISSLIKE_THROW_IF_NOT_FMT(std::isfinite(s),
                                       "PCA eigenvalue %zu (%g) cannot be raised to %g: set "
                                       "epsilon",
                                       i, double(eigenvalues[i]), double(eigen_power));
            for (size_t j = 0; j < di; ++j) A[i * di + j] = float(A[i * di + j] * s);
        }
    }
    if (random_rotation) {
        RandomRotationMatrix rr(d_out, d_out);
        rr.init(5);
        std::vector<float> rot(dout * di);
        // rot = R A: (dout x dout) (dout x di); via matmul_ab.
        kernels::matmul_ab(rr.A.data(), dout, A.data(), dout, di, rot.data());
        A.swap(rot);
    }
    // b = -A mean
    b.assign(dout, 0.0f);
    for (size_t i = 0; i < dout; ++i) {
        double s = 0;
        for (size_t j = 0; j < di; ++j) s += double(A[i * di + j]) * mean[j];
        b[i] = float(-s);
    }
    set_is_orthonormal();
    is_trained = true;
}

// ---------------------------------------------------------------- HadamardRotation

namespace {
int next_power_of_2(int n) {
    int p = 1;
    while (p < n) p *= 2;
    return p;
}

// In place, unnormalized (scales norms by sqrt(n)); n a power of 2.
void fwht(float* v, size_t n) {
    for (size_t step = 1; step < n; step *= 2)
        for (size_t i = 0; i < n; i += 2 * step)
            for (size_t j = i; j < i + step; ++j) {
                const float a = v[j], b = v[j + step];
                v[j] = a + b;
                v[j + step] = a - b;
            }
}

// FAISS's SplitMix64RandomGenerator::next.
struct SplitMix64 {
    uint64_t state;
    uint64_t next() {
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
};
}  // namespace

HadamardRotation::HadamardRotation(int d, uint32_t seed_in)
    : VectorTransform(d, d > 0 && d <= kMaxDim ? next_power_of_2(d) : d), seed(seed_in) {
    init(seed_in);
}

void HadamardRotation::init(uint32_t seed_in) {
    seed = seed_in;
    SplitMix64 rng{uint64_t(int64_t(seed_in))};
    for (auto* s : {&signs1, &signs2, &signs3}) {
        s->resize(size_t(d_out));
        for (float& v : *s) v = rng.next() % 2 == 0 ? -1.0f : 1.0f;
    }
    is_trained = true;
}

void HadamardRotation::do_train(idx_t, const float*) {
    init(seed != 0 ? seed : 12345);
}

void HadamardRotation::do_apply(idx_t n, const float* x, float* xt) const {
    const size_t p = size_t(d_out);
    const float scale = 1.0f / (float(p) * std::sqrt(float(p)));
    parallel_for(n, [&](idx_t i) {
        const float* in = x + size_t(i) * size_t(d_in);
        float* o = xt + size_t(i) * p;
        for (size_t j = 0; j < p; ++j) o[j] = j < size_t(d_in) ? in[j] * signs1[j] : 0.f;
        fwht(o, p);
        for (size_t j = 0; j < p; ++j) o[j] *= signs2[j];
        fwht(o, p);
        for (size_t j = 0; j < p; ++j) o[j] *= signs3[j];
        fwht(o, p);
        for (size_t j = 0; j < p; ++j) o[j] *= scale;
    });
}

// The transpose: H is symmetric, so each round undone in reverse order.
void HadamardRotation::do_reverse(idx_t n, const float* xt, float* x) const {
    const size_t p = size_t(d_out);
    const float scale = 1.0f / (float(p) * std::sqrt(float(p)));
    parallel_for(n, [&](idx_t i) {
        std::vector<float> v(xt + size_t(i) * p, xt + size_t(i + 1) * p);
        fwht(v.data(), p);
        for (size_t j = 0; j < p; ++j) v[j] *= signs3[j];
        fwht(v.data(), p);
        for (size_t j = 0; j < p; ++j) v[j] *= signs2[j];
        fwht(v.data(), p);
        float* o = x + size_t(i) * size_t(d_in);
        for (size_t j = 0; j < size_t(d_in); ++j) o[j] = v[j] * signs1[j] * scale;
    });
}

}  // namespace faisslike
