// IDMap records (IxMp, IxM2).
#include "faisslike/impl/IndexRecords.h"

#include <algorithm>

#include "faisslike/IndexIDMap.h"

namespace faisslike {

// The tombstones of an IndexIDMap (removed entries not yet compacted) as sorted positions.
struct IDMapRecordAccess {
    static std::vector<uint64_t> dead(const IndexIDMap& im) {
        std::vector<uint64_t> out;
        for (size_t i = 0; i < im.life_.size(); ++i)
            if (im.life_[i].died != IndexIDMap::kNever) out.push_back(i);
        return out;
    }
    // On a freshly assembled map (no search can run yet): every listed position dead.
    static void set_dead(IndexIDMap& im, const std::vector<uint64_t>& dead) {
        if (dead.empty()) return;
        im.life_.resize(im.id_map.size(), IndexIDMap::Life{0, IndexIDMap::kNever});
        for (uint64_t p : dead) im.life_[size_t(p)].died = 0;
        im.ndead_.store(dead.size());
        im.version_.store(1);
    }
};

namespace records {

void write_idmap(IOWriter* b, const Index& index) {
    const auto* im = static_cast<const IndexIDMap*>(&index);
    write_index_header(b, im);
    put<uint64_t>(b, im->id_map.size());
    b->write(im->id_map.data(), im->id_map.size() * sizeof(idx_t));
    write_index_record(b, im->index.get());
    // Removed entries not yet compacted (the wrapped index still holds them): their
    // positions, after the nested record, only when there are some.
    const std::vector<uint64_t> dead = IDMapRecordAccess::dead(*im);
    if (!dead.empty()) {
        put<uint64_t>(b, dead.size());
        b->write(dead.data(), dead.size() * sizeof(uint64_t));
    }
}

std::unique_ptr<Index> assemble_idmap(SectionReader& s, const IndexHeader& h,
                                      std::unique_ptr<Index> sub, std::vector<idx_t> ids, bool two,
                                      const std::vector<uint64_t>& dead) {
    for (size_t j = 0; j < dead.size(); ++j) {
        if (dead[j] >= ids.size() || ids[size_t(dead[j])] < 0 || (j && dead[j] <= dead[j - 1]))
            s.fail(format_string("dead entry %llu is out of order, out of range or removed",
                                 (unsigned long long)dead[j]));
    }
    uint64_t live = 0;
    for (idx_t id : ids) {
        if (id < -1) s.fail(format_string("invalid id %lld", (long long)id));
        live += id >= 0;
    }
    // ntotal counts the entries that are not dead.
    const uint64_t stored = uint64_t(h.ntotal) + dead.size();
    if (sub->d != h.d || sub->metric_type != h.metric || uint64_t(sub->ntotal) != stored)
        s.fail("wrapped index dimension, metric or ntotal differ from the id map");
    if (sub->accepts_ids()) {
        // Inner ids are positions in id_map (searches check each label they map).
        if (live != stored || ids.size() < live)
            s.fail(format_string("%llu live ids for ntotal=%lld", (unsigned long long)live,
                                 (long long)h.ntotal));
    } else if (ids.size() != stored || live != ids.size()) {
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
    IDMapRecordAccess::set_dead(*im, dead);
    im->ntotal = h.ntotal;
    im->is_trained = h.is_trained;
    if (two) {
        auto* im2 = static_cast<IndexIDMap2*>(im.get());
        im2->construct_rev_map();
        size_t nlive = 0;
        for (size_t i = 0; i < im->id_map.size(); ++i)
            nlive += im->id_map[i] >= 0 && !im->index->is_deleted(idx_t(i)) &&
                     !std::binary_search(dead.begin(), dead.end(), uint64_t(i));
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
    std::vector<uint64_t> dead;
    if (s.left > 0) {
        const uint64_t ndead = s.get<uint64_t>("dead");
        if (ndead == 0 || ndead > nids) s.fail("invalid number of dead entries");
        read_array_body(s, dead, ndead, ndead, "dead");
    }
    return assemble_idmap(s, h, std::move(sub), std::move(ids), two, dead);
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
