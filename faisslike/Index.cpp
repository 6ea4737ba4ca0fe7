#include "faisslike/Index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <typeinfo>

#include "faisslike/Error.h"
#include "faisslike/impl/Operation.h"
#include "faisslike/io.h"

namespace faisslike {

Index::Index(idx_t d_in, MetricType metric) : d(0), metric_type(metric) {
    FAISSLIKE_CHECK_ARG(d_in > 0 && d_in <= kMaxDim, "dimension must be in [1, %lld], got d=%lld",
                        (long long)kMaxDim, (long long)d_in);
    FAISSLIKE_CHECK_ARG(metric == METRIC_L2 || metric == METRIC_INNER_PRODUCT,
                        "unsupported metric type %d", int(metric));
    d = int(d_in);
}

Index::~Index() = default;

// The guard belongs to one object: a copy starts unused.
Index::Index(const Index& o)
    : d(o.d),
      ntotal(o.ntotal),
      verbose(o.verbose),
      is_trained(o.is_trained),
      metric_type(o.metric_type) {}

Index& Index::operator=(const Index& o) {
    d = o.d;
    ntotal = o.ntotal;
    verbose = o.verbose;
    is_trained = o.is_trained;
    metric_type = o.metric_type;
    return *this;
}

void Index::check_mapped_file() const {
    if (mapped_file_) mapped_file_->check_unchanged();
    check_external_files();
}

// ---------------------------------------------------------------- entry points

void Index::train(idx_t n, const float* x) {
    check_add_args(n, x);
    check_finite("training vectors", n, d, x);
    IndexWriteScope w(*this);
    // Interruptible anywhere: every do_train sets is_trained last.
    OperationScope op("train", n, verbose, OperationScope::kAnywhere);
    do_train(n, x);
    op.finish(n);
}

namespace {
// add(block) for the blocks of [0, n): between two, progress and an interrupt point; inside
// one (a consistent add of its own), nothing may interrupt, nested operations included.
template <class F>
void add_in_blocks(const Index& idx, idx_t n, F&& add_block) {
    OperationScope op("add", n, idx.verbose, OperationScope::kAtPoints);
    if (n == 0) {  // still one call: an index without ids refuses even an empty add_with_ids
        NoInterrupts block;
        add_block(0, 0);
        return;
    }
    const idx_t bs = idx.add_block_size() > 0 ? idx.add_block_size() : std::max<idx_t>(n, 1);
    for (idx_t i0 = 0; i0 < n; i0 += bs) {
        const idx_t ni = std::min(bs, n - i0);
        {
            NoInterrupts block;
            add_block(i0, ni);
        }
        op.advance(ni);
        if (i0 + ni < n) op.interrupt_point();
    }
}
}  // namespace

void Index::add(idx_t n, const float* x) {
    check_add_args(n, x);
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (add before train)");
    check_finite("vectors to add", n, d, x);
    IndexWriteScope w(*this, [&] { return concurrent_add(); });
    add_in_blocks(*this, n, [&](idx_t i0, idx_t ni) { do_add(ni, x + size_t(i0) * size_t(d)); });
}

void Index::add_with_ids(idx_t n, const float* x, const idx_t* xids, bool replace) {
    check_add_args(n, x);
    FAISSLIKE_CHECK_ARG_MSG(n == 0 || xids != nullptr, "add_with_ids: ids are null");
    for (idx_t i = 0; i < n; ++i)
        FAISSLIKE_CHECK_ARG(xids[i] >= 0, "ids must be >= 0, got id %lld at row %lld",
                            (long long)xids[i], (long long)i);
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (add before train)");
    FAISSLIKE_THROW_IF_NOT_MSG(!replace || supports_replace(),
                               "add_with_ids(replace=True) is not supported by this index type "
                               "(ids must be unique: wrap it in IndexIDMap2)");
    check_finite("vectors to add", n, d, x);
    IndexWriteScope w(*this, [&] { return concurrent_add(); });
    if (replace) {  // one block: ids repeated inside the call keep their meaning
        NoInterrupts block;
        do_upsert(n, x, xids);
        return;
    }
    add_in_blocks(*this, n, [&](idx_t i0, idx_t ni) {
        do_add_with_ids(ni, x + size_t(i0) * size_t(d), xids + i0);
    });
}

void Index::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const {
    check_search_args(n, x, k, distances, labels);
    if (n == 0) return;
    check_finite("query vectors", n, d, x);
    IndexReadScope r(*this);
    OperationScope op("search", n, false, OperationScope::kAnywhere);  // read-only
    do_search(n, x, k, distances, labels, params);
}

void Index::range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                         const SearchParameters* params) const {
    check_range_args(n, x, radius, result);
    check_finite("query vectors", n, d, x);
    IndexReadScope r(*this);
    OperationScope op("range_search", n, false, OperationScope::kAnywhere);
    do_range_search(n, x, radius, result, params);
}

