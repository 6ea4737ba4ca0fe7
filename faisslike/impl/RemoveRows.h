// Internal: removal for indexes that store one fixed-size row per vector (Flat, PQ, SQ).
#pragma once

#include <cstring>
#include <vector>

#include "faisslike/IDSelector.h"

namespace faisslike {

// Drops the rows whose ids (= row numbers) sel selects; later rows move down, so ids are
// renumbered as in FAISS. Returns the number removed and updates ntotal.
template <class T, class A>
size_t remove_rows(const IDSelector& sel, size_t row_len, std::vector<T, A>& rows, idx_t& ntotal) {
    size_t j = 0;
    for (size_t i = 0; i < size_t(ntotal); ++i) {
        if (sel.is_member(idx_t(i))) continue;
        if (i != j) std::memmove(&rows[j * row_len], &rows[i * row_len], row_len * sizeof(T));
        ++j;
    }
    const size_t removed = size_t(ntotal) - j;
    rows.resize(j * row_len);
    ntotal = idx_t(j);
    return removed;
}

}  // namespace faisslike
