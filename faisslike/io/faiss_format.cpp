// FAISS's own file format (faiss.write_index / read_index), read and written for the types
// both libraries have. FAISS files have no magic, version or checksum: a record is a fourcc
// and raw fields, vectors are a size_t count then the elements, nested indexes follow
// recursively. The reader is as strict as ours: every count is checked against the bytes
// left before anything is allocated, nesting is bounded, and each index is checked the way
// our own records are (graph links, quantizer size, ids, finite values). Layout notes per
// type: docs/file-format.md ("FAISS files").
#include "faisslike/impl/IndexRecords.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "faisslike/IndexBinaryFlat.h"
#include "faisslike/IndexBinaryIDMap.h"
#include "faisslike/IndexBinaryIVF.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexIVFFlat.h"
#include "faisslike/IndexIVFPQ.h"
#include "faisslike/IndexPQ.h"
#include "faisslike/IndexPreTransform.h"
#include "faisslike/IndexRefine.h"
#include "faisslike/IndexScalarQuantizer.h"
#include "faisslike/VectorTransform.h"
#include "faisslike/index_io.h"

namespace faisslike {

namespace {

using records::check_finite_field;
using records::SectionReader;

uint32_t fourcc(const char* s) {
    uint32_t v;
    std::memcpy(&v, s, 4);
    return v;
}

std::string fourcc_name(uint32_t h) {
    std::string s(4, '?');
    for (int i = 0; i < 4; ++i) {
        const char c = char((h >> (8 * i)) & 0xff);
        s[size_t(i)] = c >= 32 && c < 127 ? c : '?';
    }
    return s;
}

// ---------------------------------------------------------------- reading

// Fourccs FAISS writes at the top of a file (ours and the ones we refuse by name): anything
// else is not a FAISS file at all.
bool known_faiss_fourcc(uint32_t h) {
    static const char* const kKnown[] = {
        "IxF2", "IxFI", "IxFl", "IxFP", "IxFp", "IxPq", "IxPQ", "IxPo", "IxSQ", "IxHE", "IxHe",
        "IxRQ", "IxRq", "IxLS", "IxPR", "IxPL", "ImRQ", "IxLa", "Imiq", "Ix2L", "IxPT", "IxRF",
        "IxRP", "IxMp", "IxM2", "IwFl", "IwFL", "IvFl", "IvFL", "IwFd", "IwPn", "IwP2", "IwPQ",
        "IvPQ", "IwQR", "IvQR", "IwSQ", "IwSq", "IvSQ", "IwLS", "IwRQ", "IwPL", "IwPR", "IwSh",
        "IwIQ", "IHNf", "IHNp", "IHNs", "IHN2", "IHNc", "IHc2", "IHfP", "IH00", "INSf", "INSp",
        "INSs", "INNf", "IPfs", "IwPf", "IRMf", "IRMh", "IxEd", "IxEe", "IwEd", "IwEe", "Ixrq",
        "Ixrr", "Iwrq", "Iwrr", "Iwrn", "ILfs", "IRfs", "IPRf", "IPLf", "IVLf", "IVRf", "NPLf",
        "NPRf", "IBxF", "IBwF", "IBFf", "IBHf", "IBHc", "IBMp", "IBM2", "IBHh", "IBHm", "null"};
    for (const char* k : kKnown)
        if (fourcc(k) == h) return true;
    return false;
}

struct FaissReader {
    SectionReader s;
    int depth = 0;
    // Whether a flat record read now may use a mapped file's bytes in place: only where its
    // owner reaches it through the Index contract (top level, IDMap, PreTransform), because
    // FAISS's layout leaves the floats misaligned and only the kernels and the flat index
    // itself read such rows (with unaligned loads).
    bool flat_in_place = true;
    int64_t n_in_place = 0;       // flat records mapped in place so far
    const char* field = "index";  // where the record being read sits (inspect_index_file)

