// The contract every index shares (Index), search parameters, threads, SIMD level, cvar.
#include "common.h"

#include <atomic>

#include "faisslike/Progress.h"

#include "faisslike/distances.h"

namespace faisslike_py {

using namespace faisslike;

namespace {
// Ctrl-C: Python's handler only sets a flag; PyErr_CheckSignals runs it (main thread only).
// The KeyboardInterrupt it sets is dropped here and raised again from Interrupted by the
// module's exception translator, once the operation has stopped.
// A Ctrl-C that Python raised inside the progress renderer (Python code, so its handler runs
// there): handed to the next interrupt check.
std::atomic<bool> g_interrupt_pending{false};

struct PythonInterruptCallback : InterruptCallback {
    bool want_interrupt() override {
        if (g_interrupt_pending.exchange(false)) return true;
        if (!Py_IsInitialized()) return false;
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() == 0) return false;
        PyErr_Clear();
        return true;
    }
};
}  // namespace

void bind_core(py::module_& m) {
    InterruptCallback::set_instance(std::make_shared<PythonInterruptCallback>());
    m.def(
        "_set_progress_callback",
        [](py::object f) {
            if (f.is_none()) {
                set_progress_callback(nullptr);
                return;
            }
            // Kept alive for the process (never released: the callback may outlive the
            // interpreter's teardown).
            auto* fn = new py::object(std::move(f));
            set_progress_callback([fn](const ProgressInfo& i) {
                py::gil_scoped_acquire gil;
                try {
                    (*fn)(i.what, i.done, i.total, i.seconds, i.finished);
                } catch (py::error_already_set& e) {
                    if (e.matches(PyExc_KeyboardInterrupt))
                        g_interrupt_pending = true;
                    else
                        e.discard_as_unraisable("faisslike progress callback");
                }
            });
        },
        "f"_a,
        "f(what, done, total, seconds, finished) receives the progress of verbose operations\n"
        "(python/faisslike/_progress.py renders it); None: lines on stderr.");
    py::class_<SearchParameters>(m, "SearchParameters", py::dynamic_attr(),
                                 "SearchParameters(sel=None): per-call search settings. sel (an "
                                 "IDSelector) restricts the results to the ids it selects. Pass "
                                 "as index.search(x, k, params=...).")
        .def(py::init<>())
        .def_property(
            "sel", [](py::handle self) { return py::getattr(self, "_sel_ref", py::none()); },
            [](py::handle self, py::handle sel) { set_sel(self, sel); },
            "The IDSelector of this call (None: all ids).");
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
            "ntotal", [](const Index& i) { return i.ntotal.load(); },
            "Number of vectors in the index.")
        .def_property_readonly(
            "is_trained", [](const Index& i) { return i.is_trained; },
            "Whether the index is ready for add/search.")
        .def_property_readonly(
            "metric_type", [](const Index& i) { return int(i.metric_type); },
            "METRIC_L2 (1) or METRIC_INNER_PRODUCT (0).")
        .def_readwrite("verbose", &Index::verbose, "Print progress for long operations.")
        .def("sa_code_size", &Index::sa_code_size,
             "Bytes per vector of the standalone codec (RuntimeError if the type has none).")
        .def(
            "sa_encode",
            [](const Index& self, py::handle x) {
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
            [](const Index& self, py::handle codes) {
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
            "codes"_a, "Decoded vectors, float32 (n, d).")
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
            [](Index& self, py::handle x, py::handle ids, bool replace) {
                FloatArray xa = as_matrix(x, self.d, "x");
                auto ia = as_ids(ids, xa.shape(0), "ids");
                const int64_t* ip = ia.data();
                py::gil_scoped_release release;
                self.add_with_ids(xa.shape(0), xa.data(), ip, replace);
            },
            "x"_a, "ids"_a, py::kw_only(), "replace"_a = false,
            "Add vectors with user ids (int64, >= 0); search returns these ids. Supported by\n"
            "IVF indexes, IndexIDMap / IndexIDMap2 and IndexShards(successive_ids=False).\n"
            "replace=True (IndexIDMap2): an upsert; an id already present gets the new vector,\n"
            "atomically for searches running beside it. RuntimeError on other index types.")
        .def(
            "remove_ids",
            [](Index& self, py::handle sel) {
                std::unique_ptr<IDSelector> own;
                const IDSelector* s = selector_arg(sel, own);
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
                RangeSearchResult res;
                {
                    py::gil_scoped_release release;
                    self.range_search(xa.shape(0), xa.data(), radius, &res, sp);
                }
                return range_arrays(res);
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
                self.check_id_range(i0, n);  // before allocating the output
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
    m.def(
        "blas_info", [] { return std::string(blas_info()); },
        "The BLAS this build calls: 'system ...' or 'scipy-openblas32 ...' (the OpenBLAS wheel\n"
        "of pip builds), then OpenBLAS's configuration, core type and threading.");

    // FAISS exposes tunables as faiss.cvar.<name>.
    struct CVar {};
    py::class_<CVar>(m, "_CVar")
        .def_property(
            "distance_compute_blas_threshold",
            [](const CVar&) { return distance_compute_blas_threshold.load(); },
            [](CVar&, int v) {
                if (v < 1) throw py::value_error("threshold must be >= 1");
                distance_compute_blas_threshold = v;
            },
            "Queries per batch at and above which exact search uses BLAS.");
    m.attr("cvar") = CVar{};
}

}  // namespace faisslike_py
