#include "faisslike/IndexShards.h"

#include <algorithm>
#include <memory>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/impl/Parallel.h"
#include "faisslike/impl/ResultCollector.h"

namespace faisslike {

namespace {
// Per-shard copies of params whose selector sees global ids.
struct ShardParams {
    std::vector<IDSelectorShifted> sels;
    std::vector<std::unique_ptr<SearchParameters>> params;
    ShardParams(const SearchParameters* p, const std::vector<idx_t>& off, bool shift) {
        params.resize(off.size());
        if (!p || !p->sel || !shift) return;
        sels.reserve(off.size());
        for (size_t s = 0; s < off.size(); ++s) {
            sels.emplace_back(p->sel, off[s]);
            params[s] = p->clone();
            params[s]->sel = &sels[s];
        }
    }
    const SearchParameters* get(size_t s, const SearchParameters* orig) const {
        return params[s] ? params[s].get() : orig;
    }
};
}  // namespace

IndexShards::IndexShards(idx_t d_in, bool successive, MetricType metric)
    : Index(d_in, metric), successive_ids(successive) {}

void IndexShards::add_shard(Index* shard, bool owned) {
    FAISSLIKE_CHECK_ARG_MSG(shard != nullptr, "add_shard: the shard is null");
    FAISSLIKE_CHECK_ARG(shard->d == d && shard->metric_type == metric_type,
                        "add_shard: shard has d=%d metric=%d, IndexShards d=%d metric=%d", shard->d,
                        int(shard->metric_type), d, int(metric_type));
    FAISSLIKE_CHECK_ARG(shards.size() < kMaxShards, "IndexShards holds at most %zu shards",
                        kMaxShards);
    shards.emplace_back(shard, owned);
    sync_ntotal();
}

void IndexShards::sync_ntotal() {
    ntotal = 0;
    is_trained = true;
    for (const SubIndex& s : shards) {
        ntotal += s->ntotal;
        is_trained = is_trained && s->is_trained;
    }
}

void IndexShards::check_not_empty() const {
    FAISSLIKE_THROW_IF_NOT_MSG(!shards.empty(), "IndexShards has no shards");
}

std::vector<idx_t> IndexShards::offsets() const {
    std::vector<idx_t> off(shards.size(), 0);
    for (size_t s = 1; s < shards.size(); ++s) off[s] = off[s - 1] + shards[s - 1]->ntotal;
    return off;
}

std::pair<size_t, idx_t> IndexShards::locate(idx_t label) const {
    idx_t base = 0;
    for (size_t s = 0; s < shards.size(); ++s) {
        if (label >= base && label < base + shards[s]->ntotal) return {s, label - base};
        base += shards[s]->ntotal;
    }
    return {shards.size(), -1};
}

RemovalMode IndexShards::removal_mode() const {
    if (shards.empty()) return RemovalMode::Unsupported;
    for (const SubIndex& s : shards) {
        const RemovalMode m = s->removal_mode();
        if (m == RemovalMode::Unsupported) return m;
        if (successive_ids && m != RemovalMode::MarkDeleted) return RemovalMode::Unsupported;
    }
    return successive_ids ? RemovalMode::MarkDeleted : RemovalMode::KeepIds;
}

bool IndexShards::accepts_ids() const {
    if (successive_ids || shards.empty()) return false;
    for (const SubIndex& s : shards)
        if (!s->accepts_ids()) return false;
    return true;
}

bool IndexShards::is_deleted(idx_t label) const {
    if (successive_ids) {
        auto [s, local] = locate(label);
        return s < shards.size() && shards[s]->is_deleted(local);
    }
    for (const SubIndex& s : shards)
        if (s->is_deleted(label)) return true;
    return false;
}

void IndexShards::enable_reconstruct() {
    for (SubIndex& s : shards) s->enable_reconstruct();
}

void IndexShards::do_train(idx_t n, const float* x) {
    check_not_empty();
    // Shards train one after the other, each with all threads.
    for (SubIndex& s : shards) s->train(n, x);
    sync_ntotal();
}

void IndexShards::do_add(idx_t n, const float* x) {
    check_not_empty();
    FAISSLIKE_THROW_IF_NOT_MSG(successive_ids,
                               "IndexShards without successive_ids needs add_with_ids");
    const idx_t ns = idx_t(shards.size());
    for (idx_t s = 0; s < ns; ++s) {
        const idx_t i0 = n * s / ns, i1 = n * (s + 1) / ns;
        if (i1 > i0) shards[size_t(s)]->add(i1 - i0, x + i0 * d);
    }
    sync_ntotal();
}

void IndexShards::do_add_with_ids(idx_t n, const float* x, const idx_t* xids) {
    check_not_empty();
    FAISSLIKE_THROW_IF_NOT_MSG(!successive_ids,
                               "add_with_ids needs successive_ids = false (the ids would be "
                               "shifted)");
    const idx_t ns = idx_t(shards.size());
    for (idx_t s = 0; s < ns; ++s) {
        const idx_t i0 = n * s / ns, i1 = n * (s + 1) / ns;
        if (i1 > i0) shards[size_t(s)]->add_with_ids(i1 - i0, x + i0 * d, xids + i0);
    }
    sync_ntotal();
}

void merge_knn_results(idx_t n, idx_t k, size_t nshard, const float* D_all, const idx_t* I_all,
                       bool keep_max, const idx_t* offsets, float* D, idx_t* I) {
    const size_t kk = size_t(k);
    // Heaps keep the k smallest: negate maxima on the way in (finalize undoes it).
    parallel_for(
        n,
        [&](idx_t i) {
            float* hv = D + i * k;
            idx_t* hi = I + i * k;
            heap_heapify<HeapC>(kk, hv, hi);
            for (size_t s = 0; s < nshard; ++s) {
                const float* ds = D_all + (s * size_t(n) + size_t(i)) * kk;
                const idx_t* ls = I_all + (s * size_t(n) + size_t(i)) * kk;
                const idx_t off = offsets ? offsets[s] : 0;
                for (size_t j = 0; j < kk; ++j) {
                    if (ls[j] < 0) continue;  // a selector may leave holes anywhere
                    heap_push_if_better<HeapC>(kk, hv, hi, keep_max ? -ds[j] : ds[j], ls[j] + off);
                }
            }
            finalize_results(kk, hv, hi, keep_max, 0.0f);
        },
        n > 1);
}

void IndexShards::do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                            const SearchParameters* params) const {
    check_not_empty();
    const size_t ns = shards.size(), kk = size_t(k);
    const std::vector<idx_t> off = offsets();
    const ShardParams sp(params, off, successive_ids);
    std::vector<float> D(ns * size_t(n) * kk);
    std::vector<idx_t> I(D.size());
    // Shards are the parallel loop (bounded by the thread count); inside a shard the search
    // runs on its thread alone. One shard: all threads inside it.
    parallel_for(int64_t(ns), [&](int64_t s) {
        shards[size_t(s)]->search(n, x, k, D.data() + size_t(s) * size_t(n) * kk,
                                  I.data() + size_t(s) * size_t(n) * kk, sp.get(size_t(s), params));
    });
    merge_knn_results(n, k, ns, D.data(), I.data(), metric_type == METRIC_INNER_PRODUCT,
                      successive_ids ? off.data() : nullptr, distances, labels);
}

