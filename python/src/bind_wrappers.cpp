// Indexes over other indexes: IndexIDMap(2), IndexPreTransform, IndexRefineFlat, IndexShards.
#include "common.h"

#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexPreTransform.h"
#include "faisslike/IndexRefine.h"
#include "faisslike/IndexRowwiseMinMax.h"
#include "faisslike/IndexShards.h"

namespace faisslike_py {

using namespace faisslike;

void bind_wrappers(py::module_& m) {
    py::class_<SearchParametersRefine, SearchParameters>(
        m, "SearchParametersRefine", py::dynamic_attr(),
        "SearchParametersRefine(k_factor=0, base_params=None): k_factor for this call (0 = the "
        "index's), and parameters for the base index (e.g. SearchParametersIVF).")
        .def(py::init([](float k_factor, SearchParameters* base) {
                 auto p = std::make_unique<SearchParametersRefine>();
                 p->k_factor = k_factor;
                 p->base_params = base;
                 return p;
             }),
             "k_factor"_a = 0.0f, "base_params"_a = nullptr, py::keep_alive<1, 3>())
        .def_readwrite("k_factor", &SearchParametersRefine::k_factor,
                       "The base index returns k * k_factor candidates, re-ranked exactly.");

    py::class_<IndexRefineFlat, Index>(m, "IndexRefineFlat", R"doc(
IndexRefineFlat(base_index, k_factor=1.0): the base index (empty, e.g. an IndexIVFPQ) proposes
k * k_factor candidates per query, re-ranked with exact distances from a stored copy of the
vectors. Keeps base_index alive.)doc")
        .def(py::init([](Index* base, float k_factor) {
                 auto r = std::make_unique<IndexRefineFlat>(base);
                 r->set_k_factor(k_factor);
                 return r;
             }),
             "base_index"_a, "k_factor"_a = 1.0f, py::keep_alive<1, 2>())
        .def_property(
            "k_factor", [](const IndexRefineFlat& r) { return r.k_factor; },
            [](IndexRefineFlat& r, float v) { r.set_k_factor(v); },
            "Candidates re-ranked exactly: k * k_factor.")
        .def_property_readonly(
            "base_index", [](IndexRefineFlat& r) { return r.base_index.get(); },
            py::return_value_policy::reference_internal, "The index that proposes candidates.");

    py::class_<IndexRowwiseMinMax, Index>(m, "IndexRowwiseMinMax", R"doc(
IndexRowwiseMinMax(index): a standalone codec that scales each vector to [0, 1] by its own min
and max before `index`'s codec (sa_encode / sa_decode; the code starts with the float32 scale
and offset). train / sa_encode / sa_decode only: add and search raise RuntimeError, as FAISS.
Keeps `index` alive.)doc")
        .def(py::init([](Index* index) { return std::make_unique<IndexRowwiseMinMax>(index); }),
             "index"_a, py::keep_alive<1, 2>())
        .def_property_readonly(
            "index", [](IndexRowwiseMinMax& i) { return i.index.get(); },
            py::return_value_policy::reference_internal, "The wrapped codec index.");
    py::class_<IndexRowwiseMinMaxFP16, IndexRowwiseMinMax>(m, "IndexRowwiseMinMaxFP16", R"doc(
IndexRowwiseMinMaxFP16(index): IndexRowwiseMinMax with the scale and offset stored as float16.)doc")
        .def(py::init([](Index* index) { return std::make_unique<IndexRowwiseMinMaxFP16>(index); }),
             "index"_a, py::keep_alive<1, 2>());

