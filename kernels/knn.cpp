// Exact k-NN: per-query SIMD loop for few queries, tiled sgemm for many. Both reduce the
// problem to "keep the k smallest of v_j" (IP is searched as -<x,y>) and share one selector.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include <cblas.h>

#include "faisslike/distances.h"
#include "faisslike/impl/ResultCollector.h"
#include "kernels/blas_tiles.h"
#include "kernels/kernel_table.h"

namespace faisslike {

// Measured with `bench_flat_limits crossover` (1M and 100k x 128, 2 threads, Haswell and
// SkylakeX OpenBLAS kernels): the per-query SIMD path wins up to nq = 16..24.
int distance_compute_blas_threshold = 20;

namespace {

// BLAS tile per thread: 256 queries x 1024 database rows = 1 MB (L2-sized). One interleaved
// sweep of bench_flat_limits: 256, 512 and 1024 within noise on 1M x 10k (91-100% of sgemm
// alone); 256 best on 1024 x 100k (89% vs 71-74%).
constexpr size_t kBlasBsX = 256;
constexpr size_t kBlasBsY = 1024;
constexpr size_t kSimdBlock = 1024;

// Scans rows [j0, j1) of y for query x into the heap (hv, hi).
void scan_range(const kernels::KernelTable& K, Selector& sel, bool ip, const float* x,
                const float* y, size_t d, size_t j0, size_t j1, size_t k, float* hv, idx_t* hi,
                float* buf) {
    for (size_t b0 = j0; b0 < j1; b0 += kSimdBlock) {
        size_t nb = std::min(kSimdBlock, j1 - b0);
        if (ip) {
            K.inner_product_ny(buf, x, y + b0 * d, d, nb);
        } else {
            K.L2sqr_ny(buf, x, y + b0 * d, d, nb);
        }
        sel.add(k, hv, hi, buf, nullptr, ip ? -1.0f : 1.0f, nb, IdRange{idx_t(b0)});
    }
}

// Database rows per block in the split path: ~256 KB, so a block stays in L2 while every
// query is scored against it (one pass over memory whatever nq is).
size_t split_block_rows(size_t d) {
    return std::max<size_t>(16, std::min<size_t>(kSimdBlock, (256 * 1024) / (d * sizeof(float))));
}

void knn_simd(bool ip, const float* x, const float* y, size_t d, size_t nx, size_t ny, size_t k,
              float* D, idx_t* I) {
    const kernels::KernelTable& K = kernels::current();
    const int nt = omp_get_max_threads();
    const size_t rows = split_block_rows(d);
    // A small database stays cached anyway, and partial heaps for many queries cost too much
    // memory (threads x nx x k): plain parallelism over queries.
    if (nt == 1 || ny < size_t(nt) * rows * 4 || nx * k > (size_t(1) << 20)) {
#pragma omp parallel if (nx > 1)
        {
            Selector sel(K);
            std::unique_ptr<float[]> buf(new float[kSimdBlock]);
#pragma omp for schedule(dynamic)
            for (int64_t i = 0; i < int64_t(nx); ++i) {
                float* hv = D + i * k;
                idx_t* hi = I + i * k;
                heap_heapify<HeapC>(k, hv, hi);
                scan_range(K, sel, ip, x + i * d, y, d, 0, ny, k, hv, hi, buf.get());
                finalize_results(k, hv, hi, ip, 0.0f);
            }
        }
        return;
    }
    // Large database, few queries: each thread owns a slice of the database and keeps one
    // partial heap per query; blocks of the slice are scored against every query while hot.
    std::vector<float> pv(size_t(nt) * nx * k);
    std::vector<idx_t> pi(size_t(nt) * nx * k);
#pragma omp parallel num_threads(nt)
    {
        const size_t t = size_t(omp_get_thread_num()), nth = size_t(omp_get_num_threads());
        Selector sel(K);
        std::unique_ptr<float[]> buf(new float[rows]);
        float* tv = pv.data() + t * nx * k;
        idx_t* ti = pi.data() + t * nx * k;
        for (size_t i = 0; i < nx; ++i) heap_heapify<HeapC>(k, tv + i * k, ti + i * k);
        const size_t j0 = ny * t / nth, j1 = ny * (t + 1) / nth;
        for (size_t b0 = j0; b0 < j1; b0 += rows) {
            const size_t nb = std::min(rows, j1 - b0);
            for (size_t i = 0; i < nx; ++i) {
                if (ip) {
                    K.inner_product_ny(buf.get(), x + i * d, y + b0 * d, d, nb);
                } else {
                    K.L2sqr_ny(buf.get(), x + i * d, y + b0 * d, d, nb);
                }
                sel.add(k, tv + i * k, ti + i * k, buf.get(), nullptr, ip ? -1.0f : 1.0f, nb,
                        IdRange{idx_t(b0)});
            }
        }
    }
#pragma omp parallel for if (nx > 1)
    for (int64_t i = 0; i < int64_t(nx); ++i) {
        merge_partial_heaps(k, size_t(nt), pv.data() + size_t(i) * k, pi.data() + size_t(i) * k,
                            nx * k, D + i * k, I + i * k, ip);
    }
}

// Database blocks outer, query blocks inner: each thread scores a block of queries against
// the current database block with a single-threaded sgemm into an L2-sized tile and selects
// from it while it is still in cache (no tile round trip through memory, no barrier between
// a multi-threaded sgemm and the selection).
void knn_blas(bool ip, const float* x, const float* y, size_t d, size_t nx, size_t ny, size_t k,
              float* D, idx_t* I) {
    const kernels::KernelTable& K = kernels::current();
    const size_t bs_y = std::min(kBlasBsY, ny);
    const size_t bs_x = std::min(kBlasBsX, nx);
    std::unique_ptr<float[]> xn(new float[ip ? 1 : nx]);
    std::unique_ptr<float[]> yn(new float[bs_y]);
    // L2 keeps ||y||^2 - 2<x,y> in the heap: ||x||^2 is the same for the whole row.
    const float alpha = ip ? -1.0f : -2.0f;
    const int64_t nqb = int64_t((nx + bs_x - 1) / bs_x);
#pragma omp parallel
    {
        Selector sel(K);
        std::unique_ptr<float[]> tile(new float[bs_x * bs_y]);
#pragma omp for schedule(static)
        for (int64_t i = 0; i < int64_t(nx); ++i) {
            heap_heapify<HeapC>(k, D + i * k, I + i * k);
            if (!ip) xn[i] = K.norm_L2sqr(x + size_t(i) * d, d);
        }
        for (size_t j0 = 0; j0 < ny; j0 += bs_y) {
            const size_t nj = std::min(ny, j0 + bs_y) - j0;
            if (!ip) {
#pragma omp for schedule(static)
                for (int64_t j = 0; j < int64_t(nj); ++j)
                    yn[j] = K.norm_L2sqr(y + (j0 + size_t(j)) * d, d);
            }
#pragma omp for schedule(dynamic)
            for (int64_t b = 0; b < nqb; ++b) {
                const size_t i0 = size_t(b) * bs_x, ni = std::min(nx, i0 + bs_x) - i0;
                kernels::gemm_tile(x + i0 * d, ni, y + j0 * d, nj, d, alpha, tile.get());
                for (size_t i = 0; i < ni; ++i) {
                    sel.add(k, D + (i0 + i) * k, I + (i0 + i) * k, tile.get() + i * nj,
                            ip ? nullptr : yn.get(), 1.0f, nj, IdRange{idx_t(j0)});
                }
            }
        }
#pragma omp for schedule(static)
        for (int64_t i = 0; i < int64_t(nx); ++i) {
            finalize_results(k, D + i * k, I + i * k, ip, ip ? 0.0f : xn[i]);
        }
    }
}

void knn_dispatch(bool ip, const float* x, const float* y, size_t d, size_t nx, size_t ny, size_t k,
                  float* D, idx_t* I) {
    if (nx == 0) return;
    if (ny == 0) {
        for (size_t i = 0; i < nx * k; ++i) {
            D[i] = ip ? -std::numeric_limits<float>::infinity()
                      : std::numeric_limits<float>::infinity();
            I[i] = -1;
        }
        return;
    }
    if (nx >= size_t(std::max(distance_compute_blas_threshold, 1))) {
        knn_blas(ip, x, y, d, nx, ny, k, D, I);
    } else {
        knn_simd(ip, x, y, d, nx, ny, k, D, I);
    }
}

}  // namespace

namespace kernels {

void gemm_tile(const float* x, size_t nx, const float* y, size_t ny, size_t d, float alpha,
               float* tile) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(nx), int(ny), int(d), alpha, x, int(d),
                y, int(d), 0.0f, tile, int(ny));
}

}  // namespace kernels

void knn_L2sqr(const float* x, const float* y, size_t d, size_t nx, size_t ny, size_t k,
               float* distances, int64_t* labels) {
    knn_dispatch(false, x, y, d, nx, ny, k, distances, labels);
}

void knn_inner_product(const float* x, const float* y, size_t d, size_t nx, size_t ny, size_t k,
                       float* distances, int64_t* labels) {
    knn_dispatch(true, x, y, d, nx, ny, k, distances, labels);
}

void knn_search(MetricType metric, const float* x, const float* y, size_t d, size_t nx, size_t ny,
                size_t k, float* distances, int64_t* labels) {
    knn_dispatch(metric == METRIC_INNER_PRODUCT, x, y, d, nx, ny, k, distances, labels);
}

}  // namespace faisslike