void IndexShards::do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                                  const SearchParameters* params) const {
    check_not_empty();
    const size_t ns = shards.size();
    const std::vector<idx_t> off = offsets();
    const ShardParams sp(params, off, successive_ids);
    std::vector<RangeSearchResult> parts(ns);
    parallel_for(int64_t(ns), [&](int64_t s) {
        shards[size_t(s)]->range_search(n, x, radius, &parts[size_t(s)], sp.get(size_t(s), params));
    });
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    std::vector<RangeHits> hits(static_cast<size_t>(n));
    for (size_t s = 0; s < ns; ++s) {
        const RangeSearchResult& r = parts[s];
        for (size_t i = 0; i < size_t(n); ++i)
            for (size_t j = r.lims[i]; j < r.lims[i + 1]; ++j)
                hits[i].emplace_back(ip ? -r.distances[j] : r.distances[j],
                                     successive_ids ? r.labels[j] + off[s] : r.labels[j]);
    }
    finalize_range(hits, ip, nullptr, result);
}

size_t IndexShards::do_remove_ids(const IDSelector& sel) {
    FAISSLIKE_THROW_IF_NOT_MSG(removal_mode() != RemovalMode::Unsupported,
                               "IndexShards cannot remove here: with successive_ids every shard "
                               "must mark removals (HNSW), else later shards' ids would shift; "
                               "without, every shard must support removal");
    const std::vector<idx_t> off = offsets();
    size_t total = 0;
    for (size_t s = 0; s < shards.size(); ++s) {
        if (successive_ids) {
            IDSelectorShifted shifted(&sel, off[s]);
            total += shards[s]->remove_ids(shifted);
        } else {
            total += shards[s]->remove_ids(sel);
        }
    }
    sync_ntotal();
    return total;
}

size_t IndexShards::do_compact() {
    size_t freed = 0;
    for (SubIndex& s : shards) freed += s->compact();
    sync_ntotal();
    return freed;
}

void IndexShards::do_reset() {
    for (SubIndex& s : shards) s->reset();
    sync_ntotal();
}

void IndexShards::do_reconstruct(idx_t key, float* recons) const {
    FAISSLIKE_THROW_IF_NOT_MSG(successive_ids,
                               "IndexShards reconstructs by position only (successive_ids)");
    auto [s, local] = locate(key);
    FAISSLIKE_THROW_IF_NOT_FMT(s < shards.size(), "key %lld not in the index", (long long)key);
    shards[s]->reconstruct(local, recons);
}

}  // namespace faisslike