    py::class_<IndexIDMap, Index>(m, "IndexIDMap", R"doc(
IndexIDMap(index): user ids on top of an (empty) index. add_with_ids(x, ids) only; search
returns the user ids and SearchParameters.sel selects user ids. Duplicate ids are allowed.
Keeps `index` alive.)doc")
        .def(py::init([](Index* index) { return std::make_unique<IndexIDMap>(index); }), "index"_a,
             py::keep_alive<1, 2>())
        .def_property_readonly(
            "index", [](IndexIDMap& i) { return i.index.get(); },
            py::return_value_policy::reference_internal, "The wrapped index.")
        .def(
            "compact",
            [](IndexIDMap& self) {
                py::gil_scoped_release release;
                return self.compact();
            },
            "Free the entries removed by remove_ids or replaced by add_with_ids(replace=True)\n"
            "from the wrapped index (id_map follows; searches wait meanwhile); returns the count.")
        .def_property_readonly("num_dead", &IndexIDMap::num_dead,
                               "Entries removed or replaced and not yet freed (compact()).")
        .def_property("max_dead_fraction", &IndexIDMap::max_dead_fraction,
                      &IndexIDMap::set_max_dead_fraction,
                      "The next write compacts once dead entries exceed this fraction of the "
                      "stored ones (default 0.5; >= 1: only compact()).")
        .def_property_readonly(
            "id_map",
            [](const IndexIDMap& i) {
                py::array_t<int64_t> out(py::ssize_t(i.id_map.size()));
                if (!i.id_map.empty())
                    std::memcpy(out.mutable_data(), i.id_map.data(), i.id_map.size() * 8);
                return out;
            },
            "User id of each vector of the wrapped index (a copy).");
    py::class_<IndexIDMap2, IndexIDMap>(m, "IndexIDMap2", R"doc(
IndexIDMap2(index): IndexIDMap that also maps ids back, so reconstruct(id) works. Ids must be
unique: add_with_ids raises RuntimeError naming a duplicate (and adds nothing).)doc")
        .def(py::init([](Index* index) { return std::make_unique<IndexIDMap2>(index); }), "index"_a,
             py::keep_alive<1, 2>());

    py::class_<IndexPreTransform, Index>(m, "IndexPreTransform", R"doc(
IndexPreTransform(transform, index) or IndexPreTransform(index): inputs go through the chain of
vector transforms (PCAMatrix, RandomRotationMatrix, LinearTransform, NormalizationTransform)
before `index` sees them. train() trains untrained transforms first. Keeps both alive.)doc")
        .def(py::init([](std::shared_ptr<VectorTransform> vt, Index* index) {
                 return std::make_unique<IndexPreTransform>(std::move(vt), index);
             }),
             "transform"_a, "index"_a, py::keep_alive<1, 3>())
        .def(py::init([](Index* index) { return std::make_unique<IndexPreTransform>(index); }),
             "index"_a, py::keep_alive<1, 2>())
        .def("sync_ntotal", &IndexPreTransform::sync_ntotal,
             "Take ntotal from the wrapped index (after filling it directly).")
        .def(
            "prepend_transform",
            [](IndexPreTransform& self, std::shared_ptr<VectorTransform> vt) {
                self.prepend_transform(std::move(vt));
            },
            "transform"_a, "Put a transform in front of the chain (its d_out = the current d).")
        .def_property_readonly(
            "chain",
            [](const IndexPreTransform& self) {
                py::list out;
                for (const auto& vt : self.chain) out.append(py::cast(vt));
                return out;
            },
            "The transforms, in order (shared with the index).")
        .def_property_readonly(
            "index", [](IndexPreTransform& i) { return i.index.get(); },
            py::return_value_policy::reference_internal, "The wrapped index.")
        .def(
            "apply_chain",
            [](const IndexPreTransform& self, py::handle x) {
                FloatArray xa = as_matrix(x, self.d, "x");
                const idx_t n = xa.shape(0);
                std::vector<float> out;
                {
                    py::gil_scoped_release release;
                    out = self.apply_chain(n, xa.data());
                }
                const idx_t dout = self.index->d;
                py::array_t<float> res({n, dout});
                if (!out.empty()) std::memcpy(res.mutable_data(), out.data(), out.size() * 4);
                return res;
            },
            "x"_a, "x (n, d) through the transforms: what the wrapped index sees.");

