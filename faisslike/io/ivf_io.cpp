// IVF records (IwFl, IwPQ, IwSQ, IwPf, IwRq): the shared head (with the nested quantizer) and
// lists.
#include "faisslike/impl/IndexRecords.h"

#include "faisslike/IndexIVFFlat.h"
#include "faisslike/IndexIVFPQ.h"
#include "faisslike/IndexIVFPQFastScan.h"
#include "faisslike/IndexPQFastScan.h"
#include "faisslike/IndexRaBitQ.h"
#include "faisslike/IndexScalarQuantizer.h"
#include "faisslike/invlists/InvertedLists.h"
#include "faisslike/invlists/OnDiskInvertedLists.h"

namespace faisslike {
namespace records {

namespace {

void write_ivf_head(IOWriter* b, const IndexIVF* ivf) {
    // Never write a file the reader would refuse (a quantizer reset after training).
    if (ivf->is_trained) ivf->check_quantizer();
    write_index_header(b, ivf);
    put<uint64_t>(b, ivf->nlist);
    put<uint64_t>(b, ivf->nprobe);
    put<uint64_t>(b, ivf->code_size);
    put<uint8_t>(b, uint8_t(ivf->direct_map.type));
    write_index_record(b, ivf->quantizer.get());
}

void write_ivf_lists(IOWriter* b, const IndexIVF* ivf) {
    write_invlists(b, *ivf->invlists);
}

struct IVFHead {
    IndexHeader h;
    uint64_t nlist, nprobe, code_size;
    uint8_t dm;
    std::unique_ptr<Index> quantizer;
};

IVFHead read_ivf_head(SectionReader& s, int depth) {
    IVFHead v;
    v.h = read_index_header(s);
    v.nlist = s.get<uint64_t>("nlist");
    v.nprobe = s.get<uint64_t>("nprobe");
    v.code_size = s.get<uint64_t>("code_size");
    v.dm = s.get<uint8_t>("direct_map_type");
    if (v.nlist < 1 || v.nlist > (uint64_t(1) << 31))
        s.fail(format_string("invalid nlist %llu", (unsigned long long)v.nlist));
    if (v.nprobe < 1 || v.nprobe > IndexIVF::kMaxNprobe)
        s.fail(format_string("invalid nprobe %llu", (unsigned long long)v.nprobe));
    if (v.code_size < 1 || v.code_size > (uint64_t(1) << 30))
        s.fail(format_string("invalid code_size %llu", (unsigned long long)v.code_size));
    if (v.dm > DirectMap::Hashtable) s.fail(format_string("invalid direct map type %u", v.dm));
    v.quantizer = read_nested(s, depth, "quantizer");
    // Every list stores at least its 8-byte size: bound nlist by the bytes left before the
    // index (and its nlist list headers) is built.
    if (v.nlist > s.left / 8)
        s.fail(format_string("nlist %llu cannot fit in the %llu bytes left",
                             (unsigned long long)v.nlist, (unsigned long long)s.left));
    if (v.quantizer->d != v.h.d)
        s.fail(format_string("quantizer has d=%d, index d=%d", v.quantizer->d, v.h.d));
    if (v.h.is_trained && uint64_t(v.quantizer->ntotal) != v.nlist)
        s.fail(
            format_string("trained index but the quantizer holds %lld centroids for "
                          "nlist=%llu",
                          (long long)v.quantizer->ntotal, (unsigned long long)v.nlist));
    return v;
}

// Fills the lists of a freshly built IVF (whose code_size the caller has checked).
void read_ivf_lists(SectionReader& s, IndexIVF& ivf, const IVFHead& v) {
    // The writer's rule, on reading: a trained IVF's quantizer is trained and holds nlist
    // centroids labelled 0..nlist-1 (what every add and search relies on).
    if (v.h.is_trained) {
        try {
            ivf.check_quantizer();
        } catch (const Error& e) {
            s.fail(e.what());
        }
    }
    ivf.invlists = read_invlists(s, size_t(v.nlist), ivf.code_size, uint64_t(v.h.ntotal));
    ivf.ntotal = v.h.ntotal;
    ivf.nprobe = size_t(v.nprobe);
    ivf.is_trained = v.h.is_trained;
    ivf.set_direct_map_type(DirectMap::Type(v.dm));
}

}  // namespace

// On-disk lists: kOnDiskMarker where the first list size would be, then the data file's name
// (uint64 length + bytes), size and hash, and per list uint64 offset + uint64 size.
constexpr uint64_t kOnDiskMarker = ~uint64_t(0);

void write_invlists(IOWriter* b, const InvertedLists& il);

namespace {
std::unique_ptr<InvertedLists> read_ondisk_invlists(SectionReader& s, size_t nlist,
                                                    size_t code_size, uint64_t expected_total) {
    const uint64_t len = s.get<uint64_t>("ondisk_filename_length");
    if (len == 0 || len > 4096)
        s.fail(format_string("invalid on-disk file name length %llu", (unsigned long long)len));
    std::string name(size_t(len), '\0');
    s.get_bytes(&name[0], len, "ondisk_filename");
    if (name.find('\0') != std::string::npos) s.fail("on-disk file name contains a NUL byte");
    const uint64_t file_size = s.get<uint64_t>("ondisk_file_size");
    const uint64_t file_hash = s.get<uint64_t>("ondisk_file_hash");
    if (nlist > s.left / 16) s.fail("on-disk list table cannot fit in the bytes left");
    std::vector<uint64_t> offsets(nlist), sizes(nlist);
    uint64_t total = 0;
    for (size_t l = 0; l < nlist; ++l) {
        offsets[l] = s.get<uint64_t>("ondisk_offset");
        sizes[l] = s.get<uint64_t>("ondisk_list_size");
        if (sizes[l] > 0xffffffffull)
            s.fail(format_string("list %zu claims %llu entries", l, (unsigned long long)sizes[l]));
        total += sizes[l];
    }
    if (total != expected_total)
        s.fail(format_string("lists hold %llu vectors but ntotal=%llu", (unsigned long long)total,
                             (unsigned long long)expected_total));
    const std::string& dir = s.r->unhashed()->ondisk_dir;
    std::string path = name;
    if (!dir.empty()) {
        const size_t slash = name.rfind('/');
        path = dir + "/" + (slash == std::string::npos ? name : name.substr(slash + 1));
    }
    return OnDiskInvertedLists::open(path, nlist, code_size, offsets, sizes, file_size, file_hash);
}
}  // namespace

void write_invlists(IOWriter* b, const InvertedLists& il) {
    if (auto* od = dynamic_cast<const OnDiskInvertedLists*>(&il)) {
        od->check_unchanged();
        put<uint64_t>(b, kOnDiskMarker);
        put<uint64_t>(b, od->filename.size());
        b->write(od->filename.data(), od->filename.size());
        put<uint64_t>(b, od->file_size);
        put<uint64_t>(b, od->file_hash);
        for (size_t l = 0; l < il.nlist; ++l) {
            put<uint64_t>(b, od->offsets[l]);
            put<uint64_t>(b, il.list_size(l));
        }
        return;
    }
    for (size_t l = 0; l < il.nlist; ++l) {
        const uint64_t ls = il.list_size(l);
        put<uint64_t>(b, ls);
        write_pad(b);
        b->write(il.get_ids(l), ls * sizeof(idx_t));
        write_pad(b);
        b->write(il.get_codes(l), ls * il.code_size);
    }
}

std::unique_ptr<InvertedLists> read_invlists(SectionReader& s, size_t nlist, size_t code_size,
                                             uint64_t expected_total) {
    // Memory-mapped file: the lists are used in place.
    std::unique_ptr<MappedInvertedLists> mapped;
    std::unique_ptr<ArrayInvertedLists> arr;
    if (std::shared_ptr<const void> owner = s.r->keepalive())
        mapped = std::make_unique<MappedInvertedLists>(nlist, code_size, owner);
    else
        arr = std::make_unique<ArrayInvertedLists>(nlist, code_size);
    uint64_t total = 0;
    for (uint64_t l = 0; l < nlist; ++l) {
        const uint64_t ls = s.get<uint64_t>("list_size");
        if (l == 0 && ls == kOnDiskMarker)
            return read_ondisk_invlists(s, nlist, code_size, expected_total);
        // Offsets are 32-bit in the direct map; sizes are checked before any allocation.
        if (ls > 0xffffffffull || ls > s.left / (sizeof(idx_t) + code_size))
            s.fail(format_string("list %llu claims %llu entries, more than the bytes left allow",
                                 (unsigned long long)l, (unsigned long long)ls));
        // A mapped reader returns views and leaves the vectors alone.
        LiveArray<idx_t> unused_ids;
        LiveArray<uint8_t> unused_codes;
        LiveArray<idx_t>& ids_out = mapped ? unused_ids : arr->ids[l];
        LiveArray<uint8_t>& codes_out = mapped ? unused_codes : arr->codes[l];
        const idx_t* ids = read_aligned_array(s, ids_out, ls, "list_ids");
        if (!ids) ids = ids_out.data();
        for (uint64_t o = 0; o < ls; ++o)
            if (ids[o] < 0)
                s.fail(format_string("list %llu holds invalid id %lld", (unsigned long long)l,
                                     (long long)ids[o]));
        const uint8_t* codes = read_aligned_array(s, codes_out, ls * code_size, "list_codes");
        if (mapped) {
            mapped->ids[size_t(l)] = ids;
            mapped->codes[size_t(l)] = codes;
            mapped->sizes[size_t(l)] = size_t(ls);
        }
        total += ls;
    }
    if (total != expected_total)
        s.fail(format_string("lists hold %llu vectors but ntotal=%llu", (unsigned long long)total,
                             (unsigned long long)expected_total));
    if (mapped) return mapped;
    return arr;
}

void write_ivf_flat(IOWriter* b, const Index& index) {
    const auto* ivf = static_cast<const IndexIVFFlat*>(&index);
    write_ivf_head(b, ivf);
    write_ivf_lists(b, ivf);
}

void write_ivf_pq(IOWriter* b, const Index& index) {
    const auto* ivf = static_cast<const IndexIVFPQ*>(&index);
    write_ivf_head(b, ivf);
    put<uint8_t>(b, ivf->by_residual ? 1 : 0);
    put<uint8_t>(b, ivf->use_precomputed_table ? 1 : 0);
    write_pq(b, ivf->pq);
    write_ivf_lists(b, ivf);
}

void write_ivf_sq(IOWriter* b, const Index& index) {
    const auto* ivf = static_cast<const IndexIVFScalarQuantizer*>(&index);
    write_ivf_head(b, ivf);
    put<uint8_t>(b, ivf->by_residual ? 1 : 0);
    write_sq(b, ivf->sq);
    write_ivf_lists(b, ivf);
}

std::unique_ptr<Index> read_ivf_flat(SectionReader& s, int depth) {
    IVFHead v = read_ivf_head(s, depth);
    if (v.code_size != sizeof(float) * uint64_t(v.h.d))
        s.fail(format_string("code_size %llu does not match d=%d", (unsigned long long)v.code_size,
                             v.h.d));
    auto ivf = std::make_unique<IndexIVFFlat>(v.quantizer.get(), v.h.d, size_t(v.nlist),
                                              MetricType(v.h.metric));
    ivf->quantizer.set_owned(true);
    v.quantizer.release();
    read_ivf_lists(s, *ivf, v);
    return ivf;
}

std::unique_ptr<Index> read_ivf_pq(SectionReader& s, int depth) {
    IVFHead v = read_ivf_head(s, depth);
    const uint8_t by_res = s.get<uint8_t>("by_residual"),
                  precomp = s.get<uint8_t>("use_precomputed_table");
    if (by_res > 1 || precomp > 1) s.fail("invalid by_residual / use_precomputed_table flag");
    uint64_t M, nbits;
    read_pq_params(s, v.h.d, M, nbits);
    auto ivf = std::make_unique<IndexIVFPQ>(v.quantizer.get(), v.h.d, size_t(v.nlist), size_t(M),
                                            size_t(nbits), MetricType(v.h.metric));
    ivf->quantizer.set_owned(true);
    v.quantizer.release();
    if (v.code_size != ivf->code_size)
        s.fail(format_string("code_size %llu does not match the PQ (%zu)",
                             (unsigned long long)v.code_size, ivf->code_size));
    ivf->by_residual = by_res == 1;
    ivf->use_precomputed_table = precomp == 1;
    read_pq_centroids(s, ivf->pq, v.h.is_trained);
    read_ivf_lists(s, *ivf, v);
    if (ivf->is_trained) ivf->precompute_table();
    return ivf;
}

void write_ivf_pq_fastscan(IOWriter* b, const Index& index) {
    const auto* ivf = static_cast<const IndexIVFPQFastScan*>(&index);
    write_ivf_head(b, ivf);
    put<uint8_t>(b, ivf->by_residual ? 1 : 0);
    write_pq(b, ivf->pq);
    put<int32_t>(b, ivf->bbs);
    write_ivf_lists(b, ivf);
}

std::unique_ptr<Index> read_ivf_pq_fastscan(SectionReader& s, int depth) {
    IVFHead v = read_ivf_head(s, depth);
    const uint8_t by_res = s.get<uint8_t>("by_residual");
    if (by_res > 1) s.fail(format_string("invalid by_residual byte %u", unsigned(by_res)));
    uint64_t M, nbits;
    read_pq_params(s, v.h.d, M, nbits);
    check_fastscan_pq(s, M, nbits, v.h.metric);
    auto ivf = std::make_unique<IndexIVFPQFastScan>(v.quantizer.get(), v.h.d, size_t(v.nlist),
                                                    size_t(M), 4, MetricType(v.h.metric));
    ivf->quantizer.set_owned(true);
    v.quantizer.release();
    if (v.code_size != ivf->code_size)
        s.fail(format_string("code_size %llu does not match the PQ (%zu)",
                             (unsigned long long)v.code_size, ivf->code_size));
    ivf->by_residual = by_res == 1;
    read_pq_centroids(s, ivf->pq, v.h.is_trained);
    ivf->bbs = read_bbs(s);
    read_ivf_lists(s, *ivf, v);
    ivf->lists_changed(false);  // the packed copies
    return ivf;
}

std::unique_ptr<Index> read_ivf_sq(SectionReader& s, int depth) {
    IVFHead v = read_ivf_head(s, depth);
    const uint8_t by_res = s.get<uint8_t>("by_residual");
    if (by_res > 1) s.fail(format_string("invalid by_residual byte %u", unsigned(by_res)));
    ScalarQuantizer sq = read_sq(s, v.h.d, v.h.is_trained);
    if (v.h.is_trained && !sq.is_trained()) s.fail("trained index without quantizer ranges");
    if (v.code_size != sq.code_size)
        s.fail(format_string("code_size %llu does not match the quantizer (%zu)",
                             (unsigned long long)v.code_size, sq.code_size));
    auto ivf = std::make_unique<IndexIVFScalarQuantizer>(
        v.quantizer.get(), v.h.d, size_t(v.nlist), sq.qtype, MetricType(v.h.metric), by_res == 1);
    ivf->quantizer.set_owned(true);
    v.quantizer.release();
    ivf->sq = sq;
    read_ivf_lists(s, *ivf, v);
    return ivf;
}

void write_ivf_rabitq(IOWriter* b, const Index& index) {
    const auto* ivf = static_cast<const IndexIVFRaBitQ*>(&index);
    write_ivf_head(b, ivf);
    write_rabitq_settings(b, ivf->rabitq.nb_bits, ivf->qb, ivf->centered);
    write_ivf_lists(b, ivf);
}

namespace {
// The common part of IwRq and IwRf: head, settings, (bbs), lists.
template <class T>
std::unique_ptr<Index> read_rabitq_ivf_as(SectionReader& s, int depth, bool fast_scan) {
    IVFHead v = read_ivf_head(s, depth);
    int nb_bits, qb;
    bool centered;
    read_rabitq_settings(s, v.h.metric, nb_bits, qb, centered);
    const int32_t bbs = fast_scan ? read_bbs(s) : 0;
    if (fast_scan && (v.h.d > 1024))
        s.fail(format_string("RaBitQ fast-scan with d=%d > 1024", v.h.d));
    std::unique_ptr<T> ivf;
    if constexpr (std::is_same<T, IndexIVFRaBitQFastScan>::value) {
        ivf = std::make_unique<T>(v.quantizer.get(), v.h.d, size_t(v.nlist), MetricType(v.h.metric),
                                  nb_bits, bbs);
    } else {
        ivf = std::make_unique<T>(v.quantizer.get(), v.h.d, size_t(v.nlist), MetricType(v.h.metric),
                                  nb_bits);
    }
    ivf->quantizer.set_owned(true);
    v.quantizer.release();
    if (v.code_size != ivf->code_size)
        s.fail(format_string("code_size %llu does not match RaBitQ d=%d nb_bits=%d (%zu)",
                             (unsigned long long)v.code_size, v.h.d, nb_bits, ivf->code_size));
    ivf->qb = qb;
    ivf->centered = centered;
    read_ivf_lists(s, *ivf, v);
    ivf->lists_changed(false);  // fast-scan: the packed copies
    return ivf;
}
}  // namespace

std::unique_ptr<Index> read_ivf_rabitq(SectionReader& s, int depth) {
    return read_rabitq_ivf_as<IndexIVFRaBitQ>(s, depth, false);
}

void write_ivf_rabitq_fastscan(IOWriter* b, const Index& index) {
    const auto* ivf = static_cast<const IndexIVFRaBitQFastScan*>(&index);
    write_ivf_head(b, ivf);
    write_rabitq_settings(b, ivf->rabitq.nb_bits, ivf->qb, ivf->centered);
    put<int32_t>(b, ivf->bbs);
    write_ivf_lists(b, ivf);
}

std::unique_ptr<Index> read_ivf_rabitq_fastscan(SectionReader& s, int depth) {
    return read_rabitq_ivf_as<IndexIVFRaBitQFastScan>(s, depth, true);
}

}  // namespace records
}  // namespace faisslike
