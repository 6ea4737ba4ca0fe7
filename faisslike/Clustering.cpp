#include "faisslike/Clustering.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>

#include "faisslike/Error.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/distances.h"
#include "faisslike/impl/Operation.h"
#include "faisslike/impl/Parallel.h"

namespace faisslike {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Four chains: one chain through `obj` (kept in memory) was a quarter of PQ x4 training.
double sum_as_double(const float* v, size_t n) {
    double s[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (size_t l = 0; l < 4; ++l) s[l] += double(v[i + l]);
    for (; i < n; ++i) s[0] += double(v[i]);
    return (s[0] + s[1]) + (s[2] + s[3]);
}

// Sum of points per centroid, divided by counts; per-thread partial sums avoid atomics.
// Float sums, as FAISS: a centroid averages at most max_points_per_centroid (256) points.
void compute_centroids(size_t d, size_t k, size_t n, const float* x, const idx_t* assign,
                       const float* weights, std::vector<float>& centroids,
                       std::vector<size_t>& sizes) {
    const int nt = parallel_threads();
    std::vector<float> sums(size_t(nt) * k * d, 0.0f);
    std::vector<size_t> counts(size_t(nt) * k, 0);
    std::vector<double> wsums(weights ? size_t(nt) * k : 0, 0.0);
    parallel_region(nt, [&](Team& team) {
        const size_t t = size_t(team.rank), nm = size_t(team.size);
        float* s = sums.data() + t * k * d;
        size_t* c = counts.data() + t * k;
        // Contiguous ranges as OpenMP's static schedule cuts them, one loop each: a call per
        // point cost more than the sums of small sub-quantizers (d = 4: PQ x4 training).
        const size_t q = n / nm, r = n % nm;
        const size_t i0 = t * q + std::min(t, r), i1 = i0 + q + (t < r ? 1 : 0);
        team.guard([&] {
            for (size_t i = i0; i < i1; ++i) {
                const size_t a = size_t(assign[i]);
                const float* xi = x + i * d;
                float* si = s + a * d;
                if (weights) {
                    const float w = weights[i];
                    for (size_t j = 0; j < d; ++j) si[j] += w * xi[j];
                    wsums[t * k + a] += w;
                } else {
                    for (size_t j = 0; j < d; ++j) si[j] += xi[j];
                }
                c[a]++;
            }
        });
    });
    sizes.assign(k, 0);
    parallel_for(
        int64_t(k),
        [&](int64_t c) {
            size_t cnt = 0;
            for (int t = 0; t < nt; ++t) cnt += counts[size_t(t) * k + size_t(c)];
            sizes[size_t(c)] = cnt;
            if (cnt == 0) return;  // re-seeded by split_clusters
            float inv = 1.0f / float(cnt);
            if (weights) {
                double w = 0;
                for (int t = 0; t < nt; ++t) w += wsums[size_t(t) * k + size_t(c)];
                if (w <= 0) return;  // only zero-weight points: the centroid stays
                inv = float(1.0 / w);
            }
            float* out = &centroids[size_t(c) * d];
            for (size_t j = 0; j < d; ++j) out[j] = sums[size_t(c) * d + j];
            for (int t = 1; t < nt; ++t)
                for (size_t j = 0; j < d; ++j) out[j] += sums[(size_t(t) * k + size_t(c)) * d + j];
            for (size_t j = 0; j < d; ++j) out[j] *= inv;
        },
        true, false);
}

// FAISS's rule: an empty centroid takes a copy of a centroid picked with probability
// proportional to its cluster size, both copies nudged in opposite directions.
int split_clusters(size_t d, size_t k, size_t n, std::vector<float>& centroids,
                   std::vector<size_t>& sizes, std::mt19937& rng) {
    constexpr float kEps = 1.0f / 1024;
    int nsplit = 0;
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    for (size_t ci = 0; ci < k; ++ci) {
        if (sizes[ci] != 0) continue;
        size_t cj = 0;
        for (;;) {
            // Sizes sum to n; a cluster of size s is picked with probability (s - 1) / (n - k).
            double r = uni(rng) * double(n - k);
            for (cj = 0; cj < k; ++cj) {
                if (sizes[cj] == 0) continue;
                r -= double(sizes[cj] - 1);
                if (r < 0) break;
            }
            if (cj < k && sizes[cj] > 1) break;
        }
        std::memcpy(&centroids[ci * d], &centroids[cj * d], sizeof(float) * d);
        for (size_t j = 0; j < d; ++j) {
            if (j % 2 == 0) {
                centroids[ci * d + j] *= 1 + kEps;
                centroids[cj * d + j] *= 1 - kEps;
            } else {
                centroids[ci * d + j] *= 1 - kEps;
                centroids[cj * d + j] *= 1 + kEps;
            }
        }
        sizes[ci] = sizes[cj] / 2;
        sizes[cj] -= sizes[ci];
        nsplit++;
    }
    return nsplit;
}

void init_random(size_t d, size_t k, size_t n, const float* x, float* c, std::mt19937& rng) {
    std::vector<size_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    for (size_t i = 0; i < k; ++i) {  // partial Fisher-Yates: k distinct points
        std::uniform_int_distribution<size_t> pick(i, n - 1);
        std::swap(perm[i], perm[pick(rng)]);
        std::memcpy(c + i * d, x + perm[i] * d, sizeof(float) * d);
    }
}

// k-means++ (Arthur & Vassilvitskii): each new centre drawn with probability proportional
// to the squared distance to the nearest centre so far.
void init_kmeanspp(size_t d, size_t k, size_t n, const float* x, float* c, std::mt19937& rng) {
    std::vector<float> mind(n, std::numeric_limits<float>::infinity());
    std::uniform_int_distribution<size_t> first(0, n - 1);
    std::memcpy(c, x + first(rng) * d, sizeof(float) * d);
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    for (size_t ci = 1; ci < k; ++ci) {
        const float* last = c + (ci - 1) * d;
        parallel_for(
            int64_t(n),
            [&](int64_t i) {
                const float dis = fvec_L2sqr(x + size_t(i) * d, last, d);
                if (dis < mind[size_t(i)]) mind[size_t(i)] = dis;
            },
            true, false);
        double total = 0;  // summed in order: the same picks whatever the thread count
        for (size_t i = 0; i < n; ++i) total += mind[i];
        double r = uni(rng) * total;
        size_t pick = n - 1;
        for (size_t i = 0; i < n; ++i) {
            r -= mind[i];
            if (r < 0) {
                pick = i;
                break;
            }
        }
        std::memcpy(c + ci * d, x + pick * d, sizeof(float) * d);
    }
}

}  // namespace

Clustering::Clustering(int d_in, int k_in) : Clustering(d_in, k_in, ClusteringParameters()) {}

Clustering::Clustering(int d_in, int k_in, const ClusteringParameters& cp)
    : ClusteringParameters(cp), d(0), k(0) {
    FAISSLIKE_CHECK_ARG(d_in > 0, "clustering dimension must be > 0, got d=%d", d_in);
    FAISSLIKE_CHECK_ARG(k_in > 0, "number of centroids must be > 0, got k=%d", k_in);
    FAISSLIKE_CHECK_ARG(niter >= 0, "niter must be >= 0, got %d", niter);
    FAISSLIKE_CHECK_ARG(nredo >= 1, "nredo must be >= 1, got %d", nredo);
    d = size_t(d_in);
    k = size_t(k_in);
}

void Clustering::train(idx_t n_in, const float* x_in, Index& index, const float* weights_in) {
    FAISSLIKE_CHECK_ARG(n_in >= 0 && (n_in == 0 || x_in), "bad training set (n=%lld)",
                        (long long)n_in);
    FAISSLIKE_CHECK_ARG(size_t(index.d) == d, "assignment index has d=%d, expected %zu", index.d,
                        d);
    FAISSLIKE_THROW_IF_NOT_FMT(size_t(n_in) >= k,
                               "k-means needs at least k=%zu training points, got n=%lld", k,
                               (long long)n_in);
    check_finite("training vectors", n_in, int(d), x_in);
    if (weights_in) {
        for (idx_t i = 0; i < n_in; ++i)
            FAISSLIKE_CHECK_ARG(std::isfinite(weights_in[i]) && weights_in[i] >= 0,
                                "k-means weights must be finite and >= 0, got %g at row %lld",
                                double(weights_in[i]), (long long)i);
    }
    FAISSLIKE_CHECK_ARG(centroids.size() % d == 0 && centroids.size() <= k * d,
                        "initial centroids: %zu floats is not at most k=%zu rows of d=%zu",
                        centroids.size(), k, d);
    const std::vector<float> input_centroids = centroids;
    const size_t n_input = input_centroids.size() / d;
    check_finite("initial centroids", idx_t(n_input), int(d), input_centroids.data());
    FAISSLIKE_THROW_IF_NOT_FMT(
        !spherical || index.metric_type == METRIC_INNER_PRODUCT || index.metric_type == METRIC_L2,
        "unsupported metric %d", int(index.metric_type));
    const auto t0 = std::chrono::steady_clock::now();
    size_t n = size_t(n_in);
    const float* x = x_in;
    const float* weights = weights_in;
    std::vector<float> sample, sample_w;
    if (max_points_per_centroid > 0 && n > k * size_t(max_points_per_centroid)) {
        const size_t ns = k * size_t(max_points_per_centroid);
        // FAISS subsamples silently unless verbose: so do we.
        if (verbose) std::printf("Sampling a subset of %zu / %zu for training\n", ns, n);
        const std::vector<size_t> perm = kmeans_subsample(n, ns, seed);
        sample.resize(ns * d);
        for (size_t i = 0; i < ns; ++i)
            std::memcpy(&sample[i * d], x_in + perm[i] * d, sizeof(float) * d);
        if (weights_in) {
            sample_w.resize(ns);
            for (size_t i = 0; i < ns; ++i) sample_w[i] = weights_in[perm[i]];
            weights = sample_w.data();
        }
        x = sample.data();
        n = ns;
    } else if (n < k * size_t(std::max(min_points_per_centroid, 0))) {
        std::fprintf(stderr,
                     "WARNING clustering %zu points to %zu centroids: please provide at least "
                     "%zu training points\n",
                     n, k, k * size_t(min_points_per_centroid));
    }

    const bool ip = index.metric_type == METRIC_INNER_PRODUCT;
    std::vector<float> best_centroids;
    double best_obj =
        ip ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    std::vector<float> dis(n);
    std::vector<idx_t> assign(n);
    std::vector<size_t> sizes;
    iteration_stats.clear();

    // Progress in iterations (verbose); interruptible anywhere, its searches included: the
    // centroids are then those of an unfinished run (an index training with it stays
    // untrained).
    OperationScope op("k-means", int64_t(nredo) * niter, verbose, OperationScope::kAnywhere);
    for (int redo = 0; redo < nredo; ++redo) {
        std::mt19937 redo_rng(static_cast<uint32_t>(seed) +
                              static_cast<uint32_t>(redo) * 15486557u);
        centroids.assign(k * d, 0.0f);
        if (kmeanspp) {
            init_kmeanspp(d, k, n, x, centroids.data(), redo_rng);
        } else {
            init_random(d, k, n, x, centroids.data(), redo_rng);
        }
        // Given centroids come first (FAISS: the rest are drawn from the data).
        std::copy(input_centroids.begin(), input_centroids.end(), centroids.begin());
        if (spherical) fvec_renorm_L2(d, k, centroids.data());
        if (int_centroids)
            for (float& v : centroids) v = std::round(v);
        double obj = 0;
        double t_search = 0;
        for (int it = 0; it < niter; ++it) {
            index.reset();
            index.add(idx_t(k), centroids.data());
            const auto ts = std::chrono::steady_clock::now();
            index.search(idx_t(n), x, 1, dis.data(), assign.data());
            t_search += seconds_since(ts);
            obj = sum_as_double(dis.data(), n);
            compute_centroids(d, k, n, x, assign.data(), weights, centroids, sizes);
            int nsplit = split_clusters(d, k, n, centroids, sizes, redo_rng);
            if (spherical) fvec_renorm_L2(d, k, centroids.data());
            if (int_centroids)
                for (float& v : centroids) v = std::round(v);
            if (frozen_centroids)
                std::copy(input_centroids.begin(), input_centroids.end(), centroids.begin());
            double sq = 0;
            for (size_t s : sizes) sq += double(s) * double(s);
            ClusteringIterationStats st{obj, seconds_since(t0), t_search,
                                        sq * double(k) / (double(n) * n), nsplit};
            iteration_stats.push_back(st);
            op.advance(1);
            op.interrupt_point();
        }
        const bool better = ip ? obj > best_obj : obj < best_obj;
        if (redo == 0 || better) {
            best_obj = obj;
            best_centroids = centroids;
        }
    }
    centroids = best_centroids;
    index.reset();
    index.add(idx_t(k), centroids.data());
}

std::vector<size_t> kmeans_subsample(size_t n, size_t ns, int seed) {
    // The subsample draws from its own stream: with the seed of the initialization, a
    // residual encoder trained on the same n points (IVF: the coarse level, then the PQ) would
    // draw exactly the points that seeded the coarse centroids, whose residuals are the
    // smallest (4.5% more PQ error on syn-1m, 0.03 less recall at 40 candidates).
    std::mt19937 rng(static_cast<uint32_t>(seed) ^ 0x9e3779b9u);
    std::vector<size_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    for (size_t i = 0; i < ns; ++i) {
        std::uniform_int_distribution<size_t> pick(i, n - 1);
        std::swap(perm[i], perm[pick(rng)]);
    }
    perm.resize(ns);
    std::sort(perm.begin(), perm.end());  // sequential reads
    return perm;
}

float kmeans_clustering(size_t d, size_t n, size_t k, const float* x, float* centroids) {
    Clustering clus{int(d), int(k)};
    IndexFlatL2 index{idx_t(d)};
    clus.train(idx_t(n), x, index);
    std::memcpy(centroids, clus.centroids.data(), sizeof(float) * k * d);
    return clus.iteration_stats.empty() ? 0.0f : float(clus.iteration_stats.back().obj);
}

}  // namespace faisslike
