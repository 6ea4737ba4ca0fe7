// Compressed codes: ProductQuantizer, IndexPQ, IndexIVFPQ, scalar quantizers.
#include "common.h"

#include "faisslike/IndexIVFPQ.h"
#include "faisslike/IndexIVFPQFastScan.h"
#include "faisslike/IndexPQ.h"
#include "faisslike/IndexPQFastScan.h"
#include "faisslike/IndexRaBitQ.h"
#include "faisslike/IndexScalarQuantizer.h"
#include "faisslike/ProductQuantizer.h"
#include "faisslike/distances.h"

namespace faisslike_py {

using namespace faisslike;

void bind_quantizers(py::module_& m) {
    py::class_<IndexFlatCodes, Index>(m, "IndexFlatCodes",
                                      "Base of the indexes that store one code per vector "
                                      "(PQ, SQ): code_size, codes.")
        .def_readonly("code_size", &IndexFlatCodes::code_size, "Bytes per stored code.")
        .def_property_readonly(
            "codes",
            [](const IndexFlatCodes& self) {
                IndexReadScope r(self);
                py::array_t<uint8_t> out{py::ssize_t(self.codes.size())};
                if (!self.codes.empty())
                    std::memcpy(out.mutable_data(), self.codes.data(), self.codes.size());
                return out;
            },
            "The stored codes, ntotal * code_size bytes (a uint8 copy).");
    py::class_<ProductQuantizer>(m, "ProductQuantizer", R"doc(
ProductQuantizer(d, M, nbits=8): splits vectors into M sub-vectors of d/M dims, each coded by
the nearest of 2^nbits centroids (nbits 1..16). train(x) needs >= 2^nbits points (warns below 39 * 2^nbits);
compute_codes(x) -> uint8 (n, code_size); decode(codes) -> float32 (n, d).)doc")
        .def(py::init([](int64_t d, int64_t M, int64_t nbits) {
                 return std::make_unique<ProductQuantizer>(narrow<size_t>(d, "d"),
                                                           narrow<size_t>(M, "M"),
                                                           narrow<size_t>(nbits, "nbits"));
             }),
             "d"_a, "M"_a, "nbits"_a = 8)
        .def_readonly("d", &ProductQuantizer::d, "Dimension of the input vectors.")
        .def_readonly("M", &ProductQuantizer::M, "Number of sub-quantizers.")
        .def_readonly("nbits", &ProductQuantizer::nbits, "Bits per sub-quantizer code.")
        .def_readonly("dsub", &ProductQuantizer::dsub, "Dimension of each sub-vector (d / M).")
        .def_readonly("ksub", &ProductQuantizer::ksub, "Centroids per sub-quantizer (2 ** nbits).")
        .def_readonly("code_size", &ProductQuantizer::code_size, "Bytes per code.")
        .def_readwrite("cp", &ProductQuantizer::cp, "k-means settings of each sub-quantizer.")
        .def_property_readonly("is_trained", &ProductQuantizer::is_trained,
                               "Whether train() was run.")
        .def(
            "train",
            [](ProductQuantizer& pq, py::handle x) {
                FloatArray xa = as_matrix(x, int64_t(pq.d), "x");
                py::gil_scoped_release release;
                pq.train(xa.shape(0), xa.data());
            },
            "x"_a, "Train the sub-quantizers (k-means per sub-space) on x, float32 (n, d).")
        .def(
            "compute_codes",
            [](const ProductQuantizer& pq, py::handle x) {
                FloatArray xa = as_matrix(x, int64_t(pq.d), "x");
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
            "x"_a, "Codes of x, uint8 (n, code_size).")
        .def(
            "decode",
            [](const ProductQuantizer& pq, py::handle codes) {
                auto c = as_codes(codes, pq.code_size);
                const size_t n = size_t(c.shape(0));
                py::array_t<float> out({py::ssize_t(n), py::ssize_t(pq.d)});
                float* o = out.mutable_data();
                {
                    py::gil_scoped_release release;
                    pq.decode(c.data(), o, n);
                }
                return out;
            },
            "codes"_a, "Vectors decoded from codes, float32 (n, d).")
        .def(
            "compute_distance_table",
            [](const ProductQuantizer& pq, py::handle x, int metric) {
                FloatArray xa = as_matrix(x, int64_t(pq.d), "x");
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

    py::class_<IndexPQ, IndexFlatCodes>(m, "IndexPQ", R"doc(
IndexPQ(d, M, nbits=8, metric=METRIC_L2): vectors stored as PQ codes (M * nbits / 8 bytes each),
searched by asymmetric distance computation. Must be trained. sa_encode / sa_decode compress
and decompress vectors without adding them.)doc")
        .def(py::init([](int64_t d, int64_t M, int64_t nbits, int metric) {
                 return std::make_unique<IndexPQ>(
                     d, narrow<size_t>(M, "M"), narrow<size_t>(nbits, "nbits"), MetricType(metric));
             }),
             "d"_a, "M"_a, "nbits"_a = 8, "metric"_a = int(METRIC_L2))
        .def_readonly("pq", &IndexPQ::pq, "The product quantizer.");

    py::class_<IndexPQFastScan, Index>(m, "IndexPQFastScan", R"doc(
IndexPQFastScan(d, M, nbits=4, metric=METRIC_L2, bbs=32), or IndexPQFastScan(index_pq, bbs=32):
4-bit PQ codes packed in blocks of 32 and scanned with in-register table lookups (FAISS's
fast-scan; factory "PQ<M>x4fs"). Ranks by 8-bit quantized tables; returned distances are the
exact PQ distances of the results (IndexPQ's for the same codebooks).)doc")
        .def(py::init([](int64_t d, int64_t M, int64_t nbits, int metric, int bbs) {
                 return std::make_unique<IndexPQFastScan>(d, narrow<size_t>(M, "M"),
                                                          narrow<size_t>(nbits, "nbits"),
                                                          MetricType(metric), bbs);
             }),
             "d"_a, "M"_a, "nbits"_a = 4, "metric"_a = int(METRIC_L2), "bbs"_a = 32)
        .def(py::init([](const IndexPQ& orig, int bbs) {
                 return std::make_unique<IndexPQFastScan>(orig, bbs);
             }),
             "orig"_a, "bbs"_a = 32)
        .def_readonly("pq", &IndexPQFastScan::pq, "The product quantizer (4-bit codes).")
        .def_readonly("bbs", &IndexPQFastScan::bbs, "Vectors per packed block (a multiple of 32).")
        .def_property_readonly(
            "M", [](const IndexPQFastScan& s) { return s.pq.M; }, "Number of sub-quantizers.")
        .def_property_readonly(
            "nbits", [](const IndexPQFastScan& s) { return s.pq.nbits; },
            "Bits per sub-quantizer code (4).")
        .def_property_readonly(
            "ksub", [](const IndexPQFastScan& s) { return s.pq.ksub; },
            "Centroids per sub-quantizer (16).")
        .def_property_readonly(
            "M2", [](const IndexPQFastScan& s) { return (s.pq.M + 1) / 2 * 2; },
            "M rounded up to even (codes are packed two per byte).")
        .def_property_readonly(
            "code_size", [](const IndexPQFastScan& s) { return s.pq.code_size; },
            "Bytes per unpacked code (M / 2).");

    py::class_<MultiIndexQuantizer, Index>(m, "MultiIndexQuantizer", R"doc(
MultiIndexQuantizer(d, M, nbits): the 2^(M*nbits) centroids formed by concatenating one PQ
sub-centroid per sub-vector (FAISS's inverted multi-index; factory "IMI2x<nbits>"). Train it on
the data; search returns the nearest concatenated centroids (multi-sequence algorithm). Used as
an IVF quantizer it is trained alone. add / reset raise RuntimeError (virtual elements).)doc")
        .def(py::init([](int64_t d, int64_t M, int64_t nbits) {
                 return std::make_unique<MultiIndexQuantizer>(d, narrow<size_t>(M, "M"),
                                                              narrow<size_t>(nbits, "nbits"));
             }),
             "d"_a, "M"_a, "nbits"_a)
        .def_readonly("pq", &MultiIndexQuantizer::pq,
                      "The product quantizer whose centroids form the multi-index.");

    py::class_<IndexIVFPQ, IndexIVF>(m, "IndexIVFPQ", R"doc(
IndexIVFPQ(quantizer, d, nlist, M, nbits=8, metric=METRIC_L2): inverted file whose lists hold
PQ codes of the residuals to the list centroid (by_residual). For L2, the list-dependent part of
the lookup tables is precomputed at train time (use_precomputed_table). Keeps `quantizer` alive.)doc")
        .def(py::init([](Index* quantizer, int64_t d, int64_t nlist, int64_t M, int64_t nbits,
                         int metric) {
                 return std::make_unique<IndexIVFPQ>(
                     quantizer, d, narrow<size_t>(nlist, "nlist"), narrow<size_t>(M, "M"),
                     narrow<size_t>(nbits, "nbits"), MetricType(metric));
             }),
             "quantizer"_a, "d"_a, "nlist"_a, "M"_a, "nbits"_a = 8, "metric"_a = int(METRIC_L2),
             py::keep_alive<1, 2>())
        .def_readonly("pq", &IndexIVFPQ::pq, "The product quantizer of the residuals (or vectors).")
        .def_property(
            "by_residual", [](const IndexIVFPQ& i) { return i.by_residual; },
            [](IndexIVFPQ& i, bool v) { i.set_by_residual(v); },
            "Codes encode the residual to the list centroid (set before training).")
        .def_property(
            "use_precomputed_table", [](const IndexIVFPQ& i) { return i.use_precomputed_table; },
            [](IndexIVFPQ& i, bool v) { i.set_use_precomputed_table(v); },
            "Whether the per-list distance tables are precomputed at train time.");

    py::class_<IndexIVFPQFastScan, IndexIVFPQ>(m, "IndexIVFPQFastScan", R"doc(
IndexIVFPQFastScan(quantizer, d, nlist, M, nbits=4, metric=METRIC_L2, bbs=32): IVF over 4-bit PQ
codes searched with the fast-scan kernel (factory "IVF<n>,PQ<M>x4fs", residual codes with
"x4fsr"). The probed lists' tables share one 8-bit scale; results are re-scored exactly.
range_search and search_preassigned use the exact IndexIVFPQ scan. Keeps `quantizer` alive.)doc")
        .def(py::init([](Index* quantizer, int64_t d, int64_t nlist, int64_t M, int64_t nbits,
                         int metric, int bbs) {
                 return std::make_unique<IndexIVFPQFastScan>(
                     quantizer, d, narrow<size_t>(nlist, "nlist"), narrow<size_t>(M, "M"),
                     narrow<size_t>(nbits, "nbits"), MetricType(metric), bbs);
             }),
             "quantizer"_a, "d"_a, "nlist"_a, "M"_a, "nbits"_a = 4, "metric"_a = int(METRIC_L2),
             "bbs"_a = 32, py::keep_alive<1, 2>())
        .def_readonly("bbs", &IndexIVFPQFastScan::bbs,
                      "Vectors per packed block (a multiple of 32).")
        .def_property_readonly(
            "M", [](const IndexIVFPQFastScan& s) { return s.pq.M; }, "Number of sub-quantizers.")
        .def_property_readonly(
            "nbits", [](const IndexIVFPQFastScan& s) { return s.pq.nbits; },
            "Bits per sub-quantizer code (4).")
        .def_property_readonly(
            "M2", [](const IndexIVFPQFastScan& s) { return (s.pq.M + 1) / 2 * 2; },
            "M rounded up to even (codes are packed two per byte).")
        .def("packed_bytes", &IndexIVFPQFastScan::packed_bytes,
             "Bytes of the packed copies of the lists the fast scan reads.");

    // RaBitQ: query bits are checked when set (ValueError naming the value), as at search.
    auto set_qb = [](int& field, int v) {
        check_rabitq_qb(v);
        field = v;
    };
    py::class_<SearchParametersRaBitQ, SearchParameters>(
        m, "SearchParametersRaBitQ", py::dynamic_attr(),
        "SearchParametersRaBitQ(qb=4, centered=False): query bits (0: float query) and the "
        "symmetric query quantizer for this call (FAISS's RaBitQSearchParameters).")
        .def(py::init([](int qb, bool centered) {
                 check_rabitq_qb(qb);
                 auto p = std::make_unique<SearchParametersRaBitQ>();
                 p->qb = qb;
                 p->centered = centered;
                 return p;
             }),
             "qb"_a = 4, "centered"_a = false)
        .def_property(
            "qb", [](const SearchParametersRaBitQ& p) { return p.qb; },
            [set_qb](SearchParametersRaBitQ& p, int v) { set_qb(p.qb, v); },
            "Bits per query coordinate (0: the index own setting).")
        .def_readwrite("centered", &SearchParametersRaBitQ::centered,
                       "Queries quantized around the centroid.");
    py::class_<SearchParametersIVFRaBitQ, SearchParametersIVF>(
        m, "SearchParametersIVFRaBitQ", py::dynamic_attr(),
        "SearchParametersIVFRaBitQ(nprobe=1, qb=4, centered=False): FAISS's "
        "IVFRaBitQSearchParameters.")
        .def(py::init([](int64_t nprobe, int qb, bool centered) {
                 check_rabitq_qb(qb);
                 auto p = std::make_unique<SearchParametersIVFRaBitQ>();
                 p->nprobe = narrow<size_t>(nprobe, "nprobe");
                 p->qb = qb;
                 p->centered = centered;
                 return p;
             }),
             "nprobe"_a = 1, "qb"_a = 4, "centered"_a = false)
        .def_property(
            "qb", [](const SearchParametersIVFRaBitQ& p) { return p.qb; },
            [set_qb](SearchParametersIVFRaBitQ& p, int v) { set_qb(p.qb, v); },
            "Bits per query coordinate (0: the index own setting).")
        .def_readwrite("centered", &SearchParametersIVFRaBitQ::centered,
                       "Queries quantized around the centroid.");

    py::class_<RaBitQuantizer>(m, "RaBitQuantizer",
                               "The RaBitQ codec of an index: d, nb_bits, code_size, metric_type.")
        .def_readonly("d", &RaBitQuantizer::d, "Dimension of the input vectors.")
        .def_readonly("nb_bits", &RaBitQuantizer::nb_bits,
                      "Bits per dimension (1: sign bits; more: extended codes).")
        .def_readonly("code_size", &RaBitQuantizer::code_size, "Bytes per code.")
        .def_property_readonly(
            "metric_type", [](const RaBitQuantizer& r) { return int(r.metric); },
            "METRIC_L2 or METRIC_INNER_PRODUCT.");

    py::class_<IndexRaBitQ, IndexFlatCodes>(m, "IndexRaBitQ", R"doc(
IndexRaBitQ(d, metric=METRIC_L2, nb_bits=1): RaBitQ codes (1 sign bit per component, plus
nb_bits - 1 extra bits, up to 9 bits) relative to the training mean, scanned exhaustively with
popcount estimates against the query quantized to qb bits (qb=0: float query). Multi-bit
searches refine only the codes whose error bound can reach the results. Factory "RaBitQ[<b>]";
put a rotation in front ("RR<d>,RaBitQ") for data that needs one. sa_encode is byte-compatible
with FAISS's IndexRaBitQ.)doc")
        .def(py::init([](int64_t d, int metric, int nb_bits) {
                 return std::make_unique<IndexRaBitQ>(d, MetricType(metric), nb_bits);
             }),
             "d"_a, "metric"_a = int(METRIC_L2), "nb_bits"_a = 1)
        .def_readonly("rabitq", &IndexRaBitQ::rabitq, "The RaBitQ quantizer.")
        .def_property(
            "qb", [](const IndexRaBitQ& i) { return i.qb; },
            [set_qb](IndexRaBitQ& i, int v) { set_qb(i.qb, v); },
            "Bits per query coordinate when searching.")
        .def_readwrite("centered", &IndexRaBitQ::centered,
                       "Queries quantized around the centroid (FAISS's centered).")
        .def_property_readonly(
            "center",
            [](const IndexRaBitQ& i) {
                py::array_t<float> out{py::ssize_t(i.center.size())};
                if (!i.center.empty())
                    std::memcpy(out.mutable_data(), i.center.data(), i.center.size() * 4);
                return out;
            },
            "The training mean the codes are relative to (a copy; empty before train).");

    py::class_<IndexIVFRaBitQ, IndexIVF>(m, "IndexIVFRaBitQ", R"doc(
IndexIVFRaBitQ(quantizer, d, nlist, metric=METRIC_L2, nb_bits=1): inverted file whose lists
hold RaBitQ codes relative to the list centroid (factory "IVF<n>,RaBitQ[<b>]"). qb / centered
as IndexRaBitQ; per call with SearchParametersIVFRaBitQ. Keeps `quantizer` alive.)doc")
        .def(py::init([](Index* quantizer, int64_t d, int64_t nlist, int metric, int nb_bits) {
                 return std::make_unique<IndexIVFRaBitQ>(
                     quantizer, d, narrow<size_t>(nlist, "nlist"), MetricType(metric), nb_bits);
             }),
             "quantizer"_a, "d"_a, "nlist"_a, "metric"_a = int(METRIC_L2), "nb_bits"_a = 1,
             py::keep_alive<1, 2>())
        .def_readonly("rabitq", &IndexIVFRaBitQ::rabitq, "The RaBitQ quantizer.")
        .def_property(
            "qb", [](const IndexIVFRaBitQ& i) { return i.qb; },
            [set_qb](IndexIVFRaBitQ& i, int v) { set_qb(i.qb, v); },
            "Bits per query coordinate when searching.")
        .def_readwrite("centered", &IndexIVFRaBitQ::centered,
                       "Queries quantized around the centroid (FAISS's centered).")
        .def_property_readonly(
            "by_residual", [](const IndexIVFRaBitQ&) { return true; },
            "Always True: codes encode the residual to the list centroid.");

    py::class_<IndexIVFRaBitQFastScan, IndexIVFRaBitQ>(m, "IndexIVFRaBitQFastScan", R"doc(
IndexIVFRaBitQFastScan(quantizer, d, nlist, metric=METRIC_L2, nb_bits=1, bbs=32): IndexIVFRaBitQ
whose 1-bit stage runs on the 4-bit fast-scan kernel over packed copies of the sign bits (4
components per nibble, 8-bit tables; factory "IVF<n>,RaBitQfs[<b>][_<bbs>]"). d <= 1024.
packed_bytes(): memory of the packed copies. Keeps `quantizer` alive.)doc")
        .def(py::init([](Index* quantizer, int64_t d, int64_t nlist, int metric, int nb_bits,
                         int bbs) {
                 return std::make_unique<IndexIVFRaBitQFastScan>(quantizer, d,
                                                                 narrow<size_t>(nlist, "nlist"),
                                                                 MetricType(metric), nb_bits, bbs);
             }),
             "quantizer"_a, "d"_a, "nlist"_a, "metric"_a = int(METRIC_L2), "nb_bits"_a = 1,
             "bbs"_a = 32, py::keep_alive<1, 2>())
        .def_readonly("bbs", &IndexIVFRaBitQFastScan::bbs,
                      "Vectors per packed block (a multiple of 32).")
        .def("packed_bytes", &IndexIVFRaBitQFastScan::packed_bytes,
             "Bytes of the packed copies of the lists the fast scan reads.");

    py::class_<IndexScalarQuantizer, IndexFlatCodes> sqc(m, "IndexScalarQuantizer", R"doc(
IndexScalarQuantizer(d, qtype, metric=METRIC_L2): every component coded on its own.
qtype ScalarQuantizer.QT_8bit (1 byte, per-dimension min/max ranges learned by train()) or
ScalarQuantizer.QT_fp16 (2 bytes, no training). Exhaustive SIMD scan.)doc");
    sqc.def(py::init([](int64_t d, int qtype, int metric) {
                return std::make_unique<IndexScalarQuantizer>(
                    d, ScalarQuantizer::QuantizerType(qtype), MetricType(metric));
            }),
            "d"_a, "qtype"_a, "metric"_a = int(METRIC_L2))
        .def_property_readonly(
            "code_size", [](const IndexScalarQuantizer& i) { return i.sq.code_size; },
            "Bytes per code.")
        .def_property_readonly(
            "qtype", [](const IndexScalarQuantizer& i) { return int(i.sq.qtype); },
            "ScalarQuantizer.QT_* of the codes.");
    py::class_<ScalarQuantizer> sqq(
        m, "ScalarQuantizer",
        "Quantizer types: QT_8bit, QT_4bit, QT_6bit, QT_8bit_uniform, QT_4bit_uniform, QT_fp16, "
        "QT_bf16, QT_8bit_direct, QT_8bit_direct_signed.");
    for (const auto& [name, v] : std::initializer_list<std::pair<const char*, int>>{
             {"QT_8bit", ScalarQuantizer::QT_8bit},
             {"QT_4bit", ScalarQuantizer::QT_4bit},
             {"QT_8bit_uniform", ScalarQuantizer::QT_8bit_uniform},
             {"QT_4bit_uniform", ScalarQuantizer::QT_4bit_uniform},
             {"QT_fp16", ScalarQuantizer::QT_fp16},
             {"QT_8bit_direct", ScalarQuantizer::QT_8bit_direct},
             {"QT_6bit", ScalarQuantizer::QT_6bit},
             {"QT_bf16", ScalarQuantizer::QT_bf16},
             {"QT_8bit_direct_signed", ScalarQuantizer::QT_8bit_direct_signed}}) {
        sqq.attr(name) = v;
        m.attr(name) = v;
    }

    py::class_<IndexIVFScalarQuantizer, IndexIVF>(m, "IndexIVFScalarQuantizer", R"doc(
IndexIVFScalarQuantizer(quantizer, d, nlist, qtype, metric=METRIC_L2, by_residual=True):
inverted file whose lists hold scalar-quantized vectors (of the residuals to the list centroid
by default, as FAISS). Keeps `quantizer` alive.)doc")
        .def(py::init([](Index* quantizer, int64_t d, int64_t nlist, int qtype, int metric,
                         bool by_residual) {
                 return std::make_unique<IndexIVFScalarQuantizer>(
                     quantizer, d, narrow<size_t>(nlist, "nlist"),
                     ScalarQuantizer::QuantizerType(qtype), MetricType(metric), by_residual);
             }),
             "quantizer"_a, "d"_a, "nlist"_a, "qtype"_a, "metric"_a = int(METRIC_L2),
             "by_residual"_a = true, py::keep_alive<1, 2>())
        .def_readonly("by_residual", &IndexIVFScalarQuantizer::by_residual,
                      "Encode the residual to the list centroid instead of the vector.")
        .def_property_readonly(
            "qtype", [](const IndexIVFScalarQuantizer& i) { return int(i.sq.qtype); },
            "ScalarQuantizer.QT_* of the codes.");
}

}  // namespace faisslike_py
