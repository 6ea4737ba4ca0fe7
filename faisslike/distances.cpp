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
#include "faisslike/impl/KnnBf16.h"
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

// The bf16 pre-filter (CPUs with AVX512-BF16): for a small database (IVF centroids, k-means
// centroids) searched by many queries, L2 or inner product, the inner products are computed in bf16
// at twice the fp32 rate, every row whose estimate could still be among the k nearest is kept, and
// those are scored exactly in fp32. Bound: both sides are centred on the mean of y (distances do
// not change; the norms that scale the error shrink); the kernel's error on <x, y> is at most
// delta ||x|| ||y|| (kernels/kernel_table.h, Cauchy-Schwarz), so each estimate of
// ||y||^2 - 2 <x, y> is within e = 2 delta ||x|| R of the exact one (R the largest ||y||),
// plus slack for the fp32 arithmetic around it. If t is the k-th smallest estimate, k rows are
// within t + e, so the k nearest all have estimates <= t + 2e: rows above that are dropped, and the
// result is the exact k nearest. Measured on 10k queries x 4096 centroids, d = 128, Zen 4:
// see README ("The coarse step").
constexpr size_t kBf16MaxNy = 16384;  // a thread's tile (16 queries x ny floats) stays in L2
// Converting y is paid back over the queries: at 64 queries x 4096 centroids the fp32 path
// was faster (1.0 vs 1.5 ms at d = 128, 4.7 vs 7.3 at d = 768), at 128 the bf16 one (1.8 vs
// 1.1, 8.9 vs 6.5; benchs/bench_coarse.py --nq).
constexpr size_t kBf16MinNx = 128;
constexpr size_t kBf16Rows = 16;

bool bf16_applies(const kernels::KernelTable& K, size_t nx, size_t ny, size_t d, size_t k) {
    return K.bf16_ip_tile && nx >= kBf16MinNx && ny <= kBf16MaxNy && ny >= 8 * k && ny >= 64 &&
           d >= 16;
}

}  // namespace

bool bf16_knn_applies(size_t ny, size_t d, size_t k) {
    return bf16_applies(kernels::current(), kBf16MinNx, ny, d, k);
}

// Null when the magnitudes do not suit bf16. Inner product: only y is centred
// (<x, y> - <x, y - mu> = <x, mu> is the same for every row), the estimate is -<x~, y~ - mu>
// and its error at most delta ||x|| R.
std::shared_ptr<const Bf16Rows> bf16_prepare(bool ip, const float* y, size_t d, size_t ny) {
    const kernels::KernelTable& K = kernels::current();
    if (!K.bf16_ip_tile) return nullptr;
    auto db = std::make_shared<Bf16Rows>();
    const size_t d2 = (d + 1) / 2, w = 2 * d2, npan = (ny + 31) / 32;
    std::vector<double> sum(d, 0.0);
    for (size_t j = 0; j < ny; ++j)
        for (size_t c = 0; c < d; ++c) sum[c] += double(y[j * d + c]);
    db->mu.resize(d);
    db->cn.resize(ny);
    std::vector<float> row(d);
    for (size_t c = 0; c < d; ++c) db->mu[c] = float(sum[c] / double(ny));
    float R2 = 0;
    for (size_t j = 0; j < ny; ++j) {
        for (size_t c = 0; c < d; ++c) row[c] = y[j * d + c] - db->mu[c];
        db->cn[j] = K.norm_L2sqr(row.data(), d);
        R2 = std::max(R2, db->cn[j]);
    }
    // bf16 has fp32's range, but the error terms must stay finite.
    if (!(R2 < 1e30f)) return nullptr;
    std::vector<uint16_t> yrows(ny * w);
    K.bf16_pack_rows(y, ny, d, db->mu.data(), yrows.data());
    db->panels.resize(npan * d2 * 32);
    K.bf16_pack_panels(yrows.data(), ny, d2, db->panels.data());
    db->ip = ip;
    db->d = d;
    db->ny = ny;
    db->y = y;
    db->R2 = R2;
    return db;
}

