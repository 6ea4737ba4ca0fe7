#include "faisslike/IndexIDMap.h"

#include <algorithm>
#include <cmath>
#include <limits>
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

namespace {
uint64_t load_relaxed(const uint64_t& v) {
    return __atomic_load_n(&v, __ATOMIC_RELAXED);
}
}  // namespace

// What a search with snapshot `snap` may see (IndexIDMap.h, "Tombstones"), then the user's
// selector on user ids. Sizes and blocks are loaded at each call: an upsert beside the search
// grows life_ before the wrapped index publishes the positions it covers.
struct IDSelectorVisible : IDSelector {
    const IndexIDMap& im;
    uint64_t snap;
    const IDSelector* user;
    IDSelectorVisible(const IndexIDMap& im, uint64_t snap, const IDSelector* user)
        : im(im), snap(snap), user(user) {}
    bool is_member(idx_t pos) const override {
        if (pos < 0) return false;
        const size_t p = size_t(pos);
        const size_t n = im.life_.size();
        if (p < n) {
            const IndexIDMap::Life& l = im.life_.data()[p];
            if (load_relaxed(l.born) > snap || load_relaxed(l.died) <= snap) return false;
        }
        if (!user) return true;
        const size_t m = im.id_map.size();
        return p < m && user->is_member(im.id_map.data()[p]);
    }
};

namespace {
// Inner ids (positions) flagged in `gone`.
struct FlaggedPositions : IDSelector {
    const std::vector<uint8_t>& gone;
    explicit FlaggedPositions(const std::vector<uint8_t>& g) : gone(g) {}
    bool is_member(idx_t id) const override {
        return id >= 0 && size_t(id) < gone.size() && gone[size_t(id)];
    }
};
}  // namespace

bool IndexIDMap::inner_live(size_t i) const {
    if (id_map[i] < 0 || index->is_deleted(idx_t(i))) return false;
    return i >= life_.size() || load_relaxed(life_[i].died) == kNever;
}

void IndexIDMap::set_max_dead_fraction(float f) {
    FAISSLIKE_CHECK_ARG(f >= 0.0f, "max_dead_fraction must be >= 0, got %g", double(f));
    max_dead_fraction_.store(f, std::memory_order_relaxed);
}

bool IndexIDMap::compaction_due() const {
    const size_t dead = num_dead();
    return dead > 0 && double(dead) > double(max_dead_fraction()) * double(index->ntotal);
}

void IndexIDMap::cover_life(size_t extra, uint64_t born) {
    const bool was_empty = life_.empty();
    life_.resize(id_map.size(), Life{0, kNever});
    life_.resize(life_.size() + extra, Life{born, kNever});
    // Searches that found life_ empty check no visibility: none of them may see what follows.
    if (was_empty && !life_.empty()) usage().synchronize();
}

void IndexIDMap::do_train(idx_t n, const float* x) {
    index->train(n, x);
    is_trained = index->is_trained;
}

void IndexIDMap::do_add(idx_t, const float*) {
    FAISSLIKE_THROW_MSG("IndexIDMap needs ids: use add_with_ids");
}

void IndexIDMap::do_add_with_ids(idx_t n, const float* x, const idx_t* xids) {
    if (compaction_due()) compact_dead();  // concurrent_add() said exclusive
    check_new_ids(n, xids);
    add_entries(n, x, xids, {});
}

void IndexIDMap::add_entries(idx_t n, const float* x, const idx_t* xids,
                             const std::vector<size_t>& replaced) {
    const size_t first = id_map.size();
    FAISSLIKE_THROW_IF_NOT_FMT(index->accepts_ids() || size_t(index->ntotal) == first,
                               "IndexIDMap: the wrapped index holds %lld vectors for %zu ids "
                               "(was it changed directly?)",
                               (long long)index->ntotal, first);
    const uint64_t next = version_.load(std::memory_order_relaxed) + 1;
    // An upsert's new entries are born invisible (to searches before `next`); the old ones
    // die at the same version.
    if (!replaced.empty()) cover_life(size_t(n), next);
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
        // No search can return these: the wrapped index added nothing.
        id_map.resize(first);
        if (life_.size() > first) life_.resize(first);
        throw;
    }
    if (!replaced.empty()) commit_deaths(replaced);  // and the births: both at once
    ntotal = index->ntotal - idx_t(num_dead());
    // The reverse map moves each replaced id to its new entry before dropping the old one:
    // reconstruct never misses an id that is being replaced.
    on_ids_changed(first);
    if (!replaced.empty()) on_dead(replaced);
}

