#include "faisslike/invlists/OnDiskInvertedLists.h"

// Header-only use of xxHash, as index_io.cpp.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstring>

#include "faisslike/Error.h"
#include "faisslike/io.h"

namespace faisslike {

namespace {
constexpr char kMagic[8] = {'F', 'L', 'I', 'V', 'D', 'A', 'T', 'A'};

uint64_t round_up(uint64_t v) {
    return (v + 63) / 64 * 64;
}

// Writes through to the file and hashes what it writes.
struct HashingWriter {
    AtomicFileWriter w;
    XXH3_state_t* st;
    uint64_t pos = 0;
    explicit HashingWriter(const std::string& path) : w(path), st(XXH3_createState()) {
        FAISSLIKE_THROW_IF_NOT_MSG(st != nullptr, "cannot allocate a hash state");
        XXH3_64bits_reset(st);
    }
    ~HashingWriter() { XXH3_freeState(st); }
    void write(const void* p, size_t n) {
        if (n == 0) return;
        w.write(p, n);
        XXH3_64bits_update(st, p, n);
        pos += n;
    }
    void pad() {
        static const uint8_t zeros[64] = {};
        write(zeros, size_t(round_up(pos) - pos));
    }
};
}  // namespace

std::unique_ptr<OnDiskInvertedLists> OnDiskInvertedLists::merge(
    const std::vector<const InvertedLists*>& sources, const std::string& filename, bool shift_ids) {
    FAISSLIKE_CHECK_ARG_MSG(!sources.empty(), "merge: no inverted lists to merge");
    for (const InvertedLists* s : sources) FAISSLIKE_CHECK_ARG_MSG(s, "merge: a source is null");
    const size_t nlist = sources[0]->nlist, code_size = sources[0]->code_size;
    for (const InvertedLists* s : sources)
        FAISSLIKE_CHECK_ARG(s->nlist == nlist && s->code_size == code_size,
                            "merge: sources differ (nlist %zu / %zu, code_size %zu / %zu)",
                            s->nlist, nlist, s->code_size, code_size);
    std::vector<idx_t> shift(sources.size(), 0);
    for (size_t i = 1; i < sources.size(); ++i)
        shift[i] = shift[i - 1] + idx_t(sources[i - 1]->compute_ntotal());
    std::vector<uint64_t> offsets(nlist), sizes(nlist);
    uint64_t file_size, hash;
    {
        HashingWriter hw(filename);
        uint8_t header[kHeaderSize] = {};
        std::memcpy(header, kMagic, 8);
        const uint32_t version = 1;
        std::memcpy(header + 8, &version, 4);
        hw.write(header, sizeof(header));
        std::vector<idx_t> ids;
        for (size_t l = 0; l < nlist; ++l) {
            offsets[l] = hw.pos;
            uint64_t n = 0;
            for (size_t i = 0; i < sources.size(); ++i) {
                const size_t ls = sources[i]->list_size(l);
                const idx_t* src = sources[i]->get_ids(l);
                ids.assign(src, src + ls);
                if (shift_ids)
                    for (idx_t& id : ids) id += shift[i];
                hw.write(ids.data(), ls * sizeof(idx_t));
                n += ls;
            }
            FAISSLIKE_THROW_IF_NOT_FMT(n <= 0xffffffffull,
                                       "merge: list %zu would hold %llu entries", l,
                                       (unsigned long long)n);
            sizes[l] = n;
            hw.pad();
            for (const InvertedLists* s : sources)
                hw.write(s->get_codes(l), s->list_size(l) * code_size);
            hw.pad();
        }
        file_size = hw.pos;
        hash = XXH3_64bits_digest(hw.st);
        hw.w.commit();
    }
    return open(filename, nlist, code_size, offsets, sizes, file_size, hash);
}

std::unique_ptr<OnDiskInvertedLists> OnDiskInvertedLists::open(const std::string& filename,
                                                               size_t nlist, size_t code_size,
                                                               const std::vector<uint64_t>& offsets,
                                                               const std::vector<uint64_t>& sizes,
                                                               uint64_t file_size,
                                                               uint64_t file_hash) {
    FAISSLIKE_THROW_IF_NOT_MSG(offsets.size() == nlist && sizes.size() == nlist,
                               "on-disk lists: one offset and one size per list expected");
    MmapIOReader r(filename);
    FAISSLIKE_THROW_IF_NOT_FMT(r.remaining() == file_size,
                               "inverted-lists data file '%s' holds %llu bytes, the index "
                               "recorded %llu: it is not the file this index was built with",
                               filename.c_str(), (unsigned long long)r.remaining(),
                               (unsigned long long)file_size);
    FAISSLIKE_THROW_IF_NOT_FMT(file_size >= kHeaderSize,
                               "inverted-lists data file '%s' is too short", filename.c_str());
    const uint8_t* base = r.try_view(size_t(file_size));
    FAISSLIKE_THROW_IF_NOT_FMT(std::memcmp(base, kMagic, 8) == 0,
                               "'%s' is not an inverted-lists data file", filename.c_str());
    FAISSLIKE_THROW_IF_NOT_FMT(XXH3_64bits(base, size_t(file_size)) == file_hash,
                               "inverted-lists data file '%s' does not match the index (hash "
                               "differs): it was changed or replaced",
                               filename.c_str());
    std::unique_ptr<OnDiskInvertedLists> il(
        new OnDiskInvertedLists(nlist, code_size, r.keepalive()));
    il->filename = filename;
    il->offsets = offsets;
    il->file_size = file_size;
    il->file_hash = file_hash;
    il->file = r.mapped_file();
    for (size_t l = 0; l < nlist; ++l) {
        const uint64_t off = offsets[l], n = sizes[l];
        // Extents inside the file, aligned; nothing read before this check.
        const bool ok = n <= 0xffffffffull && off >= kHeaderSize && off % 64 == 0 &&
                        off <= file_size && n * 8 <= file_size - off &&
                        n * code_size <= file_size - round_up(off + n * 8) &&
                        round_up(off + n * 8) <= file_size;
        FAISSLIKE_THROW_IF_NOT_FMT(ok,
                                   "inverted-lists data file '%s': list %zu (offset %llu, "
                                   "%llu entries) lies outside the file",
                                   filename.c_str(), l, (unsigned long long)off,
                                   (unsigned long long)n);
        const idx_t* ids = reinterpret_cast<const idx_t*>(base + off);
        for (uint64_t o = 0; o < n; ++o)
            FAISSLIKE_THROW_IF_NOT_FMT(ids[o] >= 0,
                                       "inverted-lists data file '%s': list %zu "
                                       "holds invalid id %lld",
                                       filename.c_str(), l, (long long)ids[o]);
        il->ids[l] = ids;
        il->codes[l] = base + round_up(off + n * 8);
        il->sizes[l] = size_t(n);
    }
    return il;
}

void OnDiskInvertedLists::check_unchanged() const {
    if (file) file->check_unchanged();
}

}  // namespace faisslike
