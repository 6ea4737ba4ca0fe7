// IDSelector family: filtered search and remove_ids.
#include "common.h"

namespace faisslike_py {

using namespace faisslike;

namespace {
// A selector over a copied list of ids (IDSelectorArray, IDSelectorBatch).
template <class Sel>
std::unique_ptr<Sel> from_ids(py::handle ids) {
    auto a = as_ids(ids, -1, "ids");
    return std::make_unique<Sel>(size_t(a.shape(0)), a.data());
}
}  // namespace

void bind_selectors(py::module_& m) {
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
        .def(py::init(&from_ids<IDSelectorArray>), "ids"_a);
    py::class_<IDSelectorBatch, IDSelector>(
        m, "IDSelectorBatch",
        "IDSelectorBatch(ids): the listed ids (hash set behind a bit mask; copied).")
        .def(py::init(&from_ids<IDSelectorBatch>), "ids"_a);
    py::class_<IDSelectorBitmap, IDSelector>(
        m, "IDSelectorBitmap",
        "IDSelectorBitmap(bitmap): id i is selected iff bit i % 8 of byte i // 8 is set "
        "(uint8 array, numpy.packbits(..., bitorder='little') order).")
        .def(py::init([](py::handle bm) {
                 py::array a = to_array(bm);
                 if (a.dtype().kind() != 'u' || a.itemsize() != 1 || a.ndim() != 1)
                     throw py::type_error("bitmap must be a 1-D uint8 array");
                 auto c = to_array<py::array_t<uint8_t, py::array::c_style>>(a);
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
}

}  // namespace faisslike_py
