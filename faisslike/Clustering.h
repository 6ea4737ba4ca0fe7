// Lloyd k-means (FAISS semantics): L2 or spherical, random or k-means++ init.
#pragma once

#include <cstdint>
#include <vector>

#include "faisslike/Index.h"

namespace faisslike {

struct ClusteringParameters {
    int niter = 25;
    int nredo = 1;  // runs with different seeds; the best objective wins
    bool verbose = false;
    bool spherical = false;  // normalize centroids after each update (for inner product)
    bool kmeanspp = false;   // k-means++ seeding instead of k random training points
    // Above k * max_points_per_centroid training points, a random subset is used (warning).
    int max_points_per_centroid = 256;
    // Below k * min_points_per_centroid, a warning: clusters will be poorly estimated.
    int min_points_per_centroid = 39;
    int seed = 1234;
    bool int_centroids = false;     // round centroid coordinates after each update (FAISS)
    bool frozen_centroids = false;  // the centroids given before train() are not updated
};

struct ClusteringIterationStats {
    double obj;          // sum of distances (L2) or similarities (IP) of the assignment
    double time_s;       // seconds since the start of training
    double time_search;  // seconds spent in assignment searches so far
    double imbalance;    // k * sum(size^2) / n^2 (1 = perfectly balanced)
    int nsplit;          // empty clusters re-seeded in this iteration
};

struct Clustering : ClusteringParameters {
    size_t d, k;
    // k x d after train(). Before train(), up to k rows (n_in x d) set here are the first
    // initial centroids (the rest are drawn as usual); frozen_centroids keeps them fixed.
    std::vector<float> centroids;
    std::vector<ClusteringIterationStats> iteration_stats;

    Clustering(int d, int k);
    Clustering(int d, int k, const ClusteringParameters& cp);

    // Trains on n x d vectors; `index` (e.g. an IndexFlatL2 of dimension d) does the
    // assignment step and holds the centroids afterwards.
    // weights (n, optional, >= 0): each point counts that much in its centroid's mean.
    void train(idx_t n, const float* x, Index& index, const float* weights = nullptr);
};

// Convenience: L2 k-means with default parameters; returns the final objective.
float kmeans_clustering(size_t d, size_t n, size_t k, const float* x, float* centroids);

// The rows (ascending) Clustering::train keeps of n when it subsamples to ns < n with this
// seed: a caller training several clusterings on the same rows (PQ sub-quantizers) gathers
// them once.
std::vector<size_t> kmeans_subsample(size_t n, size_t ns, int seed);

}  // namespace faisslike
