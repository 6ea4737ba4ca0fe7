#include "faisslike/IndexIVFFlat.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "faisslike/Error.h"
#include "faisslike/distances.h"
#include "faisslike/impl/Parallel.h"
#include "faisslike/impl/ResultCollector.h"
#include "kernels/blas_tiles.h"

namespace faisslike {

IndexIVFFlat::IndexIVFFlat(Index* quantizer, idx_t d_in, size_t nlist_in, MetricType metric)
    : IndexIVF(quantizer, d_in, nlist_in, sizeof(float) * size_t(d_in), metric) {}

void IndexIVFFlat::encode_vector(const float* x, size_t, uint8_t* code) const {
    std::memcpy(code, x, code_size);
}

void IndexIVFFlat::decode_vector(const uint8_t* code, size_t, float* x) const {
    std::memcpy(x, code, code_size);
}

namespace {

struct IVFFlatScanner : InvertedListScanner {
    const kernels::KernelTable& K = kernels::current();
    const size_t d;
    const bool ip;
    const float* x = nullptr;

    explicit IVFFlatScanner(const IndexIVFFlat& ivf)
        : d(size_t(ivf.d)), ip(ivf.metric_type == METRIC_INNER_PRODUCT) {}

    void set_query(const float* q) override { x = q; }
    void set_list(size_t, float) override {}
    void distance_block(const uint8_t* codes, size_t nb, float* out) override {
        kernels::distances_ny(K, ip, out, x, reinterpret_cast<const float*>(codes), d, nb);
    }
};

}  // namespace

std::unique_ptr<InvertedListScanner> IndexIVFFlat::get_scanner() const {
    return std::make_unique<IVFFlatScanner>(*this);
}

bool IndexIVFFlat::search_preassigned_by_list(idx_t n, const float* x, idx_t k, const idx_t* assign,
                                              float* D, idx_t* I, size_t np) const {
    const kernels::KernelTable& K = kernels::current();
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    const size_t kk = size_t(k), dd = size_t(d);
    // Partial heaps (one per query and probe) are n * np * k entries: bound them by
    // splitting the batch (~200 MB of heaps at most).
    const size_t max_slots = std::max<size_t>(1, (size_t(16) << 20) / kk);
    const size_t sub = std::max<size_t>(1, max_slots / np);
    if (size_t(n) > sub) {
        for (idx_t i0 = 0; i0 < n; i0 += idx_t(sub)) {
            const idx_t ni = std::min<idx_t>(idx_t(sub), n - i0);
            if (!search_preassigned_by_list(ni, x + i0 * d, k, assign + size_t(i0) * np, D + i0 * k,
                                            I + i0 * k, np))
                return false;
        }
        return true;
    }
    const size_t nslots = size_t(n) * np;
    // Bucket the (query, probe) slots by list (counting sort).
    std::vector<size_t> start(nlist + 1, 0);
    for (size_t s = 0; s < nslots; ++s) {
        const idx_t l = assign[s];
        FAISSLIKE_THROW_IF_NOT_FMT(l < idx_t(nlist), "coarse assignment %lld out of range",
                                   (long long)l);
        if (l >= 0) start[size_t(l) + 1]++;
    }
    for (size_t l = 0; l < nlist; ++l) start[l + 1] += start[l];
    std::vector<size_t> slot_of(start[nlist]);
    {
        std::vector<size_t> fill(start.begin(), start.end() - 1);
        for (size_t s = 0; s < nslots; ++s)
            if (assign[s] >= 0) slot_of[fill[size_t(assign[s])]++] = s;
    }
    std::vector<float> pv(nslots * kk);
    std::vector<idx_t> pi(nslots * kk);
    constexpr size_t kQ = 256, kY = 1024;
    parallel_region(parallel_threads(), [&](Team& team) {
        Selector sel(K);
        std::unique_ptr<float[]> Q, tile, ynorm;
        team.guard([&] {
            Q.reset(new float[kQ * dd]);
            tile.reset(new float[kQ * kY]);
            ynorm.reset(new float[kY]);
        });
        team.for_range(
            int64_t(nslots),
            [&](int64_t s) {
                heap_heapify<HeapC>(kk, pv.data() + size_t(s) * kk, pi.data() + size_t(s) * kk);
            },
            false);
        team.for_range(int64_t(nlist), [&](int64_t l) {
            const size_t m = start[size_t(l) + 1] - start[size_t(l)];
            const size_t L = invlists->list_size(size_t(l));
            if (m == 0 || L == 0) return;
            const float* Y = reinterpret_cast<const float*>(invlists->get_codes(size_t(l)));
            const idx_t* ids = invlists->get_ids(size_t(l));
            const size_t* slots = slot_of.data() + start[size_t(l)];
            for (size_t q0 = 0; q0 < m; q0 += kQ) {
                const size_t mq = std::min(kQ, m - q0);
                for (size_t r = 0; r < mq; ++r)
                    std::memcpy(Q.get() + r * dd, x + (slots[q0 + r] / np) * dd,
                                dd * sizeof(float));
                for (size_t y0 = 0; y0 < L; y0 += kY) {
                    const size_t ny = std::min(kY, L - y0);
                    if (!ip) K.norms_L2sqr(ynorm.get(), Y + y0 * dd, dd, ny);
                    kernels::gemm_tile(Q.get(), mq, Y + y0 * dd, ny, dd, ip ? 1.0f : -2.0f,
                                       tile.get());
                    for (size_t r = 0; r < mq; ++r) {
                        const size_t s = slots[q0 + r];
                        sel.add(kk, pv.data() + s * kk, pi.data() + s * kk, tile.get() + r * ny,
                                ip ? nullptr : ynorm.get(), ip ? -1.0f : 1.0f, ny,
                                IdArray{ids + y0});
                    }
                }
            }
        });
        team.for_range(
            int64_t(n),
            [&](int64_t i) {
                const float xn = ip ? 0.0f : K.norm_L2sqr(x + size_t(i) * dd, dd);
                merge_partial_heaps(kk, np, pv.data() + size_t(i) * np * kk,
                                    pi.data() + size_t(i) * np * kk, kk, D + i * k, I + i * k, ip,
                                    xn);
            },
            false);
    });
    return true;
}

}  // namespace faisslike