std::unique_ptr<SearchParameters> IndexIDMap::translate_params(
    const SearchParameters* params, uint64_t snap, bool hide,
    std::unique_ptr<IDSelector>& holder) const {
    const IDSelector* user = selector_of(params);
    if (!hide && !user) return params ? params->clone() : nullptr;
    std::unique_ptr<SearchParameters> p =
        params ? params->clone() : std::make_unique<SearchParameters>();
    if (hide)
        holder = std::make_unique<IDSelectorVisible>(*this, snap, user);
    else
        holder = std::make_unique<IDSelectorTranslated>(id_map.data(), id_map.size(), user);
    p->sel = holder.get();
    return p;
}

void IndexIDMap::do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                           const SearchParameters* params) const {
    // The snapshot first: what is committed after it stays hidden.
    const uint64_t snap = version_.load(std::memory_order_acquire);
    if (!life_.empty() && !index->filters_cheaply()) {
        search_post_filtered(n, x, k, distances, labels, params, snap);
    } else {
        std::unique_ptr<IDSelector> holder;
        auto p = translate_params(params, snap, !life_.empty(), holder);
        index->search(n, x, k, distances, labels, p.get());
    }
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

// Hidden entries are few and scattered: a selector would cost the wrapped index its fastest
// path (Flat's BLAS, IVF's list scans), so ask it for k + extra results without one and drop
// the hidden ones. Exact: a query that kept k visible results among the k + extra has its
// top k (every entry ranked before the k-th visible one is in the list). A query that kept
// fewer while the list was full is searched again with the visibility selector.
void IndexIDMap::search_post_filtered(idx_t n, const float* x, idx_t k, float* distances,
                                      idx_t* labels, const SearchParameters* params,
                                      uint64_t snap) const {
    // Extra results for the hidden ones expected among the top k: dead fraction f of the
    // stored entries, 3x margin (queries that run short are searched again).
    const double dead = double(num_dead());
    const double f = std::min(0.9, dead / std::max(1.0, double(index->ntotal)));
    const double want = 4.0 + std::ceil(3.0 * f * double(k) / (1.0 - f));
    const idx_t kk = k + idx_t(std::min({dead, want, double(k) + 16.0}));
    std::unique_ptr<IDSelector> user_holder;
    auto p = translate_params(params, snap, false, user_holder);
    const IDSelectorVisible visible(*this, snap, nullptr);
    const float missing = metric_type == METRIC_L2 ? std::numeric_limits<float>::infinity()
                                                   : -std::numeric_limits<float>::infinity();
    std::vector<idx_t> redo;
    const idx_t block = 4096;  // bounds the k + extra buffers
    std::vector<float> D;
    std::vector<idx_t> I;
    for (idx_t i0 = 0; i0 < n; i0 += block) {
        const idx_t nb = std::min(block, n - i0);
        D.resize(size_t(nb) * size_t(kk));
        I.resize(size_t(nb) * size_t(kk));
        index->search(nb, x + size_t(i0) * size_t(d), kk, D.data(), I.data(), p.get());
        for (idx_t i = 0; i < nb; ++i) {
            float* od = distances + size_t(i0 + i) * size_t(k);
            idx_t* ol = labels + size_t(i0 + i) * size_t(k);
            idx_t got = 0, valid = 0;
            for (idx_t t = 0; t < kk && got < k; ++t) {
                const size_t j = size_t(i) * size_t(kk) + size_t(t);
                if (I[j] < 0) continue;
                ++valid;
                if (!visible.is_member(I[j])) continue;
                od[got] = D[j];
                ol[got] = I[j];
                ++got;
            }
            if (got < k && valid == kk) redo.push_back(i0 + i);
            for (idx_t t = got; t < k; ++t) {
                od[t] = missing;
                ol[t] = -1;
            }
        }
    }
    if (redo.empty()) return;
    std::unique_ptr<IDSelector> hide_holder;
    auto hp = translate_params(params, snap, true, hide_holder);
    std::vector<float> xr(redo.size() * size_t(d)), Dr(redo.size() * size_t(k));
    std::vector<idx_t> Ir(redo.size() * size_t(k));
    for (size_t r = 0; r < redo.size(); ++r)
        std::copy_n(x + size_t(redo[r]) * size_t(d), size_t(d), xr.data() + r * size_t(d));
    index->search(idx_t(redo.size()), xr.data(), k, Dr.data(), Ir.data(), hp.get());
    for (size_t r = 0; r < redo.size(); ++r) {
        std::copy_n(Dr.data() + r * size_t(k), size_t(k), distances + size_t(redo[r]) * size_t(k));
        std::copy_n(Ir.data() + r * size_t(k), size_t(k), labels + size_t(redo[r]) * size_t(k));
    }
}

void IndexIDMap::do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                                 const SearchParameters* params) const {
    const uint64_t snap = version_.load(std::memory_order_acquire);
    const bool hide = !life_.empty();
    std::unique_ptr<IDSelector> holder;
    // Range results are complete: hidden entries are dropped afterwards (exact).
    auto p = translate_params(params, snap, false, holder);
    index->range_search(n, x, radius, result, p.get());
    if (hide) {
        const IDSelectorVisible visible(*this, snap, nullptr);
        size_t out = 0;
        for (size_t q = 0; q < result->nq; ++q) {
            const size_t b = result->lims[q], e = result->lims[q + 1];
            result->lims[q] = out;
            for (size_t t = b; t < e; ++t) {
                if (!visible.is_member(result->labels[t])) continue;
                result->labels[out] = result->labels[t];
                result->distances[out] = result->distances[t];
                ++out;
            }
        }
        result->lims[result->nq] = out;
        result->labels.resize(out);
        result->distances.resize(out);
    }
    for (idx_t& l : result->labels) {
        FAISSLIKE_THROW_IF_NOT_FMT(l >= 0 && l < idx_t(id_map.size()),
                                   "wrapped index returned label %lld", (long long)l);
        l = id_map[size_t(l)];
        FAISSLIKE_THROW_IF_NOT_MSG(l >= 0, "wrapped index returned a removed inner id");
    }
}

