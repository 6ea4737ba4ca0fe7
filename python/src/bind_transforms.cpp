// Vector transforms: VectorTransform, NormalizationTransform, LinearTransform,
// RandomRotationMatrix, PCAMatrix. Held by shared_ptr so an IndexPreTransform and Python can
// both keep one (FAISS programs train a PCAMatrix through the index, then inspect it).
#include "common.h"

#include "faisslike/VectorTransform.h"

namespace faisslike_py {

using namespace faisslike;

namespace {

py::array_t<float> copy_out(const std::vector<float>& v, py::ssize_t rows, py::ssize_t cols) {
    if (v.empty()) return py::array_t<float>(std::vector<py::ssize_t>{0});
    py::array_t<float> out =
        rows < 0 ? py::array_t<float>(py::ssize_t(v.size())) : py::array_t<float>({rows, cols});
    std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(float));
    return out;
}

py::array_t<float> apply_py(const VectorTransform& vt, py::handle x) {
    FloatArray xa = as_matrix(x, vt.d_in, "x");
    const idx_t n = xa.shape(0);
    py::array_t<float> out({n, idx_t(vt.d_out)});
    float* op = out.mutable_data();
    py::gil_scoped_release release;
    vt.apply(n, xa.data(), op);
    return out;
}

}  // namespace

