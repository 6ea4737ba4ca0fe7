// Vector transforms applied before an index sees the data (IndexPreTransform): L2
// normalization, linear maps, random rotations and PCA (FAISS's VectorTransform family).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "faisslike/Index.h"

namespace faisslike {

struct VectorTransform {
    int d_in, d_out;
    bool is_trained = true;

    // d_in, d_out in [1, kMaxDim] (InvalidArgument otherwise).
    VectorTransform(int d_in, int d_out);
    virtual ~VectorTransform() = default;

    // Checked entry points: n >= 0, non-null arrays, finite input; apply needs is_trained.
    void train(idx_t n, const float* x);
    // xt: n x d_out.
    void apply(idx_t n, const float* x, float* xt) const;
    // x: n x d_in. Error for transforms that cannot be undone (check has_reverse()).
    void reverse_transform(idx_t n, const float* xt, float* x) const;
    virtual bool has_reverse() const { return false; }
    virtual std::unique_ptr<VectorTransform> clone() const = 0;

   protected:
    virtual void do_train(idx_t /*n*/, const float* /*x*/) {}
    virtual void do_apply(idx_t n, const float* x, float* xt) const = 0;
    virtual void do_reverse(idx_t n, const float* xt, float* x) const;
};

// Scales each vector to unit L2 norm (zero vectors stay zero): inner product on the
// result is cosine similarity. Its "reverse" is the identity (as FAISS): lengths are lost.
struct NormalizationTransform : VectorTransform {
    explicit NormalizationTransform(int d) : VectorTransform(d, d) {}
    bool has_reverse() const override { return true; }
    std::unique_ptr<VectorTransform> clone() const override {
        return std::make_unique<NormalizationTransform>(*this);
    }

   protected:
    void do_apply(idx_t n, const float* x, float* xt) const override;
    void do_reverse(idx_t n, const float* xt, float* x) const override;
};

// y = A x (+ b), A d_out x d_in row-major.
struct LinearTransform : VectorTransform {
    bool have_bias;
    bool is_orthonormal = false;  // rows (d_out <= d_in) or columns orthonormal: reversible
    std::vector<float> A;         // d_out x d_in
    std::vector<float> b;         // d_out (empty without bias)

    LinearTransform(int d_in, int d_out, bool have_bias = false);
    // Sets A (and b when have_bias) and marks the transform trained; checks finiteness and
    // recomputes is_orthonormal.
    void set_matrix(const float* A, const float* b);
    // Recomputes is_orthonormal from A (tolerance 1e-4 on A A^T or A^T A against I).
    void set_is_orthonormal();
    bool has_reverse() const override { return is_orthonormal; }
    std::unique_ptr<VectorTransform> clone() const override {
        return std::make_unique<LinearTransform>(*this);
    }

   protected:
    void do_apply(idx_t n, const float* x, float* xt) const override;
    void do_reverse(idx_t n, const float* xt, float* x) const override;
};

// A random orthonormal map (FAISS's RandomRotationMatrix): untrained until init(seed) or
// train(), which uses seed 12345 as FAISS.
struct RandomRotationMatrix : LinearTransform {
    RandomRotationMatrix(int d_in, int d_out);
    void init(int64_t seed);
    std::unique_ptr<VectorTransform> clone() const override {
        return std::make_unique<RandomRotationMatrix>(*this);
    }

   protected:
    void do_train(idx_t n, const float* x) override;
};

// PCA (FAISS's PCAMatrix): train() learns the mean and the principal directions from up to
// max_points_per_d * d_in points; A keeps the first d_out directions, each scaled by
// eigenvalue^eigen_power (0: a rotation; -0.5: whitening), optionally followed by a random
// rotation (PCAR). d_out <= d_in.
struct PCAMatrix : LinearTransform {
    float eigen_power;
    float epsilon = 0;  // added to eigenvalues before the power
    bool random_rotation;
    size_t max_points_per_d = 1000;
    std::vector<float> mean;         // d_in
    std::vector<float> eigenvalues;  // d_in, decreasing
    std::vector<float> PCAMat;       // d_in x d_in, principal directions as rows

    PCAMatrix(int d_in, int d_out, float eigen_power = 0, bool random_rotation = false);
    // Rebuilds A and b from mean / eigenvalues / PCAMat and the settings.
    void prepare_Ab();
    std::unique_ptr<VectorTransform> clone() const override {
        return std::make_unique<PCAMatrix>(*this);
    }

   protected:
    void do_train(idx_t n, const float* x) override;
};

// Optimized product quantization's rotation (FAISS's OPQMatrix, index_factory's
// "OPQ<M>[_<d_out>]"): an orthonormal map (d_out <= d_in, d_out a multiple of M) learned by
// alternating an 8-bit PQ of the rotated training vectors (k-means, hot-started from the
// previous round) and the rotation that best maps the vectors onto their reconstructions
// (orthogonal Procrustes, one SVD). Trains on at most max_train_points vectors.
struct OPQMatrix : LinearTransform {
    int M;
    int niter = 50;       // rounds of (PQ, rotation)
    int niter_pq = 4;     // k-means iterations per round
    int niter_pq_0 = 40;  // ... in the first round
    size_t max_train_points = 256 * 256;
    bool verbose = false;

    // d_out = -1: d_in.
    OPQMatrix(int d_in, int M, int d_out = -1);
    std::unique_ptr<VectorTransform> clone() const override {
        return std::make_unique<OPQMatrix>(*this);
    }

   protected:
    void do_train(idx_t n, const float* x) override;
};

// Three rounds of random sign flips and a fast Walsh-Hadamard transform (FAISS's
// HadamardRotation, index_factory's "HR"): an orthonormal map in O(d log d), d_out the
// smallest power of 2 >= d_in (zero padding). The signs come from FAISS's SplitMix64 stream,
// so outputs equal FAISS's for the same seed. Reversible (FAISS's is not).
struct HadamardRotation : VectorTransform {
    uint32_t seed;
    std::vector<float> signs1, signs2, signs3;  // d_out each, +-1

    explicit HadamardRotation(int d, uint32_t seed = 12345);
    void init(uint32_t seed);
    bool has_reverse() const override { return true; }
    std::unique_ptr<VectorTransform> clone() const override {
        return std::make_unique<HadamardRotation>(*this);
    }

   protected:
    void do_train(idx_t n, const float* x) override;
    void do_apply(idx_t n, const float* x, float* xt) const override;
    void do_reverse(idx_t n, const float* xt, float* x) const override;
};

}  // namespace faisslike