size_t IndexIDMap::do_remove_ids(const IDSelector& sel) {
    FAISSLIKE_THROW_IF_NOT_MSG(index->removal_mode() != RemovalMode::Unsupported,
                               "remove_ids is not supported by the wrapped index");
    if (compaction_due()) compact_dead();  // concurrent_remove() said exclusive
    std::vector<size_t> hit;
    for (size_t i = 0; i < id_map.size(); ++i)
        if (inner_live(i) && sel.is_member(id_map[i])) hit.push_back(i);
    if (hit.empty()) return 0;
    // Tombstones: the entries stay in the wrapped index (searches beside this one may be
    // scanning them) and are hidden from every search that starts after this returns.
    cover_life(0, 0);
    commit_deaths(hit);
    ntotal = index->ntotal - idx_t(num_dead());
    on_dead(hit);
    return hit.size();
}

void IndexIDMap::commit_deaths(const std::vector<size_t>& positions) {
    const uint64_t next = version_.load(std::memory_order_relaxed) + 1;
    for (size_t p : positions) __atomic_store_n(&life_[p].died, next, __ATOMIC_RELAXED);
    ndead_.store(num_dead() + positions.size(), std::memory_order_release);
    version_.store(next, std::memory_order_release);
}

size_t IndexIDMap::compact_dead() {
    const size_t dead = num_dead();
    if (dead == 0) return 0;
    const RemovalMode mode = index->removal_mode();
    std::vector<uint8_t> gone(id_map.size(), 0);
    for (size_t i = 0; i < life_.size(); ++i) gone[i] = life_[i].died != kNever;
    const size_t removed = index->remove_ids(FlaggedPositions(gone));
    FAISSLIKE_THROW_IF_NOT_FMT(removed == dead,
                               "IndexIDMap: the wrapped index freed %zu of %zu dead entries",
                               removed, dead);
    if (mode == RemovalMode::Renumber) {
        // The wrapped index dropped those rows, the others moved down in order.
        remove_flagged(gone, id_map);
        FAISSLIKE_THROW_IF_NOT_FMT(idx_t(id_map.size()) == index->ntotal,
                                   "id map out of sync after removal (%zu ids, ntotal=%lld)",
                                   id_map.size(), (long long)index->ntotal);
    } else if (mode == RemovalMode::KeepIds) {
        for (size_t i = 0; i < id_map.size(); ++i)
            if (gone[i]) id_map[i] = -1;  // inner ids are never reused
    }
    life_.clear();
    life_.shrink_to_fit();
    ndead_.store(0, std::memory_order_release);
    ntotal = index->ntotal;
    // MarkDeleted: the wrapped index flagged them (is_deleted); compact_marked() frees them,
    // with any it flagged before (files written by older versions).
    if (mode == RemovalMode::MarkDeleted) return compact_marked();
    on_ids_changed(0);
    return dead;
}

