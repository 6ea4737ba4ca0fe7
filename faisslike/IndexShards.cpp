#include "faisslike/IndexShards.h"

#include <exception>
#include <thread>

#include "faisslike/Error.h"
#include "faisslike/impl/ResultCollector.h"

namespace faisslike {

IndexShards::IndexShards(idx_t d_in, bool successive, MetricType metric)
    : Index(d_in, metric), successive_ids(successive) {}

IndexShards::~IndexShards() {
    if (own_fields)
        for (Index* s : shards) delete s;
}

void IndexShards::add_shard(Index* shard) {
    FAISSLIKE_THROW_IF_NOT_MSG(shard != nullptr, "add_shard: the shard is null");
    FAISSLIKE_THROW_IF_NOT_FMT(shard->d == d && shard->metric_type == metric_type,
                               "add_shard: shard has d=%d metric=%d, IndexShards d=%d metric=%d",
                               shard->d, int(shard->metric_type), d, int(metric_type));
    shards.push_back(shard);
    sync_ntotal();
}

void IndexShards::sync_ntotal() {
    ntotal = 0;
    is_trained = true;
    for (Index* s : shards) {
        ntotal += s->ntotal;
        is_trained = is_trained && s->is_trained;
    }
}

// One thread per shard (each shard parallelizes inside with OpenMP); the first error is
// rethrown once all threads are done.
template <class F>
void IndexShards::for_each_shard(const F& f) const {
    if (shards.size() == 1) {
        f(size_t(0));
        return;
    }
    std::vector<std::exception_ptr> errs(shards.size());
    std::vector<std::thread> threads;
    threads.reserve(shards.size());
    for (size_t s = 0; s < shards.size(); ++s) {
        threads.emplace_back([&, s] {
            try {
                f(s);
            } catch (...) {
                errs[s] = std::current_exception();
            }
        });
    }
    for (auto& t : threads) t.join();
    for (auto& e : errs)
        if (e) std::rethrow_exception(e);
}

void IndexShards::train(idx_t n, const float* x) {
    check_add_args(n, x);
    FAISSLIKE_THROW_IF_NOT_MSG(!shards.empty(), "IndexShards has no shards");
    for_each_shard([&](size_t s) { shards[s]->train(n, x); });
    sync_ntotal();
}

void IndexShards::add(idx_t n, const float* x) {
    check_add_args(n, x);
    FAISSLIKE_THROW_IF_NOT_MSG(!shards.empty(), "IndexShards has no shards");
    FAISSLIKE_THROW_IF_NOT_MSG(successive_ids,
                               "IndexShards without successive_ids needs add_with_ids");
    const idx_t ns = idx_t(shards.size());
    for_each_shard([&](size_t s) {
        const idx_t i0 = n * idx_t(s) / ns, i1 = n * idx_t(s + 1) / ns;
        shards[s]->add(i1 - i0, x + i0 * d);
    });
    sync_ntotal();
}

void IndexShards::add_with_ids(idx_t n, const float* x, const idx_t* xids) {
    check_add_args(n, x);
    FAISSLIKE_THROW_IF_NOT_MSG(!shards.empty(), "IndexShards has no shards");
    FAISSLIKE_THROW_IF_NOT_MSG(!successive_ids,
                               "add_with_ids needs successive_ids = false (the ids would be "
                               "shifted)");
    FAISSLIKE_THROW_IF_NOT_MSG(n == 0 || xids != nullptr, "add_with_ids: ids are null");
    const idx_t ns = idx_t(shards.size());
    for_each_shard([&](size_t s) {
        const idx_t i0 = n * idx_t(s) / ns, i1 = n * idx_t(s + 1) / ns;
        shards[s]->add_with_ids(i1 - i0, x + i0 * d, xids + i0);
    });
    sync_ntotal();
}

void IndexShards::search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                         const SearchParameters* params) const {
    check_search_args(n, x, k, distances, labels);
    FAISSLIKE_THROW_IF_NOT_MSG(!shards.empty(), "IndexShards has no shards");
    if (n == 0) return;
    const size_t ns = shards.size(), kk = size_t(k);
    std::vector<float> D(ns * size_t(n) * kk);
    std::vector<idx_t> I(D.size());
    std::vector<idx_t> offset(ns, 0);
    for (size_t s = 1; s < ns; ++s) offset[s] = offset[s - 1] + shards[s - 1]->ntotal;
    for_each_shard([&](size_t s) {
        shards[s]->search(n, x, k, D.data() + s * size_t(n) * kk, I.data() + s * size_t(n) * kk,
                          params);
    });
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    // Heaps keep the k smallest: negate inner products on the way in (finalize undoes it).
#pragma omp parallel for if (n > 1)
    for (idx_t i = 0; i < n; ++i) {
        float* hv = distances + i * k;
        idx_t* hi = labels + i * k;
        heap_heapify<HeapC>(kk, hv, hi);
        for (size_t s = 0; s < ns; ++s) {
            const float* ds = D.data() + (s * size_t(n) + size_t(i)) * kk;
            const idx_t* ls = I.data() + (s * size_t(n) + size_t(i)) * kk;
            for (size_t j = 0; j < kk && ls[j] >= 0; ++j) {
                const idx_t id = successive_ids ? ls[j] + offset[s] : ls[j];
                heap_push_if_better<HeapC>(kk, hv, hi, ip ? -ds[j] : ds[j], id);
            }
        }
        finalize_results(kk, hv, hi, ip, 0.0f);
    }
}

size_t IndexShards::remove_ids(const IDSelector& sel) {
    FAISSLIKE_THROW_IF_NOT_MSG(!successive_ids,
                               "IndexShards with successive_ids cannot remove (later shards' "
                               "ids would shift)");
    std::vector<size_t> removed(shards.size(), 0);
    for_each_shard([&](size_t s) { removed[s] = shards[s]->remove_ids(sel); });
    sync_ntotal();
    size_t total = 0;
    for (size_t r : removed) total += r;
    return total;
}

void IndexShards::reset() {
    for (Index* s : shards) s->reset();
    sync_ntotal();
}

}  // namespace faisslike