void bf16_knn(const Bf16Rows& db, const float* x, size_t nx, size_t k, float* D, idx_t* I) {
    const kernels::KernelTable& K = kernels::current();
    const bool ip = db.ip;
    const size_t d = db.d, ny = db.ny;
    const float* y = db.y;
    const size_t d2 = (d + 1) / 2, w = 2 * d2, npan = (ny + 31) / 32, nyp = npan * 32;
    const std::vector<float>& cn = db.cn;
    const std::vector<uint32_t>& panels = db.panels;
    const float R2 = db.R2;
    const std::vector<float> zero(d, 0.0f);
    const float* xshift = ip ? zero.data() : db.mu.data();
    const double delta =
        std::ldexp(1.0, -8) + std::ldexp(1.0, -18) + double(d + 2) * std::ldexp(1.0, -23);
    const double R = std::sqrt(double(R2));
    const int64_t nblocks = int64_t((nx + kBf16Rows - 1) / kBf16Rows);
    parallel_region(nblocks > 1 ? parallel_threads() : 1, [&](Team& team) {
        Selector sel(K);
        std::vector<float> tile, xc;
        std::vector<uint16_t> xrows;
        std::vector<std::pair<float, idx_t>> exact;
        std::vector<float> cv, scratch;  // scratch: heap_from_pairs's
        std::vector<int32_t> cj;
        // With the selector's sampled guess g: collects in (cv, cj) the rows below bound(g)
        // and returns true when at least k of them are <= g (then the k-th estimate t <= g);
        // false when the guess fails or the bound is not finite.
        const auto prefiltered = [&](const float* est, const float* bn, float sign, size_t k,
                                     const auto& bound) {
            float g;
            if (!sel.sampled_guess(k, est, bn, sign, ny, &g)) return false;
            const float cthr = bound(g);
            if (cthr == HUGE_VALF) return false;
            cv.clear();
            cj.clear();
            sel.for_each_below(est, bn, sign, ny, cthr, [&](float v, size_t j) {
                cv.push_back(v);
                cj.push_back(int32_t(j));
            });
            return K.count_le(cv.data(), cv.size(), g) >= k;
        };
        // Rows for the queries of one block only: a single query (IndexFlat's cached rows)
        // needs 16 KB of tile per call, not 256 KB.
        const size_t rows = std::min(nx, kBf16Rows);
        team.guard([&] {
            tile.resize(rows * nyp);
            xc.resize(d);
            xrows.resize(rows * w);
        });
        team.for_range(nblocks, [&](int64_t b) {
            const size_t i0 = size_t(b) * kBf16Rows, ni = std::min(nx, i0 + kBf16Rows) - i0;
            K.bf16_pack_rows(x + i0 * d, ni, d, xshift, xrows.data());
            K.bf16_ip_tile(xrows.data(), ni, panels.data(), npan, d2, tile.data(), nyp);
            for (size_t r = 0; r < ni; ++r) {
                const size_t i = i0 + r;
                const float* xi = x + i * d;
                for (size_t c = 0; c < d; ++c) xc[c] = xi[c] - xshift[c];
                const double xn2 = double(K.norm_L2sqr(xc.data(), d));
                // Slack: the fp32 sums of cn (d + 3 roundings of at most R2), of x's norm and
                // of the estimate itself (cn - 2 <., .>), each at most 2^-24 of its terms.
                const double e = (ip ? 1.0 : 2.0) * delta * std::sqrt(xn2) * R +
                                 double(d + 8) * std::ldexp(1.0, -23) * (xn2 + double(R2));
                const float* est = tile.data() + r * nyp;
                float* hv = D + i * k;
                idx_t* hi = I + i * k;
                const float* bn = ip ? nullptr : cn.data();
                const float sign = ip ? -1.0f : -2.0f;
                exact.clear();
                // Rows whose estimate v is < fthr are scored exactly, fthr = t + 2e just
                // above, t the k-th smallest estimate (||y_j - mu||^2 - 2 <x~, y~_j> for L2,
                // -<x~, y~_j> for inner product).
                const auto bound = [&](float t) {
                    const double thr = double(t) + 2.0 * e;
                    // Not finite (x too large for the bound): every row is a candidate.
                    return std::isfinite(thr) && std::isfinite(t)
                               ? std::nextafter(float(thr), HUGE_VALF)
                               : HUGE_VALF;
                };
                const auto score = [&](size_t j) {
                    const float v =
                        ip ? -K.inner_product(xi, y + j * d, d) : K.L2sqr(xi, y + j * d, d);
                    exact.emplace_back(v, idx_t(j));
                };
                if (k >= 2 && prefiltered(est, bn, sign, k, bound)) {
                    // cv / cj: every row below bound(g) for a guess g >= t, so the rows
                    // below bound(t) are among them: no second pass over the estimates.
                    const float fthr = bound(kth_smallest(K, cv.data(), cv.size(), k));
                    for (size_t c = 0; c < cv.size(); ++c)
                        if (cv[c] < fthr) score(size_t(cj[c]));
                } else {
                    // k = 1 (one argmin pass), or the guess holds fewer than k rows: t from
                    // the selector, then a pass over every estimate.
                    heap_heapify<HeapC>(k, hv, hi);
                    sel.add(k, hv, hi, est, bn, sign, ny, IdRange{0});
                    const float fthr = bound(hv[0]);
                    if (fthr == HUGE_VALF) {
                        for (size_t j = 0; j < ny; ++j) score(j);
                    } else {
                        sel.for_each_below(est, bn, sign, ny, fthr,
                                           [&](float, size_t j) { score(j); });
                    }
                }
                // The survivors' exact k best become the heap at once.
                heap_from_pairs(K, k, exact, scratch, hv, hi);
                finalize_results(k, hv, hi, ip, 0.0f);
            }
        });
    });
}

