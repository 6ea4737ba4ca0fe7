// Exact search, k-means and the inverted-file base: IndexFlat*, Clustering, IndexIVF, IndexIVFFlat,
// knn, normalize_L2.
#include "common.h"

#include "faisslike/invlists/OnDiskInvertedLists.h"

#include "faisslike/Clustering.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexIVFFlat.h"
#include "faisslike/distances.h"

namespace faisslike_py {

using namespace faisslike;

void bind_flat_ivf(py::module_& m) {
    py::class_<SearchParametersIVF, SearchParameters>(
        m, "SearchParametersIVF", py::dynamic_attr(),
        "SearchParametersIVF(nprobe=1): nprobe for this call only (FAISS's default 1 whatever "
        "the index's nprobe; 0 = the index's); safe with concurrent searches.")
        .def(py::init([](int64_t nprobe) {
                 auto p = std::make_unique<SearchParametersIVF>();
                 p->nprobe = narrow<size_t>(nprobe, "nprobe");
                 return p;
             }),
             "nprobe"_a = 1)
        .def_readwrite("nprobe", &SearchParametersIVF::nprobe, "Inverted lists visited per query.");

    py::class_<ClusteringParameters>(m, "ClusteringParameters",
                                     "k-means settings (FAISS defaults: niter=25, seed=1234, "
                                     "max_points_per_centroid=256, min_points_per_centroid=39).")
        .def(py::init<>())
        .def_readwrite("niter", &ClusteringParameters::niter, "Number of k-means iterations.")
        .def_readwrite("nredo", &ClusteringParameters::nredo,
                       "Runs from different seeds; the best objective is kept.")
        .def_readwrite("verbose", &ClusteringParameters::verbose,
                       "Report progress (iterations, rate, ETA) on stderr.")
        .def_readwrite("spherical", &ClusteringParameters::spherical,
                       "Normalize centroids to unit length after each iteration.")
        .def_readwrite("kmeanspp", &ClusteringParameters::kmeanspp,
                       "Initialize with k-means++ instead of a random sample.")
        .def_readwrite("max_points_per_centroid", &ClusteringParameters::max_points_per_centroid,
                       "Training sets larger than k times this are subsampled (seeded).")
        .def_readwrite("min_points_per_centroid", &ClusteringParameters::min_points_per_centroid,
                       "Below k times this many points, a warning is printed.")
        .def_readwrite("seed", &ClusteringParameters::seed,
                       "Seed of the initialization and subsampling.")
        .def_readwrite("int_centroids", &ClusteringParameters::int_centroids,
                       "Round centroid coordinates after each update.")
        .def_readwrite("frozen_centroids", &ClusteringParameters::frozen_centroids,
                       "Keep the centroids given before train() fixed.");

    py::class_<ClusteringIterationStats>(m, "ClusteringIterationStats",
                                         "One k-means iteration: obj, time, time_search, "
                                         "imbalance_factor, nsplit.")
        .def_readonly(
            "obj", &ClusteringIterationStats::obj,
            "Objective: sum of squared distances (L2) or of similarities (inner product).")
        .def_readonly("time", &ClusteringIterationStats::time_s,
                      "Seconds since the start of training.")
        .def_readonly("time_search", &ClusteringIterationStats::time_search,
                      "Seconds spent assigning points, cumulative.")
        .def_readonly("imbalance_factor", &ClusteringIterationStats::imbalance,
                      "Imbalance factor of the assignment (1.0: perfectly balanced).")
        .def_readonly("nsplit", &ClusteringIterationStats::nsplit,
                      "Empty clusters split in this iteration.");

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
        .def_readonly("d", &Clustering::d, "Dimension of the vectors clustered.")
        .def_readonly("k", &Clustering::k, "Number of centroids.")
        .def(
            "train",
            [](Clustering& self, py::handle x, Index& index, py::handle weights) {
                FloatArray xa = as_matrix(x, int64_t(self.d), "x");
                FloatArray wa;
                if (!weights.is_none()) {
                    py::array w = to_array(weights);
                    if (w.dtype().kind() != 'f' && w.dtype().kind() != 'i' &&
                        w.dtype().kind() != 'u')
                        throw py::type_error("weights must be a real numeric array");
                    if (w.ndim() != 1 || w.shape(0) != xa.shape(0))
                        throw py::value_error(
                            "weights must be a 1-D array with one weight per row");
                    wa = to_array<FloatArray>(w);
                }
                const float* wp = weights.is_none() ? nullptr : wa.data();
                py::gil_scoped_release release;
                self.train(xa.shape(0), xa.data(), index, wp);
            },
            "x"_a, "index"_a, "weights"_a = py::none(),
            "Run k-means on x (n, d); n >= k required. weights (n,): per-point weights.")
        .def_property(
            "centroids",
            [](const Clustering& self) {
                py::array_t<float> out(
                    {py::ssize_t(self.centroids.size() / self.d), py::ssize_t(self.d)});
                std::memcpy(out.mutable_data(), self.centroids.data(),
                            self.centroids.size() * sizeof(float));
                return out;
            },
            [](Clustering& self, py::handle c) {
                FloatArray ca = as_matrix(c, int64_t(self.d), "centroids");
                if (size_t(ca.shape(0)) > self.k)
                    throw py::value_error("at most k initial centroids");
                self.centroids.assign(ca.data(), ca.data() + ca.size());
            },
            "Centroids as a (k, d) float32 array (a copy). Set before train() to give the first "
            "initial centroids (at most k rows).")
        .def_property_readonly(
            "obj",
            [](const Clustering& self) {
                std::vector<double> o;
                for (auto& s : self.iteration_stats) o.push_back(s.obj);
                return o;
            },
            "Objective at each iteration (sum of distances, or of similarities for IP).")
        .def_property_readonly(
            "iteration_stats", [](const Clustering& self) { return self.iteration_stats; },
            "Per-iteration ClusteringIterationStats (obj, time, time_search, imbalance_factor, "
            "nsplit); also .size() / .at(i) as FAISS's vector.");

    auto flat = py::class_<IndexFlat, Index>(m, "IndexFlat", R"doc(
Exact search: stores the vectors and compares the query with all of them.

IndexFlat(d, metric=METRIC_L2). Batches of queries go through BLAS sgemm, small
batches through the SIMD kernels; both are exact.)doc")
                    .def(py::init([](int64_t d, int metric) {
                             return std::make_unique<IndexFlat>(d, MetricType(metric));
                         }),
                         "d"_a, "metric"_a = int(METRIC_L2));
    flat.def_property_readonly(
            "codes",
            [](const IndexFlat& self) {
                IndexReadScope r(self);
                const size_t nbytes = size_t(self.ntotal) * size_t(self.d) * sizeof(float);
                py::array_t<uint8_t> out{py::ssize_t(nbytes)};
                if (nbytes) std::memcpy(out.mutable_data(), self.get_xb(), nbytes);
                return out;
            },
            "The stored vectors as raw bytes (a uint8 copy of ntotal * d float32s, as FAISS's "
            "codes vector).")
        .def(
            "get_xb",
            [](const IndexFlat& self) {
                IndexReadScope r(self);
                py::array_t<float> out({py::ssize_t(self.ntotal), py::ssize_t(self.d)});
                if (self.ntotal)
                    std::memcpy(out.mutable_data(), self.get_xb(),
                                size_t(self.ntotal) * size_t(self.d) * sizeof(float));
                return out;
            },
            "The stored vectors as an (ntotal, d) float32 array (a copy).");
    py::class_<IndexFlatL2, IndexFlat>(m, "IndexFlatL2",
                                       "Exact search with squared L2 distance. IndexFlatL2(d).")
        .def(py::init([](int64_t d) { return std::make_unique<IndexFlatL2>(d); }), "d"_a);
    py::class_<IndexFlatIP, IndexFlat>(m, "IndexFlatIP",
                                       "Exact search by largest inner product. IndexFlatIP(d).")
        .def(py::init([](int64_t d) { return std::make_unique<IndexFlatIP>(d); }), "d"_a);

    py::class_<OnDiskInvertedLists, std::shared_ptr<OnDiskInvertedLists>>(
        m, "_OnDiskLists", "Inverted lists in their own data file (see OnDiskInvertedLists).")
        .def_static(
            "merge",
            [](const py::sequence& seq, py::handle filename, bool shift_ids) {
                // A sequence of IVF indexes (typed as such in the stubs, not as a C++ type).
                std::vector<IndexIVF*> ivfs;
                for (py::handle h : seq) ivfs.push_back(h.cast<IndexIVF*>());
                std::vector<const InvertedLists*> srcs;
                for (IndexIVF* ivf : ivfs) {
                    FAISSLIKE_CHECK_ARG_MSG(ivf != nullptr, "merge: an index is None");
                    srcs.push_back(ivf->invlists.get());
                }
                const std::string fn = fspath(filename);
                // The sources stay unchanged while they are read (no add from another thread).
                std::vector<std::unique_ptr<IndexReadScope>> scopes;
                for (IndexIVF* ivf : ivfs) scopes.push_back(std::make_unique<IndexReadScope>(*ivf));
                py::gil_scoped_release release;
                return std::shared_ptr<OnDiskInvertedLists>(
                    OnDiskInvertedLists::merge(srcs, fn, shift_ids));
            },
            "ivfs"_a, "filename"_a, "shift_ids"_a = false)
        .def_readonly("filename", &OnDiskInvertedLists::filename, "Path of the data file.")
        .def_readonly("nlist", &OnDiskInvertedLists::nlist, "Number of lists.")
        .def_readonly("code_size", &OnDiskInvertedLists::code_size, "Bytes per code.")
        .def_readonly("file_size", &OnDiskInvertedLists::file_size,
                      "Size of the data file in bytes.")
        .def("compute_ntotal", &OnDiskInvertedLists::compute_ntotal,
             "Total number of entries over all lists.");

    py::class_<IndexIVF, Index>(m, "IndexIVF", "Base of the inverted-file indexes.")
        .def_property(
            "nprobe", [](const IndexIVF& i) { return i.nprobe; },
            [](IndexIVF& i, int64_t v) { i.set_nprobe(v); },
            "Lists scanned per query (default 1; clamped to nlist). For concurrent searches "
            "with different values pass SearchParametersIVF instead.")
        .def_readonly("nlist", &IndexIVF::nlist, "Number of inverted lists.")
        .def_readonly("code_size", &IndexIVF::code_size, "Bytes per code in the inverted lists.")
        .def(
            "_replace_ondisk",
            [](IndexIVF& self, const OnDiskInvertedLists& od) {
                self.replace_invlists(std::make_unique<OnDiskInvertedLists>(od));
            },
            "invlists"_a)
        .def_property_readonly(
            "_invlists_filename",
            [](const IndexIVF& self) -> py::object {
                if (auto* od = dynamic_cast<const OnDiskInvertedLists*>(self.invlists.get()))
                    return py::str(od->filename);
                return py::none();
            })
        .def_readwrite("quantizer_trains_alone", &IndexIVF::quantizer_trains_alone,
                       "1: train() trains the quantizer on the data itself (automatic for a "
                       "MultiIndexQuantizer); 0 / 2: k-means. Not serialized.")
        .def_property_readonly(
            "quantizer", [](IndexIVF& i) { return i.quantizer.get(); },
            py::return_value_policy::reference_internal,
            "The coarse quantizer (an Index holding the nlist centroids).")
        .def_property_readonly(
            "cp", [](IndexIVF& i) -> ClusteringParameters& { return i.cp; },
            py::return_value_policy::reference_internal,
            "k-means settings used by train() (IVF defaults: niter=10, spherical for IP).")
        .def("merge_from", &IndexIVF::merge_from, "other"_a, "add_id"_a = 0,
             py::call_guard<py::gil_scoped_release>(),
             "Moves every entry of other (an IVF index of the same type, with the same coarse "
             "centroids and encoder: e.g. a copy of one trained index, filled elsewhere) into "
             "this one, ids shifted by add_id; other is left empty. ValueError, nothing moved, "
             "on any mismatch.")
        .def(
            "copy_lists_from",
            [](IndexIVF& self, const Index& other, py::handle lists, int64_t add_id) {
                auto a = as_ids(lists, -1, "list_nos");
                std::vector<idx_t> l(a.data(), a.data() + a.shape(0));
                py::gil_scoped_release release;
                self.copy_lists_from(other, l, add_id);
            },
            "other"_a, "list_nos"_a, "add_id"_a = 0,
            "Copies the entries of other's inverted lists list_nos into this index (checked as "
            "merge_from; other unchanged), ids shifted by add_id: re-cutting shards by list.")
        .def("check_compatible_for_merge", &IndexIVF::check_compatible_for_merge, "other"_a,
             "The checks of merge_from (ValueError naming the mismatch), nothing moved.")
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
                IndexReadScope r(self);  // not while another thread adds
                return list_ids_array(*self.invlists, l);
            },
            "list_no"_a, "Ids stored in inverted list list_no (a copy).")
        .def(
            "get_list_codes",
            [](const IndexIVF& self, int64_t l) {
                IndexReadScope r(self);
                return list_codes_array(*self.invlists, l);
            },
            "list_no"_a, "Codes of inverted list list_no as a (size, code_size) uint8 array.")
        .def(
            "add_preassigned",
            [](IndexIVF& self, py::handle x, py::handle a, py::handle ids) {
                FloatArray xa = as_matrix(x, self.d, "x");
                const idx_t n = xa.shape(0);
                auto la = as_ids(a, n, "list numbers");
                py::array_t<int64_t, py::array::c_style | py::array::forcecast> ia;
                if (!ids.is_none()) ia = as_ids(ids, n, "ids");
                const idx_t* ip = ids.is_none() ? nullptr : ia.data();
                py::gil_scoped_release release;
                self.add_preassigned(n, xa.data(), ip, la.data());
            },
            "x"_a, "list_nos"_a, "ids"_a = py::none(),
            "Add x to the given lists (list_nos: one per row, -1 = skip) instead of the "
            "quantizer's choice; ids default to ntotal, ntotal+1, ...")
        .def(
            "search_preassigned",
            [](const IndexIVF& self, py::handle x, py::handle k_obj, py::handle assign,
               py::handle coarse_dis, py::handle params) {
                FloatArray xa = as_matrix(x, self.d, "x");
                const idx_t n = xa.shape(0), k = check_k(k_obj);
                IdMatrix aa = list_nos_matrix(assign, n);
                const size_t np = size_t(aa.shape(1));
                FloatArray cd;
                if (!coarse_dis.is_none()) {
                    cd = as_matrix(coarse_dis, int64_t(np), "coarse_dis");
                    if (cd.shape(0) != n)
                        throw py::value_error("coarse_dis must have the shape of list_nos");
                }
                const idx_t kout = result_columns(n, k);
                py::array_t<float> D({n, kout});
                py::array_t<int64_t> I({n, kout});
                const float* cdp = coarse_dis.is_none() ? nullptr : cd.data();
                const SearchParameters* sp = as_params(params);
                float* Dp = D.mutable_data();
                idx_t* Ip = I.mutable_data();
                {
                    py::gil_scoped_release release;
                    self.search_preassigned_checked(n, xa.data(), k, np, aa.data(), cdp, Dp, Ip,
                                                    sp);
                }
                return py::make_tuple(D, I);
            },
            "x"_a, "k"_a, "list_nos"_a, "coarse_dis"_a = py::none(), py::kw_only(),
            "params"_a = py::none(),
            "Search only the given lists: list_nos (n, nprobe) int (-1 = none), coarse_dis "
            "(n, nprobe) the query-to-centroid distances (zeros when None). Returns (D, I).")
        .def(
            "replace_quantizer",
            [](IndexIVF& self, Index* q) {
                py::gil_scoped_release release;
                self.replace_quantizer(q);
            },
            "quantizer"_a, py::keep_alive<1, 2>(),
            "Use q (trained, holding the same nlist centroids) as coarse quantizer. The index "
            "keeps q and the old quantizer alive.");
    py::class_<IndexIVFFlat, IndexIVF>(m, "IndexIVFFlat", R"doc(
IndexIVFFlat(quantizer, d, nlist, metric=METRIC_L2)

Inverted file with full vectors: k-means (on train) splits the space into nlist cells;
search scans the nprobe nearest cells exactly. The index keeps `quantizer` alive.
With few vectors in the probed cells, results are padded with -1 labels.)doc")
        .def(py::init([](Index* quantizer, int64_t d, int64_t nlist, int metric) {
                 return std::make_unique<IndexIVFFlat>(quantizer, d, narrow<size_t>(nlist, "nlist"),
                                                       MetricType(metric));
             }),
             "quantizer"_a, "d"_a, "nlist"_a, "metric"_a = int(METRIC_L2), py::keep_alive<1, 2>());

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
            const idx_t n = q.shape(0), nb = b.shape(0);
            const idx_t kout = result_columns(n, k);
            py::array_t<float> D({n, kout});
            py::array_t<int64_t> I({n, kout});
            const float *qp = q.data(), *bp = b.data();
            float* Dp = D.mutable_data();
            idx_t* Ip = I.mutable_data();
            {
                py::gil_scoped_release release;
                knn_search(MetricType(metric), qp, bp, size_t(b.shape(1)), size_t(n), size_t(nb),
                           size_t(k), Dp, Ip);
            }
            return py::make_tuple(D, I);
        },
        "xq"_a, "xb"_a, "k"_a, "metric"_a = int(METRIC_L2),
        "Exact k-NN of the rows of xq among the rows of xb without building an index;\n"
        "returns (D, I) like Index.search.");
}

}  // namespace faisslike_py
