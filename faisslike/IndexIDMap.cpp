#include "faisslike/IndexIDMap.h"

#include <unordered_set>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/impl/RemoveRows.h"

namespace faisslike {

namespace {
Index* not_null(Index* index, const char* what) {
    FAISSLIKE_CHECK_ARG(index != nullptr, "%s: the wrapped index is null", what);
    return index;
}
}  // namespace

IndexIDMap::IndexIDMap(Index* index_in)
    : Index(not_null(index_in, "IndexIDMap")->d, not_null(index_in, "IndexIDMap")->metric_type),
      index(index_in, false) {
    init();
}

IndexIDMap::IndexIDMap(std::unique_ptr<Index> index_in)
    : Index(not_null(index_in.get(), "IndexIDMap")->d,
            not_null(index_in.get(), "IndexIDMap")->metric_type),
      index(std::move(index_in)) {
    init();
}

void IndexIDMap::init() {
    FAISSLIKE_CHECK_ARG_MSG(index->ntotal == 0, "IndexIDMap needs an empty index to wrap");
    is_trained = index->is_trained;
}

RemovalMode IndexIDMap::removal_mode() const {
    // User ids never change; removal needs the wrapped index to support it.
    return index->removal_mode() == RemovalMode::Unsupported ? RemovalMode::Unsupported
                                                             : RemovalMode::KeepIds;
}

bool IndexIDMap::inner_live(size_t i) const {
    return id_map[i] >= 0 && !index->is_deleted(idx_t(i));
}

void IndexIDMap::do_train(idx_t n, const float* x) {
    index->train(n, x);
    is_trained = index->is_trained;
}

void IndexIDMap::do_add(idx_t, const float*) {
    FAISSLIKE_THROW_MSG("IndexIDMap needs ids: use add_with_ids");
}

void IndexIDMap::do_add_with_ids(idx_t n, const float* x, const idx_t* xids) {
    check_new_ids(n, xids);
    const size_t first = id_map.size();
    FAISSLIKE_THROW_IF_NOT_FMT(index->accepts_ids() || size_t(index->ntotal) == first,
                               "IndexIDMap: the wrapped index holds %lld vectors for %zu ids "
                               "(was it changed directly?)",
                               (long long)index->ntotal, first);
    // The user ids first: a search running beside this add may find the new vectors as soon
    // as the wrapped index publishes them, and must find their ids.
    id_map.append(xids, size_t(n));
    try {
        if (index->accepts_ids()) {
            // An index that keeps ids need not number its vectors 0..ntotal-1 (removal keeps
            // the others' ids): give it positions in id_map as ids, never reused.
            std::vector<idx_t> inner(static_cast<size_t>(n));
            for (idx_t i = 0; i < n; ++i) inner[size_t(i)] = idx_t(first) + i;
            index->add_with_ids(n, x, inner.data());
        } else {
            index->add(n, x);  // validates the vectors; nothing is added if it throws
        }
    } catch (...) {
        id_map.resize(first);  // no search can return these: the wrapped index added nothing
        throw;
    }
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

void IndexIDMap::do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                           const SearchParameters* params) const {
    std::unique_ptr<IDSelector> holder;
    auto p = translate_params(params, holder);
    index->search(n, x, k, distances, labels, p.get());
    for (size_t i = 0; i < size_t(n) * size_t(k); ++i) {
        const idx_t l = labels[i];
        FAISSLIKE_THROW_IF_NOT_FMT(l < idx_t(id_map.size()), "wrapped index returned label %lld",
                                   (long long)l);
        if (l < 0) continue;
        labels[i] = id_map[size_t(l)];
        FAISSLIKE_THROW_IF_NOT_FMT(labels[i] >= 0, "wrapped index returned removed inner id %lld",
                                   (long long)l);
    }
}

void IndexIDMap::do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                                 const SearchParameters* params) const {
    std::unique_ptr<IDSelector> holder;
    auto p = translate_params(params, holder);
    index->range_search(n, x, radius, result, p.get());
    for (idx_t& l : result->labels) {
        FAISSLIKE_THROW_IF_NOT_FMT(l >= 0 && l < idx_t(id_map.size()),
                                   "wrapped index returned label %lld", (long long)l);
        l = id_map[size_t(l)];
        FAISSLIKE_THROW_IF_NOT_MSG(l >= 0, "wrapped index returned a removed inner id");
    }
}

size_t IndexIDMap::do_remove_ids(const IDSelector& sel) {
    const RemovalMode mode = index->removal_mode();
    FAISSLIKE_THROW_IF_NOT_MSG(mode != RemovalMode::Unsupported,
                               "remove_ids is not supported by the wrapped index");
    // Inner ids whose user id is selected (and that still hold a vector).
    std::vector<uint8_t> gone(id_map.size(), 0);
    for (size_t i = 0; i < id_map.size(); ++i) gone[i] = inner_live(i) && sel.is_member(id_map[i]);
    IDSelectorTranslated tsel(id_map.data(), id_map.size(), &sel);
    const size_t removed = index->remove_ids(tsel);
    if (mode == RemovalMode::Renumber) {
        // The wrapped index dropped those rows, the others moved down in order.
        remove_flagged(gone, id_map);
        FAISSLIKE_THROW_IF_NOT_FMT(idx_t(id_map.size()) == index->ntotal,
                                   "id map out of sync after removal (%zu ids, ntotal=%lld)",
                                   id_map.size(), (long long)index->ntotal);
    } else if (mode == RemovalMode::KeepIds) {
        for (size_t i = 0; i < id_map.size(); ++i)
            if (gone[i]) id_map[i] = -1;  // tombstone: inner ids are never reused
    }
    // MarkDeleted: the wrapped index flags them (is_deleted) until compact().
    ntotal = index->ntotal;
    on_ids_changed(0);
    return removed;
}

size_t IndexIDMap::do_compact() {
    if (index->removal_mode() != RemovalMode::MarkDeleted) return 0;
    std::vector<uint8_t> gone(id_map.size());
    for (size_t i = 0; i < id_map.size(); ++i) gone[i] = index->is_deleted(idx_t(i));
    const size_t freed = index->compact();  // renumbers the survivors in their order
    if (freed) remove_flagged(gone, id_map);
    ntotal = index->ntotal;
    on_ids_changed(0);
    return freed;
}

void IndexIDMap::do_reset() {
    index->reset();
    id_map.clear();
    ntotal = 0;
    on_ids_changed(0);
}

IndexIDMap2::IndexIDMap2(Index* index_in) : IndexIDMap(index_in) {
    index->enable_reconstruct();
}

IndexIDMap2::IndexIDMap2(std::unique_ptr<Index> index_in) : IndexIDMap(std::move(index_in)) {
    index->enable_reconstruct();
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
    std::unique_lock<std::shared_mutex> lk(rev_mutex);
    if (first == 0) rev_map.clear();
    rev_map.reserve(id_map.size());
    // Removed entries (and nodes only marked deleted) are gone for reconstruct and may be
    // added again.
    for (size_t i = first; i < id_map.size(); ++i) {
        if (!inner_live(i)) continue;
        rev_map[id_map[i]] = idx_t(i);
    }
}

void IndexIDMap2::do_reconstruct(idx_t key, float* recons) const {
    idx_t inner;
    {
        std::shared_lock<std::shared_mutex> lk(rev_mutex);
        auto it = rev_map.find(key);
        FAISSLIKE_THROW_IF_NOT_FMT(it != rev_map.end(), "id %lld not in the index", (long long)key);
        inner = it->second;
    }
    index->reconstruct(inner, recons);
}

}  // namespace faisslike
