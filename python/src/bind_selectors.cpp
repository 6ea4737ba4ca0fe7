// IDSelector family: filtered search and remove_ids.
#include <algorithm>

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

// Selectors pickle as (class, constructor arguments): a search's parameters can travel to
// another process (faisslike.distributed). Operands are pickled through non-owning views.
py::object view(const IDSelector* s) {
    return py::cast(s, py::return_value_policy::reference);
}

template <class T>
py::array_t<T> array_of(const std::vector<T>& v) {
    py::array_t<T> a(py::ssize_t(v.size()));
    if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(T));
    return a;
}

template <class Sel, class Args>
void reducible(py::class_<Sel, IDSelector>& c, Args args) {
    c.def("__reduce__", [c, args](const Sel& s) -> py::tuple {
        return py::make_tuple(py::object(c), py::object(args(s)));
    });
}
}  // namespace

void bind_selectors(py::module_& m) {
    py::class_<IDSelector>(m, "IDSelector",
                           "Selects ids for filtered search (SearchParameters(sel=...)) and "
                           "remove_ids. Base class.")
        .def("is_member", &IDSelector::is_member, "id"_a, "Whether id is selected.");
    py::class_<IDSelectorRange, IDSelector> range(
        m, "IDSelectorRange", "IDSelectorRange(imin, imax): imin <= id < imax.");
    range.def(py::init<idx_t, idx_t>(), "imin"_a, "imax"_a)
        .def_readonly("imin", &IDSelectorRange::imin, "Start of the selected range (inclusive).")
        .def_readonly("imax", &IDSelectorRange::imax, "End of the selected range (exclusive).");
    reducible(range, [](const IDSelectorRange& s) { return py::make_tuple(s.imin, s.imax); });
    py::class_<IDSelectorArray, IDSelector> array(
        m, "IDSelectorArray", "IDSelectorArray(ids): the listed ids (copied; binary search).");
    array.def(py::init(&from_ids<IDSelectorArray>), "ids"_a);
    reducible(array, [](const IDSelectorArray& s) { return py::make_tuple(array_of(s.ids)); });
    py::class_<IDSelectorBatch, IDSelector> batch(
        m, "IDSelectorBatch",
        "IDSelectorBatch(ids): the listed ids (hash set behind a bit mask; copied).");
    batch.def(py::init(&from_ids<IDSelectorBatch>), "ids"_a);
    reducible(batch, [](const IDSelectorBatch& s) {
        std::vector<idx_t> ids(s.set.begin(), s.set.end());
        std::sort(ids.begin(), ids.end());
        return py::make_tuple(array_of(ids));
    });
    py::class_<IDSelectorBitmap, IDSelector> bitmap(
        m, "IDSelectorBitmap",
        "IDSelectorBitmap(bitmap): id i is selected iff bit i % 8 of byte i // 8 is set "
        "(uint8 array, numpy.packbits(..., bitorder='little') order).");
    bitmap.def(py::init([](py::handle bm) {
                   py::array a = to_array(bm);
                   if (a.dtype().kind() != 'u' || a.itemsize() != 1 || a.ndim() != 1)
                       throw py::type_error("bitmap must be a 1-D uint8 array");
                   auto c = to_array<py::array_t<uint8_t, py::array::c_style>>(a);
                   return std::make_unique<IDSelectorBitmap>(size_t(c.shape(0)), c.data());
               }),
               "bitmap"_a);
    reducible(bitmap, [](const IDSelectorBitmap& s) { return py::make_tuple(array_of(s.bitmap)); });
    py::class_<IDSelectorNot, IDSelector> inv(m, "IDSelectorNot",
                                              "IDSelectorNot(sel): ids sel rejects.");
    inv.def(py::init<const IDSelector*>(), "sel"_a, py::keep_alive<1, 2>());
    reducible(inv, [](const IDSelectorNot& s) { return py::make_tuple(view(s.sel)); });
    py::class_<IDSelectorAnd, IDSelector> both(m, "IDSelectorAnd", "IDSelectorAnd(a, b): both.");
    both.def(py::init<const IDSelector*, const IDSelector*>(), "lhs"_a, "rhs"_a,
             py::keep_alive<1, 2>(), py::keep_alive<1, 3>());
    reducible(both,
              [](const IDSelectorAnd& s) { return py::make_tuple(view(s.lhs), view(s.rhs)); });
    py::class_<IDSelectorOr, IDSelector> either(m, "IDSelectorOr", "IDSelectorOr(a, b): either.");
    either.def(py::init<const IDSelector*, const IDSelector*>(), "lhs"_a, "rhs"_a,
               py::keep_alive<1, 2>(), py::keep_alive<1, 3>());
    reducible(either,
              [](const IDSelectorOr& s) { return py::make_tuple(view(s.lhs), view(s.rhs)); });
    py::class_<IDSelectorAll, IDSelector> all(m, "IDSelectorAll", "Every id.");
    all.def(py::init<>());
    reducible(all, [](const IDSelectorAll&) { return py::tuple(); });
    py::class_<IDSelectorShifted, IDSelector> shifted(
        m, "IDSelectorShifted",
        "IDSelectorShifted(sel, offset): id i is selected when sel selects i + offset (a "
        "shard's local ids against a selector of global ids).");
    shifted.def(py::init<const IDSelector*, idx_t>(), "sel"_a, "offset"_a, py::keep_alive<1, 2>())
        .def_readonly("offset", &IDSelectorShifted::offset,
                      "Added to an id before asking the wrapped selector.");
    reducible(shifted,
              [](const IDSelectorShifted& s) { return py::make_tuple(view(s.sel), s.offset); });
}

}  // namespace faisslike_py
