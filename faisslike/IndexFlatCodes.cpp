#include "faisslike/IndexFlatCodes.h"

#include "faisslike/Error.h"
#include "faisslike/impl/RemoveRows.h"
#include "faisslike/impl/ScanSearch.h"

namespace faisslike {

IndexFlatCodes::IndexFlatCodes(idx_t d_in, size_t code_size_in, MetricType metric)
    : Index(d_in, metric), code_size(code_size_in) {}

void IndexFlatCodes::check_empty_for_training() const {
    FAISSLIKE_THROW_IF_NOT_FMT(ntotal == 0,
                               "train() on an index holding %lld vectors would make their codes "
                               "meaningless: call reset() first",
                               (long long)ntotal);
}

void IndexFlatCodes::do_add(idx_t n, const float* x) {
    // Encoded past the published end: searches running meanwhile never see a partial code.
    const size_t bytes = size_t(n) * code_size;
    encode(size_t(n), x, codes.prepare(bytes));
    codes.commit(bytes);
    ntotal += n;
}

void IndexFlatCodes::do_reset() {
    LiveArray<uint8_t>().swap(codes);
    ntotal = 0;
}

size_t IndexFlatCodes::do_remove_ids(const IDSelector& sel) {
    return remove_rows(sel, code_size, codes, ntotal);
}

void IndexFlatCodes::do_reconstruct(idx_t key, float* recons) const {
    // A key not in the index: Error like an unknown id elsewhere (RuntimeError, as FAISS).
    const idx_t nb = ntotal;  // before the codes: adds publish codes first
    FAISSLIKE_THROW_IF_NOT_FMT(key >= 0 && key < nb, "key %lld out of range [0, %lld)",
                               (long long)key, (long long)nb);
    decode(1, codes.data() + size_t(key) * code_size, recons);
}

namespace {
// Adapts the per-thread CodeScorer to RowScanner.
struct ScorerRef {
    std::unique_ptr<CodeScorer> s;
    void set_query(const float* x) { s->set_query(x); }
    void score(const uint8_t* rows, size_t n, float* out) { s->score(rows, n, out); }
};
}  // namespace

void IndexFlatCodes::do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                               const SearchParameters* params) const {
    check_plain_params(params);
    scan_search(size_t(n), size_t(ntotal), size_t(k), metric_type == METRIC_INNER_PRODUCT,
                distances, labels, [&] {
                    return RowScanner<ScorerRef>{codes.data(),
                                                 code_size,
                                                 x,
                                                 size_t(d),
                                                 metric_type == METRIC_INNER_PRODUCT,
                                                 selector_of(params),
                                                 ScorerRef{get_scorer()}};
                });
}

size_t IndexFlatCodes::do_sa_code_size() const {
    return code_size;
}

void IndexFlatCodes::do_sa_encode(idx_t n, const float* x, uint8_t* bytes) const {
    encode(size_t(n), x, bytes);
}

void IndexFlatCodes::do_sa_decode(idx_t n, const uint8_t* bytes, float* x) const {
    decode(size_t(n), bytes, x);
}

}  // namespace faisslike
