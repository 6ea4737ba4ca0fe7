#include "faisslike/IndexBinary.h"

#include <algorithm>
#include <limits>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/io.h"

namespace faisslike {

namespace {
idx_t checked_bits(idx_t d) {
    FAISSLIKE_CHECK_ARG(d >= 8 && d <= kMaxDim && d % 8 == 0,
                        "binary index dimension must be a multiple of 8 in [8, %lld] bits, "
                        "got d=%lld",
                        (long long)kMaxDim, (long long)d);
    return d;
}
}  // namespace

IndexBinary::IndexBinary(idx_t d_in) : d(int(checked_bits(d_in))), code_size(int(d_in / 8)) {}
IndexBinary::~IndexBinary() = default;
IndexBinary::IndexBinary(const IndexBinary& o)
    : d(o.d),
      code_size(o.code_size),
      ntotal(o.ntotal),
      verbose(o.verbose),
      is_trained(o.is_trained),
      metric_type(o.metric_type) {}
IndexBinary& IndexBinary::operator=(const IndexBinary& o) {
    d = o.d;
    code_size = o.code_size;
    ntotal = o.ntotal;
    verbose = o.verbose;
    is_trained = o.is_trained;
    metric_type = o.metric_type;
    return *this;
}

void IndexBinary::check_mapped_file() const {
    if (mapped_file_) mapped_file_->check_unchanged();
}

void IndexBinary::check_add_args(idx_t n, const uint8_t* x) const {
    FAISSLIKE_CHECK_ARG(n >= 0, "number of vectors must be >= 0, got n=%lld", (long long)n);
    FAISSLIKE_CHECK_ARG(n == 0 || x != nullptr, "vector pointer is null for n=%lld", (long long)n);
    FAISSLIKE_CHECK_ARG(n <= std::numeric_limits<idx_t>::max() / code_size,
                        "n=%lld codes of %d bytes overflow", (long long)n, code_size);
}

void IndexBinary::check_search_args(idx_t n, const uint8_t* x, idx_t k, const int32_t* distances,
                                    const idx_t* labels) const {
    check_add_args(n, x);
    FAISSLIKE_CHECK_ARG(k > 0, "k must be > 0, got k=%lld", (long long)k);
    FAISSLIKE_CHECK_ARG(n == 0 || (distances != nullptr && labels != nullptr),
                        "output pointers must not be null (n=%lld, k=%lld)", (long long)n,
                        (long long)k);
    FAISSLIKE_CHECK_ARG(n == 0 || k <= std::numeric_limits<idx_t>::max() / n,
                        "n=%lld x k=%lld results overflow", (long long)n, (long long)k);
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (search before train)");
}

void IndexBinary::train(idx_t n, const uint8_t* x) {
    check_add_args(n, x);
    IndexBinaryWriteScope w(*this);
    do_train(n, x);
}

void IndexBinary::add(idx_t n, const uint8_t* x) {
    check_add_args(n, x);
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (add before train)");
    if (n == 0) return;
    IndexBinaryWriteScope w(*this);
    do_add(n, x);
}

void IndexBinary::add_with_ids(idx_t n, const uint8_t* x, const idx_t* xids) {
    check_add_args(n, x);
    FAISSLIKE_CHECK_ARG_MSG(n == 0 || xids != nullptr, "add_with_ids: ids are null");
    for (idx_t i = 0; i < n; ++i)
        FAISSLIKE_CHECK_ARG(xids[i] >= 0, "ids must be >= 0, got id %lld at row %lld",
                            (long long)xids[i], (long long)i);
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (add before train)");
    if (n == 0) return;
    IndexBinaryWriteScope w(*this);
    do_add_with_ids(n, x, xids);
}

void IndexBinary::do_add_with_ids(idx_t, const uint8_t*, const idx_t*) {
    FAISSLIKE_THROW_MSG(
        "add_with_ids is not supported by this index type (wrap it in IndexBinaryIDMap)");
}

void IndexBinary::search(idx_t n, const uint8_t* x, idx_t k, int32_t* distances, idx_t* labels,
                         const SearchParameters* params) const {
    check_search_args(n, x, k, distances, labels);
    if (n == 0) return;
    IndexBinaryReadScope r(*this);
    do_search(n, x, k, distances, labels, params);
}

void IndexBinary::range_search(idx_t n, const uint8_t* x, int radius, RangeSearchResult* result,
                               const SearchParameters* params) const {
    check_add_args(n, x);
    FAISSLIKE_CHECK_ARG_MSG(result != nullptr, "range_search result is null");
    FAISSLIKE_CHECK_ARG(radius >= 0, "range_search radius must be >= 0, got %d", radius);
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (range_search before train)");
    IndexBinaryReadScope r(*this);
    do_range_search(n, x, radius, result, params);
}

void IndexBinary::do_range_search(idx_t, const uint8_t*, int, RangeSearchResult*,
                                  const SearchParameters*) const {
    FAISSLIKE_THROW_MSG("range_search is not supported by this binary index type");
}

void IndexBinary::reset() {
    IndexBinaryWriteScope w(*this);
    do_reset();
}

size_t IndexBinary::remove_ids(const IDSelector& sel) {
    IndexBinaryWriteScope w(*this);
    return do_remove_ids(sel);
}

size_t IndexBinary::do_remove_ids(const IDSelector&) {
    FAISSLIKE_THROW_MSG("remove_ids is not supported by this binary index type");
}

void IndexBinary::check_id_range(idx_t i0, idx_t ni) const {
    FAISSLIKE_CHECK_ARG(i0 >= 0 && ni >= 0 && i0 <= ntotal && ni <= ntotal - i0,
                        "reconstruct range [%lld, %lld) is outside [0, ntotal=%lld)", (long long)i0,
                        (long long)(i0 + ni), (long long)ntotal);
}

void IndexBinary::reconstruct(idx_t key, uint8_t* recons) const {
    FAISSLIKE_CHECK_ARG_MSG(recons != nullptr, "reconstruct output is null");
    IndexBinaryReadScope r(*this);
    do_reconstruct(key, recons);
}

void IndexBinary::reconstruct_n(idx_t i0, idx_t ni, uint8_t* recons) const {
    check_id_range(i0, ni);
    FAISSLIKE_CHECK_ARG_MSG(ni == 0 || recons != nullptr, "reconstruct_n output is null");
    IndexBinaryReadScope r(*this);
    for (idx_t i = 0; i < ni; ++i) do_reconstruct(i0 + i, recons + size_t(i) * size_t(code_size));
}

void IndexBinary::do_reconstruct(idx_t, uint8_t*) const {
    FAISSLIKE_THROW_MSG("reconstruct is not supported by this binary index type");
}

void binary_to_real(size_t d, const uint8_t* codes, float* x) {
    for (size_t j = 0; j < d; ++j) x[j] = ((codes[j / 8] >> (j % 8)) & 1) ? 1.0f : -1.0f;
}

void real_to_binary(size_t d, const float* x, uint8_t* codes) {
    for (size_t b = 0; b < (d + 7) / 8; ++b) codes[b] = 0;
    for (size_t j = 0; j < d; ++j)
        if (x[j] > 0) codes[j / 8] |= uint8_t(1u << (j % 8));
}

void set_range_result(BinaryRangeHits& hits, RangeSearchResult* res) {
    res->nq = hits.size();
    res->lims.assign(hits.size() + 1, 0);
    res->labels.clear();
    res->distances.clear();
    for (size_t i = 0; i < hits.size(); ++i) {
        std::sort(hits[i].begin(), hits[i].end());
        for (const auto& [dis, id] : hits[i]) {
            res->distances.push_back(float(dis));
            res->labels.push_back(id);
        }
        res->lims[i + 1] = res->labels.size();
    }
}

void HammingTopK::add(int32_t dis, idx_t id) {
    auto worse = [&](size_t a, size_t b) {  // heap order: the worst on top
        return D[a] < D[b] || (D[a] == D[b] && I[a] < I[b]);
    };
    if (n < k) {
        size_t i = n++;
        D[i] = dis;
        I[i] = id;
        while (i > 0) {  // sift up
            const size_t p = (i - 1) / 2;
            if (!worse(p, i)) break;
            std::swap(D[p], D[i]);
            std::swap(I[p], I[i]);
            i = p;
        }
        return;
    }
    if (dis > D[0] || (dis == D[0] && id >= I[0])) return;
    D[0] = dis;
    I[0] = id;
    for (size_t i = 0;;) {  // sift down
        const size_t l = 2 * i + 1, r = l + 1;
        size_t m = i;
        if (l < n && worse(m, l)) m = l;
        if (r < n && worse(m, r)) m = r;
        if (m == i) break;
        std::swap(D[m], D[i]);
        std::swap(I[m], I[i]);
        i = m;
    }
}

void HammingTopK::finish() {
    std::vector<std::pair<int32_t, idx_t>> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = {D[i], I[i]};
    std::sort(v.begin(), v.end());
    for (size_t i = 0; i < k; ++i) {
        D[i] = i < n ? v[i].first : INT32_MAX;
        I[i] = i < n ? v[i].second : -1;
    }
}

}  // namespace faisslike
