// IDMap records (IxMp, IxM2).
#include "faisslike/impl/IndexRecords.h"

#include "faisslike/IndexIDMap.h"

namespace faisslike {
namespace records {

void write_idmap(IOWriter* b, const Index& index) {
    const auto* im = static_cast<const IndexIDMap*>(&index);
    write_index_header(b, im);
    put<uint64_t>(b, im->id_map.size());
    b->write(im->id_map.data(), im->id_map.size() * sizeof(idx_t));
    write_index_record(b, im->index.get());
}

std::unique_ptr<Index> assemble_idmap(SectionReader& s, const IndexHeader& h,
                                      std::unique_ptr<Index> sub, std::vector<idx_t> ids,
                                      bool two) {
    uint64_t live = 0;
    for (idx_t id : ids) {
        if (id < -1) s.fail(format_string("invalid id %lld", (long long)id));
        live += id >= 0;
    }
    if (sub->d != h.d || sub->metric_type != h.metric || sub->ntotal != h.ntotal)
        s.fail("wrapped index dimension, metric or ntotal differ from the id map");
    if (sub->accepts_ids()) {
        // Inner ids are positions in id_map (searches check each label they map).
        if (live != uint64_t(h.ntotal) || ids.size() < live)
            s.fail(format_string("%llu live ids for ntotal=%lld", (unsigned long long)live,
                                 (long long)h.ntotal));
    } else if (ids.size() != uint64_t(h.ntotal) || live != ids.size()) {
        s.fail("id_map must hold ntotal ids >= 0");
    }
    // Built around the empty index, then the stored contents put back.
    const idx_t nt = sub->ntotal;
    sub->ntotal = 0;
    std::unique_ptr<IndexIDMap> im;
    if (two) {
        im = std::make_unique<IndexIDMap2>(sub.get());
    } else {
        im = std::make_unique<IndexIDMap>(sub.get());
    }
    sub->ntotal = nt;
    im->index.set_owned(true);
    sub.release();
    im->id_map.assign(ids.data(), ids.data() + ids.size());
    im->ntotal = nt;
    im->is_trained = h.is_trained;
    if (two) {
        auto* im2 = static_cast<IndexIDMap2*>(im.get());
        im2->construct_rev_map();
        size_t nlive = 0;
        for (size_t i = 0; i < im->id_map.size(); ++i)
            nlive += im->id_map[i] >= 0 && !im->index->is_deleted(idx_t(i));
        if (im2->rev_map.size() != nlive) s.fail("IndexIDMap2 holds duplicate ids");
    }
    return im;
}

namespace {
std::unique_ptr<Index> read_idmap_body(SectionReader& s, int depth, bool two) {
    IndexHeader h = read_index_header(s);
    std::vector<idx_t> ids;
    const uint64_t nids = s.get<uint64_t>("id_map");
    read_array_body(s, ids, nids, std::max<uint64_t>(nids, uint64_t(h.ntotal)), "id_map",
                    " (at least ntotal)");
    std::unique_ptr<Index> sub = read_nested(s, depth, "index");
    return assemble_idmap(s, h, std::move(sub), std::move(ids), two);
}
}  // namespace

std::unique_ptr<Index> read_idmap(SectionReader& s, int depth) {
    return read_idmap_body(s, depth, false);
}

std::unique_ptr<Index> read_idmap2(SectionReader& s, int depth) {
    return read_idmap_body(s, depth, true);
}

}  // namespace records
}  // namespace faisslike