size_t IndexIDMap::compact_marked() {
    std::vector<uint8_t> gone(id_map.size());
    for (size_t i = 0; i < id_map.size(); ++i) gone[i] = index->is_deleted(idx_t(i));
    const size_t freed = index->compact();  // renumbers the survivors in their order
    if (freed) remove_flagged(gone, id_map);
    ntotal = index->ntotal;
    on_ids_changed(0);
    return freed;
}

size_t IndexIDMap::do_compact() {
    if (num_dead() > 0) return compact_dead();
    // Entries marked deleted in the wrapped index itself (files written by older versions).
    return index->removal_mode() == RemovalMode::MarkDeleted ? compact_marked() : 0;
}

void IndexIDMap::do_reset() {
    index->reset();
    id_map.clear();
    life_.clear();
    ndead_.store(0, std::memory_order_release);
    ntotal = 0;
    on_ids_changed(0);
}

IndexIDMap2::IndexIDMap2(Index* index_in) : IndexIDMap(index_in) {
    index->enable_reconstruct();
}

IndexIDMap2::IndexIDMap2(std::unique_ptr<Index> index_in) : IndexIDMap(std::move(index_in)) {
    index->enable_reconstruct();
}

namespace {
void check_batch_unique(idx_t n, const idx_t* xids) {
    std::unordered_set<idx_t> batch;
    batch.reserve(size_t(n));
    for (idx_t i = 0; i < n; ++i)
        FAISSLIKE_THROW_IF_NOT_FMT(batch.insert(xids[i]).second,
                                   "IndexIDMap2: duplicate id %lld (row %lld) in the batch",
                                   (long long)xids[i], (long long)i);
}
}  // namespace

void IndexIDMap2::check_new_ids(idx_t n, const idx_t* xids) const {
    check_batch_unique(n, xids);
    std::shared_lock<std::shared_mutex> lk(rev_mutex);
    for (idx_t i = 0; i < n; ++i)
        FAISSLIKE_THROW_IF_NOT_FMT(!rev_map.count(xids[i]),
                                   "IndexIDMap2: duplicate id %lld (row %lld) is already in the "
                                   "index (add_with_ids(..., replace=True) replaces it)",
                                   (long long)xids[i], (long long)i);
}

void IndexIDMap2::do_upsert(idx_t n, const float* x, const idx_t* xids) {
    check_batch_unique(n, xids);
    if (compaction_due()) compact_dead();  // first: it renumbers positions
    std::vector<size_t> replaced;
    {
        std::shared_lock<std::shared_mutex> lk(rev_mutex);
        for (idx_t i = 0; i < n; ++i) {
            auto it = rev_map.find(xids[i]);
            if (it != rev_map.end()) replaced.push_back(size_t(it->second));
        }
    }
    add_entries(n, x, xids, replaced);
}

void IndexIDMap2::on_dead(const std::vector<size_t>& positions) {
    std::unique_lock<std::shared_mutex> lk(rev_mutex);
    for (size_t p : positions) {
        auto it = rev_map.find(id_map[p]);
        if (it != rev_map.end() && size_t(it->second) == p) rev_map.erase(it);
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