    template <class T>
    T get(const char* field) {
        return s.get<T>(field);
    }
    bool get_bool(const char* field) {
        const uint8_t v = s.get<uint8_t>(field);
        if (v > 1) s.fail(format_string("invalid bool byte %u in '%s'", unsigned(v), field));
        return v == 1;
    }
    // A FAISS vector: size_t count (checked against `expected` unless ~0, and against the
    // bytes left before allocating), then the elements: our records' array reader.
    template <class V>
    void vec(V& out, uint64_t expected, const char* field) {
        const uint64_t n = s.get<uint64_t>(field);
        records::read_array_body(s, out, n, expected == ~uint64_t(0) ? n : expected, field);
    }
    [[noreturn]] void fail(const std::string& m) { s.fail(m); }
};

struct FHeader {
    int d;
    idx_t ntotal;
    bool is_trained;
    MetricType metric;
};

FHeader read_header(FaissReader& f) {
    FHeader h;
    h.d = f.get<int32_t>("d");
    h.ntotal = f.get<int64_t>("ntotal");
    f.get<int64_t>("dummy");
    f.get<int64_t>("dummy");
    h.is_trained = f.get_bool("is_trained");
    const int32_t m = f.get<int32_t>("metric_type");
    if (h.d <= 0 || h.d > kMaxDim) f.fail(format_string("invalid dimension d=%d", h.d));
    if (h.ntotal < 0) f.fail(format_string("invalid ntotal %lld", (long long)h.ntotal));
    if (m != METRIC_L2 && m != METRIC_INNER_PRODUCT)
        f.fail(format_string("metric type %d is not supported (only L2 and inner product)", m));
    h.metric = MetricType(m);
    return h;
}

std::unique_ptr<Index> read_rec(FaissReader& f);

// An index holding mapped bytes (or wrapping one that does) checks the file at every call,
// like the indexes of our own mapped files.
std::unique_ptr<Index> read_watched(FaissReader& f) {
    const int64_t before = f.n_in_place;
    records::InspectScope inspect("", f.field, f.s.r->position());  // the fourcc names it
    std::unique_ptr<Index> idx = read_rec(f);
    if (f.n_in_place != before) idx->set_mapped_file(f.s.r->mapped_file());
    const auto& rec = *idx;  // typeid of a named reference: no side effect to warn about
    inspect.done(typeid(rec), f.s.r->position());
    return idx;
}

std::unique_ptr<Index> read_nested(FaissReader& f, const char* what, bool flat_in_place = false) {
    if (f.depth >= records::kMaxDepth)
        f.fail(format_string("nesting deeper than %d indexes at '%s'", records::kMaxDepth, what));
    ++f.depth;
    const bool saved = f.flat_in_place;
    f.flat_in_place = flat_in_place;
    const char* saved_field = f.field;
    f.field = what;
    std::unique_ptr<Index> idx = read_watched(f);
    f.field = saved_field;
    f.flat_in_place = saved;
    --f.depth;
    return idx;
}

void read_pq(FaissReader& f, int d, uint64_t& M, uint64_t& nbits) {
    records::read_pq_params(f.s, d, M, nbits);
}

void read_pq_centroids(FaissReader& f, ProductQuantizer& pq, bool trained) {
    std::vector<float> c;
    f.vec(c, ~uint64_t(0), "pq_centroids");
    if (c.empty()) {
        if (trained) f.fail("trained index without PQ centroids");
        return;
    }
    if (c.size() != pq.d * pq.ksub) f.fail("PQ centroids size differs from d x ksub");
    check_finite_field(f.s, c, "pq_centroids");
    pq.set_centroids(c.data());
}

// FAISS decodes SQ code c as vmin + (c + 0.5) / (2^bits - 1) * vdiff; ours divides by 2^bits:
// the same decoding with vdiff scaled by 2^bits / (2^bits - 1) (and the same codes on encode).
float sq_vdiff_scale(const ScalarQuantizer& sq) {
    const float levels = float(1u << sq.bits());
    return levels / (levels - 1.0f);
}

ScalarQuantizer read_sq(FaissReader& f, const FHeader& h) {
    const int32_t qt = f.get<int32_t>("sq_qtype");
    if (!ScalarQuantizer::valid_type(qt))
        f.fail(format_string("scalar quantizer type %d is not supported", qt));
    f.get<int32_t>("rangestat");
    f.get<float>("rangestat_arg");
    const uint64_t d = f.get<uint64_t>("sq_d");
    const uint64_t code_size = f.get<uint64_t>("sq_code_size");
    ScalarQuantizer sq{size_t(h.d), ScalarQuantizer::QuantizerType(qt)};
    if (d != uint64_t(h.d) || code_size != sq.code_size)
        f.fail("scalar quantizer d / code_size do not match the index");
    std::vector<float> trained;
    f.vec(trained, ~uint64_t(0), "sq_trained");
    const size_t nr = sq.n_ranges();
    if (!trained.empty() || (h.is_trained && nr)) {
        if (trained.size() != 2 * nr)
            f.fail(format_string("scalar quantizer holds %zu trained values, expected %zu",
                                 trained.size(), 2 * nr));
        const float k = sq_vdiff_scale(sq);
        sq.vmin.assign(trained.begin(), trained.begin() + long(nr));
        sq.vdiff.resize(nr);
        for (size_t j = 0; j < nr; ++j) sq.vdiff[j] = trained[nr + j] * k;
        try {
            sq.validate();
        } catch (const Error& e) {
            f.fail(e.what());
        }
    }
    sq.update_scale();
    return sq;
}

void read_codes(FaissReader& f, LiveArray<uint8_t>& codes, idx_t ntotal, size_t code_size) {
    f.vec(codes, uint64_t(ntotal) * code_size, "codes");
}

// IVF: header, nlist, nprobe, quantizer, direct map.
struct FIVF {
    FHeader h;
    uint64_t nlist, nprobe;
    std::unique_ptr<Index> quantizer;
    uint8_t dm;
};

// nlist and nprobe of an IVF head (float or binary). Lists cost memory before anything of
// them is read: a trained index's quantizer holds nlist centroids (at least
// `centroid_bytes` each) in the bytes left; beyond that, up to 2^22 lists (an untrained
// index, or a multi-index quantizer's virtual centroids). nprobe is clamped to our range.
void read_ivf_counts(FaissReader& f, uint64_t centroid_bytes, FIVF& v) {
    v.nlist = f.get<uint64_t>("nlist");
    v.nprobe = f.get<uint64_t>("nprobe");
    if (v.nlist < 1 || v.nlist > (uint64_t(1) << 31))
        f.fail(format_string("invalid nlist %llu", (unsigned long long)v.nlist));
    if (v.nlist > std::max<uint64_t>(f.s.left / centroid_bytes, uint64_t(1) << 22))
        f.fail(format_string("nlist %llu cannot fit in the %llu bytes left",
                             (unsigned long long)v.nlist, (unsigned long long)f.s.left));
    v.nprobe = std::min<uint64_t>(std::max<uint64_t>(v.nprobe, 1), IndexIVF::kMaxNprobe);
}

// FAISS's direct map: the type, then its contents, which are skipped (rebuilt from the lists).
uint8_t read_direct_map(FaissReader& f) {
    const uint8_t dm = f.get<uint8_t>("direct_map_type");
    if (dm > DirectMap::Hashtable) f.fail(format_string("invalid direct map type %u", dm));
    std::vector<idx_t> skipped;
    f.vec(skipped, ~uint64_t(0), "direct_map_array");
    if (dm == DirectMap::Hashtable) {
        const uint64_t n = f.get<uint64_t>("direct_map_hashtable");  // (id, lo) pairs
        if (n > f.s.left / 16) f.fail("direct map hashtable larger than the bytes left");
        records::read_array_body(f.s, skipped, 2 * n, 2 * n, "direct_map_hashtable");
    }
    return dm;
}

FIVF read_ivf_head(FaissReader& f) {
    FIVF v;
    v.h = read_header(f);
    read_ivf_counts(f, 4, v);
    v.quantizer = read_nested(f, "quantizer");
    if (v.quantizer->d != v.h.d) f.fail("quantizer dimension differs from the index");
    if (v.h.is_trained && uint64_t(v.quantizer->ntotal) != v.nlist)
        f.fail(
            format_string("trained index but the quantizer holds %lld centroids for "
                          "nlist=%llu",
                          (long long)v.quantizer->ntotal, (unsigned long long)v.nlist));
    v.dm = read_direct_map(f);
    return v;
}

// "ilar" array inverted lists (full or sparse sizes), codes then ids per non-empty list.
void read_invlists_into(FaissReader& f, const FIVF& v, size_t code_size,
                        std::unique_ptr<InvertedLists>& out) {
    const uint32_t h = f.get<uint32_t>("invlists_type");
    if (h == fourcc("il00")) f.fail("the file holds no inverted lists (il00)");
    if (h != fourcc("ilar"))
        f.fail(format_string("inverted lists type '%s' is not supported", fourcc_name(h).c_str()));
    const uint64_t nlist = f.get<uint64_t>("invlists_nlist");
    const uint64_t cs = f.get<uint64_t>("invlists_code_size");
    if (nlist != v.nlist || cs != code_size)
        f.fail("inverted lists nlist / code_size differ from the index");
    const uint32_t lt = f.get<uint32_t>("list_type");
    std::vector<uint64_t> sizes(size_t(nlist), 0);
    if (lt == fourcc("full")) {
        f.vec(sizes, nlist, "list_sizes");
    } else if (lt == fourcc("sprs")) {
        std::vector<uint64_t> pairs;
        f.vec(pairs, ~uint64_t(0), "list_sizes_sparse");
        if (pairs.size() % 2) f.fail("odd sparse list size table");
        for (size_t j = 0; j < pairs.size(); j += 2) {
            if (pairs[j] >= nlist) f.fail("sparse list number out of range");
            sizes[size_t(pairs[j])] = pairs[j + 1];
        }
    } else {
        f.fail(format_string("unknown list size type '%s'", fourcc_name(lt).c_str()));
    }
    auto il = std::make_unique<ArrayInvertedLists>(size_t(nlist), size_t(cs));
    uint64_t total = 0;
    for (size_t l = 0; l < nlist; ++l) {
        const uint64_t n = sizes[l];
        if (n > 0xffffffffull || n > f.s.left / (cs + 8))
            f.fail(format_string("list %zu claims %llu entries, more than the bytes left allow", l,
                                 (unsigned long long)n));
        il->codes[l].resize(size_t(n * cs));
        f.s.get_bytes(il->codes[l].data(), n * cs, "list_codes");
        il->ids[l].resize(size_t(n));
        f.s.get_bytes(il->ids[l].data(), n * 8, "list_ids");
        for (idx_t id : il->ids[l])
            if (id < 0) f.fail(format_string("list %zu holds invalid id %lld", l, (long long)id));
        total += n;
    }
    if (total != uint64_t(v.h.ntotal))
        f.fail(format_string("lists hold %llu vectors but ntotal=%lld", (unsigned long long)total,
                             (long long)v.h.ntotal));
    out = std::move(il);
}

// The lists, then the IVF's state (float or binary IVF: the same members).
template <class IVF>
void read_invlists(FaissReader& f, IVF& ivf, const FIVF& v) {
    read_invlists_into(f, v, size_t(ivf.code_size), ivf.invlists);
    if (v.h.is_trained) {
        try {
            ivf.check_quantizer();
        } catch (const Error& e) {
            f.fail(e.what());
        }
    }
    ivf.ntotal = v.h.ntotal;
    ivf.nprobe = size_t(v.nprobe);
    ivf.is_trained = v.h.is_trained;
    try {
        ivf.set_direct_map_type(DirectMap::Type(v.dm));
    } catch (const Error& e) {
        f.fail(e.what());
    }
}

// FAISS's HNSW: levels[i] = number of levels of node i, one neighbour block per node
// (cum_nneighbor_per_level[levels[i]] entries, -1 for unused), 2M at level 0 and M above.
void read_hnsw_graph(FaissReader& f, HNSW*& out_graph, int& M_out, idx_t ntotal,
                     std::unique_ptr<HNSW>& graph) {
    std::vector<double> probas;
    std::vector<int32_t> cum, levels;
    std::vector<uint64_t> offsets;
    f.vec(probas, ~uint64_t(0), "assign_probas");
    f.vec(cum, ~uint64_t(0), "cum_nneighbor_per_level");
    f.vec(levels, uint64_t(ntotal), "levels");
    f.vec(offsets, uint64_t(ntotal) + 1, "offsets");
    if (cum.size() < 2 || cum[0] != 0) f.fail("invalid cum_nneighbor_per_level");
    for (size_t i = 1; i < cum.size(); ++i)
        if (cum[i] < cum[i - 1]) f.fail("cum_nneighbor_per_level is not increasing");
    const int M0 = cum[1];
    const int M = cum.size() > 2 ? cum[2] - cum[1] : M0 / 2;
    if (M < 2 || M > 512 || M0 != 2 * M)
        f.fail(
            format_string("HNSW with %d links at level 0 and %d above: only 2M / M is "
                          "supported",
                          M0, M));
    for (size_t i = 2; i < cum.size(); ++i)
        if (cum[i] - cum[i - 1] != M) f.fail("HNSW upper levels of unequal size");
    graph = std::make_unique<HNSW>(M);
    HNSW& g = *graph;
    g.levels.resize(size_t(ntotal));
    for (idx_t i = 0; i < ntotal; ++i) {
        const int32_t l = levels[size_t(i)];
        if (l < 1 || size_t(l) >= cum.size() || l > 31)
            f.fail(format_string("node %lld has %d levels", (long long)i, l));
        g.levels[size_t(i)] = int8_t(l - 1);
        if (offsets[size_t(i) + 1] != offsets[size_t(i)] + uint64_t(cum[size_t(l)]))
            f.fail(format_string("HNSW offsets of node %lld inconsistent", (long long)i));
    }
    // The neighbour array is the nodes' blocks in order (the offsets say so): read each
    // level's block straight into its row, [count, ids...], count = entries before a -1.
    const uint64_t nnb = f.get<uint64_t>("neighbors");
    if (offsets[0] != 0 || nnb != offsets[size_t(ntotal)])
        f.fail("HNSW offsets do not cover the neighbour array");
    if (nnb > f.s.left / 4) f.fail("HNSW neighbour array larger than the bytes left");
    g.links0.resize(size_t(ntotal) * size_t(2 * M + 1));
    g.links_upper.resize(g.compute_upper_offsets());
    for (idx_t i = 0; i < ntotal; ++i) {
        for (int l = 0; l <= g.levels[size_t(i)]; ++l) {
            const int cap = g.capacity(l);
            int32_t* row = g.mutable_row(i, l);
            f.s.get_bytes(row + 1, uint64_t(cap) * 4, "neighbors");
            int cnt = 0;
            while (cnt < cap && row[1 + cnt] >= 0) ++cnt;
            row[0] = cnt;
        }
    }
    const int32_t ep = f.get<int32_t>("entry_point");
    const int32_t max_level = f.get<int32_t>("max_level");
    const int32_t efc = f.get<int32_t>("efConstruction");
    const int32_t efs = f.get<int32_t>("efSearch");
    f.get<int32_t>("upper_beam");
    if (efc < 1 || efs < 1) f.fail("invalid efConstruction / efSearch");
    g.efConstruction = efc;
    g.efSearch = efs;
    g.entry_point = ntotal == 0 ? -1 : ep;
    g.max_level = ntotal == 0 ? -1 : max_level;
    g.publish_entry();
    // FAISS never repairs level 0 (IndexHNSW.cpp, repair_level0): the first add does.
    g.unrepaired = int64_t(ntotal);
    try {
        g.validate(ntotal);
    } catch (const Error& e) {
        f.fail(e.what());
    }
    out_graph = &g;
    M_out = M;
}

std::unique_ptr<VectorTransform> read_transform(FaissReader& f) {
    const uint32_t h = f.get<uint32_t>("transform_type");
    std::unique_ptr<VectorTransform> vt;
    struct Linear {
        bool have_bias = false;
        std::vector<float> A, b;
    } lin;
    float eigen_power = 0, epsilon = 0;
    bool random_rotation = false;
    std::vector<float> mean, eig, pcamat;
    uint32_t seed = 0;
    float norm = 2;
    const bool pca = h == fourcc("PCAm") || h == fourcc("PcAm") || h == fourcc("Pcam");
    if (h == fourcc("rrot") || h == fourcc("LTra") || pca) {
        if (pca) {
            eigen_power = f.get<float>("eigen_power");
            if (h == fourcc("Pcam")) epsilon = f.get<float>("epsilon");
            random_rotation = f.get_bool("random_rotation");
            if (h != fourcc("PCAm")) f.get<int32_t>("balanced_bins");
            f.vec(mean, ~uint64_t(0), "mean");
            f.vec(eig, ~uint64_t(0), "eigenvalues");
            f.vec(pcamat, ~uint64_t(0), "PCAMat");
        }
        lin.have_bias = f.get_bool("have_bias");
        f.vec(lin.A, ~uint64_t(0), "A");
        f.vec(lin.b, ~uint64_t(0), "b");
    } else if (h == fourcc("VNrm")) {
        norm = f.get<float>("norm");
    } else if (h == fourcc("HRot")) {
        seed = f.get<uint32_t>("seed");
    } else {
        f.fail(format_string("vector transform '%s' is not supported", fourcc_name(h).c_str()));
    }
    const int32_t din = f.get<int32_t>("d_in"), dout = f.get<int32_t>("d_out");
    const bool trained = f.get_bool("transform_is_trained");
    if (din <= 0 || din > kMaxDim || dout <= 0 || dout > kMaxDim)
        f.fail(format_string("invalid transform dimensions %d -> %d", din, dout));
    if (h == fourcc("VNrm")) {
        if (norm != 2.0f) f.fail("only L2 normalization is supported");
        if (din != dout) f.fail("normalization with d_in != d_out");
        return std::make_unique<NormalizationTransform>(din);
    }
    if (h == fourcc("HRot")) {
        auto hr = std::make_unique<HadamardRotation>(din, seed);
        if (hr->d_out != dout) f.fail("HadamardRotation d_out is not the next power of 2");
        return hr;
    }
    std::unique_ptr<LinearTransform> lt;
    if (h == fourcc("rrot")) {
        if (lin.have_bias) f.fail("a random rotation has no bias");
        lt = std::make_unique<RandomRotationMatrix>(din, dout);
    } else if (pca) {
        if (dout > din) f.fail("PCA d_out exceeds d_in");
        auto p = std::make_unique<PCAMatrix>(din, dout, eigen_power, random_rotation);
        p->epsilon = epsilon;
        if (trained) {
            const uint64_t d = uint64_t(din);
            if (mean.size() != d || eig.size() != d || pcamat.size() != d * d)
                f.fail("PCA mean / eigenvalues / matrix sizes do not match d_in");
            check_finite_field(f.s, mean, "mean");
            check_finite_field(f.s, eig, "eigenvalues");
            check_finite_field(f.s, pcamat, "PCAMat");
            p->mean = mean;
            p->eigenvalues = eig;
            p->PCAMat = pcamat;
        }
        lt = std::move(p);
    } else {
        lt = std::make_unique<LinearTransform>(din, dout, lin.have_bias);
    }
    if (trained) {
        if (lin.A.size() != uint64_t(din) * uint64_t(dout) ||
            (lin.have_bias && lin.b.size() != uint64_t(dout)))
            f.fail("linear transform matrix / bias sizes do not match d_in x d_out");
        // PCA's bias is implied by its mean; FAISS stores it anyway.
        if (pca && !lin.have_bias) f.fail("a PCA transform has a bias");
        try {
            lt->set_matrix(lin.A.data(), lin.have_bias ? lin.b.data() : nullptr);
        } catch (const Error& e) {
            f.fail(e.what());
        }
    } else {
        lt->is_trained = false;
    }
    return lt;
}

std::unique_ptr<Index> read_rec(FaissReader& f) {
    const uint32_t h = f.get<uint32_t>("fourcc");
    if (h == fourcc("IxF2") || h == fourcc("IxFI") || h == fourcc("IxFl")) {
        FHeader hd = read_header(f);
        if (h == fourcc("IxF2") && hd.metric != METRIC_L2) f.fail("IxF2 with a non-L2 metric");
        if (h == fourcc("IxFI") && hd.metric != METRIC_INNER_PRODUCT)
            f.fail("IxFI with a non-inner-product metric");
        std::unique_ptr<IndexFlat> idx;
        if (hd.metric == METRIC_L2)
            idx = std::make_unique<IndexFlatL2>(hd.d);
        else
            idx = std::make_unique<IndexFlatIP>(hd.d);
        const uint64_t n = f.get<uint64_t>("codes");  // in floats
        if (hd.ntotal > idx_t(f.s.left / 4 / uint64_t(hd.d)) ||
            n != uint64_t(hd.ntotal) * uint64_t(hd.d))
            f.fail(format_string("flat codes hold %llu floats for ntotal=%lld x d=%d",
                                 (unsigned long long)n, (long long)hd.ntotal, hd.d));
        // Memory-mapped: the vectors stay in the file (O(1) in ntotal), unchecked for NaN, as
        // our own mapped files are (a non-finite row never ranks: comparisons with NaN fail).
        const uint8_t* p = f.flat_in_place ? f.s.view(n * 4, "codes") : nullptr;
        if (p) {
            idx->set_mapped(reinterpret_cast<const float*>(p), hd.ntotal, f.s.r->keepalive());
            ++f.n_in_place;
        } else {
            idx->codes.resize(size_t(n));
            f.s.get_bytes(idx->codes.data(), n * 4, "codes");
            for (size_t i = 0; i < n; ++i)
                if (!std::isfinite(idx->codes[i]))
                    f.fail(
                        format_string("flat vector %zu has a non-finite value", i / size_t(hd.d)));
        }
        idx->ntotal = hd.ntotal;
        return idx;
    }
    if (h == fourcc("IxPq") || h == fourcc("IxPQ") || h == fourcc("IxPo")) {
        FHeader hd = read_header(f);
        uint64_t M, nbits;
        read_pq(f, hd.d, M, nbits);
        // Old PQ files say inner product but meant L2 (FAISS forces L2 too).
        const MetricType metric = h == fourcc("IxPq") ? hd.metric : METRIC_L2;
        auto idx = std::make_unique<IndexPQ>(hd.d, size_t(M), size_t(nbits), metric);
        read_pq_centroids(f, idx->pq, hd.is_trained);
        read_codes(f, idx->codes, hd.ntotal, idx->code_size);
        if (h != fourcc("IxPQ")) {
            f.get<int32_t>("search_type");
            f.get<uint8_t>("encode_signs");
            f.get<int32_t>("polysemous_ht");
        }
        idx->ntotal = hd.ntotal;
        idx->is_trained = hd.is_trained && idx->pq.is_trained();
        if (hd.is_trained != idx->is_trained) f.fail("is_trained does not match the PQ");
        return idx;
    }
    if (h == fourcc("IxSQ")) {
        FHeader hd = read_header(f);
        ScalarQuantizer sq = read_sq(f, hd);
        auto idx = std::make_unique<IndexScalarQuantizer>(hd.d, sq.qtype, hd.metric);
        idx->sq = sq;
        read_codes(f, idx->codes, hd.ntotal, idx->code_size);
        idx->ntotal = hd.ntotal;
        idx->is_trained = hd.is_trained;
        if (hd.is_trained && !sq.is_trained()) f.fail("trained index without quantizer ranges");
        return idx;
    }
    if (h == fourcc("Imiq")) {
        FHeader hd = read_header(f);
        uint64_t M, nbits;
        read_pq(f, hd.d, M, nbits);
        if (M * nbits > 62 || hd.metric != METRIC_L2) f.fail("unsupported multi-index quantizer");
        auto mi = std::make_unique<MultiIndexQuantizer>(hd.d, size_t(M), size_t(nbits));
        read_pq_centroids(f, mi->pq, hd.is_trained);
        if (hd.ntotal != (hd.is_trained ? mi->n_centroids() : 0))
            f.fail("multi-index quantizer ntotal does not match its PQ");
        mi->ntotal = hd.ntotal;
        mi->is_trained = hd.is_trained;
        return mi;
    }
    if (h == fourcc("IwFl")) {
        FIVF v = read_ivf_head(f);
        auto ivf =
            std::make_unique<IndexIVFFlat>(v.quantizer.get(), v.h.d, size_t(v.nlist), v.h.metric);
        ivf->quantizer.set_owned(true);
        v.quantizer.release();
        read_invlists(f, *ivf, v);
        return ivf;
    }
    if (h == fourcc("IwPQ")) {
        FIVF v = read_ivf_head(f);
        const bool by_res = f.get_bool("by_residual");
        const uint64_t code_size = f.get<uint64_t>("code_size");
        uint64_t M, nbits;
        read_pq(f, v.h.d, M, nbits);
        auto ivf = std::make_unique<IndexIVFPQ>(v.quantizer.get(), v.h.d, size_t(v.nlist),
                                                size_t(M), size_t(nbits), v.h.metric);
        ivf->quantizer.set_owned(true);
        v.quantizer.release();
        if (code_size != ivf->code_size) f.fail("IVFPQ code_size does not match its PQ");
        ivf->by_residual = by_res;
        read_pq_centroids(f, ivf->pq, v.h.is_trained);
        read_invlists(f, *ivf, v);
        if (ivf->is_trained) ivf->precompute_table();
        return ivf;
    }
    if (h == fourcc("IwSq") || h == fourcc("IwSQ")) {
        FIVF v = read_ivf_head(f);
        ScalarQuantizer sq = read_sq(f, v.h);
        const uint64_t code_size = f.get<uint64_t>("code_size");
        const bool by_res = h == fourcc("IwSQ") ? true : f.get_bool("by_residual");
        if (code_size != sq.code_size) f.fail("IVFSQ code_size does not match its quantizer");
        if (v.h.is_trained && !sq.is_trained()) f.fail("trained index without quantizer ranges");
        auto ivf = std::make_unique<IndexIVFScalarQuantizer>(
            v.quantizer.get(), v.h.d, size_t(v.nlist), sq.qtype, v.h.metric, by_res);
        ivf->quantizer.set_owned(true);
        v.quantizer.release();
        ivf->sq = sq;
        read_invlists(f, *ivf, v);
        return ivf;
    }
    if (h == fourcc("IHNf") || h == fourcc("IHNs") || h == fourcc("IHNp")) {
        FHeader hd = read_header(f);
        std::unique_ptr<HNSW> graph;
        HNSW* g = nullptr;
        int M = 0;
        read_hnsw_graph(f, g, M, hd.ntotal, graph);
        std::unique_ptr<Index> st = read_nested(f, "storage");
        if (st->d != hd.d || st->ntotal != hd.ntotal || st->metric_type != hd.metric)
            f.fail("HNSW storage d, metric or ntotal differ from the index");
        if (h == fourcc("IHNf")) {
            auto* flat = dynamic_cast<IndexFlat*>(st.get());
            if (!flat) f.fail("HNSWFlat storage is not a flat index");
            auto idx = std::make_unique<IndexHNSWFlat>(hd.d, M, hd.metric);
            idx->storage.codes = std::move(flat->codes);
            idx->storage.ntotal = hd.ntotal;
            graph->level0_select_2M = true;
            idx->hnsw = std::move(*graph);
            idx->ntotal = hd.ntotal;
            return idx;
        }
        std::unique_ptr<IndexHNSWCodes> idx;
        if (auto* sq = dynamic_cast<IndexScalarQuantizer*>(st.get())) {
            if (h != fourcc("IHNs")) f.fail("HNSWPQ with a scalar quantizer storage");
            idx = std::make_unique<IndexHNSWSQ>(hd.d, sq->sq.qtype, M, hd.metric);
        } else if (auto* pq = dynamic_cast<IndexPQ*>(st.get())) {
            if (h != fourcc("IHNp")) f.fail("HNSWSQ with a PQ storage");
            idx =
                std::make_unique<IndexHNSWPQ>(hd.d, int(pq->pq.M), M, int(pq->pq.nbits), hd.metric);
        } else {
            f.fail("HNSW storage type does not match the record");
        }
        idx->storage.reset(static_cast<IndexFlatCodes*>(st.release()));
        idx->hnsw = std::move(*graph);
        idx->ntotal = hd.ntotal;
        idx->is_trained = hd.is_trained && idx->storage->is_trained;
        return idx;
    }
    if (h == fourcc("IxMp") || h == fourcc("IxM2")) {
        const bool two = h == fourcc("IxM2");
        FHeader hd = read_header(f);
        std::unique_ptr<Index> sub = read_nested(f, "index", true);
        std::vector<idx_t> ids;
        f.vec(ids, uint64_t(hd.ntotal), "id_map");
        for (idx_t id : ids)  // FAISS keeps no removed (-1) entries
            if (id < 0) f.fail(format_string("invalid id %lld", (long long)id));
        records::IndexHeader rh{hd.d, int32_t(hd.metric), hd.ntotal, hd.is_trained};
        return records::assemble_idmap(f.s, rh, std::move(sub), std::move(ids), two);
    }
    if (h == fourcc("IxRF")) {
        FHeader hd = read_header(f);
        std::unique_ptr<Index> base = read_nested(f, "base_index");
        std::unique_ptr<Index> refine = read_nested(f, "refine_index");
        const float kf = f.get<float>("k_factor");
        auto* flat = dynamic_cast<IndexFlat*>(refine.get());
        if (!flat) f.fail("only IndexRefineFlat (a flat refine index) is supported");
        records::IndexHeader rh{hd.d, int32_t(hd.metric), hd.ntotal, hd.is_trained};
        return records::assemble_refine(f.s, rh, std::move(base), *flat, kf);
    }
    if (h == fourcc("IxPT")) {
        FHeader hd = read_header(f);
        const int32_t nt = f.get<int32_t>("chain_length");
        if (nt < 0 || size_t(nt) > IndexPreTransform::kMaxChain)
            f.fail(format_string("transform chain of length %d", nt));
        std::vector<std::unique_ptr<VectorTransform>> chain;
        int cur = hd.d;
        for (int32_t i = 0; i < nt; ++i) {
            chain.push_back(read_transform(f));
            if (chain.back()->d_in != cur) f.fail("transform chain dimensions do not match");
            cur = chain.back()->d_out;
        }
        std::unique_ptr<Index> sub = read_nested(f, "index", true);
        if (sub->d != cur || sub->metric_type != hd.metric || sub->ntotal != hd.ntotal)
            f.fail("wrapped index dimension, metric or ntotal differ");
        auto pt = std::make_unique<IndexPreTransform>(sub.get());
        pt->index.set_owned(true);
        sub.release();
        for (size_t i = chain.size(); i-- > 0;) pt->prepend_transform(chain[i].release());
        pt->ntotal = hd.ntotal;
        pt->is_trained = hd.is_trained;
        for (const auto& vt : pt->chain)
            if (hd.is_trained && !vt->is_trained)
                f.fail("a trained index with an untrained transform");
        return pt;
    }
    if (h == fourcc("null")) f.fail("the file holds a null index");
    if (f.depth == 0 && !known_faiss_fourcc(h))
        f.fail(
            format_string("neither a faisslike index (bad magic bytes) nor a FAISS index "
                          "(unknown leading fourcc '%s')",
                          fourcc_name(h).c_str()));
    f.fail(format_string("FAISS index type '%s' is not supported by faisslike",
                         fourcc_name(h).c_str()));
}

// ---------------------------------------------------------------- binary indexes

struct FBHeader {
    int d;
    idx_t ntotal;
    bool is_trained;
};

FBHeader read_binary_header(FaissReader& f) {
    FBHeader h;
    h.d = f.get<int32_t>("d");
    const int32_t cs = f.get<int32_t>("code_size");
    h.ntotal = f.get<int64_t>("ntotal");
    h.is_trained = f.get_bool("is_trained");
    f.get<int32_t>("metric_type");
    if (h.d <= 0 || h.d % 8 || h.d > kMaxDim || cs != h.d / 8)
        f.fail(format_string("invalid binary dimension %d / code size %d", h.d, cs));
    if (h.ntotal < 0) f.fail(format_string("invalid ntotal %lld", (long long)h.ntotal));
    return h;
}

std::unique_ptr<IndexBinary> read_binary_rec(FaissReader& f);

std::unique_ptr<IndexBinary> read_binary_watched(FaissReader& f) {
    const int64_t before = f.n_in_place;
    records::InspectScope inspect("", f.field, f.s.r->position());  // the fourcc names it
    std::unique_ptr<IndexBinary> idx = read_binary_rec(f);
    if (f.n_in_place != before) idx->set_mapped_file(f.s.r->mapped_file());
    const auto& rec = *idx;  // typeid of a named reference: no side effect to warn about
    inspect.done(typeid(rec), f.s.r->position());
    return idx;
}

std::unique_ptr<IndexBinary> read_binary_nested(FaissReader& f, const char* what,
                                                bool flat_in_place = false) {
    if (f.depth >= records::kMaxDepth)
        f.fail(format_string("nesting deeper than %d indexes at '%s'", records::kMaxDepth, what));
    ++f.depth;
    const bool saved = f.flat_in_place;
    f.flat_in_place = flat_in_place;
    const char* saved_field = f.field;
    f.field = what;
    std::unique_ptr<IndexBinary> idx = read_binary_watched(f);
    f.field = saved_field;
    f.flat_in_place = saved;
    --f.depth;
    return idx;
}

std::unique_ptr<IndexBinary> read_binary_rec(FaissReader& f) {
    const uint32_t h = f.get<uint32_t>("fourcc");
    if (h == fourcc("IBxF")) {
        FBHeader hd = read_binary_header(f);
        auto idx = std::make_unique<IndexBinaryFlat>(hd.d);
        const uint64_t n = f.get<uint64_t>("xb");
        const uint64_t expected = uint64_t(hd.ntotal) * uint64_t(hd.d / 8);
        // Memory-mapped: the codes stay in the file, as a float flat's vectors do.
        const uint8_t* p = f.flat_in_place && n == expected && n > 0 ? f.s.view(n, "xb") : nullptr;
        if (p) {
            idx->set_mapped(p, hd.ntotal, f.s.r->keepalive());
            ++f.n_in_place;
        } else {
            records::read_array_body(f.s, idx->xb, n, expected, "xb");
        }
        idx->ntotal = hd.ntotal;
        return idx;
    }
    if (h == fourcc("IBwF")) {
        FBHeader hd = read_binary_header(f);
        // The float IVF's head and list readers, with binary centroids (1 byte at least).
        FIVF v;
        v.h = FHeader{hd.d, hd.ntotal, hd.is_trained, METRIC_L2};
        read_ivf_counts(f, 1, v);
        std::unique_ptr<IndexBinary> q = read_binary_nested(f, "quantizer");
        if (q->d != hd.d) f.fail("quantizer dimension differs from the index");
        if (hd.is_trained && uint64_t(q->ntotal) != v.nlist)
            f.fail("trained index but the quantizer does not hold nlist centroids");
        auto ivf = std::make_unique<IndexBinaryIVF>(q.get(), hd.d, size_t(v.nlist));
        ivf->own_fields = true;
        q.release();
        v.dm = read_direct_map(f);
        read_invlists(f, *ivf, v);
        return ivf;
    }
    if (h == fourcc("IBHf")) {
        FBHeader hd = read_binary_header(f);
        std::unique_ptr<HNSW> graph;
        HNSW* g = nullptr;
        int M = 0;
        read_hnsw_graph(f, g, M, hd.ntotal, graph);
        std::unique_ptr<IndexBinary> st = read_binary_nested(f, "storage");
        auto* flat = dynamic_cast<IndexBinaryFlat*>(st.get());
        if (!flat || flat->d != hd.d || flat->ntotal != hd.ntotal)
            f.fail("binary HNSW storage must be a flat binary index of the same d and ntotal");
        auto idx = std::make_unique<IndexBinaryHNSW>(hd.d, M);
        idx->storage.xb = std::move(flat->xb);
        idx->storage.ntotal = hd.ntotal;
        idx->hnsw = std::move(*graph);
        idx->ntotal = hd.ntotal;
        return idx;
    }
    if (h == fourcc("IBMp") || h == fourcc("IBM2")) {
        const bool two = h == fourcc("IBM2");
        FBHeader hd = read_binary_header(f);
        std::unique_ptr<IndexBinary> sub = read_binary_nested(f, "index", true);
        std::vector<idx_t> ids;
        f.vec(ids, uint64_t(hd.ntotal), "id_map");
        for (idx_t id : ids)
            if (id < 0) f.fail(format_string("invalid id %lld", (long long)id));
        return records::assemble_binary_idmap(f.s, hd.d, hd.ntotal, hd.is_trained, std::move(sub),
                                              std::move(ids), two);
    }
    if (f.depth == 0 && !known_faiss_fourcc(h))
        f.fail(
            format_string("neither a faisslike index (bad magic bytes) nor a FAISS binary "
                          "index (unknown leading fourcc '%s')",
                          fourcc_name(h).c_str()));
    f.fail(format_string("FAISS binary index type '%s' is not supported by faisslike",
                         fourcc_name(h).c_str()));
}

// ---------------------------------------------------------------- writing

struct FaissWriter {
    IOWriter* w;
    template <class T>
    void put(T v) {
        w->write(&v, sizeof(T));
    }
    template <class T>
    void vec(const T* p, size_t n) {
        put<uint64_t>(n);
        if (n) w->write(p, n * sizeof(T));
    }
    template <class V>
    void vec(const V& v) {
        vec(v.data(), v.size());
    }
    void tag(const char* t) { w->write(t, 4); }
};

void write_header(FaissWriter& f, const Index& idx) {
    f.put<int32_t>(idx.d);
    f.put<int64_t>(idx.ntotal);
    f.put<int64_t>(int64_t(1) << 20);
    f.put<int64_t>(int64_t(1) << 20);
    f.put<uint8_t>(idx.is_trained ? 1 : 0);
    f.put<int32_t>(int32_t(idx.metric_type));
}

void write_rec(FaissWriter& f, const Index* idx);

void write_pq(FaissWriter& f, const ProductQuantizer& pq) {
    f.put<uint64_t>(pq.d);
    f.put<uint64_t>(pq.M);
    f.put<uint64_t>(pq.nbits);
    f.vec(pq.centroids);
}

void write_sq(FaissWriter& f, const ScalarQuantizer& sq) {
    f.put<int32_t>(int32_t(sq.qtype));
    f.put<int32_t>(0);  // RS_minmax
    f.put<float>(0.0f);
    f.put<uint64_t>(sq.d);
    f.put<uint64_t>(sq.code_size);
    std::vector<float> trained;
    if (sq.needs_training() && sq.is_trained()) {
        const float k = sq_vdiff_scale(sq);
        trained = sq.vmin;
        for (float v : sq.vdiff) trained.push_back(v / k);
    }
    f.vec(trained);
}

// The direct map as FAISS keeps it (list << 32 | offset per id).
void write_direct_map(FaissWriter& f, DirectMap::Type type, const InvertedLists& il, idx_t ntotal) {
    f.put<uint8_t>(uint8_t(type));
    std::vector<idx_t> array;
    std::vector<idx_t> pairs;
    if (type != DirectMap::NoMap) {
        if (type == DirectMap::Array) array.assign(size_t(ntotal), -1);
        for (size_t l = 0; l < il.nlist; ++l) {
            const idx_t* ids = il.get_ids(l);
            for (size_t o = 0; o < il.list_size(l); ++o) {
                const idx_t lo = idx_t(DirectMap::lo_build(l, o));
                if (type == DirectMap::Array) {
                    array[size_t(ids[o])] = lo;  // Array maps hold ids 0..ntotal-1
                } else {
                    pairs.push_back(ids[o]);
                    pairs.push_back(lo);
                }
            }
        }
    }
    f.vec(array);
    if (type == DirectMap::Hashtable) {
        f.put<uint64_t>(pairs.size() / 2);
        if (!pairs.empty()) f.w->write(pairs.data(), pairs.size() * sizeof(idx_t));
    }
}

void write_ivf_head(FaissWriter& f, const IndexIVF& ivf) {
    if (ivf.is_trained) ivf.check_quantizer();
    write_header(f, ivf);
    f.put<uint64_t>(ivf.nlist);
    f.put<uint64_t>(ivf.nprobe);
    write_rec(f, ivf.quantizer.get());
    write_direct_map(f, ivf.direct_map.type, *ivf.invlists, ivf.ntotal);
}

void write_invlists(FaissWriter& f, const InvertedLists& il) {
    f.tag("ilar");
    f.put<uint64_t>(il.nlist);
    f.put<uint64_t>(il.code_size);
    f.tag("full");
    std::vector<uint64_t> sizes(il.nlist);
    for (size_t l = 0; l < il.nlist; ++l) sizes[l] = il.list_size(l);
    f.vec(sizes);
    for (size_t l = 0; l < il.nlist; ++l) {
        if (!sizes[l]) continue;
        f.w->write(il.get_codes(l), sizes[l] * il.code_size);
        f.w->write(il.get_ids(l), sizes[l] * sizeof(idx_t));
    }
}

void write_hnsw_graph(FaissWriter& f, const HNSW& g, idx_t ntotal) {
    // FAISS's level table (set_default_probas), extended if a node is higher still.
    const double mult = 1.0 / std::log(double(g.M));
    std::vector<double> probas;
    std::vector<int32_t> cum{0};
    int top = 0;
    for (int8_t l : g.levels) top = std::max(top, int(l));
    for (int level = 0;; ++level) {
        const double p = std::exp(-level / mult) * (1 - std::exp(-1 / mult));
        if (p < 1e-9 && level > top) break;
        probas.push_back(p < 1e-9 ? 0.0 : p);
        cum.push_back(cum.back() + g.capacity(level));
    }
    std::vector<int32_t> levels(static_cast<size_t>(ntotal));
    std::vector<uint64_t> offsets(size_t(ntotal) + 1, 0);
    for (idx_t i = 0; i < ntotal; ++i) {
        levels[size_t(i)] = g.levels[size_t(i)] + 1;
        offsets[size_t(i) + 1] = offsets[size_t(i)] + uint64_t(cum[size_t(levels[size_t(i)])]);
    }
    std::vector<int32_t> nb(size_t(offsets.back()), -1);
    for (idx_t i = 0; i < ntotal; ++i)
        for (int l = 0; l <= g.levels[size_t(i)]; ++l) {
            const int32_t* row = g.row(i, l);
            int32_t* out = nb.data() + offsets[size_t(i)] + size_t(cum[size_t(l)]);
            std::memcpy(out, row + 1, sizeof(int32_t) * size_t(row[0]));
        }
    f.vec(probas);
    f.vec(cum);
    f.vec(levels);
    f.vec(offsets);
    f.vec(nb);
    f.put<int32_t>(int32_t(g.entry_point));
    f.put<int32_t>(g.max_level);
    f.put<int32_t>(g.efConstruction);
    f.put<int32_t>(g.efSearch);
    f.put<int32_t>(1);  // upper_beam (deprecated)
}

void write_transform(FaissWriter& f, const VectorTransform& vt) {
    if (auto* hr = dynamic_cast<const HadamardRotation*>(&vt)) {
        f.tag("HRot");
        f.put<uint32_t>(hr->seed);
    } else if (dynamic_cast<const NormalizationTransform*>(&vt)) {
        f.tag("VNrm");
        f.put<float>(2.0f);
    } else if (auto* lt = dynamic_cast<const LinearTransform*>(&vt)) {
        if (dynamic_cast<const RandomRotationMatrix*>(lt)) {
            f.tag("rrot");
        } else if (auto* pca = dynamic_cast<const PCAMatrix*>(lt)) {
            f.tag("Pcam");
            f.put<float>(pca->eigen_power);
            f.put<float>(pca->epsilon);
            f.put<uint8_t>(pca->random_rotation ? 1 : 0);
            f.put<int32_t>(0);  // balanced_bins
            f.vec(pca->mean);
            f.vec(pca->eigenvalues);
            f.vec(pca->PCAMat);
        } else {
            f.tag("LTra");
        }
        f.put<uint8_t>(lt->have_bias ? 1 : 0);
        f.vec(lt->A);
        f.vec(lt->b);
    } else {
        FAISSLIKE_THROW_MSG("write_index_faiss: this vector transform has no FAISS form");
    }
    f.put<int32_t>(vt.d_in);
    f.put<int32_t>(vt.d_out);
    f.put<uint8_t>(vt.is_trained ? 1 : 0);
}

void write_rec(FaissWriter& f, const Index* idx) {
    FAISSLIKE_THROW_IF_NOT_MSG(idx != nullptr, "write_index_faiss: a nested index is null");
    IndexWriteScope scope(*idx, UsageCounter::Mode::Shared);  // a consistent state; searches go on
    const std::type_info& t = typeid(*idx);
    if (t == typeid(IndexFlat) || t == typeid(IndexFlatL2) || t == typeid(IndexFlatIP)) {
        auto* fl = static_cast<const IndexFlat*>(idx);
        f.tag(fl->metric_type == METRIC_L2 ? "IxF2" : "IxFI");
        write_header(f, *fl);
        f.vec(fl->get_xb(), size_t(fl->ntotal) * size_t(fl->d));
    } else if (t == typeid(IndexPQ)) {
        auto* pq = static_cast<const IndexPQ*>(idx);
        f.tag("IxPq");
        write_header(f, *pq);
        write_pq(f, pq->pq);
        f.vec(pq->codes);
        f.put<int32_t>(0);                                     // search_type ST_PQ
        f.put<uint8_t>(0);                                     // encode_signs
        f.put<int32_t>(int32_t(pq->pq.nbits * pq->pq.M / 2));  // polysemous_ht (unused)
    } else if (t == typeid(IndexScalarQuantizer)) {
        auto* sq = static_cast<const IndexScalarQuantizer*>(idx);
        f.tag("IxSQ");
        write_header(f, *sq);
        write_sq(f, sq->sq);
        f.vec(sq->codes);
    } else if (t == typeid(MultiIndexQuantizer)) {
        auto* mi = static_cast<const MultiIndexQuantizer*>(idx);
        f.tag("Imiq");
        write_header(f, *mi);
        write_pq(f, mi->pq);
    } else if (t == typeid(IndexIVFFlat)) {
        auto* ivf = static_cast<const IndexIVFFlat*>(idx);
        f.tag("IwFl");
        write_ivf_head(f, *ivf);
        write_invlists(f, *ivf->invlists);
    } else if (t == typeid(IndexIVFPQ)) {
        auto* ivf = static_cast<const IndexIVFPQ*>(idx);
        f.tag("IwPQ");
        write_ivf_head(f, *ivf);
        f.put<uint8_t>(ivf->by_residual ? 1 : 0);
        f.put<uint64_t>(ivf->code_size);
        write_pq(f, ivf->pq);
        write_invlists(f, *ivf->invlists);
    } else if (t == typeid(IndexIVFScalarQuantizer)) {
        auto* ivf = static_cast<const IndexIVFScalarQuantizer*>(idx);
        f.tag("IwSq");
        write_ivf_head(f, *ivf);
        write_sq(f, ivf->sq);
        f.put<uint64_t>(ivf->code_size);
        f.put<uint8_t>(ivf->by_residual ? 1 : 0);
        write_invlists(f, *ivf->invlists);
    } else if (t == typeid(IndexHNSWFlat) || t == typeid(IndexHNSWQG)) {
        // The quantized graph is FAISS's IndexHNSWFlat with a walk FAISS does not have: the
        // graph and vectors are written, the walk's PQ is not.
        auto* hn = static_cast<const IndexHNSWFlat*>(idx);
        FAISSLIKE_THROW_IF_NOT_MSG(hn->ndeleted == 0,
                                   "write_index_faiss: FAISS's HNSW has no deleted nodes: "
                                   "compact() first");
        f.tag("IHNf");
        write_header(f, *hn);
        write_hnsw_graph(f, hn->hnsw, hn->ntotal);
        write_rec(f, &hn->storage);
    } else if (t == typeid(IndexHNSWSQ) || t == typeid(IndexHNSWPQ)) {
        auto* hn = static_cast<const IndexHNSWCodes*>(idx);
        f.tag(t == typeid(IndexHNSWSQ) ? "IHNs" : "IHNp");
        write_header(f, *hn);
        write_hnsw_graph(f, hn->hnsw, hn->ntotal);
        write_rec(f, hn->storage.get());
    } else if (t == typeid(IndexIDMap) || t == typeid(IndexIDMap2)) {
        auto* im = static_cast<const IndexIDMap*>(idx);
        FAISSLIKE_THROW_IF_NOT_MSG(
            im->id_map.size() == size_t(im->ntotal),
            "write_index_faiss: this IDMap has removed entries FAISS cannot represent "
            "(entries removed from an IVF, or not yet compacted: call compact() first)");
        f.tag(t == typeid(IndexIDMap2) ? "IxM2" : "IxMp");
        write_header(f, *im);
        write_rec(f, im->index.get());
        f.vec(im->id_map);
    } else if (t == typeid(IndexRefineFlat)) {
        auto* rf = static_cast<const IndexRefineFlat*>(idx);
        f.tag("IxRF");
        write_header(f, *rf);
        write_rec(f, rf->base_index.get());
        write_rec(f, &rf->refine_index);
        f.put<float>(rf->k_factor);
    } else if (t == typeid(IndexPreTransform)) {
        auto* pt = static_cast<const IndexPreTransform*>(idx);
        f.tag("IxPT");
        write_header(f, *pt);
        f.put<int32_t>(int32_t(pt->chain.size()));
        for (const auto& vt : pt->chain) write_transform(f, *vt);
        write_rec(f, pt->index.get());
    } else {
        FAISSLIKE_THROW_FMT("write_index_faiss: index type %s has no FAISS form", t.name());
    }
}

void write_binary_header(FaissWriter& f, const IndexBinary& idx) {
    f.put<int32_t>(idx.d);
    f.put<int32_t>(idx.d / 8);
    f.put<int64_t>(idx.ntotal);
    f.put<uint8_t>(idx.is_trained ? 1 : 0);
    f.put<int32_t>(int32_t(METRIC_L2));
}

void write_binary_rec(FaissWriter& f, const IndexBinary* idx) {
    FAISSLIKE_THROW_IF_NOT_MSG(idx != nullptr, "write_index_binary_faiss: a nested index is null");
    IndexBinaryWriteScope scope(*idx, UsageCounter::Mode::Shared);  // as write_rec
    const std::type_info& t = typeid(*idx);
    if (t == typeid(IndexBinaryFlat)) {
        auto* fl = static_cast<const IndexBinaryFlat*>(idx);
        f.tag("IBxF");
        write_binary_header(f, *fl);
        f.vec(fl->get_xb(), size_t(fl->ntotal) * size_t(fl->d / 8));
    } else if (t == typeid(IndexBinaryIVF)) {
        auto* ivf = static_cast<const IndexBinaryIVF*>(idx);
        if (ivf->is_trained) ivf->check_quantizer();
        f.tag("IBwF");
        write_binary_header(f, *ivf);
        f.put<uint64_t>(ivf->nlist);
        f.put<uint64_t>(ivf->nprobe);
        write_binary_rec(f, ivf->quantizer);
        write_direct_map(f, ivf->direct_map.type, *ivf->invlists, ivf->ntotal);
        write_invlists(f, *ivf->invlists);
    } else if (t == typeid(IndexBinaryHNSW)) {
        auto* hn = static_cast<const IndexBinaryHNSW*>(idx);
        f.tag("IBHf");
        write_binary_header(f, *hn);
        write_hnsw_graph(f, hn->hnsw, hn->ntotal);
        write_binary_rec(f, &hn->storage);
    } else if (t == typeid(IndexBinaryIDMap) || t == typeid(IndexBinaryIDMap2)) {
        auto* im = static_cast<const IndexBinaryIDMap*>(idx);
        FAISSLIKE_THROW_IF_NOT_MSG(
            im->id_map.size() == size_t(im->ntotal),
            "write_index_binary_faiss: this IDMap has removed entries FAISS cannot represent");
        f.tag(t == typeid(IndexBinaryIDMap2) ? "IBM2" : "IBMp");
        write_binary_header(f, *im);
        write_binary_rec(f, im->index);
        f.vec(im->id_map);
    } else {
        FAISSLIKE_THROW_FMT("write_index_binary_faiss: binary index type %s has no FAISS form",
                            t.name());
    }
}

}  // namespace

namespace {
// The fourcc was read by the caller (to tell the formats apart): put back in front.
struct PrefixedReader : IOReader {
    IOReader* r;
    uint8_t head[4];
    size_t pos = 0;
    PrefixedReader(IOReader* r_in, uint32_t fourcc4) : r(r_in) { std::memcpy(head, &fourcc4, 4); }
    void read(void* p, size_t n) override {
        uint8_t* out = static_cast<uint8_t*>(p);
        while (n && pos < 4) {
            *out++ = head[pos++];
            --n;
        }
        if (n) r->read(out, n);
    }
    uint64_t remaining() const override { return (4 - pos) + r->remaining(); }
    uint64_t position() const override { return r->position() - (4 - pos); }
    std::string name() const override { return r->name() + " (FAISS format)"; }
    const uint8_t* try_view(size_t n) override { return pos == 4 ? r->try_view(n) : nullptr; }
    std::shared_ptr<const void> keepalive() const override { return r->keepalive(); }
    std::shared_ptr<const MappedFile> mapped_file() const override { return r->mapped_file(); }
};
}  // namespace

std::unique_ptr<Index> read_index_faiss_body(IOReader* r, uint32_t fourcc4) {
    PrefixedReader pr(r, fourcc4);
    FaissReader f{SectionReader{&pr, "faiss", pr.remaining(), 0}};
    std::unique_ptr<Index> idx = read_watched(f);
    if (pr.remaining() != 0)
        FAISSLIKE_THROW_FMT("%s: %llu bytes after the index", pr.name().c_str(),
                            (unsigned long long)pr.remaining());
    return idx;
}

std::unique_ptr<IndexBinary> read_index_binary_faiss_body(IOReader* r, uint32_t fourcc4) {
    PrefixedReader pr(r, fourcc4);
    FaissReader f{SectionReader{&pr, "faiss", pr.remaining(), 0}};
    std::unique_ptr<IndexBinary> idx = read_binary_watched(f);
    if (pr.remaining() != 0)
        FAISSLIKE_THROW_FMT("%s: %llu bytes after the index", pr.name().c_str(),
                            (unsigned long long)pr.remaining());
    return idx;
}

void write_index_binary_faiss(const IndexBinary* index, IOWriter* w) {
    FAISSLIKE_THROW_IF_NOT_MSG(index != nullptr && w != nullptr,
                               "write_index_binary_faiss: index or writer is null");
    FaissWriter f{w};
    write_binary_rec(f, index);
}

void write_index_binary_faiss(const IndexBinary* index, const std::string& path) {
    FAISSLIKE_THROW_IF_NOT_MSG(index != nullptr, "write_index_binary_faiss: index is null");
    AtomicFileWriter w(path);
    write_index_binary_faiss(index, &w);
    w.commit();
}

std::vector<uint8_t> serialize_index_binary_faiss(const IndexBinary* index) {
    VectorIOWriter w;
    write_index_binary_faiss(index, &w);
    return std::move(w.data);
}

void write_index_faiss(const Index* index, IOWriter* w) {
    FAISSLIKE_THROW_IF_NOT_MSG(index != nullptr, "write_index_faiss: index is null");
    FAISSLIKE_THROW_IF_NOT_MSG(w != nullptr, "write_index_faiss: writer is null");
    FaissWriter f{w};
    write_rec(f, index);
}

void write_index_faiss(const Index* index, const std::string& path) {
    FAISSLIKE_THROW_IF_NOT_MSG(index != nullptr, "write_index_faiss: index is null");
    // A type without a FAISS form throws midway: the temporary file goes, `path` is intact.
    AtomicFileWriter w(path);
    write_index_faiss(index, &w);
    w.commit();
}

std::vector<uint8_t> serialize_index_faiss(const Index* index) {
    VectorIOWriter w;
    write_index_faiss(index, &w);
    return std::move(w.data);
}

}  // namespace faisslike
