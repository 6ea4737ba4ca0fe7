// RowwiseMinMax records (IxMm): fp16 flag, then the wrapped codec index.
#include "faisslike/impl/IndexRecords.h"

#include "faisslike/IndexRowwiseMinMax.h"

namespace faisslike {
namespace records {

void write_rowwise_minmax(IOWriter* b, const Index& index) {
    const auto* mm = static_cast<const IndexRowwiseMinMax*>(&index);
    write_index_header(b, mm);
    put<uint8_t>(b, mm->fp16 ? 1 : 0);
    write_index_record(b, mm->index.get());
}

std::unique_ptr<Index> read_rowwise_minmax(SectionReader& s, int depth) {
    IndexHeader h = read_index_header(s);
    const uint8_t fp16 = s.get<uint8_t>("fp16");
    if (fp16 > 1) s.fail(format_string("invalid fp16 byte %u", unsigned(fp16)));
    if (h.ntotal != 0) s.fail("a row-wise min-max codec holds no vectors");
    std::unique_ptr<Index> sub = read_nested(s, depth, "index");
    if (sub->d != h.d || sub->metric_type != h.metric)
        s.fail("wrapped index dimension or metric differ");
    if (!sub->has_sa_codec()) s.fail("the wrapped index has no standalone codec");
    std::unique_ptr<IndexRowwiseMinMax> mm;
    if (fp16)
        mm = std::make_unique<IndexRowwiseMinMaxFP16>(sub.get());
    else
        mm = std::make_unique<IndexRowwiseMinMax>(sub.get());
    mm->index.set_owned(true);
    sub.release();
    mm->is_trained = mm->index->is_trained;
    return mm;
}

}  // namespace records
}  // namespace faisslike