    py::class_<IndexShards, Index>(m, "IndexShards", R"doc(
IndexShards(d, successive_ids=True, metric=METRIC_L2): searches every shard (add_shard) in
parallel and merges the top-k. successive_ids: labels are positions in the concatenation of the
shards (add() splits vectors into contiguous parts); otherwise give ids with add_with_ids.
Keeps its shards alive.)doc")
        .def(py::init([](int64_t d, bool successive, int metric) {
                 return std::make_unique<IndexShards>(d, successive, MetricType(metric));
             }),
             "d"_a, "successive_ids"_a = true, "metric"_a = int(METRIC_L2))
        .def(
            "add_shard", [](IndexShards& self, Index* shard) { self.add_shard(shard); }, "shard"_a,
            py::keep_alive<1, 2>(),
            "Append a shard (an index of the same d and metric, kept alive).")
        .def_property_readonly(
            "nshards", [](const IndexShards& s) { return s.shards.size(); }, "Number of shards.")
        .def_readonly("successive_ids", &IndexShards::successive_ids,
                      "Shards hold successive id ranges (ids are shifted by the shards before).")
        .def(
            "at",
            [](IndexShards& s, int64_t i) {
                if (i < 0 || size_t(i) >= s.shards.size())
                    throw py::index_error("shard index out of range");
                return s.shards[size_t(i)].get();
            },
            py::return_value_policy::reference_internal, "i"_a, "Shard i.");

    m.def(
        "merge_knn_results",
        [](py::handle Dall, py::handle Iall, bool keep_max, py::handle offsets) {
            auto D = to_array<py::array_t<float, py::array::c_style | py::array::forcecast>>(Dall);
            py::array Iraw = to_array(Iall);
            if (Iraw.dtype().kind() != 'i' && Iraw.dtype().kind() != 'u')
                throw py::type_error("Iall must be an integer array");
            auto I =
                to_array<py::array_t<int64_t, py::array::c_style | py::array::forcecast>>(Iraw);
            if (D.ndim() != 3 || I.ndim() != 3)
                throw py::value_error("Dall and Iall must be 3-D arrays (nshard, n, k)");
            for (int a = 0; a < 3; ++a)
                if (D.shape(a) != I.shape(a))
                    throw py::value_error("Dall and Iall must have the same shape");
            const size_t ns = size_t(D.shape(0));
            const idx_t n = D.shape(1), k = D.shape(2);
            if (ns == 0 || k == 0) throw py::value_error("need at least one shard and k >= 1");
            std::vector<idx_t> off;
            if (!offsets.is_none()) {
                auto o = as_ids(offsets, int64_t(ns), "offsets");
                off.assign(o.data(), o.data() + ns);
            }
            py::array_t<float> Do({py::ssize_t(n), py::ssize_t(k)});
            py::array_t<int64_t> Io({py::ssize_t(n), py::ssize_t(k)});
            const float* dp = D.data();
            const idx_t* ip = I.data();
            float* dop = Do.mutable_data();
            idx_t* iop = Io.mutable_data();
            {
                py::gil_scoped_release release;
                merge_knn_results(n, k, ns, dp, ip, keep_max, off.empty() ? nullptr : off.data(),
                                  dop, iop);
            }
            return py::make_tuple(Do, Io);
        },
        "Dall"_a, "Iall"_a, "keep_max"_a = false, "offsets"_a = py::none(),
        "FAISS's merge_knn_results: the top-k of nshard result tables Dall / Iall of shape "
        "(nshard, n, k) (labels -1 = none) as (D, I) of shape (n, k); keep_max for inner "
        "products. offsets (one per shard): added to that shard's labels. The merge "
        "IndexShards uses.");
}

}  // namespace faisslike_py