void Index::reset() {
    IndexWriteScope w(*this);
    do_reset();
}

size_t Index::remove_ids(const IDSelector& sel) {
    IndexWriteScope w(*this, [&] { return concurrent_remove(); });
    return do_remove_ids(sel);
}

void Index::reconstruct(idx_t key, float* recons) const {
    FAISSLIKE_CHECK_ARG_MSG(recons != nullptr, "reconstruct output is null");
    IndexReadScope r(*this);
    do_reconstruct(key, recons);
}

void Index::reconstruct_n(idx_t i0, idx_t ni, float* recons) const {
    IndexReadScope r(*this);  // first: the range is checked against what it holds
    check_reconstruct_n_args(i0, ni, recons);
    if (ni == 0) return;
    do_reconstruct_n(i0, ni, recons);
}

size_t Index::sa_code_size() const {
    const size_t cs = do_sa_code_size();
    FAISSLIKE_THROW_IF_NOT_MSG(cs != 0, "this index type has no standalone codec (sa_encode)");
    return cs;
}

void Index::sa_encode(idx_t n, const float* x, uint8_t* bytes) const {
    sa_code_size();
    FAISSLIKE_CHECK_ARG(n >= 0, "number of vectors must be >= 0, got n=%lld", (long long)n);
    FAISSLIKE_CHECK_ARG_MSG(n == 0 || (x && bytes), "sa_encode pointers are null");
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (sa_encode before train)");
    if (n == 0) return;
    check_finite("vectors to encode", n, d, x);
    IndexReadScope r(*this);
    do_sa_encode(n, x, bytes);
}

void Index::sa_decode(idx_t n, const uint8_t* bytes, float* x) const {
    sa_code_size();
    FAISSLIKE_CHECK_ARG(n >= 0, "number of codes must be >= 0, got n=%lld", (long long)n);
    FAISSLIKE_CHECK_ARG_MSG(n == 0 || (x && bytes), "sa_decode pointers are null");
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (sa_decode before train)");
    if (n == 0) return;
    IndexReadScope r(*this);
    do_sa_decode(n, bytes, x);
}

size_t Index::compact() {
    IndexWriteScope w(*this);
    return do_compact();
}

// ---------------------------------------------------------------- defaults

void Index::do_train(idx_t, const float*) {}

void Index::do_add_with_ids(idx_t, const float*, const idx_t*) {
    FAISSLIKE_THROW_MSG("add_with_ids is not supported by this index type (wrap it in IndexIDMap)");
}

void Index::do_upsert(idx_t, const float*, const idx_t*) {
    FAISSLIKE_THROW_MSG("add_with_ids(replace=True) is not supported by this index type");
}

size_t Index::do_remove_ids(const IDSelector&) {
    FAISSLIKE_THROW_MSG("remove_ids is not supported by this index type");
}

void Index::do_range_search(idx_t, const float*, float, RangeSearchResult*,
                            const SearchParameters*) const {
    FAISSLIKE_THROW_MSG("range_search is not supported by this index type");
}

