// Public distance functions and exact k-NN (above kernels/: it owns the threads and the
// top-k selection). Exact k-NN: per-query SIMD loop for few queries, tiled sgemm for many. Both
// reduce the problem to "keep the k smallest of v_j" (IP is searched as -<x,y>) and share one
// selector.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "faisslike/distances.h"

#include <limits>

#include "faisslike/Index.h"
#include "faisslike/impl/Parallel.h"
#include "faisslike/impl/ResultCollector.h"
#include "faisslike/impl/ScanSearch.h"
#include "kernels/blas_tiles.h"
#include "kernels/kernel_table.h"

#include <atomic>

namespace faisslike {

// Measured with `bench_flat_limits crossover` (1M and 100k x 128, 2 threads, Haswell and
// SkylakeX OpenBLAS kernels): the per-query SIMD path wins up to nq = 16..24.
// Atomic: any thread may tune it while others search (no hidden data race, free-threaded
// Python included); each search reads it once.
std::atomic<int> distance_compute_blas_threshold{20};

namespace {

// BLAS tile per thread: 256 queries x 1024 database rows = 1 MB (L2-sized). One interleaved
// sweep of bench_flat_limits: 256, 512 and 1024 within noise on 1M x 10k (91-100% of sgemm
// alone); 256 best on 1024 x 100k (89% vs 71-74%).
constexpr size_t kBlasBsX = 256;
constexpr size_t kBlasBsY = 1024;
constexpr size_t kSimdBlock = 1024;

// Database rows per block in the split path: ~256 KB, so a block stays in L2 while every
// query is scored against it (one pass over memory whatever nq is).
size_t split_block_rows(size_t d) {
    return std::max<size_t>(16, std::min<size_t>(kSimdBlock, (256 * 1024) / (d * sizeof(float))));
}

void knn_simd(bool ip, const float* x, const float* y, size_t d, size_t nx, size_t ny, size_t k,
              float* D, idx_t* I) {
    const size_t nt = size_t(parallel_threads());
    const size_t rows = split_block_rows(d);
    // A small database stays cached anyway, and partial heaps for many queries cost too much
    // memory (threads x nx x k): whole queries per thread. Otherwise each block of the
    // database is scored against every query while hot.
    const bool split = nt > 1 && ny >= nt * rows * 4 && nx * k <= (size_t(1) << 20);
    const size_t block = split ? rows : kSimdBlock;
    using Scanner = RowBlockScanner<RowScanner<FloatRowScorer>>;
    topk_scan<true>(nx, (ny + block - 1) / block, k, ip, D, I, split, [&] {
        return Scanner{float_rows(y, d, ip, x, nullptr), ny, ip ? -1.0f : 1.0f, block};
    });
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
    parallel_region(parallel_threads(), [&](Team& team) {
        Selector sel(K);
        std::unique_ptr<float[]> tile;
        team.guard([&] { tile.reset(new float[bs_x * bs_y]); });
        team.for_range(
            int64_t(nx),
            [&](int64_t i) {
                heap_heapify<HeapC>(k, D + i * k, I + i * k);
                if (!ip) xn[i] = K.norm_L2sqr(x + size_t(i) * d, d);
            },
            false);
        for (size_t j0 = 0; j0 < ny; j0 += bs_y) {
            const size_t nj = std::min(ny, j0 + bs_y) - j0;
            if (!ip) {
                team.for_range(
                    int64_t(nj),
                    [&](int64_t j) { yn[j] = K.norm_L2sqr(y + (j0 + size_t(j)) * d, d); }, false);
            }
            team.for_range(nqb, [&](int64_t b) {
                const size_t i0 = size_t(b) * bs_x, ni = std::min(nx, i0 + bs_x) - i0;
                kernels::gemm_tile(x + i0 * d, ni, y + j0 * d, nj, d, alpha, tile.get());
                for (size_t i = 0; i < ni; ++i) {
                    sel.add(k, D + (i0 + i) * k, I + (i0 + i) * k, tile.get() + i * nj,
                            ip ? nullptr : yn.get(), 1.0f, nj, IdRange{idx_t(j0)});
                }
            });
        }
        team.for_range(
            int64_t(nx),
            [&](int64_t i) { finalize_results(k, D + i * k, I + i * k, ip, ip ? 0.0f : xn[i]); },
            false);
    });
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
    if (nx >=
        size_t(std::max(distance_compute_blas_threshold.load(std::memory_order_relaxed), 1))) {
        knn_blas(ip, x, y, d, nx, ny, k, D, I);
    } else {
        knn_simd(ip, x, y, d, nx, ny, k, D, I);
    }
}

}  // namespace

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
    FAISSLIKE_CHECK_ARG(metric == METRIC_L2 || metric == METRIC_INNER_PRODUCT,
                        "unsupported metric %d", int(metric));
    FAISSLIKE_CHECK_ARG(d >= 1 && d <= size_t(kMaxDim), "d must be in [1, %lld], got %zu",
                        (long long)kMaxDim, d);
    FAISSLIKE_CHECK_ARG(k >= 1 && k <= size_t(std::numeric_limits<int64_t>::max()),
                        "k must be > 0, got k=%lld", (long long)k);
    FAISSLIKE_CHECK_ARG_MSG((nx == 0 || (x && distances && labels)) && (ny == 0 || y),
                            "knn_search: null pointer");
    check_finite("xq", idx_t(nx), int(d), x);
    check_finite("xb", idx_t(ny), int(d), y);
    knn_dispatch(metric == METRIC_INNER_PRODUCT, x, y, d, nx, ny, k, distances, labels);
}

float fvec_L2sqr(const float* x, const float* y, size_t d) {
    return kernels::current().L2sqr(x, y, d);
}
float fvec_inner_product(const float* x, const float* y, size_t d) {
    return kernels::current().inner_product(x, y, d);
}
float fvec_norm_L2sqr(const float* x, size_t d) {
    return kernels::current().norm_L2sqr(x, d);
}
void fvec_L2sqr_ny(float* dis, const float* x, const float* y, size_t d, size_t ny) {
    kernels::current().L2sqr_ny(dis, x, y, d, ny);
}
void fvec_inner_products_ny(float* ip, const float* x, const float* y, size_t d, size_t ny) {
    kernels::current().inner_product_ny(ip, x, y, d, ny);
}
void fvec_norms_L2sqr(float* nr, const float* x, size_t d, size_t nx) {
    kernels::current().norms_L2sqr(nr, x, d, nx);
}

void fvec_renorm_L2(size_t d, size_t nx, float* x) {
    const kernels::KernelTable& K = kernels::current();
    parallel_for(
        int64_t(nx),
        [&](int64_t i) {
            float* row = x + size_t(i) * d;
            const float nr = K.norm_L2sqr(row, d);
            if (nr > 0) {
                const float inv = 1.0f / std::sqrt(nr);
                for (size_t j = 0; j < d; ++j) row[j] *= inv;
            }
        },
        nx * d > 65536, false);
}

}  // namespace faisslike