namespace {

// A tiny database of short rows (k-means of PQ sub-quantizers: 16-256 centroids of 2-32
// dimensions): one sgemm tile per 256 queries and a selection call per row of 16 values cost
// more than the distances. The rows, transposed once, are scored against each query by a
// kernel vectorized across rows (direct differences, not the expanded formula).
constexpr size_t kSmallDbMaxNy = 64, kSmallDbMaxD = 32;

void knn_small_db(bool ip, const float* x, const float* y, size_t d, size_t nx, size_t ny, size_t k,
                  float* D, idx_t* I) {
    const kernels::KernelTable& K = kernels::current();
    // k-means assignment: the queries in the SIMD lanes, the rows as they are (sums of
    // squares: never negative, nothing to clamp); otherwise the rows transposed.
    const bool argmin = k == 1 && !ip;
    std::vector<float> yt(argmin ? 0 : d * ny);
    for (size_t j = 0; !argmin && j < ny; ++j)
        for (size_t c = 0; c < d; ++c) yt[c * ny + j] = y[j * d + c];
    constexpr int64_t kChunk = 256;
    parallel_for(
        int64_t((nx + kChunk - 1) / kChunk),
        [&](int64_t b) {
            float v[kSmallDbMaxNy];
            const size_t i0 = size_t(b) * kChunk, i1 = std::min(nx, i0 + kChunk);
            if (argmin) {
                K.L2sqr_argmin_small(x + i0 * d, i1 - i0, d, y, ny, D + i0, I + i0);
                return;
            }
            for (size_t i = i0; i < i1; ++i) {
                (ip ? K.inner_product_ny_transposed : K.L2sqr_ny_transposed)(v, x + i * d,
                                                                             yt.data(), d, ny, ny);
                float* hv = D + i * k;
                idx_t* hi = I + i * k;
                heap_heapify<HeapC>(k, hv, hi);
                for (size_t j = 0; j < ny; ++j)
                    heap_push_if_better<HeapC>(k, hv, hi, ip ? -v[j] : v[j], idx_t(j));
                finalize_results(k, hv, hi, ip, 0.0f);
            }
        },
        nx > size_t(kChunk));
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
    if (ny <= kSmallDbMaxNy && d <= kSmallDbMaxD && nx >= 64) {
        knn_small_db(ip, x, y, d, nx, ny, k, D, I);
        return;
    }
    if (nx >=
        size_t(std::max(distance_compute_blas_threshold.load(std::memory_order_relaxed), 1))) {
        if (bf16_applies(kernels::current(), nx, ny, d, k)) {
            if (auto db = bf16_prepare(ip, y, d, ny)) {
                bf16_knn(*db, x, nx, k, D, I);
                return;
            }
        }
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
