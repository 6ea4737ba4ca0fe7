// Binary indexes: IndexBinary and its families, index_binary_factory, binary I/O. Codes are
// uint8 arrays of shape (n, d / 8); anything else is a TypeError (dtype) or ValueError
// (shape), before C++ sees it.
#include "common.h"

#include "faisslike/IDSelector.h"
#include "faisslike/IndexBinaryFlat.h"
#include "faisslike/IndexBinaryFromFloat.h"
#include "faisslike/IndexBinaryHash.h"
#include "faisslike/IndexBinaryIDMap.h"
#include "faisslike/IndexBinaryIVF.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/index_factory.h"
#include "faisslike/index_io.h"

namespace faisslike_py {

using namespace faisslike;

namespace {

using Codes = py::array_t<uint8_t, py::array::c_style>;

Codes codes_of(const IndexBinary& idx, py::handle x, const char* what) {
    py::array a = to_array(x);
    if (a.dtype().kind() != 'u' || a.itemsize() != 1)
        throw py::type_error(std::string(what) + " must be a uint8 array of codes, got " +
                             std::string(py::str(a.dtype())));
    if (a.ndim() != 2 || a.shape(1) != idx.code_size)
        throw py::value_error(std::string(what) + " must have shape (n, " +
                              std::to_string(idx.code_size) + ") (d=" + std::to_string(idx.d) +
                              " bits), got " + std::string(py::str(py::tuple(a.attr("shape")))));
    return to_array<Codes>(a);
}

py::tuple binary_search(const IndexBinary& self, py::handle x, py::handle k_obj,
                        py::object params) {
    const SearchParameters* sp = as_params(params);
    Codes xa = codes_of(self, x, "x");
    const idx_t k = check_k(k_obj);
    const idx_t n = xa.shape(0);
    const idx_t kout = result_columns(n, k);
    py::array_t<int32_t> D({n, kout});
    py::array_t<int64_t> I({n, kout});
    const uint8_t* xp = xa.data();
    int32_t* Dp = D.mutable_data();
    idx_t* Ip = I.mutable_data();
    {
        py::gil_scoped_release release;
        self.search(n, xp, k, Dp, Ip, sp);
    }
    return py::make_tuple(D, I);
}

}  // namespace

void bind_binary(py::module_& m) {
    py::class_<IndexBinary>(m, "IndexBinary", R"doc(
Base of the binary indexes: d bits per vector, stored as code_size = d / 8 bytes (uint8
arrays of shape (n, code_size)), compared by Hamming distance. search returns int32
distances and int64 labels (missing: distance 2^31-1, label -1).)doc")
        .def_readonly("d", &IndexBinary::d, "Dimension in bits.")
        .def_readonly("code_size", &IndexBinary::code_size, "Bytes per vector (d / 8).")
        .def_property_readonly(
            "ntotal", [](const IndexBinary& i) { return i.ntotal; }, "Number of stored codes.")
        .def_property_readonly(
            "is_trained", [](const IndexBinary& i) { return i.is_trained; },
            "Whether the index can take codes (IVF: after train).")
        .def_property_readonly(
            "metric_type", [](const IndexBinary& i) { return int(i.metric_type); },
            "Always METRIC_L2's value for FAISS compatibility; distances are Hamming.")
        .def_readwrite("verbose", &IndexBinary::verbose, "Report progress of long operations.")
        .def(
            "train",
            [](IndexBinary& self, py::handle x) {
                Codes xa = codes_of(self, x, "x");
                py::gil_scoped_release release;
                self.train(xa.shape(0), xa.data());
            },
            "x"_a, "Train on codes x, uint8 of shape (n, code_size) (IVF: its quantizer).")
        .def(
            "add",
            [](IndexBinary& self, py::handle x) {
                Codes xa = codes_of(self, x, "x");
                py::gil_scoped_release release;
                self.add(xa.shape(0), xa.data());
            },
            "x"_a, "Add codes x, uint8 of shape (n, code_size), with ids ntotal .. ntotal+n-1.")
        .def(
            "add_with_ids",
            [](IndexBinary& self, py::handle x, py::handle ids) {
                Codes xa = codes_of(self, x, "x");
                auto ia = as_ids(ids, xa.shape(0), "ids");
                py::gil_scoped_release release;
                self.add_with_ids(xa.shape(0), xa.data(), ia.data());
            },
            "x"_a, "ids"_a,
            "Add codes with user ids (int64 >= 0): IVF and IDMap indexes; RuntimeError elsewhere.")
        .def("search", &binary_search, "x"_a, "k"_a, py::kw_only(), "params"_a = py::none(),
             "(D int32, I int64) of shape (n, k): the k nearest codes by Hamming distance.")
        .def(
            "range_search",
            [](const IndexBinary& self, py::handle x, int64_t radius, py::object params) {
                const SearchParameters* sp = as_params(params);
                Codes xa = codes_of(self, x, "x");
                RangeSearchResult res;
                {
                    py::gil_scoped_release release;
                    self.range_search(xa.shape(0), xa.data(), narrow<int>(radius, "radius"), &res,
                                      sp);
                }
                return range_arrays(res);
            },
            "x"_a, "radius"_a, py::kw_only(), "params"_a = py::none(),
            "(lims, D, I) of the codes at Hamming distance < radius (D float32, as FAISS).")
        .def(
            "remove_ids",
            [](IndexBinary& self, py::handle sel) {
                std::unique_ptr<IDSelector> own;
                const IDSelector* s = selector_arg(sel, own);
                py::gil_scoped_release release;
                return self.remove_ids(*s);
            },
            "sel"_a,
            "Remove the codes whose ids sel selects (an IDSelector or ids); returns how many.")
        .def(
            "reset", [](IndexBinary& self) { self.reset(); },
            "Remove every code (training is kept).")
        .def(
            "reconstruct",
            [](const IndexBinary& self, idx_t key) {
                py::array_t<uint8_t> out(self.code_size);
                self.reconstruct(key, out.mutable_data());
                return out;
            },
            "key"_a, "The stored code of id key, uint8 (code_size,).")
        .def(
            "reconstruct_n",
            [](const IndexBinary& self, idx_t i0, py::object n_obj) {
                const idx_t n = n_obj.is_none() ? self.ntotal - i0 : n_obj.cast<idx_t>();
                self.check_id_range(i0, n);
                py::array_t<uint8_t> out({py::ssize_t(n), py::ssize_t(self.code_size)});
                uint8_t* p = out.mutable_data();
                py::gil_scoped_release release;
                self.reconstruct_n(i0, n, p);
                return out;
            },
            "i0"_a = 0, "n"_a = py::none(),
            "Codes of ids i0 .. i0+n-1 (n None: to the end), uint8 (n, code_size).");

    py::class_<IndexBinaryFlat, IndexBinary>(m, "IndexBinaryFlat",
                                             "IndexBinaryFlat(d): exact Hamming search.")
        .def(py::init([](int64_t d) { return std::make_unique<IndexBinaryFlat>(d); }), "d"_a)
        .def_property_readonly(
            "xb",
            [](const IndexBinaryFlat& s) {
                IndexBinaryReadScope r(s);
                py::array_t<uint8_t> out(py::ssize_t(size_t(s.ntotal) * size_t(s.code_size)));
                if (s.ntotal) std::memcpy(out.mutable_data(), s.get_xb(), size_t(out.size()));
                return out;
            },
            "The stored codes, uint8 (ntotal, code_size).");

    py::class_<IndexBinaryIVF, IndexBinary>(m, "IndexBinaryIVF", R"doc(
IndexBinaryIVF(quantizer, d, nlist): inverted file over binary codes; the quantizer (an
IndexBinaryFlat, or IndexBinaryHNSW) holds the nlist centroids after train(). nprobe lists are
scanned per query. Keeps the quantizer alive.)doc")
        .def(py::init([](IndexBinary* q, int64_t d, int64_t nlist) {
                 return std::make_unique<IndexBinaryIVF>(q, d, narrow<size_t>(nlist, "nlist"));
             }),
             "quantizer"_a, "d"_a, "nlist"_a, py::keep_alive<1, 2>())
        .def_property(
            "nprobe", [](const IndexBinaryIVF& i) { return i.nprobe; },
            [](IndexBinaryIVF& i, int64_t v) { i.set_nprobe(v); },
            "Inverted lists visited per query (1 .. nlist).")
        .def_readonly("nlist", &IndexBinaryIVF::nlist, "Number of inverted lists.")
        .def_property_readonly(
            "quantizer", [](IndexBinaryIVF& i) { return i.quantizer; },
            py::return_value_policy::reference_internal, "The coarse quantizer (a binary index).")
        .def_property_readonly(
            "cp", [](IndexBinaryIVF& i) -> ClusteringParameters& { return i.cp; },
            py::return_value_policy::reference_internal, "k-means parameters of train.")
        .def(
            "make_direct_map", &IndexBinaryIVF::make_direct_map, "maintain"_a = true,
            "Keep an id -> (list, offset) map so that reconstruct works (maintain=False drops it).")
        .def(
            "set_direct_map_type",
            [](IndexBinaryIVF& self, int t) { self.set_direct_map_type(DirectMap::Type(t)); },
            "type"_a, "DirectMap.NoMap, Array or Hashtable (FAISS's values).")
        .def(
            "get_list_size",
            [](const IndexBinaryIVF& self, int64_t l) {
                check_list_no(l, self.nlist);
                return self.invlists->list_size(size_t(l));
            },
            "list_no"_a, "Number of codes in inverted list list_no.")
        .def(
            "get_list_ids",
            [](const IndexBinaryIVF& self, int64_t l) {
                IndexBinaryReadScope r(self);
                return list_ids_array(*self.invlists, l);
            },
            "list_no"_a, "The ids of inverted list list_no, int64.")
        .def(
            "get_list_codes",
            [](const IndexBinaryIVF& self, int64_t l) {
                IndexBinaryReadScope r(self);
                return list_codes_array(*self.invlists, l);
            },
            "list_no"_a, "The codes of inverted list list_no, uint8 (size, code_size).")
        .def(
            "add_preassigned",
            [](IndexBinaryIVF& self, py::handle x, py::handle a, py::handle ids) {
                Codes xa = codes_of(self, x, "x");
                const idx_t n = xa.shape(0);
                auto la = as_ids(a, n, "list numbers");
                py::array_t<int64_t, py::array::c_style | py::array::forcecast> ia;
                if (!ids.is_none()) ia = as_ids(ids, n, "ids");
                const idx_t* ip = ids.is_none() ? nullptr : ia.data();
                py::gil_scoped_release release;
                self.add_preassigned(n, xa.data(), ip, la.data());
            },
            "x"_a, "list_nos"_a, "ids"_a = py::none(),
            "Add codes to the given lists (no quantizer call); ids None: sequential.")
        .def(
            "search_preassigned",
            [](const IndexBinaryIVF& self, py::handle x, py::handle k_obj, py::handle assign,
               py::handle /*coarse_dis*/, py::handle params) {
                Codes xa = codes_of(self, x, "x");
                const idx_t n = xa.shape(0), k = check_k(k_obj);
                IdMatrix aa = list_nos_matrix(assign, n);
                const idx_t kout = result_columns(n, k);
                py::array_t<int32_t> D({n, kout});
                py::array_t<int64_t> I({n, kout});
                const SearchParameters* sp = as_params(params);
                int32_t* Dp = D.mutable_data();
                idx_t* Ip = I.mutable_data();
                {
                    py::gil_scoped_release release;
                    self.search_preassigned_checked(n, xa.data(), k, size_t(aa.shape(1)), aa.data(),
                                                    Dp, Ip, sp);
                }
                return py::make_tuple(D, I);
            },
            "x"_a, "k"_a, "list_nos"_a, "coarse_dis"_a = py::none(), py::kw_only(),
            "params"_a = py::none(),
            "(D int32, I int64): search only the lists given per query (list_nos (n, nprobe)).");

    py::class_<IndexBinaryHNSW, IndexBinary>(
        m, "IndexBinaryHNSW",
        "IndexBinaryHNSW(d, M=32): HNSW graph, Hamming distance "
        "(hnsw.efSearch / efConstruction as IndexHNSWFlat).")
        .def(py::init([](int64_t d, int64_t M) {
                 return std::make_unique<IndexBinaryHNSW>(d, narrow<int>(M, "M"));
             }),
             "d"_a, "M"_a = 32)
        .def_property_readonly(
            "hnsw", [](IndexBinaryHNSW& i) -> HNSW& { return i.hnsw; },
            py::return_value_policy::reference_internal, "The graph.");

    py::class_<IndexBinaryHash, IndexBinary>(m, "IndexBinaryHash", R"doc(
IndexBinaryHash(d, b): codes bucketed by their first b bits; search visits the query's bucket
and those within nflip flips (index.nflip, default 0), ranking what it finds exactly.)doc")
        .def(py::init([](int64_t d, int64_t b) {
                 return std::make_unique<IndexBinaryHash>(d, narrow<int>(b, "b"));
             }),
             "d"_a, "b"_a)
        .def_readonly("b", &IndexBinaryHash::b, "Bits of each code used as the hash key.")
        .def_property(
            "nflip", [](const IndexBinaryHash& i) { return i.nflip; },
            [](IndexBinaryHash& i, int v) { i.set_nflip(v); },
            "Bits flipped around the query key when searching.");

    py::class_<IndexBinaryMultiHash, IndexBinary>(m, "IndexBinaryMultiHash", R"doc(
IndexBinaryMultiHash(d, nhash, b): nhash tables, each bucketing a different b-bit slice; the
union of the buckets visited is ranked exactly (nflip as IndexBinaryHash).)doc")
        .def(py::init([](int64_t d, int64_t nhash, int64_t b) {
                 return std::make_unique<IndexBinaryMultiHash>(d, narrow<int>(nhash, "nhash"),
                                                               narrow<int>(b, "b"));
             }),
             "d"_a, "nhash"_a, "b"_a)
        .def_readonly("b", &IndexBinaryMultiHash::b, "Bits per hash table key.")
        .def_readonly("nhash", &IndexBinaryMultiHash::nhash, "Number of hash tables.")
        .def_property(
            "nflip", [](const IndexBinaryMultiHash& i) { return i.nflip; },
            [](IndexBinaryMultiHash& i, int v) { i.set_nflip(v); },
            "Bits flipped around the query key when searching.");

    py::class_<IndexBinaryIDMap, IndexBinary>(m, "IndexBinaryIDMap",
                                              "IndexBinaryIDMap(index): user ids (add_with_ids); "
                                              "keeps index alive.")
        .def(py::init([](IndexBinary* index) { return std::make_unique<IndexBinaryIDMap>(index); }),
             "index"_a, py::keep_alive<1, 2>())
        .def_property_readonly(
            "index", [](IndexBinaryIDMap& i) { return i.index; },
            py::return_value_policy::reference_internal, "The wrapped binary index.")
        .def_property_readonly(
            "id_map",
            [](const IndexBinaryIDMap& i) {
                py::array_t<int64_t> out{py::ssize_t(i.id_map.size())};
                if (!i.id_map.empty())
                    std::memcpy(out.mutable_data(), i.id_map.data(), i.id_map.size() * 8);
                return out;
            },
            "User id of each stored code, int64 (a copy).");
    py::class_<IndexBinaryIDMap2, IndexBinaryIDMap>(
        m, "IndexBinaryIDMap2", "IndexBinaryIDMap2(index): unique user ids and reconstruct(id).")
        .def(
            py::init([](IndexBinary* index) { return std::make_unique<IndexBinaryIDMap2>(index); }),
            "index"_a, py::keep_alive<1, 2>());

    py::class_<IndexBinaryFromFloat, IndexBinary>(m, "IndexBinaryFromFloat", R"doc(
IndexBinaryFromFloat(index): Hamming search through a float index (e.g. IndexHNSWFlat(d)) over
the codes as -1/+1 vectors. Keeps index alive.)doc")
        .def(py::init([](Index* index) { return std::make_unique<IndexBinaryFromFloat>(index); }),
             "index"_a, py::keep_alive<1, 2>())
        .def_property_readonly(
            "index", [](IndexBinaryFromFloat& i) { return i.index.get(); },
            py::return_value_policy::reference_internal, "The float index searched.");

    m.def(
        "index_binary_factory",
        [](int64_t d, const std::string& desc) {
            return index_binary_factory(narrow<int>(d, "d"), desc.c_str());
        },
        "d"_a, "description"_a,
        "Binary index from a FAISS description: BFlat, BIVF<n>[_HNSW<M>], BHNSW<M>, BHash<b>, "
        "BHash<nhash>x<b>, with an optional IDMap, / IDMap2, prefix.");
    m.def(
        "write_index_binary",
        [](const IndexBinary& index, py::handle path) {
            std::string p = fspath(path);
            py::gil_scoped_release release;
            write_index_binary(&index, p);
        },
        "index"_a, "path"_a, "Atomic write (temporary file + rename); OSError on I/O failure.");
    m.def(
        "write_index_binary_faiss",
        [](const IndexBinary& index, py::handle path) {
            std::string p = fspath(path);
            py::gil_scoped_release release;
            write_index_binary_faiss(&index, p);
        },
        "index"_a, "path"_a, "Atomic write in FAISS's format (faiss.read_index_binary loads it).");
    m.def(
        "serialize_index_binary_faiss",
        [](const IndexBinary& index) {
            return serialized_bytes([&] { return serialize_index_binary_faiss(&index); });
        },
        "index"_a, "The index in FAISS's binary format, a 1-D uint8 array.");
    m.def(
        "read_index_binary",
        [](py::handle path, int io_flags) {
            std::string p = fspath(path);
            py::gil_scoped_release release;
            return read_index_binary(p, io_flags);
        },
        "path"_a, "io_flags"_a = 0,
        "Read a binary index file (ours or FAISS's). OSError if unreadable, RuntimeError if\n"
        "corrupt; io_flags=IO_FLAG_MMAP maps the file.");
    m.def(
        "serialize_index_binary",
        [](const IndexBinary& index) {
            return serialized_bytes([&] { return serialize_index_binary(&index); });
        },
        "index"_a, "The index in the write_index_binary format, a 1-D uint8 array.");
    m.def(
        "deserialize_index_binary",
        [](py::handle arr) {
            if (!py::isinstance<py::array_t<uint8_t>>(arr))
                throw py::type_error("deserialize_index_binary needs a 1-D uint8 numpy array");
            auto a = py::reinterpret_borrow<py::array_t<uint8_t>>(arr);
            if (a.ndim() != 1)
                throw py::type_error("deserialize_index_binary needs a 1-D uint8 array");
            auto c = py::array_t<uint8_t, py::array::c_style>::ensure(a);
            const uint8_t* p = c.data();
            const size_t n = size_t(c.size());
            py::gil_scoped_release release;
            return deserialize_index_binary(p, n);
        },
        "data"_a, "The binary index held in a 1-D uint8 array (either format).");
}

}  // namespace faisslike_py
