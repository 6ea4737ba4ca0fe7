// Internal: the record layer shared by the per-family readers and writers in faisslike/io/
// (docs/file-format.md). A record is tag, body length, body, XXH3-64 checksum; the body of
// each index family is written and read by one function pair, registered by tag (reading)
// and by exact type (writing) in index_io.cpp.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "faisslike/Error.h"
#include "faisslike/Index.h"
#include "faisslike/impl/Inspect.h"
#include "faisslike/io.h"

namespace faisslike {

struct ProductQuantizer;
struct ScalarQuantizer;
struct InvertedLists;
struct IndexBinary;
struct IndexFlat;

namespace records {

// The first 8 bytes of every file (docs/file-format.md).
constexpr char kFileMagic[8] = {'\x89', 'F', 'S', 'L', 'I', 'K', '\r', '\n'};

constexpr char kTagFlat[4] = {'I', 'x', 'F', 'l'};
constexpr char kTagIVFFlat[4] = {'I', 'w', 'F', 'l'};
constexpr char kTagPQ[4] = {'I', 'x', 'P', 'q'};
constexpr char kTagIVFPQ[4] = {'I', 'w', 'P', 'Q'};
constexpr char kTagRefineFlat[4] = {'I', 'x', 'R', 'F'};
constexpr char kTagHNSWFlat[4] = {'I', 'H', 'N', 'f'};  // read only (superseded by IHN2)
constexpr char kTagHNSWFlat2[4] = {'I', 'H', 'N', '2'};
constexpr char kTagHNSWCodes[4] = {'I', 'H', 'N', 'c'};
constexpr char kTagHNSWQG[4] = {'I', 'H', 'q', 'g'};  // IndexHNSWQG: the IHN2 body
constexpr char kTagSQ[4] = {'I', 'x', 'S', 'Q'};
constexpr char kTagIVFSQ[4] = {'I', 'w', 'S', 'Q'};
constexpr char kTagIDMap[4] = {'I', 'x', 'M', 'p'};
constexpr char kTagIDMap2[4] = {'I', 'x', 'M', '2'};
constexpr char kTagPreTransform[4] = {'I', 'x', 'P', 'T'};
constexpr char kTagShards[4] = {'I', 'x', 'S', 'h'};
constexpr char kTagRowwiseMinMax[4] = {'I', 'x', 'M', 'm'};
constexpr char kTagMultiIndex[4] = {'I', 'x', 'M', 'I'};
constexpr char kTag2Layer[4] = {'I', 'x', '2', 'L'};
constexpr char kTagPQFastScan[4] = {'I', 'P', 'f', 's'};
constexpr char kTagIVFPQFastScan[4] = {'I', 'w', 'P', 'f'};
constexpr char kTagRaBitQ[4] = {'I', 'x', 'R', 'q'};
constexpr char kTagIVFRaBitQ[4] = {'I', 'w', 'R', 'q'};
constexpr char kTagIVFRaBitQFastScan[4] = {'I', 'w', 'R', 'f'};
constexpr char kTagBinaryFlat[4] = {'I', 'B', 'x', 'F'};
constexpr char kTagBinaryIVF[4] = {'I', 'B', 'w', 'F'};
constexpr char kTagBinaryIDMap[4] = {'I', 'B', 'M', 'p'};
constexpr char kTagBinaryIDMap2[4] = {'I', 'B', 'M', '2'};
constexpr char kTagBinaryHash[4] = {'I', 'B', 'H', 'h'};
constexpr char kTagBinaryMultiHash[4] = {'I', 'B', 'H', 'm'};
constexpr char kTagBinaryFromFloat[4] = {'I', 'B', 'F', 'f'};
constexpr char kTagBinaryHNSW[4] = {'I', 'B', 'H', 'f'};
constexpr uint32_t kTransformL2Norm = 1;
constexpr uint32_t kTransformLinear = 2;
constexpr uint32_t kTransformRandomRotation = 3;
constexpr uint32_t kTransformPCA = 4;
constexpr uint32_t kTransformHadamard = 5;
constexpr uint32_t kTransformOPQ = 6;
// Nested records (an IVF's quantizer, ...) deeper than this are refused: no stack exhaustion
// from a crafted file.
constexpr int kMaxDepth = 8;

template <class T>
void put(IOWriter* w, T v) {
    w->write(&v, sizeof(T));
}

// Large arrays start at 64-byte file offsets (zero padding before them), so a memory-mapped
// file can be used in place (and cache lines are not split).
constexpr uint64_t kAlign = 64;

// Reads one record's body, never past its declared length.
struct SectionReader {
    IOReader* r;
    std::string section;
    uint64_t left;
    uint32_t version;  // of the file: 2 and later have a checksum after every record

