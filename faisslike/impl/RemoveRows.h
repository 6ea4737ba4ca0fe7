// Internal: removal for indexes that store one fixed-size row per vector (Flat, PQ, SQ).
#pragma once

#include <cstring>
#include <vector>

#include "faisslike/IDSelector.h"

namespace faisslike {

// Drops the rows whose ids (= row numbers) sel selects; later rows move down, so ids are
// renumbered as in FAISS. Returns the number removed and updates ntotal.
// Rows: a vector or a LiveArray; N: idx_t or Count. For writers that exclude readers.
template <class Rows, class N>
size_t remove_rows(const IDSelector& sel, size_t row_len, Rows& rows, N& ntotal) {
    using T = typename Rows::value_type;
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

// Selects the rows flagged in a byte array (what a wrapper computed before a removal).
struct IDSelectorFlags : IDSelector {
    const std::vector<uint8_t>& flags;
    explicit IDSelectorFlags(const std::vector<uint8_t>& f) : flags(f) {}
    bool is_member(idx_t id) const override {
        return id >= 0 && size_t(id) < flags.size() && flags[size_t(id)];
    }
};

// Drops the flagged entries of a per-vector table, keeping the others in order.
template <class Table>
void remove_flagged(const std::vector<uint8_t>& gone, Table& table) {
    idx_t n = idx_t(table.size());
    remove_rows(IDSelectorFlags(gone), 1, table, n);
}

}  // namespace faisslike