void bind_transforms(py::module_& m) {
    py::class_<VectorTransform, std::shared_ptr<VectorTransform>>(
        m, "VectorTransform",
        "Base of the vector transforms: d_in, d_out, is_trained, train(x), apply(x), "
        "reverse_transform(xt).")
        .def_readonly("d_in", &VectorTransform::d_in, "Input dimension.")
        .def_readonly("d_out", &VectorTransform::d_out, "Output dimension.")
        .def_readonly("is_trained", &VectorTransform::is_trained,
                      "Whether train() was run (or is not needed).")
        .def(
            "train",
            [](VectorTransform& self, py::handle x) {
                FloatArray xa = as_matrix(x, self.d_in, "x");
                py::gil_scoped_release release;
                self.train(xa.shape(0), xa.data());
            },
            "x"_a, "Learn the transform from x (n, d_in).")
        .def("apply", &apply_py, "x"_a, "x (n, d_in) transformed: (n, d_out) float32.")
        .def("apply_py", &apply_py, "x"_a, "Same as apply (FAISS's name).")
        .def(
            "reverse_transform",
            [](const VectorTransform& self, py::handle xt) {
                FloatArray a = as_matrix(xt, self.d_out, "xt");
                const idx_t n = a.shape(0);
                py::array_t<float> out({n, idx_t(self.d_in)});
                float* op = out.mutable_data();
                py::gil_scoped_release release;
                self.reverse_transform(n, a.data(), op);
                return out;
            },
            "xt"_a, "Back to (n, d_in) (RuntimeError if the transform cannot be reversed).")
        .def("has_reverse", &VectorTransform::has_reverse,
             "Whether reverse_transform exists (exactly or approximately).");

    py::class_<NormalizationTransform, VectorTransform, std::shared_ptr<NormalizationTransform>>(
        m, "NormalizationTransform", "NormalizationTransform(d, norm=2.0): rows to unit L2 norm.")
        .def(py::init([](int64_t d, double norm) {
                 if (norm != 2.0) throw py::value_error("only norm=2.0 (L2) is supported");
                 return std::make_shared<NormalizationTransform>(narrow<int>(d, "d"));
             }),
             "d"_a, "norm"_a = 2.0);

    py::class_<LinearTransform, VectorTransform, std::shared_ptr<LinearTransform>>(
        m, "LinearTransform",
        "LinearTransform(d_in, d_out, have_bias=False): y = A x (+ b); set_matrix(A, b).")
        .def(py::init([](int64_t din, int64_t dout, bool bias) {
                 return std::make_shared<LinearTransform>(narrow<int>(din, "d_in"),
                                                          narrow<int>(dout, "d_out"), bias);
             }),
             "d_in"_a, "d_out"_a, "have_bias"_a = false)
        .def_readonly("have_bias", &LinearTransform::have_bias,
                      "Whether a bias is added after the product.")
        .def_readonly("is_orthonormal", &LinearTransform::is_orthonormal,
                      "Whether the matrix rows are orthonormal (reverse_transform is then exact).")
        .def_property_readonly(
            "A", [](const LinearTransform& t) { return copy_out(t.A, -1, 0); },
            "The d_out * d_in matrix, row-major, flat (a copy; FAISS's vector).")
        .def_property_readonly(
            "b", [](const LinearTransform& t) { return copy_out(t.b, -1, 0); },
            "The bias (a copy; empty without bias).")
        .def(
            "set_matrix",
            [](LinearTransform& self, py::handle A, py::handle b) {
                FloatArray Aa = as_matrix(A, self.d_in, "A");
                if (Aa.shape(0) != self.d_out)
                    throw py::value_error("A must have shape (d_out, d_in)");
                FloatArray ba;
                if (!b.is_none()) {
                    ba = to_array<FloatArray>(b);
                    if (ba.ndim() != 1 || ba.shape(0) != self.d_out)
                        throw py::value_error("b must have shape (d_out,)");
                }
                self.set_matrix(Aa.data(), b.is_none() ? nullptr : ba.data());
            },
            "A"_a, "b"_a = py::none(), "Set A (d_out, d_in) and b (d_out,); marks it trained.")
        .def("set_is_orthonormal", &LinearTransform::set_is_orthonormal,
             "Check the rows for orthonormality and set is_orthonormal.");

    py::class_<RandomRotationMatrix, LinearTransform, std::shared_ptr<RandomRotationMatrix>>(
        m, "RandomRotationMatrix",
        "RandomRotationMatrix(d_in, d_out): a random orthonormal map; init(seed) or train().")
        .def(py::init([](int64_t din, int64_t dout) {
                 return std::make_shared<RandomRotationMatrix>(narrow<int>(din, "d_in"),
                                                               narrow<int>(dout, "d_out"));
             }),
             "d_in"_a, "d_out"_a)
        .def("init", &RandomRotationMatrix::init, "seed"_a,
             "Draw the rotation from seed (trains it).");

    py::class_<HadamardRotation, VectorTransform, std::shared_ptr<HadamardRotation>>(
        m, "HadamardRotation",
        "HadamardRotation(d, seed=12345): three rounds of random signs and a fast Walsh-Hadamard "
        "transform (orthonormal, O(d log d)); d_out is the next power of 2 >= d (zero padding).")
        .def(py::init([](int64_t d, int64_t seed) {
                 FAISSLIKE_CHECK_ARG(seed >= 0 && seed <= int64_t(UINT32_MAX),
                                     "seed must be in [0, 2^32), got %lld", (long long)seed);
                 return std::make_shared<HadamardRotation>(narrow<int>(d, "d"), uint32_t(seed));
             }),
             "d"_a, "seed"_a = 12345)
        .def_readonly("seed", &HadamardRotation::seed, "Seed of the random signs.")
        .def(
            "init",
            [](HadamardRotation& self, int64_t seed) {
                FAISSLIKE_CHECK_ARG(seed >= 0 && seed <= int64_t(UINT32_MAX),
                                    "seed must be in [0, 2^32), got %lld", (long long)seed);
                self.init(uint32_t(seed));
            },
            "seed"_a, "Draw the random signs from seed.");

    py::class_<PCAMatrix, LinearTransform, std::shared_ptr<PCAMatrix>>(
        m, "PCAMatrix",
        "PCAMatrix(d_in, d_out, eigen_power=0, random_rotation=False): PCA learned by train(); "
        "eigen_power=-0.5 whitens; random_rotation rotates the output.")
        .def(py::init([](int64_t din, int64_t dout, float power, bool rot) {
                 return std::make_shared<PCAMatrix>(narrow<int>(din, "d_in"),
                                                    narrow<int>(dout, "d_out"), power, rot);
             }),
             "d_in"_a, "d_out"_a, "eigen_power"_a = 0.0f, "random_rotation"_a = false)
        .def_readwrite(
            "eigen_power", &PCAMatrix::eigen_power,
            "Components are scaled by eigenvalue ** eigen_power (0: no whitening, -0.5: full).")
        .def_readwrite("epsilon", &PCAMatrix::epsilon, "Added to eigenvalues before whitening.")
        .def_readwrite("random_rotation", &PCAMatrix::random_rotation,
                       "Apply a random rotation after the projection.")
        .def_readwrite("max_points_per_d", &PCAMatrix::max_points_per_d,
                       "Training sets larger than d_in times this are subsampled.")
        .def_property_readonly(
            "mean", [](const PCAMatrix& t) { return copy_out(t.mean, -1, 0); },
            "Mean of the training vectors, float32 (d_in,).")
        .def_property_readonly(
            "eigenvalues", [](const PCAMatrix& t) { return copy_out(t.eigenvalues, -1, 0); },
            "Eigenvalues, largest first.")
        .def_property_readonly(
            "PCAMat", [](const PCAMatrix& t) { return copy_out(t.PCAMat, -1, 0); },
            "The projection matrix, float32, row-major (d_in * d_in).")
        .def("prepare_Ab", &PCAMatrix::prepare_Ab,
             "Rebuild A and b after changing eigen_power / epsilon / random_rotation.");

    py::class_<OPQMatrix, LinearTransform, std::shared_ptr<OPQMatrix>>(
        m, "OPQMatrix",
        "OPQMatrix(d=0, M=1, d2=-1): the rotation of optimized PQ for M sub-quantizers (d2: "
        "output dimension, <= d, a multiple of M; -1: d), learned by train() in niter rounds "
        "of 8-bit PQ (k-means hot-started) and orthogonal Procrustes.")
        .def(py::init([](int64_t d, int64_t M, int64_t d2) {
                 return std::make_shared<OPQMatrix>(narrow<int>(d, "d"), narrow<int>(M, "M"),
                                                    narrow<int>(d2, "d2"));
             }),
             "d"_a, "M"_a = 1, "d2"_a = -1)
        .def_readonly("M", &OPQMatrix::M,
                      "Number of PQ sub-quantizers the rotation is optimized for.")
        .def_readwrite("niter", &OPQMatrix::niter, "Alternating optimization iterations.")
        .def_readwrite("niter_pq", &OPQMatrix::niter_pq,
                       "k-means iterations of the PQ inside each iteration.")
        .def_readwrite("niter_pq_0", &OPQMatrix::niter_pq_0, "k-means iterations of the first PQ.")
        .def_readwrite("max_train_points", &OPQMatrix::max_train_points,
                       "Training sets larger than this are subsampled.")
        .def_readwrite("verbose", &OPQMatrix::verbose, "Print the objective at each iteration.");
}

}  // namespace faisslike_py
