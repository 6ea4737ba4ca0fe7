// Flat L2 search measured against what the hardware allows:
//   batch search  vs  cblas_sgemm alone on the same tile shapes (GFLOPS)
//   single query  vs  a plain parallel memory-read loop over the same bytes (GB/s)
// Usage: bench_flat_limits [nb=1000000] [nq=10000] [d=128] [k=10]   (threads: OMP_NUM_THREADS)
//        bench_flat_limits crossover [nb=1000000] [d=128]   time of both paths per nq, to tune
//                                                         distance_compute_blas_threshold
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <cblas.h>

#include "faisslike/IndexFlat.h"
#include "faisslike/distances.h"

using namespace faisslike;

namespace {

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void fill(std::vector<float>& v, uint64_t seed) {
#pragma omp parallel
    {
        uint64_t s = seed * 0x9E3779B97F4A7C15ull + uint64_t(omp_get_thread_num()) + 1;
#pragma omp for
        for (int64_t i = 0; i < int64_t(v.size()); ++i) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            v[size_t(i)] = float(s >> 40) / float(1 << 24);
        }
    }
}

// Random database and queries, and a Flat index over the database.
struct Setup {
    std::vector<float> xb, xq;
    IndexFlatL2 index;
    Setup(size_t nb, size_t nq, size_t d) : xb(nb * d), xq(nq * d), index(idx_t(d)) {
        fill(xb, 1);
        fill(xq, 2);
        index.add(idx_t(nb), xb.data());
    }
};

template <class F>
double best_of(int reps, F f) {
    double best = 1e30;
    for (int r = 0; r < reps; ++r) {
        double t0 = now();
        f();
        best = std::min(best, now() - t0);
    }
    return best;
}

}  // namespace

int crossover(size_t nb, size_t d) {
    const size_t k = 10, max_nq = 256;
    Setup S(nb, max_nq, d);
    const IndexFlatL2& index = S.index;
    const std::vector<float>& xq = S.xq;
    std::vector<float> D(max_nq * k);
    std::vector<idx_t> I(max_nq * k);
    const int saved = distance_compute_blas_threshold;
    std::printf("nb=%zu d=%zu threads=%d openblas=%s\n%6s %12s %12s\n", nb, d,
                omp_get_max_threads(), openblas_get_corename(), "nq", "simd ms", "blas ms");
    for (size_t nq : {1, 2, 4, 8, 12, 16, 20, 24, 32, 48, 64, 128, 256}) {
        distance_compute_blas_threshold = 1 << 30;
        double ts = best_of(3, [&] { index.search(nq, xq.data(), k, D.data(), I.data()); });
        distance_compute_blas_threshold = 1;
        double tb = best_of(3, [&] { index.search(nq, xq.data(), k, D.data(), I.data()); });
        std::printf("%6zu %12.2f %12.2f %s\n", nq, ts * 1e3, tb * 1e3, tb < ts ? "blas" : "simd");
    }
    distance_compute_blas_threshold = saved;
    return 0;
}

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "crossover") {
        return crossover(argc > 2 ? size_t(std::atoll(argv[2])) : 1000000,
                         argc > 3 ? size_t(std::atoll(argv[3])) : 128);
    }
    const size_t nb = argc > 1 ? size_t(std::atoll(argv[1])) : 1000000;
    const size_t nq = argc > 2 ? size_t(std::atoll(argv[2])) : 10000;
    const size_t d = argc > 3 ? size_t(std::atoll(argv[3])) : 128;
    const size_t k = argc > 4 ? size_t(std::atoll(argv[4])) : 10;
    std::printf("nb=%zu nq=%zu d=%zu k=%zu threads=%d simd=%s openblas=%s\n", nb, nq, d, k,
                omp_get_max_threads(), simd_level_name(simd_level()), openblas_get_corename());

    Setup S(nb, nq, d);
    const IndexFlatL2& index = S.index;
    const std::vector<float>&xb = S.xb, &xq = S.xq;
    std::vector<float> D(nq * k);
    std::vector<idx_t> I(nq * k);

    // Batch: compute bound.
    const double flops = 2.0 * double(nq) * double(nb) * double(d);
    double t_search = best_of(2, [&] { index.search(nq, xq.data(), k, D.data(), I.data()); });
    const size_t bx = std::min<size_t>(4096, nq), by = std::min<size_t>(1024, nb);
    std::vector<float> tile(bx * by);
    double t_gemm = best_of(2, [&] {
        for (size_t i0 = 0; i0 < nq; i0 += bx)
            for (size_t j0 = 0; j0 < nb; j0 += by)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(std::min(bx, nq - i0)),
                            int(std::min(by, nb - j0)), int(d), -2.0f, xq.data() + i0 * d, int(d),
                            xb.data() + j0 * d, int(d), 0.0f, tile.data(),
                            int(std::min(by, nb - j0)));
    });
    std::printf(
        "batch   search %.2f s = %.1f GFLOPS | sgemm alone %.2f s = %.1f GFLOPS | "
        "ratio %.1f%% | %.0f QPS\n",
        t_search, flops / t_search * 1e-9, t_gemm, flops / t_gemm * 1e-9, 100.0 * t_gemm / t_search,
        double(nq) / t_search);

    // Single query: memory bound.
    const double bytes = double(nb) * double(d) * sizeof(float);
    const int reps = 15;
    double t_one = best_of(reps, [&] { index.search(1, xq.data(), k, D.data(), I.data()); });
    const uint64_t* w = reinterpret_cast<const uint64_t*>(xb.data());
    const int64_t nw = int64_t(nb * d / 2);
    uint64_t sink = 0;
    double t_read = best_of(reps, [&] {
        uint64_t acc = 0;
#pragma omp parallel for reduction(^ : acc) schedule(static)
        for (int64_t i = 0; i < nw; ++i) acc ^= w[i];
        sink ^= acc;
    });
    // A single core can exceed this plain loop (it is latency-bound there; the search kernel
    // prefetches whole rows). With all cores it is the bandwidth ceiling.
    std::printf(
        "single  search %.2f ms = %.1f GB/s | read loop %.2f ms = %.1f GB/s | ratio "
        "%.1f%% (%llu)\n",
        t_one * 1e3, bytes / t_one * 1e-9, t_read * 1e3, bytes / t_read * 1e-9,
        100.0 * t_read / t_one, (unsigned long long)(sink & 1));
    return 0;
}
