// Binary index records (IBxF, IBwF, IBMp/IBM2, IBHh, IBHm, IBFf).
#include "faisslike/impl/IndexRecords.h"

#include <unordered_set>

#include "faisslike/IndexBinaryFlat.h"
#include "faisslike/IndexBinaryFromFloat.h"
#include "faisslike/IndexBinaryHash.h"
#include "faisslike/IndexBinaryIDMap.h"
#include "faisslike/IndexBinaryIVF.h"

namespace faisslike {
namespace records {

namespace {

void write_binary_header(IOWriter* b, const IndexBinary& idx) {
    put<int32_t>(b, idx.d);
    put<int64_t>(b, idx.ntotal);
    put<uint8_t>(b, idx.is_trained ? 1 : 0);
}

struct BinaryHeader {
    int32_t d;
    int64_t ntotal;
    bool is_trained;
};

BinaryHeader read_binary_header(SectionReader& s) {
    BinaryHeader h;
    h.d = s.get<int32_t>("d");
    h.ntotal = s.get<int64_t>("ntotal");
    const uint8_t t = s.get<uint8_t>("is_trained");
    if (h.d < 8 || h.d > kMaxDim || h.d % 8) s.fail(format_string("invalid binary d=%d", h.d));
    if (h.ntotal < 0) s.fail(format_string("invalid ntotal %lld", (long long)h.ntotal));
    if (t > 1) s.fail(format_string("invalid is_trained byte %u", unsigned(t)));
    h.is_trained = t == 1;
    return h;
}

void put_ids(IOWriter* b, const std::vector<idx_t>& v) {
    put<uint64_t>(b, v.size());
    if (!v.empty()) b->write(v.data(), v.size() * sizeof(idx_t));
}

// n ids (count already read), each >= 0.
void read_ids_body(SectionReader& s, std::vector<idx_t>& out, uint64_t n, const char* field) {
    read_array_body(s, out, n, n, field);
    for (idx_t v : out)
        if (v < 0) s.fail(format_string("invalid id %lld in '%s'", (long long)v, field));
}

template <class T>
T read_small(SectionReader& s, const char* field, T lo, T hi) {
    const T v = s.get<T>(field);
    if (v < lo || v > hi) s.fail(format_string("invalid %s=%lld", field, (long long)v));
    return v;
}

// Builds an object whose constructor checks its arguments: a refused value is a corrupt
// file, reported in the reader's words.
template <class F>
auto construct(SectionReader& s, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const Error& e) {
        s.fail(e.what());
    }
}

}  // namespace

void write_binary_flat(IOWriter* b, const IndexBinary& index) {
    const auto& f = static_cast<const IndexBinaryFlat&>(index);
    write_binary_header(b, f);
    const uint64_t n = uint64_t(f.ntotal) * uint64_t(f.code_size);
    put<uint64_t>(b, n);
    write_pad(b);
    b->write(f.get_xb(), size_t(n));
}

std::unique_ptr<IndexBinary> read_binary_flat(SectionReader& s, int) {
    const BinaryHeader h = read_binary_header(s);
    auto f = std::make_unique<IndexBinaryFlat>(h.d);
    const uint64_t n = s.get<uint64_t>("codes");
    check_count(s, n, uint64_t(h.ntotal) * uint64_t(h.d / 8), "codes", " (ntotal * d / 8)");
    std::vector<uint8_t> copy;
    if (const uint8_t* p = read_aligned_array(s, copy, n, "codes")) {
        f->set_mapped(p, h.ntotal, s.r->keepalive());
    } else {
        f->xb = std::move(copy);
        f->ntotal = h.ntotal;
    }
    return f;
}

void write_binary_ivf(IOWriter* b, const IndexBinary& index) {
    const auto& ivf = static_cast<const IndexBinaryIVF&>(index);
    if (ivf.is_trained) ivf.check_quantizer();
    write_binary_header(b, ivf);
    put<uint64_t>(b, ivf.nlist);
    put<uint64_t>(b, ivf.nprobe);
    put<uint8_t>(b, uint8_t(ivf.direct_map.type));
    write_index_binary_record(b, ivf.quantizer);
    write_invlists(b, *ivf.invlists);
}

std::unique_ptr<IndexBinary> read_binary_ivf(SectionReader& s, int depth) {
    const BinaryHeader h = read_binary_header(s);
    const uint64_t nlist = read_small<uint64_t>(s, "nlist", 1, uint64_t(1) << 31);
    const uint64_t nprobe = read_small<uint64_t>(s, "nprobe", 1, IndexIVF::kMaxNprobe);
    const uint8_t dm = read_small<uint8_t>(s, "direct_map_type", 0, DirectMap::Hashtable);
    std::unique_ptr<IndexBinary> q = read_nested_binary(s, depth, "quantizer");
    if (nlist > s.left / 8)
        s.fail(format_string("nlist %llu cannot fit in the bytes left", (unsigned long long)nlist));
    if (q->d != h.d) s.fail(format_string("quantizer has d=%d, index d=%d", q->d, h.d));
    auto ivf =
        construct(s, [&] { return std::make_unique<IndexBinaryIVF>(q.get(), h.d, size_t(nlist)); });
    ivf->own_fields = true;
    q.release();
    if (h.is_trained) {
        try {
            ivf->check_quantizer();
        } catch (const Error& e) {
            s.fail(e.what());
        }
    }
    ivf->invlists = read_invlists(s, size_t(nlist), size_t(h.d / 8), uint64_t(h.ntotal));
    ivf->ntotal = h.ntotal;
    ivf->nprobe = size_t(nprobe);
    ivf->is_trained = h.is_trained;
    construct(s, [&] {
        ivf->set_direct_map_type(DirectMap::Type(dm));
        return 0;
    });
    return ivf;
}

void write_binary_idmap(IOWriter* b, const IndexBinary& index) {
    const auto& im = static_cast<const IndexBinaryIDMap&>(index);
    write_binary_header(b, im);
    write_index_binary_record(b, im.index);
    put_ids(b, im.id_map);
}

namespace {
std::unique_ptr<IndexBinary> read_binary_idmap_body(SectionReader& s, int depth, bool two) {
    const BinaryHeader h = read_binary_header(s);
    std::unique_ptr<IndexBinary> sub = read_nested_binary(s, depth, "index");
    const uint64_t cnt = s.get<uint64_t>("id_map");
    std::vector<idx_t> ids;
    read_array_body(s, ids, cnt, cnt, "id_map");
    return assemble_binary_idmap(s, h.d, h.ntotal, h.is_trained, std::move(sub), std::move(ids),
                                 two);
}
}  // namespace

std::unique_ptr<IndexBinary> assemble_binary_idmap(SectionReader& s, int d, idx_t ntotal,
                                                   bool is_trained,
                                                   std::unique_ptr<IndexBinary> sub,
                                                   std::vector<idx_t> ids, bool two) {
    if (sub->d != d || sub->ntotal != ntotal) s.fail("wrapped index d or ntotal differ");
    // Over an index that keeps ids, removed entries stay as -1: at least ntotal entries.
    if (sub->accepts_ids() ? ids.size() < uint64_t(ntotal) : ids.size() != uint64_t(ntotal))
        s.fail(
            format_string("id_map holds %zu ids for ntotal=%lld", ids.size(), (long long)ntotal));
    size_t live = 0;
    for (idx_t v : ids) {
        if (v < -1 || (v == -1 && !sub->accepts_ids()))
            s.fail(format_string("invalid id %lld in id_map", (long long)v));
        live += v >= 0;
    }
    if (live != size_t(ntotal)) s.fail("id_map live entries differ from ntotal");
    if (two) {
        std::unordered_set<idx_t> seen;
        for (idx_t v : ids)
            if (v >= 0 && !seen.insert(v).second)
                s.fail(format_string("duplicate id %lld in an IDMap2", (long long)v));
    }
    // The wrapper wants an empty index: attach it after construction.
    sub->ntotal = 0;
    std::unique_ptr<IndexBinaryIDMap> im;
    if (two)
        im = construct(s, [&] { return std::make_unique<IndexBinaryIDMap2>(sub.get()); });
    else
        im = construct(s, [&] { return std::make_unique<IndexBinaryIDMap>(sub.get()); });
    sub->ntotal = ntotal;
    im->own_fields = true;
    IndexBinary* inner = sub.release();
    im->id_map = std::move(ids);
    if (two) static_cast<IndexBinaryIDMap2&>(*im).construct_rev_map();
    im->ntotal = ntotal;
    im->is_trained = is_trained && inner->is_trained;
    return im;
}

std::unique_ptr<IndexBinary> read_binary_idmap(SectionReader& s, int depth) {
    return read_binary_idmap_body(s, depth, false);
}
std::unique_ptr<IndexBinary> read_binary_idmap2(SectionReader& s, int depth) {
    return read_binary_idmap_body(s, depth, true);
}

void write_binary_hash(IOWriter* b, const IndexBinary& index) {
    const auto& hsh = static_cast<const IndexBinaryHash&>(index);
    write_binary_header(b, hsh);
    put<int32_t>(b, hsh.b);
    put<int32_t>(b, hsh.nflip);
    put<uint64_t>(b, hsh.invlists.size());
    for (const auto& [key, bk] : hsh.invlists) {
        put<uint64_t>(b, key);
        put_ids(b, bk.ids);
        b->write(bk.codes.data(), bk.codes.size());
    }
}

std::unique_ptr<IndexBinary> read_binary_hash(SectionReader& s, int) {
    const BinaryHeader h = read_binary_header(s);
    const int32_t bits = read_small<int32_t>(s, "b", 1, std::min<int32_t>(64, h.d));
    const int32_t nflip = read_small<int32_t>(s, "nflip", 0, std::min<int32_t>(bits, 8));
    auto idx = std::make_unique<IndexBinaryHash>(h.d, bits);
    idx->nflip = nflip;
    const uint64_t nb = s.get<uint64_t>("buckets");
    if (nb > s.left / 16) s.fail("bucket count exceeds the bytes left");
    const size_t cs = size_t(h.d / 8);
    uint64_t total = 0;
    for (uint64_t i = 0; i < nb; ++i) {
        const uint64_t key = s.get<uint64_t>("bucket_key");
        if (bits < 64 && (key >> bits)) s.fail("bucket key wider than b bits");
        auto& bk = idx->invlists[key];
        if (!bk.ids.empty()) s.fail("duplicate bucket key");
        const uint64_t n = s.get<uint64_t>("bucket_ids");
        if (n == 0 || n > s.left / (8 + cs)) s.fail("bucket size exceeds the bytes left");
        read_ids_body(s, bk.ids, n, "bucket_ids");
        bk.codes.resize(size_t(n) * cs);
        s.get_bytes(bk.codes.data(), n * cs, "bucket_codes");
        for (size_t j = 0; j < size_t(n); ++j)
            if (code_bits(&bk.codes[j * cs], 0, bits) != key) s.fail("code in the wrong bucket");
        total += n;
    }
    if (total != uint64_t(h.ntotal)) s.fail("buckets hold a different count than ntotal");
    idx->ntotal = h.ntotal;
    return idx;
}

void write_binary_multihash(IOWriter* b, const IndexBinary& index) {
    const auto& mh = static_cast<const IndexBinaryMultiHash&>(index);
    write_binary_header(b, mh);
    put<int32_t>(b, mh.nhash);
    put<int32_t>(b, mh.b);
    put<int32_t>(b, mh.nflip);
    write_index_binary_record(b, &mh.storage);
    for (const auto& m : mh.maps) {
        put<uint64_t>(b, m.size());
        for (const auto& [key, ids] : m) {
            put<uint64_t>(b, key);
            put_ids(b, ids);
        }
    }
}

std::unique_ptr<IndexBinary> read_binary_multihash(SectionReader& s, int depth) {
    const BinaryHeader h = read_binary_header(s);
    const int32_t nhash = read_small<int32_t>(s, "nhash", 1, h.d);
    const int32_t bits = read_small<int32_t>(s, "b", 1, std::min<int32_t>(64, h.d));
    const int32_t nflip = read_small<int32_t>(s, "nflip", 0, std::min<int32_t>(bits, 8));
    auto idx =
        construct(s, [&] { return std::make_unique<IndexBinaryMultiHash>(h.d, nhash, bits); });
    idx->nflip = nflip;
    std::unique_ptr<IndexBinary> st = read_nested_binary(s, depth, "storage", kTagBinaryFlat);
    if (st->d != h.d || st->ntotal != h.ntotal) s.fail("storage d or ntotal differ");
    // The storage record is a plain IndexBinaryFlat: take its codes over.
    auto& flat = static_cast<IndexBinaryFlat&>(*st);
    if (flat.xb.empty() && h.ntotal > 0)  // memory-mapped: stays in the file
        idx->storage.set_mapped(flat.get_xb(), h.ntotal, s.r->keepalive());
    else
        idx->storage.xb = std::move(flat.xb);
    idx->storage.ntotal = h.ntotal;
    for (int32_t t = 0; t < nhash; ++t) {
        const uint64_t nb = s.get<uint64_t>("buckets");
        if (nb > s.left / 16) s.fail("bucket count exceeds the bytes left");
        uint64_t total = 0;
        for (uint64_t i = 0; i < nb; ++i) {
            const uint64_t key = s.get<uint64_t>("bucket_key");
            auto& ids = idx->maps[size_t(t)][key];
            if (!ids.empty()) s.fail("duplicate bucket key");
            const uint64_t n = s.get<uint64_t>("bucket_ids");
            if (n == 0 || n > s.left / 8) s.fail("bucket size exceeds the bytes left");
            read_ids_body(s, ids, n, "bucket_ids");
            for (idx_t v : ids) {
                if (v >= h.ntotal) s.fail("bucket id beyond ntotal");
                const uint8_t* c = idx->storage.get_xb() + size_t(v) * size_t(h.d / 8);
                if (code_bits(c, size_t(t) * size_t(bits), bits) != key)
                    s.fail("code in the wrong bucket");
            }
            total += n;
        }
        if (total != uint64_t(h.ntotal)) s.fail("a hash table holds a different count than ntotal");
    }
    idx->ntotal = h.ntotal;
    return idx;
}

void write_binary_fromfloat(IOWriter* b, const IndexBinary& index) {
    const auto& ff = static_cast<const IndexBinaryFromFloat&>(index);
    write_binary_header(b, ff);
    write_index_record(b, ff.index.get());
}

std::unique_ptr<IndexBinary> read_binary_fromfloat(SectionReader& s, int depth) {
    const BinaryHeader h = read_binary_header(s);
    std::unique_ptr<Index> sub = read_nested(s, depth, "index");
    if (sub->d != h.d || sub->ntotal != h.ntotal) s.fail("float index d or ntotal differ");
    auto ff = std::make_unique<IndexBinaryFromFloat>(sub.get());
    ff->index.set_owned(true);
    sub.release();
    ff->is_trained = h.is_trained && ff->index->is_trained;
    return ff;
}

}  // namespace records
}  // namespace faisslike
