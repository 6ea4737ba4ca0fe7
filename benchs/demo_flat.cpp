// The README's main job: generated clustered data, an exact Flat index, recall and QPS,
// plus a write/read round trip.
// Usage: demo_flat [nb=200000] [nq=2000] [d=128] [k=10]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "faisslike/IndexFlat.h"
#include "faisslike/distances.h"
#include "faisslike/index_io.h"

using namespace faisslike;

static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

int main(int argc, char** argv) {
    const size_t nb = argc > 1 ? size_t(std::atoll(argv[1])) : 200000;
    const size_t nq = argc > 2 ? size_t(std::atoll(argv[2])) : 2000;
    const size_t d = argc > 3 ? size_t(std::atoll(argv[3])) : 128;
    const size_t k = argc > 4 ? size_t(std::atoll(argv[4])) : 10;
    std::printf("faisslike demo: nb=%zu nq=%zu d=%zu k=%zu threads=%d simd=%s\n", nb, nq, d, k,
                omp_get_max_threads(), simd_level_name(simd_level()));

    // Clustered data: 100 Gaussian centres, points scattered around them.
    std::mt19937 rng(42);
    std::normal_distribution<float> g;
    const size_t ncent = 100;
    std::vector<float> cent(ncent * d);
    for (auto& c : cent) c = g(rng);
    auto sample = [&](size_t n) {
        std::vector<float> x(n * d);
        for (size_t i = 0; i < n; ++i) {
            const float* c = cent.data() + (rng() % ncent) * d;
            for (size_t j = 0; j < d; ++j) x[i * d + j] = c[j] + 0.3f * g(rng);
        }
        return x;
    };
    std::vector<float> xb = sample(nb), xq = sample(nq);

    IndexFlatL2 index(d);
    double t0 = now();
    index.add(nb, xb.data());
    std::printf("add: %.3f s\n", now() - t0);

    std::vector<float> D(nq * k);
    std::vector<idx_t> I(nq * k);
    t0 = now();
    index.search(nq, xq.data(), k, D.data(), I.data());
    double t_batch = now() - t0;

    // Recall against ground truth computed independently, in double, for a sample of queries.
    const size_t ncheck = std::min<size_t>(nq, 50);
    size_t hits = 0;
    for (size_t q = 0; q < ncheck; ++q) {
        std::vector<std::pair<double, idx_t>> all(nb);
        for (size_t j = 0; j < nb; ++j) {
            double s = 0;
            for (size_t t = 0; t < d; ++t) {
                double diff = double(xq[q * d + t]) - xb[j * d + t];
                s += diff * diff;
            }
            all[j] = {s, idx_t(j)};
        }
        std::partial_sort(all.begin(), all.begin() + long(k), all.end());
        for (size_t r = 0; r < k; ++r)
            for (size_t c = 0; c < k; ++c) hits += (I[q * k + c] == all[r].second);
    }
    double recall = double(hits) / double(ncheck * k);

    const int nsingle = 50;
    t0 = now();
    for (int q = 0; q < nsingle; ++q) index.search(1, xq.data() + q * d, k, D.data(), I.data());
    double t_single = (now() - t0) / nsingle;

    std::printf("batch search: %.3f s, %.0f QPS\n", t_batch, double(nq) / t_batch);
    std::printf("single-query search: %.2f ms per query, %.0f QPS\n", t_single * 1e3,
                1.0 / t_single);
    std::printf("10-recall@10 vs double-precision brute force (%zu queries): %.4f\n", ncheck,
                recall);

    const char* path = "/tmp/faisslike_demo.index";
    write_index(&index, path);
    auto back = read_index(path);
    std::printf("write_index/read_index round trip: ntotal=%lld\n", (long long)back->ntotal);
    std::remove(path);
    return recall == 1.0 ? 0 : 1;
}
