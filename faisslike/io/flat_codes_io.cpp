// Exhaustive coded records (IxPq, IxSQ, IPfs, IxRq).
#include "faisslike/impl/IndexRecords.h"

#include "faisslike/Index2Layer.h"
#include "faisslike/IndexPQ.h"
#include "faisslike/IndexPQFastScan.h"
#include "faisslike/IndexRaBitQ.h"
#include "faisslike/IndexScalarQuantizer.h"

namespace faisslike {
namespace records {

void write_index_pq(IOWriter* b, const Index& index) {
    const auto* pqi = static_cast<const IndexPQ*>(&index);
    write_index_header(b, pqi);
    write_pq(b, pqi->pq);
    put<uint64_t>(b, pqi->codes.size());
    b->write(pqi->codes.data(), pqi->codes.size());
}

void write_index_sq(IOWriter* b, const Index& index) {
    const auto* sqi = static_cast<const IndexScalarQuantizer*>(&index);
    write_index_header(b, sqi);
    write_sq(b, sqi->sq);
    put<uint64_t>(b, sqi->codes.size());
    b->write(sqi->codes.data(), sqi->codes.size());
}

std::unique_ptr<Index> read_index_pq(SectionReader& s, int) {
    IndexHeader h = read_index_header(s);
    uint64_t M, nbits;
    read_pq_params(s, h.d, M, nbits);
    auto idx = std::make_unique<IndexPQ>(h.d, size_t(M), size_t(nbits), MetricType(h.metric));
    read_pq_centroids(s, idx->pq, h.is_trained);
    const uint64_t nbytes = s.get<uint64_t>("codes_size");
    if (h.ntotal > std::numeric_limits<int64_t>::max() / int64_t(idx->pq.code_size) ||
        nbytes != uint64_t(h.ntotal) * idx->pq.code_size)
        s.fail(format_string("codes hold %llu bytes, expected ntotal=%lld x code_size=%zu",
                             (unsigned long long)nbytes, (long long)h.ntotal, idx->pq.code_size));
    s.need(nbytes, "codes");
    idx->codes.resize(size_t(nbytes));
    s.get_bytes(idx->codes.data(), nbytes, "codes");
    idx->ntotal = h.ntotal;
    idx->is_trained = h.is_trained;
    return idx;
}

void write_index_pq_fastscan(IOWriter* b, const Index& index) {
    const auto* fs = static_cast<const IndexPQFastScan*>(&index);
    write_index_header(b, fs);
    write_pq(b, fs->pq);
    put<int32_t>(b, fs->bbs);
    put<uint64_t>(b, fs->codes.size());
    b->write(fs->codes.data(), fs->codes.size());
}

std::unique_ptr<Index> read_index_pq_fastscan(SectionReader& s, int) {
    IndexHeader h = read_index_header(s);
    uint64_t M, nbits;
    read_pq_params(s, h.d, M, nbits);
    check_fastscan_pq(s, M, nbits, h.metric);
    auto idx = std::make_unique<IndexPQFastScan>(h.d, size_t(M), 4, MetricType(h.metric));
    read_pq_centroids(s, idx->pq, h.is_trained);
    idx->bbs = read_bbs(s);
    if (h.ntotal > 0 && !h.is_trained) s.fail("vectors in an untrained index");
    const uint64_t bb = pq4::block_bytes(idx->M4);
    if (uint64_t(h.ntotal) > std::numeric_limits<uint64_t>::max() / bb)
        s.fail(format_string("ntotal=%lld overflows", (long long)h.ntotal));
    read_array(s, idx->codes, (uint64_t(h.ntotal) + 31) / 32 * bb, "codes",
               " (ceil(ntotal / 32) blocks)");
    idx->ntotal = h.ntotal;
    idx->is_trained = h.is_trained;
    return idx;
}

std::unique_ptr<Index> read_index_sq(SectionReader& s, int) {
    IndexHeader h = read_index_header(s);
    ScalarQuantizer sq = read_sq(s, h.d, h.is_trained);
    if (h.is_trained != sq.is_trained()) s.fail("is_trained does not match the quantizer ranges");
    auto idx = std::make_unique<IndexScalarQuantizer>(h.d, sq.qtype, MetricType(h.metric));
    idx->sq = sq;
    if (h.ntotal > std::numeric_limits<int64_t>::max() / int64_t(sq.code_size))
        s.fail(format_string("ntotal=%lld overflows", (long long)h.ntotal));
    read_array(s, idx->codes, uint64_t(h.ntotal) * sq.code_size, "codes", " (ntotal x code_size)");
    idx->ntotal = h.ntotal;
    idx->is_trained = h.is_trained;
    return idx;
}

// RaBitQ settings shared by the flat and IVF records: nb_bits, default qb, centered.
void write_rabitq_settings(IOWriter* b, size_t nb_bits, int qb, bool centered) {
    put<uint8_t>(b, uint8_t(nb_bits));
    put<int32_t>(b, qb);
    put<uint8_t>(b, centered ? 1 : 0);
}

void read_rabitq_settings(SectionReader& s, int32_t metric, int& nb_bits, int& qb, bool& centered) {
    nb_bits = s.get<uint8_t>("nb_bits");
    if (nb_bits < 1 || nb_bits > 9) s.fail(format_string("RaBitQ with nb_bits=%d", nb_bits));
    qb = s.get<int32_t>("qb");
    if (qb < 0 || qb > 8) s.fail(format_string("RaBitQ with qb=%d", qb));
    const uint8_t c = s.get<uint8_t>("centered");
    if (c > 1) s.fail(format_string("invalid centered byte %u", unsigned(c)));
    centered = c == 1;
    if (metric != METRIC_L2 && metric != METRIC_INNER_PRODUCT)
        s.fail("RaBitQ with a metric other than L2 or inner product");
}

void write_index_rabitq(IOWriter* b, const Index& index) {
    const auto* rq = static_cast<const IndexRaBitQ*>(&index);
    write_index_header(b, rq);
    write_rabitq_settings(b, rq->rabitq.nb_bits, rq->qb, rq->centered);
    put<uint64_t>(b, rq->center.size());
    b->write(rq->center.data(), rq->center.size() * sizeof(float));
    put<uint64_t>(b, rq->codes.size());
    b->write(rq->codes.data(), rq->codes.size());
}

std::unique_ptr<Index> read_index_rabitq(SectionReader& s, int) {
    IndexHeader h = read_index_header(s);
    int nb_bits, qb;
    bool centered;
    read_rabitq_settings(s, h.metric, nb_bits, qb, centered);
    auto idx = std::make_unique<IndexRaBitQ>(h.d, MetricType(h.metric), nb_bits);
    idx->qb = qb;
    idx->centered = centered;
    read_array(s, idx->center, h.is_trained ? uint64_t(h.d) : 0, "center",
               " (d when trained, else 0)");
    check_finite_field(s, idx->center, "center");
    if (h.ntotal > 0 && !h.is_trained) s.fail("vectors in an untrained index");
    if (h.ntotal > std::numeric_limits<int64_t>::max() / int64_t(idx->code_size))
        s.fail(format_string("ntotal=%lld overflows", (long long)h.ntotal));
    read_array(s, idx->codes, uint64_t(h.ntotal) * idx->code_size, "codes",
               " (ntotal x code_size)");
    idx->ntotal = h.ntotal;
    idx->is_trained = h.is_trained;
    return idx;
}

void write_multi_index_quantizer(IOWriter* b, const Index& index) {
    const auto* mi = static_cast<const MultiIndexQuantizer*>(&index);
    write_index_header(b, mi);
    write_pq(b, mi->pq);
}

std::unique_ptr<Index> read_multi_index_quantizer(SectionReader& s, int) {
    IndexHeader h = read_index_header(s);
    uint64_t M, nbits;
    read_pq_params(s, h.d, M, nbits);
    if (M * nbits > 62)
        s.fail(format_string("M * nbits = %llu > 62", (unsigned long long)(M * nbits)));
    if (h.metric != METRIC_L2) s.fail("a multi-index quantizer is L2 only");
    auto mi = std::make_unique<MultiIndexQuantizer>(h.d, size_t(M), size_t(nbits));
    read_pq_centroids(s, mi->pq, h.is_trained);
    if (h.ntotal != (h.is_trained ? mi->n_centroids() : 0))
        s.fail(format_string("ntotal=%lld but a %s multi-index of %llu x %llu bits holds %lld",
                             (long long)h.ntotal, h.is_trained ? "trained" : "untrained",
                             (unsigned long long)M, (unsigned long long)nbits,
                             (long long)(h.is_trained ? mi->n_centroids() : 0)));
    mi->ntotal = h.ntotal;
    mi->is_trained = h.is_trained;
    return mi;
}

void write_index_2layer(IOWriter* b, const Index& index) {
    const auto* il = static_cast<const Index2Layer*>(&index);
    write_index_header(b, il);
    put<uint64_t>(b, il->nlist);
    put<uint8_t>(b, il->quantizer_trains_alone ? 1 : 0);
    write_index_record(b, il->q1.get());
    write_pq(b, il->pq);
    put<uint64_t>(b, il->codes.size());
    b->write(il->codes.data(), il->codes.size());
}

std::unique_ptr<Index> read_index_2layer(SectionReader& s, int depth) {
    IndexHeader h = read_index_header(s);
    const uint64_t nlist = s.get<uint64_t>("nlist");
    if (nlist < 1 || nlist > (uint64_t(1) << 31))
        s.fail(format_string("invalid nlist %llu", (unsigned long long)nlist));
    const uint8_t alone = s.get<uint8_t>("quantizer_trains_alone");
    if (alone > 1) s.fail(format_string("invalid quantizer_trains_alone byte %u", unsigned(alone)));
    std::unique_ptr<Index> q = read_nested(s, depth, "quantizer");
    if (q->d != h.d) s.fail("quantizer dimension differs from the index");
    if (h.is_trained && uint64_t(q->ntotal) != nlist)
        s.fail(format_string("trained index but the quantizer holds %lld centroids for nlist=%llu",
                             (long long)q->ntotal, (unsigned long long)nlist));
    uint64_t M, nbits;
    read_pq_params(s, h.d, M, nbits);
    auto il = std::make_unique<Index2Layer>(q.get(), size_t(nlist), int(M), int(nbits),
                                            MetricType(h.metric));
    il->q1.set_owned(true);
    q.release();
    il->quantizer_trains_alone = alone == 1;
    read_pq_centroids(s, il->pq, h.is_trained);
    const uint64_t nbytes = s.get<uint64_t>("codes_size");
    if (h.ntotal > std::numeric_limits<int64_t>::max() / int64_t(il->code_size) ||
        nbytes != uint64_t(h.ntotal) * il->code_size)
        s.fail(format_string("codes hold %llu bytes, expected ntotal=%lld x code_size=%zu",
                             (unsigned long long)nbytes, (long long)h.ntotal, il->code_size));
    s.need(nbytes, "codes");
    il->codes.resize(size_t(nbytes));
    s.get_bytes(il->codes.data(), nbytes, "codes");
    for (idx_t i = 0; i < h.ntotal; ++i)
        if (il->list_of(il->codes.data() + size_t(i) * il->code_size) >= nlist)
            s.fail(format_string("code %lld names a list >= nlist=%llu", (long long)i,
                                 (unsigned long long)nlist));
    il->ntotal = h.ntotal;
    il->is_trained = h.is_trained;
    return il;
}

}  // namespace records
}  // namespace faisslike
