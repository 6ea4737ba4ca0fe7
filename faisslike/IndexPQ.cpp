#include "faisslike/IndexPQ.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>

#include "faisslike/Error.h"
#include "faisslike/impl/Parallel.h"
#include "kernels/kernel_table.h"

namespace faisslike {

IndexPQ::IndexPQ(idx_t d_in, size_t M, size_t nbits, MetricType metric)
    : IndexFlatCodes(d_in, 0, metric), pq(size_t(d_in), M, nbits) {
    code_size = pq.code_size;
    is_trained = false;
}

void IndexPQ::do_train(idx_t n, const float* x) {
    check_empty_for_training();
    pq.train(n, x);
    is_trained = true;
}

namespace {
// One ADC lookup table per query.
struct PQScorer : CodeScorer {
    const IndexPQ& index;
    const kernels::KernelTable& K = kernels::current();
    std::vector<float> table;
    explicit PQScorer(const IndexPQ& index) : index(index), table(index.pq.M * index.pq.ksub) {}
    void set_query(const float* x) override {
        index.pq.compute_table(index.metric_type, x, table.data());
    }
    void score(const uint8_t* codes, size_t n, float* out) override {
        index.pq.adc(K, table.data(), codes, n, out);
    }
};
}  // namespace

std::unique_ptr<CodeScorer> IndexPQ::get_scorer() const {
    return std::make_unique<PQScorer>(*this);
}

// ---------------------------------------------------------------- MultiIndexQuantizer

MultiIndexQuantizer::MultiIndexQuantizer(idx_t d_in, size_t M, size_t nbits)
    : Index(d_in, METRIC_L2), pq(size_t(d_in), M, nbits) {
    FAISSLIKE_CHECK_ARG(M * nbits <= 62, "MultiIndexQuantizer: M * nbits must be <= 62, got %zu",
                        M * nbits);
    is_trained = false;
}

void MultiIndexQuantizer::do_train(idx_t n, const float* x) {
    pq.cp.verbose = verbose;
    pq.train(n, x);
    is_trained = true;
    ntotal = n_centroids();
}

void MultiIndexQuantizer::do_add(idx_t, const float*) {
    FAISSLIKE_THROW_MSG("MultiIndexQuantizer: its elements are virtual, add is not supported");
}

void MultiIndexQuantizer::do_reset() {
    FAISSLIKE_THROW_MSG("MultiIndexQuantizer: its elements are virtual, reset is not supported");
}

void MultiIndexQuantizer::do_reconstruct(idx_t key, float* recons) const {
    FAISSLIKE_THROW_IF_NOT_FMT(is_trained && key >= 0 && key < ntotal,
                               "key %lld out of range [0, %lld)", (long long)key,
                               (long long)ntotal);
    for (size_t m = 0; m < pq.M; ++m) {
        const size_t j = size_t(key >> (m * pq.nbits)) & (pq.ksub - 1);
        std::memcpy(recons + m * pq.dsub, pq.centroids.data() + (m * pq.ksub + j) * pq.dsub,
                    sizeof(float) * pq.dsub);
    }
}

namespace {
// The k smallest sums of one entry per row of M sorted rows (each row's first entries are
// enough: a rank >= k is never needed). A tuple's successors increment one coordinate at or
// after its last non-zero one, so every tuple has exactly one parent: no duplicates.
struct MultiSequence {
    size_t M, nbits, depth;
    std::vector<float> sorted;    // M x depth, ascending
    std::vector<uint32_t> order;  // M x depth: sub-centroid numbers
    struct Item {
        float sum;
        uint32_t node;  // index into nodes
        bool operator>(const Item& o) const { return sum > o.sum; }
    };
    std::vector<uint32_t> nodes;  // tuples (M ranks each), appended
    std::vector<Item> heap;

    void run(const float* table, size_t ksub, idx_t k, float* D, idx_t* I) {
        depth = std::min(ksub, size_t(k));
        sorted.resize(M * depth);
        order.resize(M * depth);
        std::vector<uint32_t> perm(ksub);
        for (size_t m = 0; m < M; ++m) {
            const float* t = table + m * ksub;
            for (size_t j = 0; j < ksub; ++j) perm[j] = uint32_t(j);
            std::partial_sort(
                perm.begin(), perm.begin() + long(depth), perm.end(),
                [&](uint32_t a, uint32_t b) { return t[a] < t[b] || (t[a] == t[b] && a < b); });
            for (size_t r = 0; r < depth; ++r) {
                order[m * depth + r] = perm[r];
                sorted[m * depth + r] = t[perm[r]];
            }
        }
        nodes.assign(M, 0);
        heap.clear();
        float s0 = 0;
        for (size_t m = 0; m < M; ++m) s0 += sorted[m * depth];
        heap.push_back({s0, 0});
        idx_t found = 0;
        while (found < k && !heap.empty()) {
            std::pop_heap(heap.begin(), heap.end(), std::greater<Item>());
            const Item it = heap.back();
            heap.pop_back();
            const size_t base = size_t(it.node) * M;
            idx_t label = 0;
            for (size_t m = 0; m < M; ++m)
                label |= idx_t(order[m * depth + nodes[base + m]]) << (m * nbits);
            D[found] = it.sum;
            I[found] = label;
            ++found;
            size_t last = 0;
            for (size_t m = 0; m < M; ++m)
                if (nodes[base + m] != 0) last = m;
            for (size_t m = last; m < M; ++m) {
                const uint32_t r = nodes[base + m];
                if (r + 1 >= depth) continue;
                const uint32_t child = uint32_t(nodes.size() / M);
                for (size_t j = 0; j < M; ++j) nodes.push_back(nodes[base + j]);
                nodes[size_t(child) * M + m] = r + 1;
                const float s = it.sum - sorted[m * depth + r] + sorted[m * depth + r + 1];
                heap.push_back({s, child});
                std::push_heap(heap.begin(), heap.end(), std::greater<Item>());
            }
        }
        for (idx_t j = found; j < k; ++j) {
            D[j] = std::numeric_limits<float>::infinity();
            I[j] = -1;
        }
    }
};
}  // namespace

void MultiIndexQuantizer::do_search(idx_t n, const float* x, idx_t k, float* distances,
                                    idx_t* labels, const SearchParameters* params) const {
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "MultiIndexQuantizer is not trained");
    FAISSLIKE_CHECK_ARG_MSG(selector_of(params) == nullptr,
                            "MultiIndexQuantizer does not take an IDSelector");
    check_plain_params(params);
    const size_t ksub = pq.ksub, M = pq.M;
    parallel_for_with(
        n, [&] { return MultiSequence{M, pq.nbits, 0, {}, {}, {}, {}}; },
        [&](MultiSequence& ms, idx_t i) {
            std::vector<float> table(M * ksub);
            pq.compute_distance_table(x + size_t(i) * size_t(d), table.data());
            ms.run(table.data(), ksub, k, distances + size_t(i) * size_t(k),
                   labels + size_t(i) * size_t(k));
        });
}

}  // namespace faisslike
