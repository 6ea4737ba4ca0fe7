// index_factory and serialization.
#include "common.h"

#include "faisslike/index_factory.h"
#include "faisslike/index_inspect.h"
#include "faisslike/index_io.h"

namespace faisslike_py {

using namespace faisslike;

void bind_io(py::module_& m) {
    m.def(
        "index_factory",
        [](int64_t d, const std::string& desc, int metric) {
            return index_factory(narrow<int>(d, "d"), desc.c_str(), MetricType(metric));
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
            py::gil_scoped_release release;
            return read_index(p, io_flags);
        },
        "path"_a, "io_flags"_a = 0,
        "Read an index written by write_index. io_flags=IO_FLAG_MMAP maps the file and uses the\n"
        "vectors, inverted lists and HNSW links in place (read-only pages shared with other\n"
        "processes; the first change copies them). Raises OSError if the file cannot be read\n"
        "and RuntimeError (naming the bad section) if its contents are corrupt.");
    m.def(
        "_inspect_index_file",
        [](py::handle path, bool json) {
            std::string p = fspath(path);
            bool clean = false;
            std::string out;
            {
                py::gil_scoped_release release;
                out = inspect_index_file(p, json, &clean);
            }
            return py::make_tuple(out, clean);
        },
        "path"_a, "json"_a = false,
        "(report, clean): see faisslike.inspect_index_file, the public wrapper.");
    m.attr("IO_FLAG_MMAP") = IO_FLAG_MMAP;
    m.attr("IO_FLAG_READ_ONLY") = IO_FLAG_READ_ONLY;
    m.attr("IO_FLAG_ONDISK_SAME_DIR") = IO_FLAG_ONDISK_SAME_DIR;
    m.def(
        "serialize_index",
        [](const Index& index) {
            return serialized_bytes([&] { return serialize_index(&index); });
        },
        "index"_a, "The index in the write_index format, as a 1-D uint8 numpy array.");
    m.def(
        "write_index_faiss",
        [](const Index& index, py::handle path) {
            std::string p = fspath(path);
            py::gil_scoped_release release;
            write_index_faiss(&index, p);
        },
        "index"_a, "path"_a,
        "Write the index in FAISS's own format (faiss.read_index loads it), atomically. "
        "RuntimeError for types FAISS's format cannot hold.");
    m.def(
        "serialize_index_faiss",
        [](const Index& index) {
            return serialized_bytes([&] { return serialize_index_faiss(&index); });
        },
        "index"_a, "The index in FAISS's format, as a 1-D uint8 numpy array.");
    m.def(
        "deserialize_index",
        [](py::handle data) {
            py::array a = to_array(data);
            if (a.dtype().kind() != 'u' || a.itemsize() != 1 || a.ndim() != 1) {
                throw py::type_error("deserialize_index expects a 1-D uint8 array");
            }
            auto u8 = to_array<py::array_t<uint8_t, py::array::c_style>>(a);
            const uint8_t* p = u8.data();
            size_t n = size_t(u8.size());
            py::gil_scoped_release release;
            return deserialize_index(p, n);
        },
        "data"_a, "Inverse of serialize_index.");
}

}  // namespace faisslike_py
