// Flat L2 search measured against what the hardware allows, with the machine's own ceilings
// measured in the same run:
//   FMA peak      a register-only FMA loop (AVX-512, else AVX2), per thread and all threads
//   read ceiling  a plain parallel memory-read loop over the database bytes (GB/s)
//   batch search  vs  cblas_sgemm alone on the same tile shapes (GFLOPS, and % of FMA peak)
//   single query  vs  the read ceiling (GB/s)
// A figure above its ceiling is reported as a measurement error, never as a result.
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

#include <immintrin.h>

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

// Register-only FMA throughput of one thread: 12 independent accumulators in named registers
// (an array would be stored back every iteration, and the stores, not the FMAs, would set the
// pace: half the peak on Zen 5), enough chains to cover FMA latency x 2 pipes. The empty asm
// pins the work inside the timed interval (pure arithmetic could otherwise be scheduled after
// the second clock read: a figure above the hardware peak). GFLOPS = 2 flops per lane per FMA.
#define FAISSLIKE_FMA12(FMA, V)                                                                 \
    V a0 = one, a1 = one, a2 = one, a3 = one, a4 = one, a5 = one, a6 = one, a7 = one, a8 = one, \
      a9 = one, a10 = one, a11 = one;                                                           \
    const double t0 = now();                                                                    \
    for (int64_t i = 0; i < iters; ++i) {                                                       \
        a0 = FMA(a0, m, c);                                                                     \
        a1 = FMA(a1, m, c);                                                                     \
        a2 = FMA(a2, m, c);                                                                     \
        a3 = FMA(a3, m, c);                                                                     \
        a4 = FMA(a4, m, c);                                                                     \
        a5 = FMA(a5, m, c);                                                                     \
        a6 = FMA(a6, m, c);                                                                     \
        a7 = FMA(a7, m, c);                                                                     \
        a8 = FMA(a8, m, c);                                                                     \
        a9 = FMA(a9, m, c);                                                                     \
        a10 = FMA(a10, m, c);                                                                   \
        a11 = FMA(a11, m, c);                                                                   \
        asm volatile(""                                                                         \
                     : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5), "+x"(a6),    \
                       "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));                     \
    }                                                                                           \
    const double t = now() - t0;

__attribute__((target("avx512f"))) double fma_gflops_avx512(int64_t iters) {
    const __m512 one = _mm512_set1_ps(1.0f), m = _mm512_set1_ps(0.999999f),
                 c = _mm512_set1_ps(1e-7f);
    FAISSLIKE_FMA12(_mm512_fmadd_ps, __m512)
    return double(iters) * 12 * 16 * 2 / t * 1e-9;
}

__attribute__((target("avx2,fma"))) double fma_gflops_avx2(int64_t iters) {
    const __m256 one = _mm256_set1_ps(1.0f), m = _mm256_set1_ps(0.999999f),
                 c = _mm256_set1_ps(1e-7f);
    FAISSLIKE_FMA12(_mm256_fmadd_ps, __m256)
    return double(iters) * 12 * 8 * 2 / t * 1e-9;
}
#undef FAISSLIKE_FMA12

// Sums the words of [p, p + n) with 8 independent vector accumulators: a read loop that is
// limited by memory, not by a dependency chain or scalar loads.
__attribute__((target("avx512f"))) uint64_t read_words_avx512(const uint64_t* p, int64_t n) {
    __m512i a[8];
    for (auto& x : a) x = _mm512_setzero_si512();
    int64_t i = 0;
    // Software prefetch 8 KiB ahead, as the search kernels do: without it one core is bound
    // by misses in flight, not by bandwidth, and the search would beat its "ceiling".
    for (; i + 64 <= n; i += 64)
        for (int j = 0; j < 8; ++j) {
            _mm_prefetch(reinterpret_cast<const char*>(p + i + 1024 + 8 * j), _MM_HINT_T0);
            a[j] = _mm512_xor_si512(a[j], _mm512_loadu_si512(p + i + 8 * j));
        }
    uint64_t out = 0;
    for (; i < n; ++i) out ^= p[i];
    for (auto& x : a) out ^= uint64_t(_mm512_reduce_add_epi64(x));
    return out;
}

__attribute__((target("avx2"))) uint64_t read_words_avx2(const uint64_t* p, int64_t n) {
    __m256i a[8];
    for (auto& x : a) x = _mm256_setzero_si256();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        _mm_prefetch(reinterpret_cast<const char*>(p + i + 1024), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(p + i + 1024 + 8), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(p + i + 1024 + 16), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(p + i + 1024 + 24), _MM_HINT_T0);
        for (int j = 0; j < 8; ++j)
            a[j] = _mm256_xor_si256(
                a[j], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 4 * j)));
    }
    uint64_t out = 0;
    for (; i < n; ++i) out ^= p[i];
    uint64_t w[4];
    for (auto& x : a) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(w), x);
        out ^= w[0] ^ w[1] ^ w[2] ^ w[3];
    }
    return out;
}

