// Flat records (IxFl).
#include "faisslike/impl/IndexRecords.h"

#include "faisslike/IndexFlat.h"

namespace faisslike {
namespace records {

void write_flat(IOWriter* b, const Index& index) {
    const auto* f = static_cast<const IndexFlat*>(&index);
    write_index_header(b, f);
    const uint64_t nf = uint64_t(f->ntotal) * uint64_t(f->d);
    put<uint64_t>(b, nf);
    write_pad(b);
    b->write(f->get_xb(), nf * sizeof(float));
}

std::unique_ptr<Index> read_flat(SectionReader& s, int) {
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
    if (const float* p = read_counted_aligned_array(s, f->codes, uint64_t(h.ntotal) * uint64_t(h.d),
                                                    "codes", " (ntotal x d)"))
        f->set_mapped(p, h.ntotal, s.r->keepalive());
    f->ntotal = h.ntotal;
    f->is_trained = h.is_trained;
    return f;
}

}  // namespace records
}  // namespace faisslike
