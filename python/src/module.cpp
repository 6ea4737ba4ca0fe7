// Python bindings: FAISS names and return conventions over numpy arrays. One file per area
// (bind_*.cpp); this one only orders them and maps C++ error classes to Python ones.
#include "common.h"

#include "faisslike/MetricType.h"
#include "faisslike/Progress.h"

namespace py = pybind11;
using namespace faisslike;

PYBIND11_MODULE(_faisslike, m) {
    m.doc() = "faisslike native module (import faisslike instead)";
    m.attr("__version__") = "0.1.0";
    m.attr("METRIC_INNER_PRODUCT") = int(METRIC_INNER_PRODUCT);
    m.attr("METRIC_L2") = int(METRIC_L2);

    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const Interrupted& e) {
            PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
        } catch (const FileError& e) {
            PyErr_SetString(PyExc_OSError, e.what());
        } catch (const InvalidArgument& e) {
            // The C++ class decides: the same mistake gives the same Python class everywhere.
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const Error& e) {
            PyErr_SetString(PyExc_RuntimeError, e.what());
        }
    });

    // Base classes before derived ones.
    faisslike_py::bind_core(m);
    faisslike_py::bind_selectors(m);
    faisslike_py::bind_flat_ivf(m);
    faisslike_py::bind_quantizers(m);
    faisslike_py::bind_graph(m);
    faisslike_py::bind_transforms(m);
    faisslike_py::bind_wrappers(m);
    faisslike_py::bind_io(m);
    faisslike_py::bind_binary(m);
}
