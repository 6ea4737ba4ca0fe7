#include "faisslike/index_io.h"

#include <cstring>
#include <limits>

#include "faisslike/Error.h"
#include "faisslike/IndexFlat.h"

namespace faisslike {

namespace {

// PNG-style: a high byte and CR LF catch 7-bit and newline-translating transfers.
constexpr char kMagic[8] = {'\x89', 'F', 'S', 'L', 'I', 'K', '\r', '\n'};
constexpr char kTagFlat[4] = {'I', 'x', 'F', 'l'};

template <class T>
void put(IOWriter* w, T v) {
    w->write(&v, sizeof(T));
}

// Reads one record's body, never past its declared length.
struct SectionReader {
    IOReader* r;
    std::string section;
    uint64_t left;

    template <class T>
    T get(const char* field) {
        T v;
        need(sizeof(T), field);
        r->read(&v, sizeof(T));
        left -= sizeof(T);
        return v;
    }
    void get_bytes(void* p, uint64_t n, const char* field) {
        need(n, field);
        r->read(p, size_t(n));
        left -= n;
    }
    void need(uint64_t n, const char* field) const {
        FAISSLIKE_THROW_IF_NOT_FMT(n <= left && n <= r->remaining(),
                                   "%s: section '%s' field '%s' needs %llu bytes but only %llu "
                                   "remain (truncated or corrupt)",
                                   r->name().c_str(), section.c_str(), field, (unsigned long long)n,
                                   (unsigned long long)std::min<uint64_t>(left, r->remaining()));
    }
    [[noreturn]] void fail(const std::string& msg) const {
        FAISSLIKE_THROW_FMT("%s: section '%s': %s", r->name().c_str(), section.c_str(),
                            msg.c_str());
    }
};

void write_index_header(IOWriter* w, const Index* idx) {
    put<int32_t>(w, idx->d);
    put<int32_t>(w, int32_t(idx->metric_type));
    put<int64_t>(w, idx->ntotal);
    put<uint8_t>(w, idx->is_trained ? 1 : 0);
}

struct IndexHeader {
    int32_t d, metric;
    int64_t ntotal;
    bool is_trained;
};

IndexHeader read_index_header(SectionReader& s) {
    IndexHeader h;
    h.d = s.get<int32_t>("d");
    h.metric = s.get<int32_t>("metric_type");
    h.ntotal = s.get<int64_t>("ntotal");
    uint8_t t = s.get<uint8_t>("is_trained");
    if (h.d <= 0 || h.d > (1 << 24)) s.fail(format_string("invalid dimension d=%d", h.d));
    if (h.metric != METRIC_L2 && h.metric != METRIC_INNER_PRODUCT)
        s.fail(format_string("invalid metric_type %d", h.metric));
    if (h.ntotal < 0) s.fail(format_string("invalid ntotal %lld", (long long)h.ntotal));
    if (t > 1) s.fail(format_string("invalid is_trained byte %u", unsigned(t)));
    h.is_trained = t == 1;
    return h;
}

// A float array prefixed by its element count, which must equal `expected`.
void read_float_array(SectionReader& s, std::vector<float>& out, uint64_t expected,
                      const char* field) {
    uint64_t n = s.get<uint64_t>(field);
    if (n != expected)
        s.fail(format_string("field '%s' holds %llu floats, expected %llu (ntotal x d)", field,
                             (unsigned long long)n, (unsigned long long)expected));
    if (n > std::numeric_limits<uint64_t>::max() / sizeof(float))
        s.fail(format_string("field '%s' size overflows", field));
    s.need(n * sizeof(float), field);  // before allocating
    out.resize(size_t(n));
    s.get_bytes(out.data(), n * sizeof(float), field);
}

// Counts bytes instead of storing them: record lengths are known without buffering a
// (possibly multi-GB) body in memory.
struct CountingWriter : IOWriter {
    uint64_t n = 0;
    void write(const void*, size_t k) override { n += k; }
};

template <class Body>
void write_record(IOWriter* w, const char* tag, const Body& body) {
    CountingWriter c;
    body(&c);
    w->write(tag, 4);
    put<uint64_t>(w, c.n);
    body(w);
}

void write_index_record(IOWriter* w, const Index* idx) {
    if (auto f = dynamic_cast<const IndexFlat*>(idx)) {
        write_record(w, kTagFlat, [f](IOWriter* b) {
            write_index_header(b, f);
            put<uint64_t>(b, f->codes.size());
            b->write(f->codes.data(), f->codes.size() * sizeof(float));
        });
        return;
    }
    FAISSLIKE_THROW_MSG("write_index: this index type cannot be serialized");
}

std::unique_ptr<Index> read_index_record(IOReader* r) {
    char tag[4];
    uint64_t len;
    FAISSLIKE_THROW_IF_NOT_FMT(r->remaining() >= 12,
                               "%s: truncated before an index record (%llu bytes left)",
                               r->name().c_str(), (unsigned long long)r->remaining());
    r->read(tag, 4);
    r->read(&len, 8);
    std::string tagname;
    for (char c : tag) tagname += (c >= 32 && c < 127) ? c : '?';
    FAISSLIKE_THROW_IF_NOT_FMT(len <= r->remaining(),
                               "%s: record '%s' declares %llu bytes but only %llu remain",
                               r->name().c_str(), tagname.c_str(), (unsigned long long)len,
                               (unsigned long long)r->remaining());
    SectionReader s{r, tagname, len};
    std::unique_ptr<Index> out;
    if (std::memcmp(tag, kTagFlat, 4) == 0) {
        IndexHeader h = read_index_header(s);
        // The most derived type, so callers (and Python isinstance) see what was written.
        std::unique_ptr<IndexFlat> f;
        if (h.metric == METRIC_L2) {
            f = std::make_unique<IndexFlatL2>(h.d);
        } else {
            f = std::make_unique<IndexFlatIP>(h.d);
        }
        if (h.ntotal > std::numeric_limits<int64_t>::max() / h.d)
            s.fail(format_string("ntotal=%lld x d=%d overflows", (long long)h.ntotal, h.d));
        read_float_array(s, f->codes, uint64_t(h.ntotal) * uint64_t(h.d), "codes");
        f->ntotal = h.ntotal;
        f->is_trained = h.is_trained;
        out = std::move(f);
    } else {
        FAISSLIKE_THROW_FMT("%s: unknown index type tag '%s'", r->name().c_str(), tagname.c_str());
    }
    if (s.left != 0)
        s.fail(format_string("%llu unread bytes at the end of the record",
                             (unsigned long long)s.left));
    return out;
}

}  // namespace

void write_index(const Index* index, IOWriter* w) {
    FAISSLIKE_THROW_IF_NOT_MSG(index != nullptr, "write_index: index is null");
    FAISSLIKE_THROW_IF_NOT_MSG(w != nullptr, "write_index: writer is null");
    w->write(kMagic, sizeof(kMagic));
    put<uint32_t>(w, kFormatVersion);
    put<uint32_t>(w, 0);  // flags, reserved
    write_index_record(w, index);
}

void write_index(const Index* index, const std::string& path) {
    FAISSLIKE_THROW_IF_NOT_MSG(index != nullptr, "write_index: index is null");
    AtomicFileWriter w(path);
    write_index(index, &w);
    w.commit();
}

std::unique_ptr<Index> read_index(IOReader* r) {
    FAISSLIKE_THROW_IF_NOT_MSG(r != nullptr, "read_index: reader is null");
    FAISSLIKE_THROW_IF_NOT_FMT(r->remaining() >= 16,
                               "%s is not a faisslike index: %llu bytes, too short for the header",
                               r->name().c_str(), (unsigned long long)r->remaining());
    char magic[8];
    r->read(magic, 8);
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
    std::unique_ptr<Index> idx = read_index_record(r);
    FAISSLIKE_THROW_IF_NOT_FMT(r->remaining() == 0, "%s has %llu trailing bytes after the index",
                               r->name().c_str(), (unsigned long long)r->remaining());
    return idx;
}

std::unique_ptr<Index> read_index(const std::string& path) {
    FileIOReader r(path);
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

}  // namespace faisslike