void Index::do_reconstruct(idx_t, float*) const {
    FAISSLIKE_THROW_MSG("reconstruct is not supported by this index type");
}

void Index::do_sa_encode(idx_t, const float*, uint8_t*) const {
    FAISSLIKE_THROW_MSG("this index type has no standalone codec (sa_encode)");
}

void Index::do_sa_decode(idx_t, const uint8_t*, float*) const {
    FAISSLIKE_THROW_MSG("this index type has no standalone codec (sa_decode)");
}

void Index::do_reconstruct_n(idx_t i0, idx_t ni, float* recons) const {
    for (idx_t i = 0; i < ni; ++i) do_reconstruct(i0 + i, recons + i * d);
}

// ---------------------------------------------------------------- argument checks

void Index::check_range_args(idx_t n, const float* x, float radius,
                             const RangeSearchResult* result) const {
    check_add_args(n, x);
    FAISSLIKE_CHECK_ARG_MSG(result != nullptr, "range_search result is null");
    FAISSLIKE_CHECK_ARG(std::isfinite(radius), "range_search radius must be finite, got %g",
                        double(radius));
    FAISSLIKE_CHECK_ARG(metric_type != METRIC_L2 || radius >= 0.0f,
                        "range_search radius must be >= 0 for L2, got %g", double(radius));
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "index is not trained (range_search before train)");
}

void Index::check_reconstruct_n_args(idx_t i0, idx_t ni, const float* recons) const {
    check_id_range(i0, ni);
    FAISSLIKE_CHECK_ARG_MSG(ni == 0 || recons != nullptr, "reconstruct_n output is null");
}

void Index::check_id_range(idx_t i0, idx_t ni) const {
    FAISSLIKE_CHECK_ARG(i0 >= 0 && ni >= 0 && i0 <= ntotal && ni <= ntotal - i0,
                        "reconstruct_n range [%lld, %lld) is outside [0, ntotal=%lld)",
                        (long long)i0, (long long)(i0 + ni), (long long)ntotal);
}

void Index::check_add_args(idx_t n, const float* x) const {
    FAISSLIKE_CHECK_ARG(n >= 0, "number of vectors must be >= 0, got n=%lld", (long long)n);
    FAISSLIKE_CHECK_ARG(n == 0 || x != nullptr, "vector pointer is null for n=%lld", (long long)n);
    FAISSLIKE_CHECK_ARG(n <= std::numeric_limits<idx_t>::max() / d,
                        "n=%lld vectors of d=%d overflow", (long long)n, d);
}

void Index::check_search_args(idx_t n, const float* x, idx_t k, const float* distances,
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

void check_plain_params(const SearchParameters* params) {
    FAISSLIKE_CHECK_ARG_MSG(!params || typeid(*params) == typeid(SearchParameters),
                            "this index takes plain SearchParameters (a selector), got "
                            "parameters of another index type");
}

void check_finite(const char* what, idx_t n, int d, const float* x) {
    const size_t total = size_t(n) * size_t(d);
    // Runs on every add / search / train (each k-means iteration's assignment too): chunks
    // tested branch-free on the exponent bits (a loop the compiler vectorizes), the position
    // looked up only in a chunk that fails.
    constexpr size_t kChunk = 1024;
    for (size_t i0 = 0; i0 < total; i0 += kChunk) {
        const size_t i1 = std::min(total, i0 + kChunk);
        uint32_t bad = 0;
        for (size_t i = i0; i < i1; ++i) {
            uint32_t b;
            std::memcpy(&b, x + i, sizeof(b));
            bad |= uint32_t((b & 0x7f800000u) == 0x7f800000u);
        }
        if (bad) break;
        if (i1 == total) return;
    }
    for (size_t i = 0; i < total; ++i) {
        if (!std::isfinite(x[i])) {
            FAISSLIKE_THROW_FMT("%s contains a non-finite value (%g) at row %lld, column %lld",
                                what, double(x[i]), (long long)(i / size_t(d)),
                                (long long)(i % size_t(d)));
        }
    }
}

}  // namespace faisslike