    template <class T>
    T get(const char* field) {
        T v;
        need(sizeof(T), field);
        r->read(&v, sizeof(T));
        left -= sizeof(T);
        inspect_scalar(field, v);
        return v;
    }
    void get_bytes(void* p, uint64_t n, const char* field) {
        need(n, field);
        r->read(p, size_t(n));
        left -= n;
        inspect_bytes(field, n);
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
    // The zero padding before an aligned array (version 2 and later).
    void pad(const char* field) {
        if (version < 2) return;
        const uint64_t n = (kAlign - r->position() % kAlign) % kAlign;
        uint8_t buf[kAlign];
        need(n, field);
        r->read(buf, size_t(n));
        left -= n;
        for (uint64_t i = 0; i < n; ++i)
            if (buf[i]) fail(format_string("non-zero padding before field '%s'", field));
    }
    // n bytes in place when the file is memory-mapped (null otherwise: read a copy).
    const uint8_t* view(uint64_t n, const char* field) {
        need(n, field);
        const uint8_t* p = r->try_view(size_t(n));
        if (p) {
            left -= n;
            inspect_bytes(field, n);
        }
        return p;
    }
};

// An aligned array of n values (count already read): in place when memory-mapped (returns
// the pointer, `out` untouched), else copied into `out` (returns null).
// V: a std::vector or a LiveArray.
template <class V, class T = typename V::value_type>
const T* read_aligned_array(SectionReader& s, V& out, uint64_t n, const char* field) {
    if (n > std::numeric_limits<uint64_t>::max() / sizeof(T))
        s.fail(format_string("field '%s' size overflows", field));
    s.pad(field);
    s.need(n * sizeof(T), field);
    if (const uint8_t* p = s.view(n * sizeof(T), field)) {
        if (reinterpret_cast<uintptr_t>(p) % alignof(T) != 0)
            s.fail(format_string("field '%s' is misaligned in the mapped file", field));
        return reinterpret_cast<const T*>(p);
    }
    out.resize(size_t(n));
    s.get_bytes(out.data(), n * sizeof(T), field);
    return nullptr;
}

inline void write_index_header(IOWriter* w, const Index* idx) {
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

inline IndexHeader read_index_header(SectionReader& s) {
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

// The values of an array whose count `n` was already read; it must equal `expected`
// (`note` explains where that comes from). Checked against the bytes left before allocating.
inline void check_count(SectionReader& s, uint64_t n, uint64_t expected, const char* field,
                        const char* note) {
    if (n != expected)
        s.fail(format_string("field '%s' holds %llu values, expected %llu%s", field,
                             (unsigned long long)n, (unsigned long long)expected, note));
}

template <class V, class T = typename V::value_type>
inline void read_array_body(SectionReader& s, V& out, uint64_t n, uint64_t expected,
                            const char* field, const char* note = "") {
    check_count(s, n, expected, field, note);
    if (n > std::numeric_limits<uint64_t>::max() / sizeof(T))
        s.fail(format_string("field '%s' size overflows", field));
    s.need(n * sizeof(T), field);
    out.resize(size_t(n));
    s.get_bytes(out.data(), n * sizeof(T), field);
}

// An array prefixed by its element count.
template <class V>
inline void read_array(SectionReader& s, V& out, uint64_t expected, const char* field,
                       const char* note = "") {
    const uint64_t n = s.get<uint64_t>(field);
    read_array_body(s, out, n, expected, field, note);
}

// An aligned array prefixed by its element count, which must equal `expected`: in place when
// memory-mapped (returned), else copied into `out` (null returned).
template <class V, class T = typename V::value_type>
inline const T* read_counted_aligned_array(SectionReader& s, V& out, uint64_t expected,
                                           const char* field, const char* note = "") {
    const uint64_t n = s.get<uint64_t>(field);
    check_count(s, n, expected, field, note);
    return read_aligned_array(s, out, n, field);
}

// A fast-scan record's PQ parameters (nbits 4, M padded to <= 256, L2 / IP), then its bbs.
inline void check_fastscan_pq(SectionReader& s, uint64_t M, uint64_t nbits, int32_t metric) {
    if (nbits != 4) s.fail(format_string("fast-scan with nbits=%llu", (unsigned long long)nbits));
    if (M > 256 || (M + 3) / 4 * 4 > 256)
        s.fail(format_string("fast-scan with M=%llu", (unsigned long long)M));
    if (metric != METRIC_L2 && metric != METRIC_INNER_PRODUCT)
        s.fail("fast-scan with a metric other than L2 or inner product");
}
inline int32_t read_bbs(SectionReader& s) {
    const int32_t bbs = s.get<int32_t>("bbs");
    if (bbs <= 0 || bbs % 32 != 0) s.fail(format_string("invalid bbs %d", bbs));
    return bbs;
}

// Centroids are used in arithmetic whose NaN would silently poison every search.
inline void check_finite_field(SectionReader& s, const std::vector<float>& v, const char* field) {
    for (size_t i = 0; i < v.size(); ++i)
        if (!std::isfinite(v[i]))
            s.fail(format_string("field '%s' has a non-finite value at %zu", field, i));
}

inline void write_pad(IOWriter* w) {
    static const uint8_t zeros[kAlign] = {};
    const uint64_t pad = (kAlign - w->position() % kAlign) % kAlign;
    if (pad) w->write(zeros, size_t(pad));
}

// The record of any index, nested in the record being written.
void write_index_record(IOWriter* w, const Index* idx);
// A record nested in the body of `s`, bounded by what is left of `s`; expected_tag (4 chars)
// if only one record type may stand there.
std::unique_ptr<Index> read_nested(SectionReader& s, int depth, const char* field,
                                   const char* expected_tag = nullptr);

// Inverted lists (size, padded ids, padded codes per list), shared by the float and binary
// IVF families (faisslike/io/ivf_io.cpp). Mapped in place from a memory-mapped file.
void write_invlists(IOWriter* b, const InvertedLists& il);
std::unique_ptr<InvertedLists> read_invlists(SectionReader& s, size_t nlist, size_t code_size,
                                             uint64_t expected_total);

// Quantizer sections shared by several families (faisslike/io/codecs.cpp).
void write_pq(IOWriter* b, const ProductQuantizer& pq);
void write_sq(IOWriter* b, const ScalarQuantizer& sq);
void read_pq_params(SectionReader& s, int d_index, uint64_t& M, uint64_t& nbits);
void read_pq_centroids(SectionReader& s, ProductQuantizer& pq, bool trained);
ScalarQuantizer read_sq(SectionReader& s, int d, bool trained);
// RaBitQ's settings (nb_bits, default qb, centered) in its flat and IVF records.
void write_rabitq_settings(IOWriter* b, size_t nb_bits, int qb, bool centered);
void read_rabitq_settings(SectionReader& s, int32_t metric, int& nb_bits, int& qb, bool& centered);

// Body writers (the record framing is index_io.cpp's) and readers, one pair per family.
using BodyWriter = void (*)(IOWriter* b, const Index& index);
using BodyReader = std::unique_ptr<Index> (*)(SectionReader& s, int depth);

void write_flat(IOWriter* b, const Index& index);
void write_ivf_flat(IOWriter* b, const Index& index);
void write_ivf_pq(IOWriter* b, const Index& index);
void write_ivf_sq(IOWriter* b, const Index& index);
void write_index_pq(IOWriter* b, const Index& index);
void write_index_sq(IOWriter* b, const Index& index);
void write_hnsw(IOWriter* b, const Index& index);
void write_hnsw_codes(IOWriter* b, const Index& index);
void write_idmap(IOWriter* b, const Index& index);
void write_pretransform(IOWriter* b, const Index& index);
void write_shards(IOWriter* b, const Index& index);
void write_refine(IOWriter* b, const Index& index);
void write_rowwise_minmax(IOWriter* b, const Index& index);
void write_multi_index_quantizer(IOWriter* b, const Index& index);
void write_index_2layer(IOWriter* b, const Index& index);
std::unique_ptr<Index> read_flat(SectionReader& s, int depth);
std::unique_ptr<Index> read_ivf_flat(SectionReader& s, int depth);
std::unique_ptr<Index> read_ivf_pq(SectionReader& s, int depth);
std::unique_ptr<Index> read_ivf_sq(SectionReader& s, int depth);
std::unique_ptr<Index> read_index_pq(SectionReader& s, int depth);
void write_index_pq_fastscan(IOWriter* b, const Index& index);
std::unique_ptr<Index> read_index_pq_fastscan(SectionReader& s, int depth);
void write_ivf_pq_fastscan(IOWriter* b, const Index& index);
std::unique_ptr<Index> read_ivf_pq_fastscan(SectionReader& s, int depth);
std::unique_ptr<Index> read_index_sq(SectionReader& s, int depth);
void write_index_rabitq(IOWriter* b, const Index& index);
std::unique_ptr<Index> read_index_rabitq(SectionReader& s, int depth);
void write_ivf_rabitq(IOWriter* b, const Index& index);
std::unique_ptr<Index> read_ivf_rabitq(SectionReader& s, int depth);
void write_ivf_rabitq_fastscan(IOWriter* b, const Index& index);
std::unique_ptr<Index> read_ivf_rabitq_fastscan(SectionReader& s, int depth);
std::unique_ptr<Index> read_hnsw(SectionReader& s, int depth);
std::unique_ptr<Index> read_hnsw_codes(SectionReader& s, int depth);
std::unique_ptr<Index> read_hnsw_v1(SectionReader& s, int depth);
std::unique_ptr<Index> read_hnsw_qg(SectionReader& s, int depth);
std::unique_ptr<Index> read_idmap(SectionReader& s, int depth);
std::unique_ptr<Index> read_idmap2(SectionReader& s, int depth);
std::unique_ptr<Index> read_pretransform(SectionReader& s, int depth);
std::unique_ptr<Index> read_shards(SectionReader& s, int depth);
std::unique_ptr<Index> read_refine(SectionReader& s, int depth);
// Wrappers put together from parts already read (our records and FAISS's share the checks):
// an IDMap(2) around `sub` with `ids` (the sorted positions `dead` removed but still in
// `sub`), a RefineFlat of `base` and the refine vectors.
std::unique_ptr<Index> assemble_idmap(SectionReader& s, const IndexHeader& h,
                                      std::unique_ptr<Index> sub, std::vector<idx_t> ids, bool two,
                                      const std::vector<uint64_t>& dead = {});
std::unique_ptr<Index> assemble_refine(SectionReader& s, const IndexHeader& h,
                                       std::unique_ptr<Index> base, IndexFlat& refine, float kf);
std::unique_ptr<IndexBinary> assemble_binary_idmap(SectionReader& s, int d, idx_t ntotal,
                                                   bool is_trained,
                                                   std::unique_ptr<IndexBinary> sub,
                                                   std::vector<idx_t> ids, bool two);
std::unique_ptr<Index> read_rowwise_minmax(SectionReader& s, int depth);
std::unique_ptr<Index> read_multi_index_quantizer(SectionReader& s, int depth);
std::unique_ptr<Index> read_index_2layer(SectionReader& s, int depth);

// FAISS-format files (faisslike/io/faiss_format.cpp): the index whose fourcc was read.
}  // namespace records
std::unique_ptr<Index> read_index_faiss_body(IOReader* r, uint32_t fourcc);
std::unique_ptr<IndexBinary> read_index_binary_faiss_body(IOReader* r, uint32_t fourcc);
namespace records {

// Binary indexes (faisslike/io/binary_io.cpp).
void write_index_binary_record(IOWriter* w, const IndexBinary* idx);
std::unique_ptr<IndexBinary> read_nested_binary(SectionReader& s, int depth, const char* field,
                                                const char* expected_tag = nullptr);
void write_binary_flat(IOWriter* b, const IndexBinary& index);
void write_binary_ivf(IOWriter* b, const IndexBinary& index);
void write_binary_idmap(IOWriter* b, const IndexBinary& index);
void write_binary_hash(IOWriter* b, const IndexBinary& index);
void write_binary_multihash(IOWriter* b, const IndexBinary& index);
void write_binary_fromfloat(IOWriter* b, const IndexBinary& index);
void write_binary_hnsw(IOWriter* b, const IndexBinary& index);
std::unique_ptr<IndexBinary> read_binary_flat(SectionReader& s, int depth);
std::unique_ptr<IndexBinary> read_binary_ivf(SectionReader& s, int depth);
std::unique_ptr<IndexBinary> read_binary_idmap(SectionReader& s, int depth);
std::unique_ptr<IndexBinary> read_binary_idmap2(SectionReader& s, int depth);
std::unique_ptr<IndexBinary> read_binary_hash(SectionReader& s, int depth);
std::unique_ptr<IndexBinary> read_binary_multihash(SectionReader& s, int depth);
std::unique_ptr<IndexBinary> read_binary_fromfloat(SectionReader& s, int depth);
std::unique_ptr<IndexBinary> read_binary_hnsw(SectionReader& s, int depth);

}  // namespace records
}  // namespace faisslike
