#include "faisslike/IndexIDMap.h"

#include <unordered_set>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexIVF.h"

namespace faisslike {

namespace {
Index* not_null(Index* index, const char* what) {
    FAISSLIKE_THROW_IF_NOT_FMT(index != nullptr, "%s: the wrapped index is null", what);
    return index;
}
}  // namespace

IndexIDMap::IndexIDMap(Index* index_in)
    : Index(not_null(index_in, "IndexIDMap")->d, not_null(index_in, "IndexIDMap")->metric_type),
      index(index_in) {
    FAISSLIKE_THROW_IF_NOT_MSG(index->ntotal == 0, "IndexIDMap needs an empty index to wrap");
    is_trained = index->is_trained;
}

IndexIDMap::~IndexIDMap() {
    if (own_fields) delete index;
}

void IndexIDMap::train(idx_t n, const float* x) {
    index->train(n, x);
    is_trained = index->is_trained;
}

void IndexIDMap::add(idx_t, const float*) {
    FAISSLIKE_THROW_MSG("IndexIDMap needs ids: use add_with_ids");
}

void IndexIDMap::add_with_ids(idx_t n, const float* x, const idx_t* xids) {
    check_add_args(n, x);
    FAISSLIKE_THROW_IF_NOT_MSG(n == 0 || xids != nullptr, "add_with_ids: ids are null");
    for (idx_t i = 0; i < n; ++i)
        FAISSLIKE_THROW_IF_NOT_FMT(xids[i] >= 0, "ids must be >= 0, got id %lld at row %lld",
                                   (long long)xids[i], (long long)i);
    check_new_ids(n, xids);
    const size_t first = id_map.size();
    if (auto ivf = dynamic_cast<IndexIVF*>(index)) {
        // IVF keeps ids through removals, so its ntotal is no source of fresh inner ids:
        // inner ids are positions in id_map, never reused (removed ones become -1).
        std::vector<idx_t> inner(static_cast<size_t>(n));
        for (idx_t i = 0; i < n; ++i) inner[size_t(i)] = idx_t(first) + i;
        ivf->add_with_ids(n, x, inner.data());
    } else {
        index->add(n, x);  // validates the vectors; nothing changes here if it throws
    }
    id_map.insert(id_map.end(), xids, xids + n);
    ntotal = index->ntotal;
    on_ids_changed(first);
}

std::unique_ptr<SearchParameters> IndexIDMap::translate_params(
    const SearchParameters* params, std::unique_ptr<IDSelector>& holder) const {
    if (!params) return nullptr;
    std::unique_ptr<SearchParameters> p = params->clone();
    if (params->sel) {
        holder = std::make_unique<IDSelectorTranslated>(id_map.data(), id_map.size(), params->sel);
        p->sel = holder.get();
    }
    return p;
}

void IndexIDMap::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                        const SearchParameters* params) const {
    check_search_args(n, x, k, distances, labels);
    std::unique_ptr<IDSelector> holder;
    auto p = translate_params(params, holder);
    index->search(n, x, k, distances, labels, p.get());
    for (size_t i = 0; i < size_t(n) * size_t(k); ++i) {
        const idx_t l = labels[i];
        FAISSLIKE_THROW_IF_NOT_FMT(l < idx_t(id_map.size()), "wrapped index returned label %lld",
                                   (long long)l);
        labels[i] = l < 0 ? -1 : id_map[size_t(l)];
    }
}

void IndexIDMap::range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                              const SearchParameters* params) const {
    check_range_args(n, x, radius, result);
    std::unique_ptr<IDSelector> holder;
    auto p = translate_params(params, holder);
    index->range_search(n, x, radius, result, p.get());
    for (idx_t& l : result->labels) {
        FAISSLIKE_THROW_IF_NOT_FMT(l >= 0 && l < idx_t(id_map.size()),
                                   "wrapped index returned label %lld", (long long)l);
        l = id_map[size_t(l)];
    }
}

size_t IndexIDMap::remove_ids(const IDSelector& sel) {
    const idx_t before = index->ntotal;
    IDSelectorTranslated tsel(id_map.data(), id_map.size(), &sel);
    const size_t removed = index->remove_ids(tsel);
    if (dynamic_cast<IndexIVF*>(index)) {
        // Inner ids kept: the removed positions become tombstones.
        for (idx_t& id : id_map)
            if (id >= 0 && sel.is_member(id)) id = -1;
    } else if (index->ntotal != before) {
        // The wrapped index renumbered its vectors (kept order): do the same with the ids.
        size_t j = 0;
        for (size_t i = 0; i < id_map.size(); ++i)
            if (!sel.is_member(id_map[i])) id_map[j++] = id_map[i];
        id_map.resize(j);
        FAISSLIKE_THROW_IF_NOT_FMT(idx_t(j) == index->ntotal,
                                   "id map out of sync after removal (%zu ids, ntotal=%lld)", j,
                                   (long long)index->ntotal);
    }
    ntotal = index->ntotal;
    on_ids_changed(0);
    return removed;
}

size_t IndexIDMap::compact() {
    auto hn = dynamic_cast<IndexHNSWFlat*>(index);
    if (!hn || hn->ndeleted == 0) return 0;
    const std::vector<uint8_t> gone = hn->deleted;  // compact() renumbers survivors in order
    size_t j = 0;
    for (size_t i = 0; i < id_map.size(); ++i)
        if (!gone[i]) id_map[j++] = id_map[i];
    id_map.resize(j);
    const size_t freed = hn->compact();
    ntotal = index->ntotal;
    on_ids_changed(0);
    return freed;
}

void IndexIDMap::reset() {
    index->reset();
    id_map.clear();
    ntotal = 0;
    on_ids_changed(0);
}

IndexIDMap2::IndexIDMap2(Index* index_in) : IndexIDMap(index_in) {
    if (auto ivf = dynamic_cast<IndexIVF*>(index))
        if (ivf->direct_map.type == DirectMap::NoMap)
            ivf->set_direct_map_type(DirectMap::Hashtable);
}

void IndexIDMap2::check_new_ids(idx_t n, const idx_t* xids) const {
    std::unordered_set<idx_t> batch;
    batch.reserve(size_t(n));
    for (idx_t i = 0; i < n; ++i) {
        FAISSLIKE_THROW_IF_NOT_FMT(!rev_map.count(xids[i]) && batch.insert(xids[i]).second,
                                   "IndexIDMap2: duplicate id %lld (row %lld)", (long long)xids[i],
                                   (long long)i);
    }
}

void IndexIDMap2::construct_rev_map(size_t first) {
    if (first == 0) rev_map.clear();
    rev_map.reserve(id_map.size());
    // Nodes marked deleted (HNSW) are gone for reconstruct and may be added again.
    auto hn = dynamic_cast<const IndexHNSWFlat*>(index);
    for (size_t i = first; i < id_map.size(); ++i) {
        if (id_map[i] < 0 || (hn && hn->ndeleted && hn->deleted[i])) continue;
        rev_map[id_map[i]] = idx_t(i);
    }
}

void IndexIDMap2::reconstruct(idx_t key, float* recons) const {
    auto it = rev_map.find(key);
    FAISSLIKE_THROW_IF_NOT_FMT(it != rev_map.end(), "id %lld not in the index", (long long)key);
    index->reconstruct(it->second, recons);
}

}  // namespace faisslike
