// PreTransform records (IxPT).
#include "faisslike/impl/IndexRecords.h"

#include "faisslike/IndexPreTransform.h"

namespace faisslike {
namespace records {

void write_pretransform(IOWriter* b, const Index& index) {
    const auto* pt = static_cast<const IndexPreTransform*>(&index);
    write_index_header(b, pt);
    put<uint32_t>(b, uint32_t(pt->chain.size()));
    for (const auto& vt : pt->chain) {
        FAISSLIKE_THROW_IF_NOT_MSG(
            dynamic_cast<const NormalizationTransform*>(vt.get()) != nullptr,
            "write_index: only L2 normalization transforms can be serialized");
        put<uint32_t>(b, kTransformL2Norm);
        put<int32_t>(b, vt->d_in);
    }
    write_index_record(b, pt->index.get());
}

std::unique_ptr<Index> read_pretransform(SectionReader& s, int depth) {
    IndexHeader h = read_index_header(s);
    const uint32_t nt = s.get<uint32_t>("chain_length");
    if (nt != 1) s.fail(format_string("transform chain of length %u (expected 1)", nt));
    const uint32_t type = s.get<uint32_t>("transform_type");
    const int32_t din = s.get<int32_t>("transform_d");
    if (type != kTransformL2Norm) s.fail(format_string("unknown transform type %u", type));
    if (din != h.d) s.fail(format_string("transform d=%d for index d=%d", din, h.d));
    std::unique_ptr<Index> sub = read_nested(s, depth, "index");
    if (sub->d != h.d || sub->metric_type != h.metric || sub->ntotal != h.ntotal)
        s.fail("wrapped index dimension, metric or ntotal differ");
    auto pt = std::make_unique<IndexPreTransform>(new NormalizationTransform(din), sub.get());
    pt->index.set_owned(true);
    sub.release();
    pt->is_trained = h.is_trained;
    return pt;
}

}  // namespace records
}  // namespace faisslike
