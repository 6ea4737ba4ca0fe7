#include "faisslike/IDSelector.h"

#include <algorithm>

#include "faisslike/Error.h"

namespace faisslike {

IDSelectorRange::IDSelectorRange(idx_t imin_in, idx_t imax_in) : imin(imin_in), imax(imax_in) {
    FAISSLIKE_CHECK_ARG(imin <= imax, "IDSelectorRange needs imin <= imax, got [%lld, %lld)",
                        (long long)imin, (long long)imax);
}

IDSelectorArray::IDSelectorArray(size_t n, const idx_t* ids_in) {
    FAISSLIKE_CHECK_ARG_MSG(n == 0 || ids_in != nullptr, "IDSelectorArray ids are null");
    ids.assign(ids_in, ids_in + n);
    std::sort(ids.begin(), ids.end());
}

bool IDSelectorArray::is_member(idx_t id) const {
    return std::binary_search(ids.begin(), ids.end(), id);
}

IDSelectorBatch::IDSelectorBatch(size_t n, const idx_t* ids) {
    FAISSLIKE_CHECK_ARG_MSG(n == 0 || ids != nullptr, "IDSelectorBatch ids are null");
    // Mask of ~8 bits per id, a power of two between 64 and 2^30 bits.
    nbits = 6;
    while (nbits < 30 && (size_t(1) << nbits) < 8 * n) ++nbits;
    bloom.assign((size_t(1) << nbits) / 64, 0);
    set.reserve(n);
    const uint64_t mask = (uint64_t(1) << nbits) - 1;
    for (size_t i = 0; i < n; ++i) {
        set.insert(ids[i]);
        const uint64_t h = uint64_t(ids[i]) & mask;
        bloom[h >> 6] |= uint64_t(1) << (h & 63);
    }
}

bool IDSelectorBatch::is_member(idx_t id) const {
    const uint64_t h = uint64_t(id) & ((uint64_t(1) << nbits) - 1);
    if (!((bloom[h >> 6] >> (h & 63)) & 1)) return false;
    return set.count(id) != 0;
}

IDSelectorBitmap::IDSelectorBitmap(size_t n_bytes, const uint8_t* bm) {
    FAISSLIKE_CHECK_ARG_MSG(n_bytes == 0 || bm != nullptr, "IDSelectorBitmap bitmap is null");
    bitmap.assign(bm, bm + n_bytes);
}

IDSelectorNot::IDSelectorNot(const IDSelector* s) : sel(s) {
    FAISSLIKE_CHECK_ARG_MSG(sel != nullptr, "IDSelectorNot operand is null");
}

IDSelectorAnd::IDSelectorAnd(const IDSelector* a, const IDSelector* b) : lhs(a), rhs(b) {
    FAISSLIKE_CHECK_ARG_MSG(lhs && rhs, "IDSelectorAnd operand is null");
}

IDSelectorOr::IDSelectorOr(const IDSelector* a, const IDSelector* b) : lhs(a), rhs(b) {
    FAISSLIKE_CHECK_ARG_MSG(lhs && rhs, "IDSelectorOr operand is null");
}

}  // namespace faisslike
