#include "faisslike/index_io.h"

// Header-only use of Debian's libxxhash-dev: XXH3-64 per record.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstring>
#include <typeinfo>

#include "faisslike/Error.h"
#include "faisslike/IndexBinaryFlat.h"
#include "faisslike/IndexBinaryFromFloat.h"
#include "faisslike/IndexBinaryHash.h"
#include "faisslike/IndexBinaryIDMap.h"
#include "faisslike/IndexBinaryIVF.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexIVFFlat.h"
#include "faisslike/IndexIVFPQ.h"
#include "faisslike/IndexIVFPQFastScan.h"
#include "faisslike/IndexPQ.h"
#include "faisslike/IndexPQFastScan.h"
#include "faisslike/IndexPreTransform.h"
#include "faisslike/IndexRaBitQ.h"
#include "faisslike/IndexRefine.h"
#include "faisslike/IndexRowwiseMinMax.h"
#include "faisslike/IndexScalarQuantizer.h"
#include "faisslike/IndexShards.h"
#include "faisslike/impl/IndexRecords.h"

namespace faisslike {
namespace records {

namespace {

// PNG-style: a high byte and CR LF catch 7-bit and newline-translating transfers.
constexpr const char (&kMagic)[8] = kFileMagic;

// The one table of record types: tag -> body reader, exact C++ type -> tag and body writer.
// Adding an index type adds its lines here (docs/architecture.md).
template <class Base>
struct ReaderEntryT {
    const char* tag;
    std::unique_ptr<Base> (*read)(SectionReader& s, int depth);
};
using ReaderEntry = ReaderEntryT<Index>;
const ReaderEntry kReaders[] = {
    {kTagFlat, read_flat},
    {kTagIVFFlat, read_ivf_flat},
    {kTagIVFPQ, read_ivf_pq},
    {kTagPQ, read_index_pq},
    {kTagPQFastScan, read_index_pq_fastscan},
    {kTagIVFPQFastScan, read_ivf_pq_fastscan},
    {kTagHNSWFlat, read_hnsw_v1},
    {kTagHNSWFlat2, read_hnsw},
    {kTagHNSWQG, read_hnsw_qg},
    {kTagHNSWCodes, read_hnsw_codes},
    {kTagSQ, read_index_sq},
    {kTagIVFSQ, read_ivf_sq},
    {kTagIDMap, read_idmap},
    {kTagIDMap2, read_idmap2},
    {kTagPreTransform, read_pretransform},
    {kTagShards, read_shards},
    {kTagRowwiseMinMax, read_rowwise_minmax},
    {kTagMultiIndex, read_multi_index_quantizer},
    {kTag2Layer, read_index_2layer},
    {kTagRefineFlat, read_refine},
    {kTagRaBitQ, read_index_rabitq},
    {kTagIVFRaBitQ, read_ivf_rabitq},
    {kTagIVFRaBitQFastScan, read_ivf_rabitq_fastscan},
};
template <class Base>
struct WriterEntryT {
    const std::type_info& type;
    const char* tag;
    void (*write)(IOWriter* b, const Base& index);
};
using WriterEntry = WriterEntryT<Index>;
const WriterEntry kWriters[] = {
    {typeid(IndexFlat), kTagFlat, write_flat},
    {typeid(IndexFlatL2), kTagFlat, write_flat},
    {typeid(IndexFlatIP), kTagFlat, write_flat},
    {typeid(IndexIVFFlat), kTagIVFFlat, write_ivf_flat},
    {typeid(IndexIVFPQ), kTagIVFPQ, write_ivf_pq},
    {typeid(IndexIVFScalarQuantizer), kTagIVFSQ, write_ivf_sq},
    {typeid(IndexPQ), kTagPQ, write_index_pq},
    {typeid(IndexPQFastScan), kTagPQFastScan, write_index_pq_fastscan},
    {typeid(IndexIVFPQFastScan), kTagIVFPQFastScan, write_ivf_pq_fastscan},
    {typeid(IndexScalarQuantizer), kTagSQ, write_index_sq},
    {typeid(IndexHNSWFlat), kTagHNSWFlat2, write_hnsw},
    {typeid(IndexHNSWQG), kTagHNSWQG, write_hnsw},
    {typeid(IndexHNSWSQ), kTagHNSWCodes, write_hnsw_codes},
    {typeid(IndexHNSWPQ), kTagHNSWCodes, write_hnsw_codes},
    {typeid(IndexIDMap), kTagIDMap, write_idmap},
    {typeid(IndexIDMap2), kTagIDMap2, write_idmap},
    {typeid(IndexPreTransform), kTagPreTransform, write_pretransform},
    {typeid(IndexShards), kTagShards, write_shards},
    {typeid(IndexRowwiseMinMax), kTagRowwiseMinMax, write_rowwise_minmax},
    {typeid(MultiIndexQuantizer), kTagMultiIndex, write_multi_index_quantizer},
    {typeid(Index2Layer), kTag2Layer, write_index_2layer},
    {typeid(IndexHNSW2Level), kTagHNSWCodes, write_hnsw_codes},
    {typeid(IndexRowwiseMinMaxFP16), kTagRowwiseMinMax, write_rowwise_minmax},
    {typeid(IndexRefineFlat), kTagRefineFlat, write_refine},
    {typeid(IndexRaBitQ), kTagRaBitQ, write_index_rabitq},
    {typeid(IndexIVFRaBitQ), kTagIVFRaBitQ, write_ivf_rabitq},
    {typeid(IndexIVFRaBitQFastScan), kTagIVFRaBitQFastScan, write_ivf_rabitq_fastscan},
};

// Binary indexes: their own records (a binary record never stands where a float index is
// expected, nor the reverse).
const ReaderEntryT<IndexBinary> kBinaryReaders[] = {
    {kTagBinaryFlat, read_binary_flat},           {kTagBinaryIVF, read_binary_ivf},
    {kTagBinaryIDMap, read_binary_idmap},         {kTagBinaryIDMap2, read_binary_idmap2},
    {kTagBinaryHash, read_binary_hash},           {kTagBinaryMultiHash, read_binary_multihash},
    {kTagBinaryFromFloat, read_binary_fromfloat}, {kTagBinaryHNSW, read_binary_hnsw},
};
const WriterEntryT<IndexBinary> kBinaryWriters[] = {
    {typeid(IndexBinaryFlat), kTagBinaryFlat, write_binary_flat},
    {typeid(IndexBinaryIVF), kTagBinaryIVF, write_binary_ivf},
    {typeid(IndexBinaryIDMap), kTagBinaryIDMap, write_binary_idmap},
    {typeid(IndexBinaryIDMap2), kTagBinaryIDMap2, write_binary_idmap},
    {typeid(IndexBinaryHash), kTagBinaryHash, write_binary_hash},
    {typeid(IndexBinaryMultiHash), kTagBinaryMultiHash, write_binary_multihash},
    {typeid(IndexBinaryFromFloat), kTagBinaryFromFloat, write_binary_fromfloat},
    {typeid(IndexBinaryHNSW), kTagBinaryHNSW, write_binary_hnsw},
};

// Counts bytes instead of storing them: record lengths are known without buffering a
// (possibly multi-GB) body in memory, and nested records only count (nothing is hashed).
struct CountingWriter : IOWriter {
    uint64_t base, n = 0;  // base: the file offset the counted bytes start at
    explicit CountingWriter(uint64_t base) : base(base) {}
    void write(const void*, size_t k) override { n += k; }
    uint64_t position() const override { return base + n; }
    bool counting_only() const override { return true; }
};

// One XXH3-64 stream (owns its state).
struct Xxh3 {
    XXH3_state_t* st;
    Xxh3() : st(XXH3_createState()) {
        FAISSLIKE_THROW_IF_NOT_MSG(st != nullptr, "out of memory for a hash state");
        XXH3_64bits_reset(st);
    }
    ~Xxh3() { XXH3_freeState(st); }
    Xxh3(const Xxh3&) = delete;
    Xxh3& operator=(const Xxh3&) = delete;
    void update(const void* p, size_t n) { XXH3_64bits_update(st, p, n); }
    uint64_t digest() const { return XXH3_64bits_digest(st); }
};

// Forwards writes and hashes them (one per record level: a parent's hash covers its nested
// records, trailers included).
struct HashingWriter : IOWriter {
    IOWriter* w;
    Xxh3 hash;
    explicit HashingWriter(IOWriter* w) : w(w) {}
    void write(const void* p, size_t n) override {
        hash.update(p, n);
        w->write(p, n);
    }
    uint64_t position() const override { return w->position(); }
    IOWriter* unhashed() override { return w->unhashed(); }
};

// Same on the reading side: the caller compares digest() with the stored trailer.
struct HashingReader : IOReader {
    IOReader* r;
    Xxh3 hash;
    explicit HashingReader(IOReader* r) : r(r) {}
    void read(void* p, size_t n) override {
        r->read(p, n);
        hash.update(p, n);
    }
    uint64_t remaining() const override { return r->remaining(); }
    uint64_t position() const override { return r->position(); }
    std::string name() const override { return r->name(); }
    const uint8_t* try_view(size_t n) override {
        const uint8_t* p = r->try_view(n);
        if (p) hash.update(p, n);
        return p;
    }
    std::shared_ptr<const void> keepalive() const override { return r->keepalive(); }
    std::shared_ptr<const MappedFile> mapped_file() const override { return r->mapped_file(); }
    IOReader* unhashed() override { return r->unhashed(); }
    uint64_t digest() const { return hash.digest(); }
};
// tag, body length, body, XXH3-64. The length comes from a counting pass, so the body is
// never buffered. Version 3: a record's checksum covers its own body bytes and the framing
// (tag, length, checksum) of the records nested in it, not their bodies, which their own
// checksums cover: every byte is hashed once, whatever the nesting depth.
template <class Base>
void write_record(IOWriter* w, const char* tag, void (*body)(IOWriter*, const Base&),
                  const Base& idx) {
    if (w->counting_only()) {  // a parent's counting pass: only the size matters
        w->write(tag, 4);
        put<uint64_t>(w, 0);
        body(w, idx);
        put<uint64_t>(w, 0);
        return;
    }
    CountingWriter c(w->position() + 12);
    body(&c, idx);
    w->write(tag, 4);
    put<uint64_t>(w, c.n);
    HashingWriter h(w->unhashed());  // the parent's hash skips this body
    body(&h, idx);
    put<uint64_t>(w, h.hash.digest());
}

std::string tag_name(const char* tag) {
    std::string s;
    for (int i = 0; i < 4; ++i) s += (tag[i] >= 32 && tag[i] < 127) ? tag[i] : '?';
    return s;
}

template <class Base, size_t N>
std::unique_ptr<Base> read_record(IOReader* r, uint64_t limit, int depth, uint32_t version,
                                  const char* expected_tag, const char* field,
                                  const ReaderEntryT<Base> (&table)[N]) {
    char tag[4];
    uint64_t len;
    const uint64_t record_offset = r->position();
    FAISSLIKE_THROW_IF_NOT_FMT(r->remaining() >= 12 && limit >= 12,
                               "%s: truncated before an index record (%llu bytes left)",
                               r->name().c_str(),
                               (unsigned long long)std::min<uint64_t>(limit, r->remaining()));
    r->read(tag, 4);
    r->read(&len, 8);
    const std::string tagname = tag_name(tag);
    InspectScope inspect(tagname.c_str(), field, record_offset);
    const uint64_t trailer = version >= 2 ? 8 : 0;
    const uint64_t avail = std::min<uint64_t>(limit - 12, r->remaining());
    FAISSLIKE_THROW_IF_NOT_FMT(avail >= trailer && len <= avail - trailer,
                               "%s: record '%s' declares %llu bytes but only %llu remain",
                               r->name().c_str(), tagname.c_str(), (unsigned long long)len,
                               (unsigned long long)(avail >= trailer ? avail - trailer : 0));
    FAISSLIKE_THROW_IF_NOT_FMT(!expected_tag || std::memcmp(tag, expected_tag, 4) == 0,
                               "%s: field '%s' must be a '%s' record, found '%s'",
                               r->name().c_str(), field, tag_name(expected_tag).c_str(),
                               tagname.c_str());
    std::unique_ptr<Base> (*read)(SectionReader&, int) = nullptr;
    for (const ReaderEntryT<Base>& e : table)
        if (std::memcmp(tag, e.tag, 4) == 0) read = e.read;
    FAISSLIKE_THROW_IF_NOT_FMT(read != nullptr, "%s: unknown index type tag '%s'",
                               r->name().c_str(), tagname.c_str());
    // Versions 1-2: a parent's hash also covers its nested bodies (it keeps hashing).
    HashingReader hr(version >= 3 ? r->unhashed() : r);
    SectionReader s{&hr, tagname, len, version};
    std::unique_ptr<Base> out = read(s, depth);
    if (s.left != 0)
        s.fail(format_string("%llu unread bytes at the end of the record",
                             (unsigned long long)s.left));
    if (trailer) {
        uint64_t stored;
        r->read(&stored, 8);
        const uint64_t computed = hr.digest();
#ifdef FAISSLIKE_FUZZ_IGNORE_CHECKSUMS
        // Fuzz builds load mutated files anyway: a crafted file can carry valid checksums,
        // so every check behind this one must hold on its own.
        stored = computed;
#endif
        if (InspectNode* n = inspect.node())  // inspect_index_file: reported, not thrown
            n->checksum = stored == computed ? InspectNode::kOk : InspectNode::kMismatch;
        else if (stored != computed)
            s.fail(
                format_string("checksum mismatch (stored %016llx, computed %016llx): the "
                              "record is corrupt",
                              (unsigned long long)stored, (unsigned long long)computed));
    }
    // Every index of a mapped file (nested ones too: users may search them directly)
    // checks the file at each call.
    out->set_mapped_file(r->mapped_file());
    inspect.done(typeid(*out), r->position());
    return out;
}

}  // namespace

void write_index_record(IOWriter* w, const Index* idx) {
    FAISSLIKE_THROW_IF_NOT_MSG(idx != nullptr, "write_index: a nested index is null");
    // Writers wait (the record is written twice: its length, then its bytes, which must
    // agree); searches go on.
    IndexWriteScope scope(*idx, UsageCounter::Mode::Shared);
    for (const WriterEntry& e : kWriters) {
        if (typeid(*idx) == e.type) {
            write_record(w, e.tag, e.write, *idx);
            return;
        }
    }
    FAISSLIKE_THROW_FMT("write_index: index type %s cannot be serialized", typeid(*idx).name());
}

std::unique_ptr<Index> read_nested(SectionReader& s, int depth, const char* field,
                                   const char* expected_tag) {
    if (depth >= kMaxDepth)
        s.fail(format_string("nesting deeper than %d records at '%s'", kMaxDepth, field));
    const uint64_t before = s.r->remaining();
    std::unique_ptr<Index> idx =
        read_record(s.r, s.left, depth + 1, s.version, expected_tag, field, kReaders);
    s.left -= before - s.r->remaining();
    return idx;
}

void write_index_binary_record(IOWriter* w, const IndexBinary* idx) {
    FAISSLIKE_THROW_IF_NOT_MSG(idx != nullptr, "write_index_binary: a nested index is null");
    IndexBinaryWriteScope scope(*idx, UsageCounter::Mode::Shared);  // as write_index_record
    for (const auto& e : kBinaryWriters) {
        if (typeid(*idx) == e.type) {
            write_record(w, e.tag, e.write, *idx);
            return;
        }
    }
    FAISSLIKE_THROW_FMT("write_index_binary: index type %s cannot be serialized",
                        typeid(*idx).name());
}

std::unique_ptr<IndexBinary> read_nested_binary(SectionReader& s, int depth, const char* field,
                                                const char* expected_tag) {
    if (depth >= kMaxDepth)
        s.fail(format_string("nesting deeper than %d records at '%s'", kMaxDepth, field));
    const uint64_t before = s.r->remaining();
    std::unique_ptr<IndexBinary> idx =
        read_record(s.r, s.left, depth + 1, s.version, expected_tag, field, kBinaryReaders);
    s.left -= before - s.r->remaining();
    return idx;
}

}  // namespace records

using namespace records;

namespace {

void write_header(IOWriter* w) {
    w->write(kMagic, sizeof(kMagic));
    put<uint32_t>(w, kFormatVersion);
    put<uint32_t>(w, 0);  // flags, reserved
}

void read_first4(IOReader* r, char* first) {
    FAISSLIKE_THROW_IF_NOT_MSG(r != nullptr, "read_index: reader is null");
    FAISSLIKE_THROW_IF_NOT_FMT(r->remaining() >= 4, "%s is not an index: %llu bytes, too short",
                               r->name().c_str(), (unsigned long long)r->remaining());
    r->read(first, 4);
}

// The file header after its first 4 bytes (`first4`, already read); returns the format
// version.
uint32_t read_header(IOReader* r, const char* first4) {
    FAISSLIKE_THROW_IF_NOT_FMT(r->remaining() >= 12,
                               "%s is not a faisslike index: too short for the header",
                               r->name().c_str());
    char magic[8];
    std::memcpy(magic, first4, 4);
    r->read(magic + 4, 4);
    FAISSLIKE_THROW_IF_NOT_FMT(std::memcmp(magic, kMagic, 8) == 0,
                               "%s is not a faisslike index (bad magic bytes)", r->name().c_str());
    uint32_t version, flags;
    r->read(&version, 4);
    r->read(&flags, 4);
    FAISSLIKE_THROW_IF_NOT_FMT(version >= 1 && version <= kFormatVersion,
                               "%s has format version %u; this build reads versions 1..%u",
                               r->name().c_str(), version, kFormatVersion);
    FAISSLIKE_THROW_IF_NOT_FMT(flags == 0, "%s has unknown header flags 0x%x", r->name().c_str(),
                               flags);
    return version;
}

void check_consumed(IOReader* r) {
    FAISSLIKE_THROW_IF_NOT_FMT(r->remaining() == 0, "%s has %llu trailing bytes after the index",
                               r->name().c_str(), (unsigned long long)r->remaining());
}

}  // namespace

void write_index(const Index* index, IOWriter* w) {
    FAISSLIKE_THROW_IF_NOT_MSG(index != nullptr, "write_index: index is null");
    FAISSLIKE_THROW_IF_NOT_MSG(w != nullptr, "write_index: writer is null");
    write_header(w);
    write_index_record(w, index);
}

void write_index(const Index* index, const std::string& path) {
    FAISSLIKE_THROW_IF_NOT_MSG(index != nullptr, "write_index: index is null");
    AtomicFileWriter w(path);
    write_index(index, &w);
    w.commit();
}

std::unique_ptr<Index> read_index(IOReader* r) {
    char first[4];
    read_first4(r, first);
    // FAISS files start with their index's fourcc, never with our magic.
    if (std::memcmp(first, kMagic, 4) != 0) {
        uint32_t fourcc;
        std::memcpy(&fourcc, first, 4);
        return read_index_faiss_body(r, fourcc);
    }
    const uint32_t version = read_header(r, first);
    std::unique_ptr<Index> idx =
        read_record(r, r->remaining(), 0, version, nullptr, "index", kReaders);
    check_consumed(r);
    return idx;
}

namespace {
std::string dir_of(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}
}  // namespace

std::unique_ptr<Index> read_index(const std::string& path, int io_flags) {
    FAISSLIKE_CHECK_ARG(
        (io_flags & ~(IO_FLAG_MMAP | IO_FLAG_READ_ONLY | IO_FLAG_ONDISK_SAME_DIR)) == 0,
        "unknown io_flags 0x%x", unsigned(io_flags));
    const std::string ondisk_dir = io_flags & IO_FLAG_ONDISK_SAME_DIR ? dir_of(path) : "";
    if (io_flags & IO_FLAG_MMAP) {
        MmapIOReader r(path);
        r.ondisk_dir = ondisk_dir;
        return read_index(&r);
    }
    FileIOReader r(path);
    r.ondisk_dir = ondisk_dir;
    return read_index(&r);
}

std::vector<uint8_t> serialize_index(const Index* index) {
    VectorIOWriter w;
    write_index(index, &w);
    return std::move(w.data);
}

std::unique_ptr<Index> deserialize_index(const uint8_t* data, size_t size) {
    FAISSLIKE_THROW_IF_NOT_MSG(data != nullptr || size == 0, "deserialize_index: data is null");
    BufferIOReader r(data, size);
    return read_index(&r);
}

// ---------------------------------------------------------------- binary indexes

void write_index_binary(const IndexBinary* index, IOWriter* w) {
    FAISSLIKE_THROW_IF_NOT_MSG(index != nullptr, "write_index_binary: index is null");
    FAISSLIKE_THROW_IF_NOT_MSG(w != nullptr, "write_index_binary: writer is null");
    write_header(w);
    write_index_binary_record(w, index);
}

void write_index_binary(const IndexBinary* index, const std::string& path) {
    FAISSLIKE_THROW_IF_NOT_MSG(index != nullptr, "write_index_binary: index is null");
    AtomicFileWriter w(path);
    write_index_binary(index, &w);
    w.commit();
}

std::unique_ptr<IndexBinary> read_index_binary(IOReader* r) {
    char first[4];
    read_first4(r, first);
    if (std::memcmp(first, kMagic, 4) != 0) {
        uint32_t fourcc;
        std::memcpy(&fourcc, first, 4);
        return read_index_binary_faiss_body(r, fourcc);
    }
    const uint32_t version = read_header(r, first);
    std::unique_ptr<IndexBinary> idx =
        read_record(r, r->remaining(), 0, version, nullptr, "index", kBinaryReaders);
    check_consumed(r);
    return idx;
}

std::unique_ptr<IndexBinary> read_index_binary(const std::string& path, int io_flags) {
    FAISSLIKE_CHECK_ARG((io_flags & ~(IO_FLAG_MMAP | IO_FLAG_READ_ONLY)) == 0,
                        "unknown io_flags 0x%x", unsigned(io_flags));
    if (io_flags & IO_FLAG_MMAP) {
        MmapIOReader r(path);
        return read_index_binary(&r);
    }
    FileIOReader r(path);
    return read_index_binary(&r);
}

std::vector<uint8_t> serialize_index_binary(const IndexBinary* index) {
    VectorIOWriter w;
    write_index_binary(index, &w);
    return std::move(w.data);
}

std::unique_ptr<IndexBinary> deserialize_index_binary(const uint8_t* data, size_t size) {
    FAISSLIKE_THROW_IF_NOT_MSG(data != nullptr || size == 0,
                               "deserialize_index_binary: data is null");
    BufferIOReader r(data, size);
    return read_index_binary(&r);
}

}  // namespace faisslike
