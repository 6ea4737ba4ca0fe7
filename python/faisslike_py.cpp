// Python bindings: FAISS names and return conventions over numpy arrays.
#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "faisslike/Clustering.h"
#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexIVFFlat.h"
#include "faisslike/IndexIVFPQ.h"
#include "faisslike/IndexPQ.h"
#include "faisslike/IndexPreTransform.h"
#include "faisslike/IndexRefine.h"
#include "faisslike/IndexScalarQuantizer.h"
#include "faisslike/IndexShards.h"
#include "faisslike/ProductQuantizer.h"
#include "faisslike/distances.h"
#include "faisslike/index_factory.h"
#include "faisslike/index_io.h"

namespace py = pybind11;
using namespace pybind11::literals;
using namespace faisslike;

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// Any real numeric array-like becomes a C-contiguous float32 (n, d) array: no copy when it
// already is one, one conversion otherwise. Raises TypeError / ValueError naming the problem.
FloatArray as_matrix(py::handle obj, int64_t d, const char* what) {
    py::array a = py::array::ensure(obj);
    if (!a) {
        throw py::type_error(std::string(what) +
                             " must be a numpy array (or array-like) of numbers");
    }
    const char kind = a.dtype().kind();
    if (kind != 'f' && kind != 'i' && kind != 'u') {
        throw py::type_error(std::string(what) + " must have a real numeric dtype, got " +
                             std::string(py::str(a.dtype())));
    }
    if (a.ndim() != 2) {
        throw py::value_error(std::string(what) +
                              " must be a 2-D array of shape (n, d=" + std::to_string(d) +
                              "), got " + std::to_string(a.ndim()) + "-D array of shape " +
                              std::string(py::str(py::tuple(a.attr("shape")))));
    }
    if (d >= 0 && a.shape(1) != d) {
        throw py::value_error(std::string(what) + " has " + std::to_string(a.shape(1)) +
                              " columns but the index has d=" + std::to_string(d));
    }
    return FloatArray::ensure(a);
}

// A C-contiguous uint8 (n, code_size) matrix, or TypeError / ValueError.
py::array_t<uint8_t, py::array::c_style> as_codes(py::handle obj, size_t code_size) {
    py::array a = py::array::ensure(obj);
    if (!a || a.dtype().kind() != 'u' || a.itemsize() != 1)
        throw py::type_error("codes must be a uint8 numpy array");
    if (a.ndim() != 2 || size_t(a.shape(1)) != code_size)
        throw py::value_error("codes must have shape (n, " + std::to_string(code_size) + ")");
    return py::array_t<uint8_t, py::array::c_style>::ensure(a);
}

// A C-contiguous int64 1-D array of ids (any integer dtype); n_expected < 0: any length.
py::array_t<int64_t, py::array::c_style | py::array::forcecast> as_ids(py::handle obj,
                                                                       int64_t n_expected,
                                                                       const char* what) {
    py::array a = py::array::ensure(obj);
    // An empty list arrives as float64: emptiness is what counts there.
    if (!a || (a.dtype().kind() != 'i' && a.dtype().kind() != 'u' && a.size() != 0))
        throw py::type_error(std::string(what) + " must be an integer numpy array");
    if (a.ndim() != 1 || (n_expected >= 0 && a.shape(0) != n_expected))
        throw py::value_error(
            std::string(what) + " must be a 1-D array" +
            (n_expected >= 0 ? " with one id per row of x (" + std::to_string(n_expected) + ")"
                             : std::string()));
    return py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
}

// Sets params.sel, keeping the selector object alive as long as the parameters.
void set_sel(py::handle params, py::handle sel) {
    SearchParameters& p = params.cast<SearchParameters&>();
    if (sel.is_none()) {
        p.sel = nullptr;
    } else {
        if (!py::isinstance<IDSelector>(sel))
            throw py::type_error("sel must be an IDSelector (e.g. IDSelectorBatch(ids))");
        p.sel = sel.cast<const IDSelector*>();
    }
    py::setattr(params, "_sel_ref", sel);
}

const SearchParameters* as_params(py::handle params) {
    if (params.is_none()) return nullptr;
    if (!py::isinstance<SearchParameters>(params))
        throw py::type_error("params must be a SearchParameters object");
    return params.cast<const SearchParameters*>();
}

int64_t check_d(int64_t d) {
    if (d <= 0) throw py::value_error("d must be > 0, got d=" + std::to_string(d));
    return d;
}

idx_t check_k(py::handle k_obj) {
    // Python ints and numpy integers (anything with __index__), not floats or bools.
    if (PyBool_Check(k_obj.ptr()) || !PyIndex_Check(k_obj.ptr())) {
        throw py::type_error("k must be an integer, got " +
                             std::string(py::str(py::type::of(k_obj).attr("__name__"))));
    }
    auto k_int = py::reinterpret_steal<py::int_>(PyNumber_Index(k_obj.ptr()));
    long long k = PyLong_AsLongLong(k_int.ptr());
    if (k == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        throw py::value_error("k is out of range");
    }
    if (k <= 0) throw py::value_error("k must be > 0, got k=" + std::to_string(k));
    return idx_t(k);
}

std::string fspath(py::handle p) {
    return py::str(py::module_::import("os").attr("fspath")(p)).cast<std::string>();
}

// Output array given by the caller (FAISS's D=/I= arguments) or freshly allocated.
template <class T>
py::array_t<T> out_array(py::object given, idx_t n, idx_t k, const char* name) {
    if (given.is_none()) return py::array_t<T>({n, k});
    auto a = py::array_t<T>::ensure(given);
    if (!a || !py::isinstance<py::array_t<T>>(given) || a.ndim() != 2 || a.shape(0) != n ||
        a.shape(1) != k || !(a.flags() & py::array::c_style) || !a.writeable()) {
        throw py::value_error(std::string(name) + " must be a writable C-contiguous " +
                              (std::is_same<T, float>::value ? "float32" : "int64") +
                              " array of shape (" + std::to_string(n) + ", " + std::to_string(k) +
                              ")");
    }
    return a;
}

py::tuple search(const Index& index, py::handle x, py::handle k_obj, py::object params,
                 py::object D_in, py::object I_in) {
    const SearchParameters* sp = as_params(params);
    FloatArray xa = as_matrix(x, index.d, "x");
    const idx_t k = check_k(k_obj);
    const idx_t n = xa.shape(0);
    if (n > 0 && k > std::numeric_limits<idx_t>::max() / n / 8) {
        throw py::value_error("n x k results are too many: n=" + std::to_string(n) +
                              ", k=" + std::to_string(k));
    }
    auto D = out_array<float>(D_in, n, k, "D");
    auto I = out_array<int64_t>(I_in, n, k, "I");
    const float* xp = xa.data();
    float* Dp = D.mutable_data();
    idx_t* Ip = I.mutable_data();
    {
        py::gil_scoped_release release;
        index.search(n, xp, k, Dp, Ip, sp);
    }
    return py::make_tuple(D, I);
}

}  // namespace