struct Ceilings {
    double fma_1t = 0, fma_all = 0;  // GFLOPS
    const char* isa = "";
};

// Best of 5 per thread; the total is the sum over threads running at once.
Ceilings measure_fma() {
    const bool avx512 = __builtin_cpu_supports("avx512f");
    auto one = [&] {
        const int64_t iters = 20000000;
        return avx512 ? fma_gflops_avx512(iters) : fma_gflops_avx2(iters);
    };
    Ceilings c;
    c.isa = avx512 ? "avx512" : "avx2";
    for (int r = 0; r < 5; ++r) c.fma_1t = std::max(c.fma_1t, one());
    for (int r = 0; r < 3; ++r) {
        double total = 0;
#pragma omp parallel reduction(+ : total)
        total += one();
        c.fma_all = std::max(c.fma_all, total);
    }
    return c;
}

// "x% of ceiling", or a flag when the figure exceeds what the machine can do.
std::string versus(double v, double ceiling, const char* what) {
    char buf[160];
    if (v > ceiling * 1.02)
        std::snprintf(buf, sizeof(buf), "ABOVE the %s ceiling (%.1f): MEASUREMENT ERROR", what,
                      ceiling);
    else
        std::snprintf(buf, sizeof(buf), "%.0f%% of %s %.1f", 100.0 * v / ceiling, what, ceiling);
    return buf;
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

    Ceilings C = measure_fma();
    std::printf(
        "ceiling FMA peak (register-only %s loop): %.1f GFLOPS per thread, %.1f GFLOPS "
        "on %d threads\n",
        C.isa, C.fma_1t, C.fma_all, omp_get_max_threads());

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
    const double g_search = flops / t_search * 1e-9, g_gemm = flops / t_gemm * 1e-9;
    // The ceiling again after the work: on a shared machine the better of the two is the
    // machine's, the other was measured under someone else's load.
    const Ceilings C2 = measure_fma();
    C.fma_1t = std::max(C.fma_1t, C2.fma_1t);
    C.fma_all = std::max(C.fma_all, C2.fma_all);
    std::printf(
        "batch   search %.2f s = %.1f GFLOPS (%s) | sgemm alone %.2f s = %.1f GFLOPS (%s) | "
        "search/sgemm %.1f%% | %.0f QPS\n",
        t_search, g_search, versus(g_search, C.fma_all, "FMA peak").c_str(), t_gemm, g_gemm,
        versus(g_gemm, C.fma_all, "FMA peak").c_str(), 100.0 * t_gemm / t_search,
        double(nq) / t_search);

    // Single query: memory bound.
    const double bytes = double(nb) * double(d) * sizeof(float);
    const int reps = 15;
    double t_one = best_of(reps, [&] { index.search(1, xq.data(), k, D.data(), I.data()); });
    const uint64_t* w = reinterpret_cast<const uint64_t*>(xb.data());
    const int64_t nw = int64_t(nb * d / 2);
    uint64_t sink = 0;
    const bool avx512 = __builtin_cpu_supports("avx512f");
    double t_read = best_of(reps, [&] {
        uint64_t acc = 0;
#pragma omp parallel reduction(^ : acc)
        {
            const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
            const int64_t lo = nw * t / nt, hi = nw * (t + 1) / nt;
            acc ^= avx512 ? read_words_avx512(w + lo, hi - lo) : read_words_avx2(w + lo, hi - lo);
        }
        sink ^= acc;
    });
    // The database must exceed the caches for this to be a memory figure (1M x 128 = 512 MB).
    const double bw_one = bytes / t_one * 1e-9, bw_read = bytes / t_read * 1e-9;
    std::printf(
        "single  search %.2f ms = %.1f GB/s (%s) | read loop %.2f ms = %.1f GB/s | %.0f QPS "
        "(%llu)\n",
        t_one * 1e3, bw_one, versus(bw_one, bw_read, "read").c_str(), t_read * 1e3, bw_read,
        1.0 / t_one, (unsigned long long)(sink & 1));
    if (bytes < 64e6)
        std::printf("note: the database (%.0f MB) may fit in caches: GB/s are not DRAM figures\n",
                    bytes * 1e-6);
    return 0;
}
