// HNSW graph index.
#include "common.h"

#include "faisslike/IndexHNSW.h"

namespace faisslike_py {

using namespace faisslike;

void bind_graph(py::module_& m) {
    py::class_<SearchParametersHNSW, SearchParameters>(
        m, "SearchParametersHNSW", py::dynamic_attr(),
        "SearchParametersHNSW(efSearch=16): efSearch for this call only (FAISS's default 16 "
        "whatever the index's efSearch; 0 = the index's); raised to k when smaller.")
        .def(py::init([](int ef) {
                 auto p = std::make_unique<SearchParametersHNSW>();
                 p->efSearch = ef;  // checked at search (0: the index's)
                 return p;
             }),
             "efSearch"_a = 16)
        .def_readwrite("efSearch", &SearchParametersHNSW::efSearch,
                       "Candidate list size of the graph walk (0: the index's own).");

    py::class_<HNSW>(m, "HNSW", "The graph of an IndexHNSWFlat (index.hnsw).")
        .def_readonly("M", &HNSW::M, "Neighbours per node on the upper levels (2 M on level 0).")
        .def_property(
            "efSearch", [](const HNSW& h) { return h.efSearch; },
            [](HNSW& h, int v) { h.set_efSearch(v); },
            "Candidate list size at search (default 16; raised to k when smaller).")
        .def_property(
            "efConstruction", [](const HNSW& h) { return h.efConstruction; },
            [](HNSW& h, int v) { h.set_efConstruction(v); },
            "Candidate list size when adding (default 40).")
        .def_readonly("max_level", &HNSW::max_level, "Highest level of the graph (-1 when empty).")
        .def_readonly("entry_point", &HNSW::entry_point,
                      "Node where searches start (-1 when empty).")
        .def_readwrite("seed", &HNSW::seed,
                       "Seed of the level draws (same seed + 1 thread: same graph).")
        .def_readwrite("level0_select_2M", &HNSW::level0_select_2M,
                       "New nodes keep up to 2M links at level 0 (FAISS) instead of M (hnswlib).")
        .def_property(
            "prune_headroom", [](const HNSW& h) { return h.prune_headroom; },
            [](HNSW& h, float v) { h.set_prune_headroom(v); },
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
        .def(py::init([](int64_t d, int64_t M, int metric) {
                 return std::make_unique<IndexHNSWFlat>(d, narrow<int>(M, "M"), MetricType(metric));
             }),
             "d"_a, "M"_a = 32, "metric"_a = int(METRIC_L2))
        .def_property_readonly(
            "hnsw", [](IndexHNSWFlat& i) -> HNSW& { return i.hnsw; },
            py::return_value_policy::reference_internal, "The graph.")
        .def_property(
            "sq8_traversal", &IndexHNSWFlat::sq8_traversal,
            [](IndexHNSWFlat& self, bool on) {
                py::gil_scoped_release release;
                self.set_sq8_traversal(on);
            },
            "Walk level 0 on an 8-bit copy of the vectors (d bytes each; 1.3-1.5x faster\n"
            "searches on memory-bound graphs), then re-rank exactly: distances stay exact.\n"
            "Default False. Stored in the file (the codes are rebuilt on load).")
        .def_property(
            "qg_traversal",
            [](const IndexHNSWFlat& self) { return self.qg_pq ? int(self.qg_pq->M) : 0; },
            [](IndexHNSWFlat& self, int pq_M) {
                py::gil_scoped_release release;
                self.set_qg_traversal(pq_M);
            },
            "Quantized-graph walk of level 0 with a PQ of this many 4-bit sub-quantizers (0:\n"
            "off): one record per node (links, neighbours' codes, vector), neighbours scored\n"
            "from the codes, expanded nodes exactly. Default 0. Stored in the file (the PQ; the\n"
            "records are rebuilt on load).")
        .def_property_readonly(
            "qg_record_bytes", [](const IndexHNSWFlat& i) { return i.qg_pq ? i.qg_record : 0; },
            "Bytes per node of the quantized-graph records (0 when the walk is off): memory\n"
            "beside the vectors and the graph, rebuilt on load rather than stored.")
        .def_property_readonly(
            "ndeleted", [](const IndexHNSWFlat& i) { return idx_t(i.ndeleted); },
            "Nodes marked deleted by remove_ids (still counted in ntotal).")
        .def(
            "compact",
            [](IndexHNSWFlat& self) {
                py::gil_scoped_release release;
                return self.compact();
            },
            "Rebuild the graph without the deleted nodes (frees them); the remaining vectors\n"
            "are renumbered 0..n-1 in their old order. Returns the number freed.");

    py::class_<IndexHNSWQG, IndexHNSWFlat>(m, "IndexHNSWQG", R"doc(
IndexHNSWQG(d, M=32, pq_M=0, metric=METRIC_L2): the quantized graph (factory "HNSW32,QG" or
"HNSW32,QG<pq_M>"). An IndexHNSWFlat whose level-0 walk always runs on quantized codes;
results get exact distances. efConstruction defaults to 200. Up to d = 256, or with pq_M
given, the walk reads one record per node (its links, its neighbours' 4-bit PQ codes with
pq_M sub-quantizers, its vector): expanding a node is one contiguous read and one fast-scan
call (qg_traversal = pq_M). Above d = 256 with pq_M = 0 it walks on 8-bit codes of the
vectors instead (sq8_traversal; 4-bit PQ estimates are too coarse to steer there).
pq_M divides d, at most 256 (0: by d, default_pq_M(d), 64 at d = 128); M in [2, 32].
ValueError otherwise. Memory per vector: the vector and links of IndexHNSWFlat plus a record
of 4 (2M + 1) + ceil(2M / 32) x 16 x pq_M + 4 d bytes (pq_M rounded up to a multiple of 4,
the record to 64 bytes; qg_record_bytes), or d bytes for the 8-bit walk. The PQ is trained
on the first add (up to 65536 of its vectors), the 8-bit ranges on its first block (16384).)doc")
        .def(py::init([](int64_t d, int64_t M, int64_t pq_M, int metric) {
                 return std::make_unique<IndexHNSWQG>(
                     d, narrow<int>(M, "M"), narrow<int>(pq_M, "pq_M"), MetricType(metric));
             }),
             "d"_a, "M"_a = 32, "pq_M"_a = 0, "metric"_a = int(METRIC_L2))
        .def_static(
            "default_pq_M", [](int64_t d) { return IndexHNSWQG::default_pq_M(d); }, "d"_a,
            "The pq_M used when 0 is given: d up to d = 64, else the largest divisor of d up\n"
            "to min(256, d / 2).")
        .def_static(
            "pq_walk_by_default", [](int64_t d) { return IndexHNSWQG::pq_walk_by_default(d); },
            "d"_a,
            "Whether pq_M = 0 gives the PQ-record walk (d <= 256) rather than the 8-bit one.");

    py::class_<IndexHNSWCodes, Index>(m, "IndexHNSWCodes",
                                      "Base of IndexHNSWSQ / IndexHNSWPQ: HNSW over compressed "
                                      "codes (hnsw, storage).")
        .def_property_readonly(
            "hnsw", [](IndexHNSWCodes& i) -> HNSW& { return i.hnsw; },
            py::return_value_policy::reference_internal, "The graph.")
        .def_property_readonly(
            "storage", [](IndexHNSWCodes& i) { return i.storage.get(); },
            py::return_value_policy::reference_internal,
            "The codes (an IndexScalarQuantizer or IndexPQ).");
    py::class_<IndexHNSWSQ, IndexHNSWCodes>(m, "IndexHNSWSQ", R"doc(
IndexHNSWSQ(d, qtype, M=32, metric=METRIC_L2): HNSW over scalar-quantized codes (graph built
and searched on the codes' distances); train() first for the trained SQ types.)doc")
        .def(py::init([](int64_t d, int qtype, int64_t M, int metric) {
                 return std::make_unique<IndexHNSWSQ>(d, ScalarQuantizer::QuantizerType(qtype),
                                                      narrow<int>(M, "M"), MetricType(metric));
             }),
             "d"_a, "qtype"_a, "M"_a = 32, "metric"_a = int(METRIC_L2));
    py::class_<IndexHNSWPQ, IndexHNSWCodes>(m, "IndexHNSWPQ", R"doc(
IndexHNSWPQ(d, pq_m, M=32, pq_nbits=8, metric=METRIC_L2): HNSW over PQ codes; train() first.)doc")
        .def(py::init([](int64_t d, int64_t pq_m, int64_t M, int64_t nbits, int metric) {
                 return std::make_unique<IndexHNSWPQ>(
                     d, narrow<int>(pq_m, "pq_m"), narrow<int>(M, "M"),
                     narrow<int>(nbits, "pq_nbits"), MetricType(metric));
             }),
             "d"_a, "pq_m"_a, "M"_a = 32, "pq_nbits"_a = 8, "metric"_a = int(METRIC_L2));

    py::class_<Index2Layer, IndexFlatCodes>(m, "Index2Layer", R"doc(
Index2Layer(quantizer, nlist, M, nbit=8, metric=METRIC_L2): codes = coarse list number +
PQ code of the residual (the storage of IndexHNSW2Level); searched exhaustively. Keeps the
quantizer alive.)doc")
        .def(py::init([](Index* q, int64_t nlist, int64_t M, int64_t nbit, int metric) {
                 return std::make_unique<Index2Layer>(
                     q, narrow<size_t>(nlist, "nlist"), narrow<int>(M, "M"),
                     narrow<int>(nbit, "nbit"), MetricType(metric));
             }),
             "quantizer"_a, "nlist"_a, "M"_a, "nbit"_a = 8, "metric"_a = int(METRIC_L2),
             py::keep_alive<1, 2>())
        .def_property_readonly(
            "q1", [](Index2Layer& i) { return i.q1.get(); },
            py::return_value_policy::reference_internal, "The coarse quantizer.")
        .def_readonly("nlist", &Index2Layer::nlist, "Number of coarse lists.")
        .def_readonly("pq", &Index2Layer::pq, "The product quantizer of the residuals.")
        .def_readonly("code_size_1", &Index2Layer::code_size_1,
                      "Bytes of the coarse list number in each code.")
        .def_readonly("code_size_2", &Index2Layer::code_size_2,
                      "Bytes of the PQ code of the residual in each code.")
        .def_readwrite("quantizer_trains_alone", &Index2Layer::quantizer_trains_alone,
                       "0: k-means trains the quantizer; 1: it trains on the data itself.");

    py::class_<IndexHNSW2Level, IndexHNSWCodes>(m, "IndexHNSW2Level", R"doc(
IndexHNSW2Level(quantizer, nlist, m_pq, M=32, metric=METRIC_L2): HNSW over two-level codes
(list number + PQ of the residual); train() first. Factory: "HNSW32_<nlist>+PQ<m>" or
"HNSW32_2x<nbits>+PQ<m>" (multi-index quantizer). Keeps the quantizer alive.)doc")
        .def(py::init([](Index* q, int64_t nlist, int64_t m_pq, int64_t M, int metric) {
                 return std::make_unique<IndexHNSW2Level>(q, narrow<size_t>(nlist, "nlist"),
                                                          narrow<int>(m_pq, "m_pq"),
                                                          narrow<int>(M, "M"), MetricType(metric));
             }),
             "quantizer"_a, "nlist"_a, "m_pq"_a, "M"_a = 32, "metric"_a = int(METRIC_L2),
             py::keep_alive<1, 2>());
}

}  // namespace faisslike_py
