// Which ids a search may return or remove_ids may delete (FAISS's IDSelector family).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "faisslike/MetricType.h"

namespace faisslike {

// is_member is called from many search threads at once: implementations are read-only.
struct IDSelector {
    virtual ~IDSelector() = default;
    virtual bool is_member(idx_t id) const = 0;
};

// imin <= id < imax.
struct IDSelectorRange : IDSelector {
    idx_t imin, imax;
    IDSelectorRange(idx_t imin, idx_t imax);
    bool is_member(idx_t id) const override { return id >= imin && id < imax; }
};

// Ids listed in an array, copied and sorted (membership by binary search; FAISS scans the
// array linearly and keeps a pointer to the caller's memory).
struct IDSelectorArray : IDSelector {
    std::vector<idx_t> ids;
    IDSelectorArray(size_t n, const idx_t* ids);
    bool is_member(idx_t id) const override;
};

// Ids in a hash set, behind a bloom-like bit mask that rejects most non-members with one
// memory access (FAISS's IDSelectorBatch).
struct IDSelectorBatch : IDSelector {
    std::unordered_set<idx_t> set;
    std::vector<uint64_t> bloom;
    int nbits;
    IDSelectorBatch(size_t n, const idx_t* ids);
    bool is_member(idx_t id) const override;
};

// One bit per id in [0, n): the fastest for dense filters.
struct IDSelectorBitmap : IDSelector {
    std::vector<uint8_t> bitmap;  // bit (id % 8) of byte id / 8
    IDSelectorBitmap(size_t n_bytes, const uint8_t* bitmap);
    bool is_member(idx_t id) const override {
        return id >= 0 && size_t(id >> 3) < bitmap.size() &&
               ((bitmap[size_t(id >> 3)] >> (id & 7)) & 1);
    }
};

// Combinators. They do not own their operands (as FAISS); the Python wrapper keeps them alive.
struct IDSelectorNot : IDSelector {
    const IDSelector* sel;
    explicit IDSelectorNot(const IDSelector* sel);
    bool is_member(idx_t id) const override { return !sel->is_member(id); }
};

struct IDSelectorAnd : IDSelector {
    const IDSelector *lhs, *rhs;
    IDSelectorAnd(const IDSelector* lhs, const IDSelector* rhs);
    bool is_member(idx_t id) const override { return lhs->is_member(id) && rhs->is_member(id); }
};

struct IDSelectorOr : IDSelector {
    const IDSelector *lhs, *rhs;
    IDSelectorOr(const IDSelector* lhs, const IDSelector* rhs);
    bool is_member(idx_t id) const override { return lhs->is_member(id) || rhs->is_member(id); }
};

// Every id.
struct IDSelectorAll : IDSelector {
    bool is_member(idx_t) const override { return true; }
};

// A shard-local id seen as the global id local + offset (shards with successive ids: the
// caller's selector names global ids).
struct IDSelectorShifted : IDSelector {
    const IDSelector* sel;
    idx_t offset;
    IDSelectorShifted(const IDSelector* sel, idx_t offset) : sel(sel), offset(offset) {}
    bool is_member(idx_t id) const override { return sel->is_member(id + offset); }
};

// Internal ids -> user ids through a map, then the user's selector (IndexIDMap).
struct IDSelectorTranslated : IDSelector {
    const idx_t* id_map;
    size_t n;
    const IDSelector* sel;
    IDSelectorTranslated(const idx_t* id_map, size_t n, const IDSelector* sel)
        : id_map(id_map), n(n), sel(sel) {}
    bool is_member(idx_t id) const override {
        return id >= 0 && size_t(id) < n && sel->is_member(id_map[size_t(id)]);
    }
};

}  // namespace faisslike