PYBIND11_MODULE(_faisslike, m) {
    m.doc() = "faisslike native module (import faisslike instead)";
    m.attr("__version__") = "0.1.0";
    m.attr("METRIC_INNER_PRODUCT") = int(METRIC_INNER_PRODUCT);
    m.attr("METRIC_L2") = int(METRIC_L2);

    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const FileError& e) {
            PyErr_SetString(PyExc_OSError, e.what());
        } catch (const InvalidArgument& e) {
            // The C++ class decides: the same mistake gives the same Python class everywhere.
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const Error& e) {
            PyErr_SetString(PyExc_RuntimeError, e.what());
        }
    });

    py::class_<IDSelector>(m, "IDSelector",
                           "Selects ids for filtered search (SearchParameters(sel=...)) and "
                           "remove_ids. Base class.")
        .def("is_member", &IDSelector::is_member, "id"_a);
    py::class_<IDSelectorRange, IDSelector>(m, "IDSelectorRange",
                                            "IDSelectorRange(imin, imax): imin <= id < imax.")
        .def(py::init<idx_t, idx_t>(), "imin"_a, "imax"_a)
        .def_readonly("imin", &IDSelectorRange::imin)
        .def_readonly("imax", &IDSelectorRange::imax);
    py::class_<IDSelectorArray, IDSelector>(
        m, "IDSelectorArray", "IDSelectorArray(ids): the listed ids (copied; binary search).")
        .def(py::init([](py::handle ids) {
                 auto a = as_ids(ids, -1, "ids");
                 return std::make_unique<IDSelectorArray>(size_t(a.shape(0)), a.data());
             }),
             "ids"_a);
    py::class_<IDSelectorBatch, IDSelector>(
        m, "IDSelectorBatch",
        "IDSelectorBatch(ids): the listed ids (hash set behind a bit mask; copied).")
        .def(py::init([](py::handle ids) {
                 auto a = as_ids(ids, -1, "ids");
                 return std::make_unique<IDSelectorBatch>(size_t(a.shape(0)), a.data());
             }),
             "ids"_a);
    py::class_<IDSelectorBitmap, IDSelector>(
        m, "IDSelectorBitmap",
        "IDSelectorBitmap(bitmap): id i is selected iff bit i % 8 of byte i // 8 is set "
        "(uint8 array, numpy.packbits(..., bitorder='little') order).")
        .def(py::init([](py::handle bm) {
                 py::array a = py::array::ensure(bm);
                 if (!a || a.dtype().kind() != 'u' || a.itemsize() != 1 || a.ndim() != 1)
                     throw py::type_error("bitmap must be a 1-D uint8 array");
                 auto c = py::array_t<uint8_t, py::array::c_style>::ensure(a);
                 return std::make_unique<IDSelectorBitmap>(size_t(c.shape(0)), c.data());
             }),
             "bitmap"_a);
    py::class_<IDSelectorNot, IDSelector>(m, "IDSelectorNot",
                                          "IDSelectorNot(sel): ids sel rejects.")
        .def(py::init<const IDSelector*>(), "sel"_a, py::keep_alive<1, 2>());
    py::class_<IDSelectorAnd, IDSelector>(m, "IDSelectorAnd", "IDSelectorAnd(a, b): both.")
        .def(py::init<const IDSelector*, const IDSelector*>(), "lhs"_a, "rhs"_a,
             py::keep_alive<1, 2>(), py::keep_alive<1, 3>());
    py::class_<IDSelectorOr, IDSelector>(m, "IDSelectorOr", "IDSelectorOr(a, b): either.")
        .def(py::init<const IDSelector*, const IDSelector*>(), "lhs"_a, "rhs"_a,
             py::keep_alive<1, 2>(), py::keep_alive<1, 3>());
    py::class_<IDSelectorAll, IDSelector>(m, "IDSelectorAll", "Every id.").def(py::init<>());

    py::class_<SearchParameters>(m, "SearchParameters", py::dynamic_attr(),
                                 "SearchParameters(sel=None): per-call search settings. sel (an "
                                 "IDSelector) restricts the results to the ids it selects. Pass "
                                 "as index.search(x, k, params=...).")
        .def(py::init<>())
        .def_property(
            "sel", [](py::handle self) { return py::getattr(self, "_sel_ref", py::none()); },
            [](py::handle self, py::handle sel) { set_sel(self, sel); },
            "The IDSelector of this call (None: all ids).");
    py::class_<SearchParametersIVF, SearchParameters>(
        m, "SearchParametersIVF", py::dynamic_attr(),
        "SearchParametersIVF(nprobe=0): nprobe for this call only (0 = the index's nprobe); "
        "safe with concurrent searches.")
        .def(py::init([](int64_t nprobe) {
                 if (nprobe < 0)
                     throw py::value_error("nprobe must be >= 0, got " + std::to_string(nprobe));
                 auto p = std::make_unique<SearchParametersIVF>();
                 p->nprobe = size_t(nprobe);
                 return p;
             }),
             "nprobe"_a = 0)
        .def_readwrite("nprobe", &SearchParametersIVF::nprobe);

    py::class_<ClusteringParameters>(m, "ClusteringParameters",
                                     "k-means settings (FAISS defaults: niter=25, seed=1234, "
                                     "max_points_per_centroid=256, min_points_per_centroid=39).")
        .def(py::init<>())
        .def_readwrite("niter", &ClusteringParameters::niter)
        .def_readwrite("nredo", &ClusteringParameters::nredo)
        .def_readwrite("verbose", &ClusteringParameters::verbose)
        .def_readwrite("spherical", &ClusteringParameters::spherical)
        .def_readwrite("kmeanspp", &ClusteringParameters::kmeanspp)
        .def_readwrite("max_points_per_centroid", &ClusteringParameters::max_points_per_centroid)
        .def_readwrite("min_points_per_centroid", &ClusteringParameters::min_points_per_centroid)
        .def_readwrite("seed", &ClusteringParameters::seed);

    py::class_<Clustering, ClusteringParameters>(
        m, "Clustering",
        "Clustering(d, k[, cp]): Lloyd k-means. train(x, index) assigns with `index` (e.g. "
        "IndexFlatL2(d)), which holds the centroids afterwards.")
        .def(py::init([](int d, int k) { return std::make_unique<Clustering>(d, k); }), "d"_a,
             "k"_a)
        .def(py::init([](int d, int k, const ClusteringParameters& cp) {
                 return std::make_unique<Clustering>(d, k, cp);
             }),
             "d"_a, "k"_a, "cp"_a)
        .def_readonly("d", &Clustering::d)
        .def_readonly("k", &Clustering::k)
        .def(
            "train",
            [](Clustering& self, py::handle x, Index& index) {
                FloatArray xa = as_matrix(x, int64_t(self.d), "x");
                py::gil_scoped_release release;
                self.train(xa.shape(0), xa.data(), index);
            },
            "x"_a, "index"_a, "Run k-means on x (n, d); n >= k required.")
        .def_property_readonly(
            "centroids",
            [](const Clustering& self) {
                py::array_t<float> out(
                    {py::ssize_t(self.centroids.size() / self.d), py::ssize_t(self.d)});
                std::memcpy(out.mutable_data(), self.centroids.data(),
                            self.centroids.size() * sizeof(float));
                return out;
            },
            "Centroids as a (k, d) float32 array (a copy).")
        .def_property_readonly(
            "obj",
            [](const Clustering& self) {
                std::vector<double> o;
                for (auto& s : self.iteration_stats) o.push_back(s.obj);
                return o;
            },
            "Objective at each iteration (sum of distances, or of similarities for IP).")
        .def_property_readonly(
            "iteration_stats",
            [](const Clustering& self) {
                py::list out;
                for (auto& s : self.iteration_stats)
                    out.append(py::dict("obj"_a = s.obj, "time"_a = s.time_s,
                                        "imbalance_factor"_a = s.imbalance, "nsplit"_a = s.nsplit));
                return out;
            },
            "Per-iteration dicts: obj, time, imbalance_factor, nsplit.");

    py::class_<Index>(m, "Index", R"doc(
Base class of all indexes (FAISS semantics).

Attributes: d (dimension), ntotal (number of stored vectors), is_trained,
metric_type (METRIC_L2 or METRIC_INNER_PRODUCT), verbose.
Vectors are passed as 2-D arrays of shape (n, d); any real dtype is accepted and
converted to float32 once (C-contiguous float32 input is used without a copy).
Search, add and train release the GIL: several Python threads may search one index
at once (but do not add while searching).)doc")
        .def_property_readonly(
            "d", [](const Index& i) { return i.d; }, "Vector dimension.")
        .def_property_readonly(
            "ntotal", [](const Index& i) { return i.ntotal; }, "Number of vectors in the index.")
        .def_property_readonly(
            "is_trained", [](const Index& i) { return i.is_trained; },
            "Whether the index is ready for add/search.")
        .def_property_readonly(
            "metric_type", [](const Index& i) { return int(i.metric_type); },
            "METRIC_L2 (1) or METRIC_INNER_PRODUCT (0).")
        .def_readwrite("verbose", &Index::verbose, "Print progress for long operations.")
        .def(
            "train",
            [](Index& self, py::handle x) {
                FloatArray xa = as_matrix(x, self.d, "x");
                py::gil_scoped_release release;
                self.train(xa.shape(0), xa.data());
            },
            "x"_a, "Train the index on representative vectors x of shape (n, d).")
        .def(
            "add",
            [](Index& self, py::handle x) {
                FloatArray xa = as_matrix(x, self.d, "x");
                py::gil_scoped_release release;
                self.add(xa.shape(0), xa.data());
            },
            "x"_a,
            "Add vectors x of shape (n, d); they get ids ntotal .. ntotal+n-1.\n"
            "Raises RuntimeError if x contains NaN or infinity.")
        .def("search", &search, "x"_a, "k"_a, py::kw_only(), "params"_a = py::none(),
             "D"_a = py::none(), "I"_a = py::none(),
             R"doc(
Search the k nearest neighbours of each row of x (shape (n, d)).

Returns (D, I): float32 distances and int64 labels, both of shape (n, k), best first
(ascending squared L2 distance, or descending inner product). Where fewer than k
vectors exist, labels are -1 and distances +inf (L2) / -inf (inner product).
D and I may be given to write into existing arrays.)doc")
        .def(
            "add_with_ids",
            [](Index& self, py::handle x, py::handle ids) {
                FloatArray xa = as_matrix(x, self.d, "x");
                auto ia = as_ids(ids, xa.shape(0), "ids");
                const int64_t* ip = ia.data();
                py::gil_scoped_release release;
                self.add_with_ids(xa.shape(0), xa.data(), ip);
            },
            "x"_a, "ids"_a,
            "Add vectors with user ids (int64, >= 0); search returns these ids. Supported by\n"
            "IVF indexes, IndexIDMap / IndexIDMap2 and IndexShards(successive_ids=False).")
        .def(
            "remove_ids",
            [](Index& self, py::handle sel) {
                std::unique_ptr<IDSelector> own;
                const IDSelector* s = nullptr;
                if (py::isinstance<IDSelector>(sel)) {
                    s = sel.cast<const IDSelector*>();
                } else {
                    auto a = as_ids(sel, -1, "ids to remove");
                    own = std::make_unique<IDSelectorBatch>(size_t(a.shape(0)), a.data());
                    s = own.get();
                }
                py::gil_scoped_release release;
                return self.remove_ids(*s);
            },
            "sel"_a,
            "Remove the vectors whose ids `sel` selects (an IDSelector or an array of ids);\n"
            "returns how many were removed (0 for ids not in the index). Flat, PQ and SQ\n"
            "renumber the remaining vectors (as FAISS); IVF keeps ids; HNSW marks them deleted\n"
            "(see IndexHNSWFlat.compact).")
        .def(
            "range_search",
            [](const Index& self, py::handle x, float radius, py::object params) {
                const SearchParameters* sp = as_params(params);
                FloatArray xa = as_matrix(x, self.d, "x");
                if (!std::isfinite(radius)) throw py::value_error("radius must be finite");
                if (self.metric_type == METRIC_L2 && radius < 0)
                    throw py::value_error("radius must be >= 0 for L2, got " +
                                          std::to_string(radius));
                RangeSearchResult res;
                {
                    py::gil_scoped_release release;
                    self.range_search(xa.shape(0), xa.data(), radius, &res, sp);
                }
                py::array_t<uint64_t> lims(py::ssize_t(res.lims.size()));
                py::array_t<float> D(py::ssize_t(res.distances.size()));
                py::array_t<int64_t> I(py::ssize_t(res.labels.size()));
                std::memcpy(lims.mutable_data(), res.lims.data(), res.lims.size() * 8);
                if (!res.labels.empty()) {
                    std::memcpy(D.mutable_data(), res.distances.data(), res.distances.size() * 4);
                    std::memcpy(I.mutable_data(), res.labels.data(), res.labels.size() * 8);
                }
                return py::make_tuple(lims, D, I);
            },
            "x"_a, "radius"_a, py::kw_only(), "params"_a = py::none(),
            R"doc(
All results within `radius` (L2: squared distance < radius; inner product: > radius).

Returns (lims, D, I) as FAISS: the results of query i are D[lims[i]:lims[i+1]] and
I[lims[i]:lims[i+1]], best first. Supported by Flat and IVF indexes (and wrappers).)doc")
        .def(
            "reset", [](Index& self) { self.reset(); }, "Remove all vectors.")
        .def(
            "reconstruct",
            [](const Index& self, idx_t key) {
                py::array_t<float> out(self.d);
                float* p = out.mutable_data();
                self.reconstruct(key, p);
                return out;
            },
            "key"_a, "The stored vector with id `key`, as a float32 array of shape (d,).")
        .def(
            "reconstruct_n",
            [](const Index& self, idx_t i0, py::object n_obj) {
                idx_t n = n_obj.is_none() ? self.ntotal - i0 : n_obj.cast<idx_t>();
                if (n < 0 || i0 < 0 || i0 > self.ntotal || n > self.ntotal - i0) {
                    throw py::value_error("reconstruct_n range [" + std::to_string(i0) + ", " +
                                          std::to_string(i0 + n) + ") is outside [0, ntotal=" +
                                          std::to_string(self.ntotal) + ")");
                }
                py::array_t<float> out({n, idx_t(self.d)});
                float* p = out.mutable_data();
                {
                    py::gil_scoped_release release;
                    self.reconstruct_n(i0, n, p);
                }
                return out;
            },
            "i0"_a = 0, "n"_a = py::none(),
            "Vectors i0 .. i0+n-1 as an (n, d) float32 array (n defaults to the rest).");

    py::class_<IndexFlat, Index>(m, "IndexFlat", R"doc(
Exact search: stores the vectors and compares the query with all of them.

IndexFlat(d, metric=METRIC_L2). Batches of queries go through BLAS sgemm, small
batches through the SIMD kernels; both are exact.)doc")
        .def(py::init([](int64_t d, int metric) {
                 if (metric != METRIC_L2 && metric != METRIC_INNER_PRODUCT)
                     throw py::value_error("unsupported metric " + std::to_string(metric));
                 return std::make_unique<IndexFlat>(check_d(d), MetricType(metric));
             }),
             "d"_a, "metric"_a = int(METRIC_L2));
    py::class_<IndexFlatL2, IndexFlat>(m, "IndexFlatL2",
                                       "Exact search with squared L2 distance. IndexFlatL2(d).")
        .def(py::init([](int64_t d) { return std::make_unique<IndexFlatL2>(check_d(d)); }), "d"_a);
    py::class_<IndexFlatIP, IndexFlat>(m, "IndexFlatIP",
                                       "Exact search by largest inner product. IndexFlatIP(d).")
        .def(py::init([](int64_t d) { return std::make_unique<IndexFlatIP>(check_d(d)); }), "d"_a);

    py::class_<IndexIVF, Index>(m, "IndexIVF", "Base of the inverted-file indexes.")
        .def_property(
            "nprobe", [](const IndexIVF& i) { return i.nprobe; },
            [](IndexIVF& i, int64_t v) {
                if (v <= 0) throw py::value_error("nprobe must be > 0, got " + std::to_string(v));
                i.nprobe = size_t(v);
            },
            "Lists scanned per query (default 1; clamped to nlist). For concurrent searches "
            "with different values pass SearchParametersIVF instead.")
        .def_readonly("nlist", &IndexIVF::nlist)
        .def_readonly("code_size", &IndexIVF::code_size)
        .def_property_readonly(
            "quantizer", [](IndexIVF& i) { return i.quantizer.get(); },
            py::return_value_policy::reference_internal,
            "The coarse quantizer (an Index holding the nlist centroids).")
        .def_property_readonly(
            "cp", [](IndexIVF& i) -> ClusteringParameters& { return i.cp; },
            py::return_value_policy::reference_internal,
            "k-means settings used by train() (IVF defaults: niter=10, spherical for IP).")
        .def("make_direct_map", &IndexIVF::make_direct_map, "maintain"_a = true,
             "Enable reconstruct(): ids must be 0..ntotal-1 (use set_direct_map_type for others).")
        .def(
            "set_direct_map_type",
            [](IndexIVF& self, int t) { self.set_direct_map_type(DirectMap::Type(t)); }, "type"_a,
            "0 = none, 1 = array (sequential ids), 2 = hashtable (any ids).")
        .def(
            "get_list_size",
            [](const IndexIVF& self, int64_t l) {
                if (l < 0 || size_t(l) >= self.nlist)
                    throw py::value_error("list number out of range");
                return self.invlists->list_size(size_t(l));
            },
            "list_no"_a, "Number of vectors in inverted list list_no.")
        .def(
            "get_list_ids",
            [](const IndexIVF& self, int64_t l) {
                if (l < 0 || size_t(l) >= self.nlist)
                    throw py::value_error("list number out of range");
                const size_t n = self.invlists->list_size(size_t(l));
                py::array_t<int64_t> out{py::ssize_t(n)};
                if (n)
                    std::memcpy(out.mutable_data(), self.invlists->get_ids(size_t(l)),
                                n * sizeof(int64_t));
                return out;
            },
            "list_no"_a, "Ids stored in inverted list list_no (a copy).");
    py::class_<IndexIVFFlat, IndexIVF>(m, "IndexIVFFlat", R"doc(
IndexIVFFlat(quantizer, d, nlist, metric=METRIC_L2)

Inverted file with full vectors: k-means (on train) splits the space into nlist cells;
search scans the nprobe nearest cells exactly. The index keeps `quantizer` alive.
With few vectors in the probed cells, results are padded with -1 labels.)doc")
        .def(py::init([](Index* quantizer, int64_t d, int64_t nlist, int metric) {
                 if (!quantizer) throw py::value_error("quantizer must not be None");
                 if (nlist <= 0)
                     throw py::value_error("nlist must be > 0, got " + std::to_string(nlist));
                 if (metric != METRIC_L2 && metric != METRIC_INNER_PRODUCT)
                     throw py::value_error("unsupported metric " + std::to_string(metric));
                 return std::make_unique<IndexIVFFlat>(quantizer, check_d(d), size_t(nlist),
                                                       MetricType(metric));
             }),
             "quantizer"_a, "d"_a, "nlist"_a, "metric"_a = int(METRIC_L2), py::keep_alive<1, 2>());

    py::class_<ProductQuantizer>(m, "ProductQuantizer", R"doc(
ProductQuantizer(d, M, nbits=8): splits vectors into M sub-vectors of d/M dims, each coded by
the nearest of 2^nbits centroids. train(x) needs >= 2^nbits points (warns below 39 * 2^nbits);
compute_codes(x) -> uint8 (n, code_size); decode(codes) -> float32 (n, d).)doc")
        .def(py::init([](int64_t d, int64_t M, int64_t nbits) {
                 if (d <= 0 || M <= 0 || nbits <= 0)
                     throw py::value_error("d, M and nbits must be > 0");
                 return std::make_unique<ProductQuantizer>(size_t(d), size_t(M), size_t(nbits));
             }),
             "d"_a, "M"_a, "nbits"_a = 8)
        .def_readonly("d", &ProductQuantizer::d)
        .def_readonly("M", &ProductQuantizer::M)
        .def_readonly("nbits", &ProductQuantizer::nbits)
        .def_readonly("dsub", &ProductQuantizer::dsub)
        .def_readonly("ksub", &ProductQuantizer::ksub)
        .def_readonly("code_size", &ProductQuantizer::code_size)
        .def_readwrite("cp", &ProductQuantizer::cp, "k-means settings of each sub-quantizer.")
        .def_property_readonly("is_trained", &ProductQuantizer::is_trained)
        .def(
            "train",
            [](ProductQuantizer& pq, py::handle x) {
                FloatArray xa = as_matrix(x, int64_t(pq.d), "x");
                py::gil_scoped_release release;
                pq.train(xa.shape(0), xa.data());
            },
            "x"_a)
        .def(
            "compute_codes",
            [](const ProductQuantizer& pq, py::handle x) {
                FloatArray xa = as_matrix(x, int64_t(pq.d), "x");
                if (!pq.is_trained()) throw py::value_error("ProductQuantizer is not trained");
                const size_t n = size_t(xa.shape(0));
                py::array_t<uint8_t> out({py::ssize_t(n), py::ssize_t(pq.code_size)});
                uint8_t* o = out.mutable_data();
                {
                    py::gil_scoped_release release;
                    check_finite("x", idx_t(n), int(pq.d), xa.data());
                    pq.compute_codes(xa.data(), o, n);
                }
                return out;
            },
            "x"_a)
        .def(
            "decode",
            [](const ProductQuantizer& pq, py::handle codes) {
                auto c = as_codes(codes, pq.code_size);
                if (!pq.is_trained()) throw py::value_error("ProductQuantizer is not trained");
                const size_t n = size_t(c.shape(0));
                py::array_t<float> out({py::ssize_t(n), py::ssize_t(pq.d)});
                float* o = out.mutable_data();
                {
                    py::gil_scoped_release release;
                    pq.decode(c.data(), o, n);
                }
                return out;
            },
            "codes"_a)
        .def(
            "compute_distance_table",
            [](const ProductQuantizer& pq, py::handle x, int metric) {
                FloatArray xa = as_matrix(x, int64_t(pq.d), "x");
                if (!pq.is_trained()) throw py::value_error("ProductQuantizer is not trained");
                if (xa.shape(0) != 1) throw py::value_error("x must hold exactly one vector");
                py::array_t<float> out({py::ssize_t(pq.M), py::ssize_t(pq.ksub)});
                pq.compute_table(MetricType(metric), xa.data(), out.mutable_data());
                return out;
            },
            "x"_a, "metric"_a = int(METRIC_L2),
            "(M, ksub) table: squared L2 distances (or inner products) of x's sub-vectors to "
            "every centroid.")
        .def_property_readonly(
            "centroids",
            [](const ProductQuantizer& pq) {
                py::array_t<float> out(
                    {py::ssize_t(pq.M), py::ssize_t(pq.ksub), py::ssize_t(pq.dsub)});
                if (!pq.centroids.empty())
                    std::memcpy(out.mutable_data(), pq.centroids.data(), pq.centroids.size() * 4);
                else
                    std::memset(out.mutable_data(), 0, size_t(out.size()) * 4);
                return out;
            },
            "(M, ksub, dsub) centroids (a copy).");

    py::class_<IndexPQ, Index>(m, "IndexPQ", R"doc(
IndexPQ(d, M, nbits=8, metric=METRIC_L2): vectors stored as PQ codes (M * nbits / 8 bytes each),
searched by asymmetric distance computation. Must be trained. sa_encode / sa_decode compress
and decompress vectors without adding them.)doc")
        .def(py::init([](int64_t d, int64_t M, int64_t nbits, int metric) {
                 if (M <= 0 || nbits <= 0) throw py::value_error("M and nbits must be > 0");
                 if (metric != METRIC_L2 && metric != METRIC_INNER_PRODUCT)
                     throw py::value_error("unsupported metric " + std::to_string(metric));
                 return std::make_unique<IndexPQ>(check_d(d), size_t(M), size_t(nbits),
                                                  MetricType(metric));
             }),
             "d"_a, "M"_a, "nbits"_a = 8, "metric"_a = int(METRIC_L2))
        .def_readonly("pq", &IndexPQ::pq)
        .def("sa_code_size", &IndexPQ::sa_code_size)
        .def(
            "sa_encode",
            [](const IndexPQ& self, py::handle x) {
                FloatArray xa = as_matrix(x, self.d, "x");
                const idx_t n = xa.shape(0);
                py::array_t<uint8_t> out({py::ssize_t(n), py::ssize_t(self.sa_code_size())});
                uint8_t* o = out.mutable_data();
                {
                    py::gil_scoped_release release;
                    self.sa_encode(n, xa.data(), o);
                }
                return out;
            },
            "x"_a, "Codes of x as a uint8 (n, sa_code_size()) array.")
        .def(
            "sa_decode",
            [](const IndexPQ& self, py::handle codes) {
                auto c = as_codes(codes, self.sa_code_size());
                const idx_t n = c.shape(0);
                py::array_t<float> out({py::ssize_t(n), py::ssize_t(self.d)});
                float* o = out.mutable_data();
                {
                    py::gil_scoped_release release;
                    self.sa_decode(n, c.data(), o);
                }
                return out;
            },
            "codes"_a, "Decoded vectors, float32 (n, d).");

    py::class_<IndexIVFPQ, IndexIVF>(m, "IndexIVFPQ", R"doc(
IndexIVFPQ(quantizer, d, nlist, M, nbits=8, metric=METRIC_L2): inverted file whose lists hold
PQ codes of the residuals to the list centroid (by_residual). For L2, the list-dependent part of
the lookup tables is precomputed at train time (use_precomputed_table). Keeps `quantizer` alive.)doc")
        .def(py::init([](Index* quantizer, int64_t d, int64_t nlist, int64_t M, int64_t nbits,
                         int metric) {
                 if (!quantizer) throw py::value_error("quantizer must not be None");
                 if (nlist <= 0 || M <= 0 || nbits <= 0)
                     throw py::value_error("nlist, M and nbits must be > 0");
                 if (metric != METRIC_L2 && metric != METRIC_INNER_PRODUCT)
                     throw py::value_error("unsupported metric " + std::to_string(metric));
                 return std::make_unique<IndexIVFPQ>(quantizer, check_d(d), size_t(nlist),
                                                     size_t(M), size_t(nbits), MetricType(metric));
             }),
             "quantizer"_a, "d"_a, "nlist"_a, "M"_a, "nbits"_a = 8, "metric"_a = int(METRIC_L2),
             py::keep_alive<1, 2>())
        .def_readonly("pq", &IndexIVFPQ::pq)
        .def_property(
            "by_residual", [](const IndexIVFPQ& i) { return i.by_residual; },
            [](IndexIVFPQ& i, bool v) {
                if (i.is_trained) throw py::value_error("by_residual must be set before training");
                i.by_residual = v;
            })
        .def_property(
            "use_precomputed_table", [](const IndexIVFPQ& i) { return i.use_precomputed_table; },
            [](IndexIVFPQ& i, bool v) {
                i.use_precomputed_table = v;
                if (i.is_trained) i.precompute_table();
            });

    py::class_<SearchParametersRefine, SearchParameters>(
        m, "SearchParametersRefine", py::dynamic_attr(),
        "SearchParametersRefine(k_factor=0, base_params=None): k_factor for this call (0 = the "
        "index's), and parameters for the base index (e.g. SearchParametersIVF).")
        .def(py::init([](float k_factor, SearchParameters* base) {
                 if (k_factor != 0 && !(k_factor >= 1))
                     throw py::value_error("k_factor must be >= 1 (or 0 for the index's value)");
                 auto p = std::make_unique<SearchParametersRefine>();
                 p->k_factor = k_factor;
                 p->base_params = base;
                 return p;
             }),
             "k_factor"_a = 0.0f, "base_params"_a = nullptr, py::keep_alive<1, 3>())
        .def_readwrite("k_factor", &SearchParametersRefine::k_factor);

    py::class_<IndexRefineFlat, Index>(m, "IndexRefineFlat", R"doc(
IndexRefineFlat(base_index, k_factor=1.0): the base index (empty, e.g. an IndexIVFPQ) proposes
k * k_factor candidates per query, re-ranked with exact distances from a stored copy of the
vectors. Keeps base_index alive.)doc")
        .def(py::init([](Index* base, float k_factor) {
                 if (!base) throw py::value_error("base_index must not be None");
                 if (!(k_factor >= 1)) throw py::value_error("k_factor must be >= 1");
                 auto r = std::make_unique<IndexRefineFlat>(base);
                 r->k_factor = k_factor;
                 return r;
             }),
             "base_index"_a, "k_factor"_a = 1.0f, py::keep_alive<1, 2>())
        .def_property(
            "k_factor", [](const IndexRefineFlat& r) { return r.k_factor; },
            [](IndexRefineFlat& r, float v) {
                if (!(v >= 1)) throw py::value_error("k_factor must be >= 1");
                r.k_factor = v;
            })
        .def_property_readonly(
            "base_index", [](IndexRefineFlat& r) { return r.base_index.get(); },
            py::return_value_policy::reference_internal);

    py::class_<SearchParametersHNSW, SearchParameters>(
        m, "SearchParametersHNSW", py::dynamic_attr(),
        "SearchParametersHNSW(efSearch=0): efSearch for this call only (0 = the index's); "
        "raised to k when smaller.")
        .def(py::init([](int ef) {
                 if (ef < 0)
                     throw py::value_error("efSearch must be >= 0, got " + std::to_string(ef));
                 auto p = std::make_unique<SearchParametersHNSW>();
                 p->efSearch = ef;
                 return p;
             }),
             "efSearch"_a = 0)
        .def_readwrite("efSearch", &SearchParametersHNSW::efSearch);

    py::class_<HNSW>(m, "HNSW", "The graph of an IndexHNSWFlat (index.hnsw).")
        .def_readonly("M", &HNSW::M)
        .def_property(
            "efSearch", [](const HNSW& h) { return h.efSearch; },
            [](HNSW& h, int v) {
                if (v <= 0) throw py::value_error("efSearch must be > 0, got " + std::to_string(v));
                h.efSearch = v;
            },
            "Candidate list size at search (default 16; raised to k when smaller).")
        .def_property(
            "efConstruction", [](const HNSW& h) { return h.efConstruction; },
            [](HNSW& h, int v) {
                if (v <= 0)
                    throw py::value_error("efConstruction must be > 0, got " + std::to_string(v));
                h.efConstruction = v;
            },
            "Candidate list size when adding (default 40).")
        .def_readonly("max_level", &HNSW::max_level)
        .def_readonly("entry_point", &HNSW::entry_point)
        .def_readwrite("seed", &HNSW::seed,
                       "Seed of the level draws (same seed + 1 thread: same graph).")
        .def_readwrite("level0_select_2M", &HNSW::level0_select_2M,
                       "New nodes keep up to 2M links at level 0 (FAISS) instead of M (hnswlib).")
        .def_property(
            "prune_headroom", [](const HNSW& h) { return h.prune_headroom; },
            [](HNSW& h, float v) {
                if (!(v >= 0.0f && v <= 0.5f))
                    throw py::value_error("prune_headroom must be in [0, 0.5], got " +
                                          std::to_string(v));
                h.prune_headroom = v;
            },
            "A full link list is pruned to (1 - prune_headroom) x capacity (default 0.2).")
        .def_property_readonly(
            "levels",
            [](const HNSW& h) {
                py::array_t<int8_t> out{py::ssize_t(h.levels.size())};
                if (!h.levels.empty())
                    std::memcpy(out.mutable_data(), h.levels.data(), h.levels.size());
                return out;
            },
            "Top level of each node (a copy).");

    py::class_<IndexHNSWFlat, Index>(m, "IndexHNSWFlat", R"doc(
IndexHNSWFlat(d, M=32, metric=METRIC_L2): hierarchical navigable small-world graph over the
full vectors. index.hnsw.efSearch / efConstruction tune recall vs speed; pass
SearchParametersHNSW for per-call efSearch. No training needed. For inner product, normalize
the vectors (normalize_L2): HNSW recall is poor on unnormalized inner-product data.)doc")
        .def(py::init([](int64_t d, int M, int metric) {
                 if (M < 2) throw py::value_error("M must be >= 2, got M=" + std::to_string(M));
                 if (metric != METRIC_L2 && metric != METRIC_INNER_PRODUCT)
                     throw py::value_error("unsupported metric " + std::to_string(metric));
                 return std::make_unique<IndexHNSWFlat>(check_d(d), M, MetricType(metric));
             }),
             "d"_a, "M"_a = 32, "metric"_a = int(METRIC_L2))
        .def_property_readonly(
            "hnsw", [](IndexHNSWFlat& i) -> HNSW& { return i.hnsw; },
            py::return_value_policy::reference_internal)
        .def_property(
            "sq8_traversal", &IndexHNSWFlat::sq8_traversal,
            [](IndexHNSWFlat& self, bool on) {
                py::gil_scoped_release release;
                self.set_sq8_traversal(on);
            },
            "Walk level 0 on an 8-bit copy of the vectors (d bytes each; 1.3-1.5x faster\n"
            "searches on memory-bound graphs), then re-rank exactly: distances stay exact.\n"
            "Default False. Stored in the file (the codes are rebuilt on load).")
        .def_readonly("ndeleted", &IndexHNSWFlat::ndeleted,
                      "Nodes marked deleted by remove_ids (still counted in ntotal).")
        .def(
            "compact",
            [](IndexHNSWFlat& self) {
                py::gil_scoped_release release;
                return self.compact();
            },
            "Rebuild the graph without the deleted nodes (frees them); the remaining vectors\n"
            "are renumbered 0..n-1 in their old order. Returns the number freed.");

    py::class_<IndexScalarQuantizer, Index> sqc(m, "IndexScalarQuantizer", R"doc(
IndexScalarQuantizer(d, qtype, metric=METRIC_L2): every component coded on its own.
qtype ScalarQuantizer.QT_8bit (1 byte, per-dimension min/max ranges learned by train()) or
ScalarQuantizer.QT_fp16 (2 bytes, no training). Exhaustive SIMD scan.)doc");
    sqc.def(py::init([](int64_t d, int qtype, int metric) {
                if (metric != METRIC_L2 && metric != METRIC_INNER_PRODUCT)
                    throw py::value_error("unsupported metric " + std::to_string(metric));
                return std::make_unique<IndexScalarQuantizer>(
                    check_d(d), ScalarQuantizer::QuantizerType(qtype), MetricType(metric));
            }),
            "d"_a, "qtype"_a, "metric"_a = int(METRIC_L2))
        .def_property_readonly("code_size",
                               [](const IndexScalarQuantizer& i) { return i.sq.code_size; });
    py::class_<ScalarQuantizer> sqq(m, "ScalarQuantizer", "Quantizer types: QT_8bit, QT_fp16.");
    sqq.attr("QT_8bit") = int(ScalarQuantizer::QT_8bit);
    sqq.attr("QT_fp16") = int(ScalarQuantizer::QT_fp16);
    m.attr("QT_8bit") = int(ScalarQuantizer::QT_8bit);
    m.attr("QT_fp16") = int(ScalarQuantizer::QT_fp16);

    py::class_<IndexIVFScalarQuantizer, IndexIVF>(m, "IndexIVFScalarQuantizer", R"doc(
IndexIVFScalarQuantizer(quantizer, d, nlist, qtype, metric=METRIC_L2, by_residual=True):
inverted file whose lists hold scalar-quantized vectors (of the residuals to the list centroid
by default, as FAISS). Keeps `quantizer` alive.)doc")
        .def(py::init([](Index* quantizer, int64_t d, int64_t nlist, int qtype, int metric,
                         bool by_residual) {
                 if (!quantizer) throw py::value_error("quantizer must not be None");
                 if (nlist <= 0) throw py::value_error("nlist must be > 0");
                 if (metric != METRIC_L2 && metric != METRIC_INNER_PRODUCT)
                     throw py::value_error("unsupported metric " + std::to_string(metric));
                 return std::make_unique<IndexIVFScalarQuantizer>(
                     quantizer, check_d(d), size_t(nlist), ScalarQuantizer::QuantizerType(qtype),
                     MetricType(metric), by_residual);
             }),
             "quantizer"_a, "d"_a, "nlist"_a, "qtype"_a, "metric"_a = int(METRIC_L2),
             "by_residual"_a = true, py::keep_alive<1, 2>())
        .def_readonly("by_residual", &IndexIVFScalarQuantizer::by_residual);

    py::class_<IndexIDMap, Index>(m, "IndexIDMap", R"doc(
IndexIDMap(index): user ids on top of an (empty) index. add_with_ids(x, ids) only; search
returns the user ids and SearchParameters.sel selects user ids. Duplicate ids are allowed.
Keeps `index` alive.)doc")
        .def(py::init([](Index* index) {
                 if (!index) throw py::value_error("index must not be None");
                 return std::make_unique<IndexIDMap>(index);
             }),
             "index"_a, py::keep_alive<1, 2>())
        .def_property_readonly(
            "index", [](IndexIDMap& i) { return i.index.get(); },
            py::return_value_policy::reference_internal, "The wrapped index.")
        .def(
            "compact",
            [](IndexIDMap& self) {
                py::gil_scoped_release release;
                return self.compact();
            },
            "Over HNSW: free the nodes removed by remove_ids (id_map follows); returns the count.")
        .def_property_readonly(
            "id_map",
            [](const IndexIDMap& i) {
                py::array_t<int64_t> out(py::ssize_t(i.id_map.size()));
                if (!i.id_map.empty())
                    std::memcpy(out.mutable_data(), i.id_map.data(), i.id_map.size() * 8);
                return out;
            },
            "User id of each vector of the wrapped index (a copy).");
    py::class_<IndexIDMap2, IndexIDMap>(m, "IndexIDMap2", R"doc(
IndexIDMap2(index): IndexIDMap that also maps ids back, so reconstruct(id) works. Ids must be
unique: add_with_ids raises RuntimeError naming a duplicate (and adds nothing).)doc")
        .def(py::init([](Index* index) {
                 if (!index) throw py::value_error("index must not be None");
                 return std::make_unique<IndexIDMap2>(index);
             }),
             "index"_a, py::keep_alive<1, 2>());

    py::class_<IndexPreTransform, Index>(m, "IndexPreTransform", R"doc(
An index whose inputs go through vector transforms first (index_factory's "L2norm," prefix:
L2 normalization, so that inner product search is cosine similarity).)doc")
        .def_property_readonly(
            "index", [](IndexPreTransform& i) { return i.index.get(); },
            py::return_value_policy::reference_internal, "The wrapped index.");

    py::class_<IndexShards, Index>(m, "IndexShards", R"doc(
IndexShards(d, successive_ids=True, metric=METRIC_L2): searches every shard (add_shard) in
parallel and merges the top-k. successive_ids: labels are positions in the concatenation of the
shards (add() splits vectors into contiguous parts); otherwise give ids with add_with_ids.
Keeps its shards alive.)doc")
        .def(py::init([](int64_t d, bool successive, int metric) {
                 if (metric != METRIC_L2 && metric != METRIC_INNER_PRODUCT)
                     throw py::value_error("unsupported metric " + std::to_string(metric));
                 return std::make_unique<IndexShards>(check_d(d), successive, MetricType(metric));
             }),
             "d"_a, "successive_ids"_a = true, "metric"_a = int(METRIC_L2))
        .def(
            "add_shard",
            [](IndexShards& self, Index* shard) {
                if (!shard) throw py::value_error("shard must not be None");
                self.add_shard(shard);
            },
            "shard"_a, py::keep_alive<1, 2>())
        .def_property_readonly("nshards", [](const IndexShards& s) { return s.shards.size(); })
        .def_readonly("successive_ids", &IndexShards::successive_ids)
        .def(
            "at",
            [](IndexShards& s, int64_t i) {
                if (i < 0 || size_t(i) >= s.shards.size())
                    throw py::index_error("shard index out of range");
                return s.shards[size_t(i)].get();
            },
            py::return_value_policy::reference_internal, "i"_a, "Shard i.");

    m.def(
        "index_factory",
        [](int64_t d, const std::string& desc, int metric) {
            if (metric != METRIC_L2 && metric != METRIC_INNER_PRODUCT)
                throw py::value_error("unsupported metric " + std::to_string(metric));
            if (d <= 0 || d > (int64_t(1) << 24))
                throw py::value_error("d must be in [1, 2^24], got " + std::to_string(d));
            try {
                return index_factory(int(d), desc.c_str(), MetricType(metric));
            } catch (const Error& e) {
                throw py::value_error(e.what());
            }
        },
        "d"_a, "description"_a, "metric"_a = int(METRIC_L2),
        R"doc(
Build an index from a FAISS description string, e.g. "IVF1024,Flat", "HNSW32", "IVF256,SQ8",
"IDMap2,Flat", "PQ16,RFlat", "L2norm,IVF1024,PQ32". Raises ValueError naming the token that
failed. See docs/python-api.md for the grammar.)doc");

    m.def(
        "write_index",
        [](const Index& index, py::handle path) {
            std::string p = fspath(path);
            py::gil_scoped_release release;
            write_index(&index, p);
        },
        "index"_a, "path"_a,
        "Write the index to `path` atomically (temporary file + rename): the file is\n"
        "either the old one or the complete new one. Raises OSError on I/O failure.");
    m.def(
        "read_index",
        [](py::handle path, int io_flags) {
            std::string p = fspath(path);
            if (io_flags & ~IO_FLAG_MMAP)
                throw py::value_error("unknown io_flags " + std::to_string(io_flags));
            py::gil_scoped_release release;
            return read_index(p, io_flags);
        },
        "path"_a, "io_flags"_a = 0,
        "Read an index written by write_index. io_flags=IO_FLAG_MMAP maps the file and uses the\n"
        "vectors, inverted lists and HNSW links in place (read-only pages shared with other\n"
        "processes; the first change copies them). Raises OSError if the file cannot be read\n"
        "and RuntimeError (naming the bad section) if its contents are corrupt.");
    m.attr("IO_FLAG_MMAP") = IO_FLAG_MMAP;
    m.def(
        "serialize_index",
        [](const Index& index) {
            std::vector<uint8_t> bytes;
            {
                py::gil_scoped_release release;
                bytes = serialize_index(&index);
            }
            py::array_t<uint8_t> out(py::ssize_t(bytes.size()));
            std::memcpy(out.mutable_data(), bytes.data(), bytes.size());
            return out;
        },
        "index"_a, "The index in the write_index format, as a 1-D uint8 numpy array.");
    m.def(
        "deserialize_index",
        [](py::handle data) {
            py::array a = py::array::ensure(data);
            if (!a || a.dtype().kind() != 'u' || a.itemsize() != 1 || a.ndim() != 1) {
                throw py::type_error("deserialize_index expects a 1-D uint8 array");
            }
            auto u8 = py::array_t<uint8_t, py::array::c_style>::ensure(a);
            const uint8_t* p = u8.data();
            size_t n = size_t(u8.size());
            py::gil_scoped_release release;
            return deserialize_index(p, n);
        },
        "data"_a, "Inverse of serialize_index.");

    m.def(
        "normalize_L2",
        [](py::handle x) {
            if (!py::isinstance<py::array_t<float>>(x)) {
                throw py::type_error(
                    "normalize_L2 works in place: x must be a float32 numpy array");
            }
            py::array a = py::reinterpret_borrow<py::array>(x);
            if (a.ndim() != 2 || !(a.flags() & py::array::c_style) || !a.writeable()) {
                throw py::value_error(
                    "normalize_L2 works in place: x must be a writable C-contiguous 2-D array");
            }
            auto f = py::array_t<float>::ensure(a);
            float* p = f.mutable_data();
            size_t n = size_t(a.shape(0)), d = size_t(a.shape(1));
            py::gil_scoped_release release;
            fvec_renorm_L2(d, n, p);
        },
        "x"_a,
        "Scale each row of the float32 (n, d) array x to unit L2 norm, in place "
        "(zero rows stay zero).");
    m.def(
        "knn",
        [](py::handle xq, py::handle xb, py::handle k_obj, int metric) {
            FloatArray b = as_matrix(xb, -1, "xb");
            FloatArray q = as_matrix(xq, b.shape(1), "xq");
            const idx_t k = check_k(k_obj);
            if (metric != METRIC_L2 && metric != METRIC_INNER_PRODUCT)
                throw py::value_error("unsupported metric " + std::to_string(metric));
            IndexFlat index(b.shape(1), MetricType(metric));
            const idx_t n = q.shape(0), nb = b.shape(0);
            py::array_t<float> D({n, k});
            py::array_t<int64_t> I({n, k});
            const float *qp = q.data(), *bp = b.data();
            float* Dp = D.mutable_data();
            idx_t* Ip = I.mutable_data();
            {
                py::gil_scoped_release release;
                check_finite("xb", nb, int(b.shape(1)), bp);
                check_finite("xq", n, int(b.shape(1)), qp);
                knn_search(MetricType(metric), qp, bp, size_t(b.shape(1)), size_t(n), size_t(nb),
                           size_t(k), Dp, Ip);
            }
            return py::make_tuple(D, I);
        },
        "xq"_a, "xb"_a, "k"_a, "metric"_a = int(METRIC_L2),
        "Exact k-NN of the rows of xq among the rows of xb without building an index;\n"
        "returns (D, I) like Index.search.");

    m.def(
        "omp_set_num_threads",
        [](int n) {
            if (n <= 0)
                throw py::value_error("number of threads must be > 0, got " + std::to_string(n));
            omp_set_num_threads(n);
        },
        "n"_a, "Number of OpenMP threads used by later calls from this thread.");
    m.def("omp_get_max_threads", &omp_get_max_threads, "Current OpenMP thread count.");
    m.def(
        "simd_level", [] { return std::string(simd_level_name(simd_level())); },
        "SIMD kernels in use: 'scalar', 'avx2' or 'avx512' (forced by FAISSLIKE_SIMD).");
    m.def(
        "set_simd_level",
        [](const std::string& name) { set_simd_level(parse_simd_level(name.c_str())); }, "level"_a,
        "Switch kernels ('scalar', 'avx2', 'avx512'); RuntimeError if the CPU lacks it.");
    m.def(
        "simd_level_supported",
        [](const std::string& name) {
            return simd_level_supported(parse_simd_level(name.c_str()));
        },
        "level"_a, "Whether this CPU can run the given SIMD level.");

    // FAISS exposes tunables as faiss.cvar.<name>.
    struct CVar {};
    py::class_<CVar>(m, "_CVar")
        .def_property(
            "distance_compute_blas_threshold",
            [](const CVar&) { return distance_compute_blas_threshold; },
            [](CVar&, int v) {
                if (v < 1) throw py::value_error("threshold must be >= 1");
                distance_compute_blas_threshold = v;
            },
            "Queries per batch at and above which exact search uses BLAS.");
    m.attr("cvar") = CVar{};
}
