#include "faisslike/IndexBinaryIDMap.h"

#include <unordered_set>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"

namespace faisslike {

namespace {

idx_t wrapped_bits(const IndexBinary* index) {
    FAISSLIKE_CHECK_ARG_MSG(index != nullptr, "IndexBinaryIDMap: the wrapped index is null");
    return index->d;
}

// Selects inner ids whose user id the caller's selector selects.
struct InnerSelector : IDSelector {
    const IDSelector& user;
    const std::vector<idx_t>& id_map;
    InnerSelector(const IDSelector& user, const std::vector<idx_t>& id_map)
        : user(user), id_map(id_map) {}
    bool is_member(idx_t inner) const override {
        return inner >= 0 && size_t(inner) < id_map.size() && id_map[size_t(inner)] >= 0 &&
               user.is_member(id_map[size_t(inner)]);
    }
};

}  // namespace

IndexBinaryIDMap::IndexBinaryIDMap(IndexBinary* index_in)
    : IndexBinary(wrapped_bits(index_in)), index(index_in) {
    FAISSLIKE_CHECK_ARG(index->ntotal == 0,
                        "IndexBinaryIDMap: the wrapped index must be empty (holds %lld)",
                        (long long)index->ntotal);
    is_trained = index->is_trained;
}

IndexBinaryIDMap::~IndexBinaryIDMap() {
    if (own_fields) delete index;
}

RemovalMode IndexBinaryIDMap::removal_mode() const {
    return index->removal_mode() == RemovalMode::Unsupported ? RemovalMode::Unsupported
                                                             : RemovalMode::KeepIds;
}

void IndexBinaryIDMap::do_train(idx_t n, const uint8_t* x) {
    index->train(n, x);
    is_trained = index->is_trained;
}

void IndexBinaryIDMap::do_add(idx_t, const uint8_t*) {
    FAISSLIKE_THROW_MSG("add is not supported by IndexBinaryIDMap: use add_with_ids");
}

void IndexBinaryIDMap::do_add_with_ids(idx_t n, const uint8_t* x, const idx_t* xids) {
    check_new_ids(n, xids);
    if (index->accepts_ids()) {
        // Inner ids are positions in id_map, never reused.
        std::vector<idx_t> inner(static_cast<size_t>(n));
        for (idx_t i = 0; i < n; ++i) inner[size_t(i)] = idx_t(id_map.size()) + i;
        index->add_with_ids(n, x, inner.data());
    } else {
        index->add(n, x);
    }
    id_map.insert(id_map.end(), xids, xids + n);
    ntotal = index->ntotal;
    on_ids_changed();
}

std::unique_ptr<SearchParameters> IndexBinaryIDMap::translate_params(
    const SearchParameters* params, std::unique_ptr<IDSelector>& holder) const {
    if (!params || !params->sel) return nullptr;
    auto p = params->clone();
    holder = std::make_unique<InnerSelector>(*params->sel, id_map);
    p->sel = holder.get();
    return p;
}

void IndexBinaryIDMap::do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* D, idx_t* I,
                                 const SearchParameters* params) const {
    std::unique_ptr<IDSelector> holder;
    auto p = translate_params(params, holder);
    index->search(n, x, k, D, I, p ? p.get() : params);
    for (size_t i = 0; i < size_t(n) * size_t(k); ++i) {
        if (I[i] < 0) continue;
        FAISSLIKE_THROW_IF_NOT_FMT(size_t(I[i]) < id_map.size() && id_map[size_t(I[i])] >= 0,
                                   "the wrapped index returned unknown id %lld", (long long)I[i]);
        I[i] = id_map[size_t(I[i])];
    }
}

void IndexBinaryIDMap::do_range_search(idx_t n, const uint8_t* x, int radius,
                                       RangeSearchResult* res,
                                       const SearchParameters* params) const {
    std::unique_ptr<IDSelector> holder;
    auto p = translate_params(params, holder);
    index->range_search(n, x, radius, res, p ? p.get() : params);
    for (idx_t& l : res->labels) {
        FAISSLIKE_THROW_IF_NOT_FMT(l >= 0 && size_t(l) < id_map.size() && id_map[size_t(l)] >= 0,
                                   "the wrapped index returned unknown id %lld", (long long)l);
        l = id_map[size_t(l)];
    }
}

size_t IndexBinaryIDMap::do_remove_ids(const IDSelector& sel) {
    const RemovalMode mode = index->removal_mode();
    FAISSLIKE_THROW_IF_NOT_MSG(mode == RemovalMode::Renumber || mode == RemovalMode::KeepIds,
                               "remove_ids is not supported by the wrapped binary index");
    InnerSelector inner(sel, id_map);
    const size_t removed = index->remove_ids(inner);
    if (mode == RemovalMode::Renumber) {  // survivors moved down in order
        size_t j = 0;
        for (size_t i = 0; i < id_map.size(); ++i)
            if (!sel.is_member(id_map[i])) id_map[j++] = id_map[i];
        id_map.resize(j);
    } else {
        for (idx_t& u : id_map)
            if (u >= 0 && sel.is_member(u)) u = -1;
    }
    ntotal = index->ntotal;
    on_ids_changed();
    return removed;
}

void IndexBinaryIDMap::do_reset() {
    index->reset();
    id_map.clear();
    ntotal = 0;
    on_ids_changed();
}

IndexBinaryIDMap2::IndexBinaryIDMap2(IndexBinary* index) : IndexBinaryIDMap(index) {
    this->index->enable_reconstruct();
}

void IndexBinaryIDMap2::construct_rev_map() {
    rev_map.clear();
    for (size_t i = 0; i < id_map.size(); ++i)
        if (id_map[i] >= 0) rev_map[id_map[i]] = idx_t(i);
}

void IndexBinaryIDMap2::check_new_ids(idx_t n, const idx_t* xids) const {
    std::unordered_set<idx_t> seen;
    for (idx_t i = 0; i < n; ++i) {
        FAISSLIKE_THROW_IF_NOT_FMT(!rev_map.count(xids[i]) && seen.insert(xids[i]).second,
                                   "IndexBinaryIDMap2: duplicate id %lld", (long long)xids[i]);
    }
}

void IndexBinaryIDMap2::do_reconstruct(idx_t key, uint8_t* recons) const {
    auto it = rev_map.find(key);
    FAISSLIKE_CHECK_ARG(it != rev_map.end(), "id %lld is not in the index", (long long)key);
    index->reconstruct(it->second, recons);
}

}  // namespace faisslike
