// RefineFlat records (IxRF).
#include "faisslike/impl/IndexRecords.h"

#include "faisslike/IndexRefine.h"

namespace faisslike {
namespace records {

void write_refine(IOWriter* b, const Index& index) {
    const auto* rf = static_cast<const IndexRefineFlat*>(&index);
    write_index_header(b, rf);
    put<float>(b, rf->k_factor);
    write_index_record(b, rf->base_index.get());
    write_index_record(b, &rf->refine_index);
}

std::unique_ptr<Index> read_refine(SectionReader& s, int depth) {
    IndexHeader h = read_index_header(s);
    const float kf = s.get<float>("k_factor");
    std::unique_ptr<Index> base = read_nested(s, depth, "base_index");
    std::unique_ptr<Index> flat = read_nested(s, depth, "refine_index", kTagFlat);
    return assemble_refine(s, h, std::move(base), static_cast<IndexFlat&>(*flat), kf);
}

std::unique_ptr<Index> assemble_refine(SectionReader& s, const IndexHeader& h,
                                       std::unique_ptr<Index> base, IndexFlat& rflat, float kf) {
    if (base->d != h.d || rflat.d != h.d || base->metric_type != h.metric ||
        rflat.metric_type != h.metric)
        s.fail("base / refine index dimension or metric differ from the index");
    if (base->ntotal != h.ntotal || rflat.ntotal != h.ntotal)
        s.fail(format_string("ntotal=%lld but base holds %lld and refine %lld", (long long)h.ntotal,
                             (long long)base->ntotal, (long long)rflat.ntotal));
    try {
        check_k_factor(kf);
    } catch (const Error& e) {
        s.fail(e.what());
    }
    // Built empty, then the stored parts moved in.
    const idx_t nt = base->ntotal;
    base->ntotal = 0;
    auto rf = std::make_unique<IndexRefineFlat>(base.get());
    base->ntotal = nt;
    rf->base_index.set_owned(true);
    base.release();
    if (rflat.is_mapped()) {
        rf->refine_index.set_mapped(rflat.get_xb(), nt, s.r->keepalive());
    } else {
        rf->refine_index.codes = std::move(rflat.codes);
    }
    rf->refine_index.ntotal = nt;
    rf->ntotal = nt;
    rf->k_factor = kf;
    rf->is_trained = h.is_trained;
    return rf;
}

}  // namespace records
}  // namespace faisslike
