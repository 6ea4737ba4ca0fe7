// Shared by the binding files: numpy conversions (shape and dtype problems are Python's to
// report) and the search call. Semantic argument checks live in C++ (InvalidArgument ->
// ValueError), never here.
#pragma once
#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/Index.h"
#include "faisslike/invlists/InvertedLists.h"

namespace faisslike_py {

namespace py = pybind11;
using namespace pybind11::literals;
using faisslike::idx_t;

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// obj as a numpy array of type A (converting if needed). numpy's own exception passes
// through: MemoryError for an array too large to convert (np.broadcast_to(row, (10**9, d))),
// ValueError for a ragged list. (pybind11's ensure() clears it and returns a null array.)
// An object that is not a numpy array but speaks DLPack (torch, jax, cupy, ...) as a numpy view
// of its memory (no copy), or the object itself when numpy cannot view it (another device).
inline py::object dlpack_view(py::handle obj) {
    if (py::isinstance<py::array>(obj) || !py::hasattr(obj, "__dlpack__"))
        return py::reinterpret_borrow<py::object>(obj);
    try {
        return py::module_::import("numpy").attr("from_dlpack")(obj);
    } catch (py::error_already_set&) {
        return py::reinterpret_borrow<py::object>(obj);
    }
}

template <class A = py::array>
A to_array(py::handle obj) {
    return A(dlpack_view(obj));
}

// Any real numeric array-like becomes a C-contiguous float32 (n, d) array: no copy when it
// already is one, one conversion otherwise. Raises TypeError / ValueError naming the problem.
inline FloatArray as_matrix(py::handle obj, int64_t d, const char* what) {
    py::array a = to_array(obj);
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
    return to_array<FloatArray>(a);
}

// A C-contiguous uint8 (n, code_size) matrix, or TypeError / ValueError.
// What a serializer returns (run without the GIL), as a 1-D uint8 numpy array.
template <class Serialize>
py::array_t<uint8_t> serialized_bytes(Serialize&& serialize) {
    std::vector<uint8_t> bytes;
    {
        py::gil_scoped_release release;
        bytes = serialize();
    }
    py::array_t<uint8_t> out(py::ssize_t(bytes.size()));
    if (!bytes.empty()) std::memcpy(out.mutable_data(), bytes.data(), bytes.size());
    return out;
}

inline py::array_t<uint8_t, py::array::c_style> as_codes(py::handle obj, size_t code_size) {
    py::array a = to_array(obj);
    if (a.dtype().kind() != 'u' || a.itemsize() != 1)
        throw py::type_error("codes must be a uint8 numpy array");
    if (a.ndim() != 2 || size_t(a.shape(1)) != code_size)
        throw py::value_error("codes must have shape (n, " + std::to_string(code_size) + ")");
    return to_array<py::array_t<uint8_t, py::array::c_style>>(a);
}

// A C-contiguous int64 1-D array of ids (any integer dtype); n_expected < 0: any length.
inline py::array_t<int64_t, py::array::c_style | py::array::forcecast> as_ids(py::handle obj,
                                                                              int64_t n_expected,
                                                                              const char* what) {
    py::array a = to_array(obj);
    // An empty list arrives as float64: emptiness is what counts there.
    if ((a.dtype().kind() != 'i' && a.dtype().kind() != 'u' && a.size() != 0))
        throw py::type_error(std::string(what) + " must be an integer numpy array");
    if (a.ndim() != 1 || (n_expected >= 0 && a.shape(0) != n_expected))
        throw py::value_error(
            std::string(what) + " must be a 1-D array" +
            (n_expected >= 0 ? " with one id per row of x (" + std::to_string(n_expected) + ")"
                             : std::string()));
    return to_array<py::array_t<int64_t, py::array::c_style | py::array::forcecast>>(a);
}

// Sets params.sel, keeping the selector object alive as long as the parameters.
inline void set_sel(py::handle params, py::handle sel) {
    faisslike::SearchParameters& p = params.cast<faisslike::SearchParameters&>();
    if (sel.is_none()) {
        p.sel = nullptr;
    } else {
        if (!py::isinstance<faisslike::IDSelector>(sel))
            throw py::type_error(
                "sel must be an faisslike::IDSelector (e.g. faisslike::IDSelectorBatch(ids))");
        p.sel = sel.cast<const faisslike::IDSelector*>();
    }
    py::setattr(params, "_sel_ref", sel);
}

inline const faisslike::SearchParameters* as_params(py::handle params) {
    if (params.is_none()) return nullptr;
    if (!py::isinstance<faisslike::SearchParameters>(params))
        throw py::type_error("params must be a faisslike::SearchParameters object");
    return params.cast<const faisslike::SearchParameters*>();
}

// Python ints narrowed to the C++ parameter type. Only representability is checked here:
// what the value means (d > 0, M >= 2, ...) is checked once, in C++.
template <class T>
T narrow(int64_t v, const char* name) {
    if (v < int64_t(std::numeric_limits<T>::min()) ||
        (v > 0 && uint64_t(v) > uint64_t(std::numeric_limits<T>::max()))) {
        throw py::value_error(std::string(name) + "=" + std::to_string(v) + " is out of range");
    }
    return T(v);
}

inline idx_t check_k(py::handle k_obj) {
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
    return idx_t(k);
}

inline std::string fspath(py::handle p) {
    return py::str(py::module_::import("os").attr("fspath")(p)).cast<std::string>();
}

// Output array given by the caller (FAISS's D=/I= arguments) or freshly allocated.
// A numpy array, or any DLPack object viewed in place (a torch tensor, ...); anything numpy
// would have to copy is refused (the results would be lost in the copy).
template <class T>
py::array_t<T> out_array(py::object given, idx_t n, idx_t k, const char* name) {
    if (given.is_none()) return py::array_t<T>({n, k});
    py::object view = dlpack_view(given);
    auto a = py::array_t<T>::ensure(view);
    if (!a || !py::isinstance<py::array_t<T>>(view) || a.ndim() != 2 || a.shape(0) != n ||
        a.shape(1) != k || !(a.flags() & py::array::c_style) || !a.writeable()) {
        throw py::value_error(std::string(name) + " must be a writable C-contiguous " +
                              (std::is_same<T, float>::value ? "float32" : "int64") +
                              " array of shape (" + std::to_string(n) + ", " + std::to_string(k) +
                              ")");
    }
    return a;
}

// Columns to allocate for n x k results: none for k <= 0 (the index, or knn_search, reports
// that), and a ValueError before any allocation when n x k cannot be addressed.
inline idx_t result_columns(idx_t n, idx_t k) {
    const idx_t kout = std::max<idx_t>(k, 0);
    if (n > 0 && kout > std::numeric_limits<idx_t>::max() / n / 8) {
        throw py::value_error("n x k results are too many: n=" + std::to_string(n) +
                              ", k=" + std::to_string(k));
    }
    return kout;
}

// remove_ids' argument: an IDSelector (used as is) or an array of ids (an IDSelectorBatch
// owned by `own`).
inline const faisslike::IDSelector* selector_arg(py::handle sel,
                                                 std::unique_ptr<faisslike::IDSelector>& own) {
    if (py::isinstance<faisslike::IDSelector>(sel)) return sel.cast<const faisslike::IDSelector*>();
    auto a = as_ids(sel, -1, "ids to remove");
    own = std::make_unique<faisslike::IDSelectorBatch>(size_t(a.shape(0)), a.data());
    return own.get();
}

// Copies of inverted list l (ids, or codes as (size, code_size)); ValueError for a bad l.
inline void check_list_no(int64_t l, size_t nlist) {
    if (l < 0 || size_t(l) >= nlist) throw py::value_error("list number out of range");
}
inline py::array_t<int64_t> list_ids_array(const faisslike::InvertedLists& il, int64_t l) {
    check_list_no(l, il.nlist);
    const size_t n = il.list_size(size_t(l));
    py::array_t<int64_t> out{py::ssize_t(n)};
    if (n) std::memcpy(out.mutable_data(), il.get_ids(size_t(l)), n * sizeof(int64_t));
    return out;
}
inline py::array_t<uint8_t> list_codes_array(const faisslike::InvertedLists& il, int64_t l) {
    check_list_no(l, il.nlist);
    const size_t n = il.list_size(size_t(l));
    py::array_t<uint8_t> out({py::ssize_t(n), py::ssize_t(il.code_size)});
    if (n) std::memcpy(out.mutable_data(), il.get_codes(size_t(l)), n * il.code_size);
    return out;
}

// search_preassigned's list numbers: an integer (n, nprobe) array as C-contiguous int64.
using IdMatrix = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;
inline IdMatrix list_nos_matrix(py::handle assign, idx_t n) {
    py::array a = to_array(assign);
    if (a.dtype().kind() != 'i' && a.dtype().kind() != 'u')
        throw py::type_error("list_nos must be an integer array");
    if (a.ndim() != 2 || a.shape(0) != n || a.shape(1) < 1)
        throw py::value_error("list_nos must have shape (n, nprobe) with n = rows of x");
    return to_array<IdMatrix>(a);
}

// (lims, D, I) numpy arrays of a range search, FAISS's layout.
inline py::tuple range_arrays(const faisslike::RangeSearchResult& res) {
    py::array_t<uint64_t> lims(py::ssize_t(res.lims.size()));
    py::array_t<float> D(py::ssize_t(res.distances.size()));
    py::array_t<int64_t> I(py::ssize_t(res.labels.size()));
    if (!res.lims.empty()) std::memcpy(lims.mutable_data(), res.lims.data(), res.lims.size() * 8);
    if (!res.labels.empty()) {
        std::memcpy(D.mutable_data(), res.distances.data(), res.distances.size() * 4);
        std::memcpy(I.mutable_data(), res.labels.data(), res.labels.size() * 8);
    }
    return py::make_tuple(lims, D, I);
}

inline py::tuple search(const faisslike::Index& index, py::handle x, py::handle k_obj,
                        py::object params, py::object D_in, py::object I_in) {
    const faisslike::SearchParameters* sp = as_params(params);
    FloatArray xa = as_matrix(x, index.d, "x");
    const idx_t k = check_k(k_obj);
    const idx_t n = xa.shape(0);
    const idx_t kout = result_columns(n, k);
    auto D = out_array<float>(D_in, n, kout, "D");
    auto I = out_array<int64_t>(I_in, n, kout, "I");
    const float* xp = xa.data();
    float* Dp = D.mutable_data();
    idx_t* Ip = I.mutable_data();
    {
        py::gil_scoped_release release;
        index.search(n, xp, k, Dp, Ip, sp);
    }
    // Given outputs come back as given (a torch tensor stays one).
    return py::make_tuple(D_in.is_none() ? py::object(D) : D_in,
                          I_in.is_none() ? py::object(I) : I_in);
}

// One function per area, called in this order by the module (base classes first).
void bind_core(py::module_& m);
void bind_selectors(py::module_& m);
void bind_flat_ivf(py::module_& m);
void bind_quantizers(py::module_& m);
void bind_graph(py::module_& m);
void bind_transforms(py::module_& m);
void bind_wrappers(py::module_& m);
void bind_io(py::module_& m);
void bind_binary(py::module_& m);

}  // namespace faisslike_py
