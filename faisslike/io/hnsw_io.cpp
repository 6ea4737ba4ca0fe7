// HNSW records (IHN2; IHNf, version 1, read only).
#include "faisslike/impl/IndexRecords.h"

#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexPQ.h"
#include "faisslike/IndexScalarQuantizer.h"
#include "faisslike/ScalarQuantizer.h"

namespace faisslike {
namespace records {

namespace {

// The graph: M .. links_upper (the part both HNSW families share).
void write_graph(IOWriter* b, const HNSW& h) {
    put<int32_t>(b, h.M);
    put<int32_t>(b, h.efConstruction);
    put<int32_t>(b, h.efSearch);
    put<int32_t>(b, h.max_level);
    put<int64_t>(b, h.entry_point);
    put<uint64_t>(b, h.seed);
    put<uint64_t>(b, h.levels.size());
    b->write(h.levels.data(), h.levels.size());
    put<uint64_t>(b, h.links0_size());
    write_pad(b);
    b->write(h.links0_data(), h.links0_size() * sizeof(int32_t));
    put<uint64_t>(b, h.links_upper_size());
    write_pad(b);
    b->write(h.links_upper_data(), h.links_upper_size() * sizeof(int32_t));
}

struct GraphHead {
    int32_t M, efc, efs, max_level;
    int64_t ep;
    uint64_t seed;
};

GraphHead read_graph_head(SectionReader& s) {
    GraphHead g;
    g.M = s.get<int32_t>("M");
    g.efc = s.get<int32_t>("efConstruction");
    g.efs = s.get<int32_t>("efSearch");
    g.max_level = s.get<int32_t>("max_level");
    g.ep = s.get<int64_t>("entry_point");
    g.seed = s.get<uint64_t>("seed");
    if (g.M < 2 || g.M > 512) s.fail(format_string("invalid M %d", g.M));
    if (g.efc < 1 || g.efs < 1)
        s.fail(format_string("invalid efConstruction %d / efSearch %d", g.efc, g.efs));
    return g;
}

// Levels and links into g (built with head.M), mapped in place from a mapped file.
void read_graph_body(SectionReader& s, const GraphHead& head, HNSW& g, int64_t ntotal) {
    g.efConstruction = head.efc;
    g.efSearch = head.efs;
    g.max_level = head.max_level;
    g.entry_point = head.ep;
    g.publish_entry();
    g.seed = head.seed;
    const int M = head.M;
    const uint64_t n = s.get<uint64_t>("levels_count");
    if (n != uint64_t(ntotal))
        s.fail(
            format_string("%llu levels for ntotal=%lld", (unsigned long long)n, (long long)ntotal));
    s.need(n, "levels");
    g.levels.resize(size_t(n));
    s.get_bytes(g.levels.data(), n, "levels");
    for (int8_t l : g.levels)
        if (l < 0 || l > 30) s.fail(format_string("node level %d out of range", int(l)));
    if (n > std::numeric_limits<uint64_t>::max() / uint64_t(2 * M + 1))
        s.fail("links0 size overflows");
    const uint64_t n0 = n * uint64_t(2 * M + 1);
    const int32_t* l0 = read_counted_aligned_array(s, g.links0, n0, "links0");
    const uint64_t nu = g.compute_upper_offsets();
    const int32_t* lu = read_counted_aligned_array(s, g.links_upper, nu, "links_upper");
    if (l0) {  // memory-mapped: the links stay in the file
        g.links0_mapped = l0;
        g.links_upper_mapped = lu ? lu : l0;  // never dereferenced when empty
        g.links0_mapped_n = size_t(n0);
        g.links_upper_mapped_n = size_t(nu);
        g.links_owner = s.r->keepalive();
    }
}

void validate_graph(SectionReader& s, const HNSW& g, int64_t ntotal) {
    try {
        g.validate(ntotal);  // every link in range before any search can follow it
    } catch (const Error& e) {
        s.fail(e.what());
    }
}

}  // namespace

void write_hnsw(IOWriter* b, const Index& index) {
    const auto* hn = static_cast<const IndexHNSWFlat*>(&index);
    const HNSW& h = hn->hnsw;
    write_index_header(b, hn);
    write_graph(b, h);
    put<uint8_t>(b, h.level0_select_2M ? 1 : 0);
    put<float>(b, h.prune_headroom);
    put<uint64_t>(b, hn->ndeleted ? hn->deleted.size() : 0);
    if (hn->ndeleted) b->write(hn->deleted.data(), hn->deleted.size());
    // The traversal quantizers (codes and packed blocks are rebuilt from them on load): bit 0
    // the 8-bit one's ranges, bit 1 the quantized graph's PQ (older readers refuse bit 1).
    put<uint8_t>(b, uint8_t((hn->sq8_traversal() ? 1 : 0) | (hn->qg_traversal() ? 2 : 0)));
    if (hn->sq8_traversal()) write_sq(b, *hn->traversal_sq);
    if (hn->qg_traversal()) write_pq(b, *hn->qg_pq);
    write_index_record(b, &hn->storage);
}

namespace {
std::unique_ptr<Index> read_hnsw_body(SectionReader& s, int depth, bool v2, bool qg_type = false) {
    IndexHeader h = read_index_header(s);
    const GraphHead head = read_graph_head(s);
    if (qg_type && head.M > 32)
        s.fail(format_string("invalid IndexHNSWQG M=%d (at most 32)", head.M));
    // The quantized graph's PQ comes from the file (or none): constructed without one.
    auto idx = qg_type ? std::unique_ptr<IndexHNSWFlat>(
                             std::make_unique<IndexHNSWQG>(h.d, head.M, 1, MetricType(h.metric)))
                       : std::make_unique<IndexHNSWFlat>(h.d, head.M, MetricType(h.metric));
    if (qg_type) idx->set_qg_traversal(std::unique_ptr<ProductQuantizer>());
    HNSW& g = idx->hnsw;
    read_graph_body(s, head, g, h.ntotal);
    const uint64_t n = uint64_t(h.ntotal);
    std::unique_ptr<ScalarQuantizer> traversal;
    std::unique_ptr<ProductQuantizer> qg;
    if (v2) {
        const uint8_t sel2m = s.get<uint8_t>("level0_select_2M");
        const float hr = s.get<float>("prune_headroom");
        if (sel2m > 1) s.fail(format_string("invalid level0_select_2M byte %u", unsigned(sel2m)));
        if (!(hr >= 0.0f && hr <= 0.5f))
            s.fail(format_string("invalid prune_headroom %g", double(hr)));
        g.level0_select_2M = sel2m == 1;
        g.prune_headroom = hr;
        const uint64_t nd = s.get<uint64_t>("deleted_count");
        if (nd != 0) {
            read_array_body(s, idx->deleted, nd, n, "deleted", " (0 or ntotal flags)");
            for (uint8_t f : idx->deleted) {
                if (f > 1) s.fail(format_string("invalid deleted flag %u", unsigned(f)));
                idx->ndeleted += f;
            }
            if (idx->ndeleted == 0) idx->deleted.clear();
        }
        const uint8_t tr = s.get<uint8_t>("traversal");
        if (tr > 3) s.fail(format_string("invalid traversal byte %u", unsigned(tr)));
        if (tr & 1) {
            traversal = std::make_unique<ScalarQuantizer>(read_sq(s, h.d, h.ntotal > 0));
            if (traversal->qtype != ScalarQuantizer::QT_8bit)
                s.fail("the traversal quantizer must be 8-bit");
        }
        if (tr & 2) {
            uint64_t M, nbits;
            read_pq_params(s, h.d, M, nbits);
            if (nbits != 4 || M > 256 || 2 * head.M > 64)
                s.fail(format_string("invalid quantized-graph PQ (M=%llu, nbits=%llu, 2M=%d)",
                                     (unsigned long long)M, (unsigned long long)nbits, 2 * head.M));
            qg = std::make_unique<ProductQuantizer>(size_t(h.d), size_t(M), 4);
            read_pq_centroids(s, *qg, h.ntotal > 0);
        }
    } else {
        g.level0_select_2M = false;  // v1 files were built with hnswlib's rules
        g.prune_headroom = 0.0f;
    }
    validate_graph(s, g, h.ntotal);
    std::unique_ptr<Index> st = read_nested(s, depth, "storage", kTagFlat);
    auto* flat = static_cast<IndexFlat*>(st.get());  // the Flat tag's reader made it
    if (flat->d != h.d || flat->ntotal != h.ntotal || flat->metric_type != h.metric)
        s.fail("storage is not a Flat index of the same d, metric and ntotal");
    if (flat->is_mapped()) {
        idx->storage.set_mapped(flat->get_xb(), h.ntotal, s.r->keepalive());
    } else {
        idx->storage.codes = std::move(flat->codes);
    }
    idx->storage.ntotal = h.ntotal;
    idx->ntotal = h.ntotal;
    if (traversal) idx->set_sq8_traversal(std::move(traversal));
    if (qg) idx->set_qg_traversal(std::move(qg));
    return idx;
}
}  // namespace

std::unique_ptr<Index> read_hnsw(SectionReader& s, int depth) {
    return read_hnsw_body(s, depth, true);
}

std::unique_ptr<Index> read_hnsw_qg(SectionReader& s, int depth) {
    return read_hnsw_body(s, depth, true, true);
}

std::unique_ptr<Index> read_hnsw_v1(SectionReader& s, int depth) {
    return read_hnsw_body(s, depth, false);
}

void write_binary_hnsw(IOWriter* b, const IndexBinary& index) {
    const auto& hn = static_cast<const IndexBinaryHNSW&>(index);
    put<int32_t>(b, hn.d);
    put<int64_t>(b, hn.ntotal);
    write_graph(b, hn.hnsw);
    put<uint8_t>(b, hn.hnsw.level0_select_2M ? 1 : 0);
    put<float>(b, hn.hnsw.prune_headroom);
    write_index_binary_record(b, &hn.storage);
}

std::unique_ptr<IndexBinary> read_binary_hnsw(SectionReader& s, int depth) {
    const int32_t d = s.get<int32_t>("d");
    const int64_t ntotal = s.get<int64_t>("ntotal");
    if (d < 8 || d > kMaxDim || d % 8) s.fail(format_string("invalid binary d=%d", d));
    if (ntotal < 0) s.fail(format_string("invalid ntotal %lld", (long long)ntotal));
    const GraphHead head = read_graph_head(s);
    auto idx = std::make_unique<IndexBinaryHNSW>(d, head.M);
    read_graph_body(s, head, idx->hnsw, ntotal);
    const uint8_t sel2m = s.get<uint8_t>("level0_select_2M");
    const float hr = s.get<float>("prune_headroom");
    if (sel2m > 1) s.fail(format_string("invalid level0_select_2M byte %u", unsigned(sel2m)));
    if (!(hr >= 0.0f && hr <= 0.5f)) s.fail(format_string("invalid prune_headroom %g", double(hr)));
    idx->hnsw.level0_select_2M = sel2m == 1;
    idx->hnsw.prune_headroom = hr;
    validate_graph(s, idx->hnsw, ntotal);
    std::unique_ptr<IndexBinary> st = read_nested_binary(s, depth, "storage", kTagBinaryFlat);
    if (st->d != d || st->ntotal != ntotal)
        s.fail("storage is not a binary Flat of the same d and ntotal");
    auto& flat = static_cast<IndexBinaryFlat&>(*st);  // the tag's reader made it
    if (flat.xb.empty() && ntotal > 0)                // memory-mapped: stays in the file
        idx->storage.set_mapped(flat.get_xb(), ntotal, s.r->keepalive());
    else
        idx->storage.xb = std::move(flat.xb);
    idx->storage.ntotal = ntotal;
    idx->ntotal = ntotal;
    return idx;
}

void write_hnsw_codes(IOWriter* b, const Index& index) {
    const auto& hn = static_cast<const IndexHNSWCodes&>(index);
    write_index_header(b, &hn);
    write_graph(b, hn.hnsw);
    put<uint8_t>(b, hn.hnsw.level0_select_2M ? 1 : 0);
    put<float>(b, hn.hnsw.prune_headroom);
    write_index_record(b, hn.storage.get());
}

std::unique_ptr<Index> read_hnsw_codes(SectionReader& s, int depth) {
    IndexHeader h = read_index_header(s);
    const GraphHead head = read_graph_head(s);
    HNSW g(head.M);
    read_graph_body(s, head, g, h.ntotal);
    const uint8_t sel2m = s.get<uint8_t>("level0_select_2M");
    const float hr = s.get<float>("prune_headroom");
    if (sel2m > 1) s.fail(format_string("invalid level0_select_2M byte %u", unsigned(sel2m)));
    if (!(hr >= 0.0f && hr <= 0.5f)) s.fail(format_string("invalid prune_headroom %g", double(hr)));
    g.level0_select_2M = sel2m == 1;
    g.prune_headroom = hr;
    validate_graph(s, g, h.ntotal);
    std::unique_ptr<Index> st = read_nested(s, depth, "storage");
    if (st->d != h.d || st->ntotal != h.ntotal || st->metric_type != h.metric)
        s.fail("storage d, metric or ntotal differ from the index");
    std::unique_ptr<IndexHNSWCodes> idx;
    // The storage record decides the family (the reader made it: its type is known).
    if (auto* sq = dynamic_cast<IndexScalarQuantizer*>(st.get())) {
        idx = std::make_unique<IndexHNSWSQ>(h.d, sq->sq.qtype, head.M, MetricType(h.metric));
    } else if (auto* pq = dynamic_cast<IndexPQ*>(st.get())) {
        idx = std::make_unique<IndexHNSWPQ>(h.d, int(pq->pq.M), head.M, int(pq->pq.nbits),
                                            MetricType(h.metric));
    } else if (dynamic_cast<Index2Layer*>(st.get())) {
        idx = std::make_unique<IndexHNSW2Level>(
            std::unique_ptr<Index2Layer>(static_cast<Index2Layer*>(st.release())), head.M);
    } else {
        s.fail("the storage of an HNSW over codes must be an SQ, PQ or 2-layer index");
    }
    if (st) idx->storage.reset(static_cast<IndexFlatCodes*>(st.release()));
    idx->hnsw = std::move(g);
    idx->ntotal = h.ntotal;
    idx->is_trained = h.is_trained && idx->storage->is_trained;
    return idx;
}

}  // namespace records
}  // namespace faisslike
