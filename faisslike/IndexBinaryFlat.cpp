#include "faisslike/IndexBinaryFlat.h"

#include <algorithm>
#include <cstring>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/impl/Parallel.h"
#include "kernels/kernel_table.h"

namespace faisslike {

namespace {
constexpr size_t kBlock = 4096;  // codes scored per kernel call (distances stay in L1)
}

void hamming_knn(const uint8_t* x, idx_t n, const uint8_t* codes, idx_t nb, size_t cs, idx_t k,
                 int32_t* D, idx_t* I, const IDSelector* sel) {
    const kernels::KernelTable& K = kernels::current();
    auto scan = [&](const uint8_t* q, idx_t b0, idx_t b1, HammingTopK& top, int32_t* buf) {
        for (idx_t j0 = b0; j0 < b1; j0 += idx_t(kBlock)) {
            const size_t nj = size_t(std::min(idx_t(kBlock), b1 - j0));
            K.hamming_ny(buf, q, codes + size_t(j0) * cs, cs, nj);
            for (size_t j = 0; j < nj; ++j) {
                if (buf[j] > top.threshold()) continue;
                const idx_t id = j0 + idx_t(j);
                if (sel && !sel->is_member(id)) continue;
                top.add(buf[j], id);
            }
        }
    };
    const int nt = parallel_threads();
    if (n >= nt || nb < idx_t(2 * kBlock)) {
        parallel_for_with(
            n, [] { return std::vector<int32_t>(kBlock); },
            [&](std::vector<int32_t>& buf, int64_t i) {
                HammingTopK top(size_t(k), D + i * k, I + i * k);
                scan(x + size_t(i) * cs, 0, nb, top, buf.data());
                top.finish();
            });
        return;
    }
    // Few queries, many codes: each thread takes a slice of the codes, then one merge.
    for (idx_t i = 0; i < n; ++i) {
        std::vector<int32_t> tD(size_t(nt) * size_t(k));
        std::vector<idx_t> tI(tD.size());
        std::vector<size_t> tn(size_t(nt), 0);
        parallel_region(nt, [&](Team& team) {
            team.guard([&] {
                const idx_t b0 = nb * team.rank / team.size, b1 = nb * (team.rank + 1) / team.size;
                std::vector<int32_t> buf(kBlock);
                HammingTopK top(size_t(k), &tD[size_t(team.rank) * size_t(k)],
                                &tI[size_t(team.rank) * size_t(k)]);
                scan(x + size_t(i) * cs, b0, b1, top, buf.data());
                tn[size_t(team.rank)] = top.n;
            });
        });
        HammingTopK top(size_t(k), D + i * k, I + i * k);
        for (int t = 0; t < nt; ++t)
            for (size_t r = 0; r < tn[size_t(t)]; ++r)
                top.add(tD[size_t(t) * size_t(k) + r], tI[size_t(t) * size_t(k) + r]);
        top.finish();
    }
}

IndexBinaryFlat::IndexBinaryFlat(idx_t d) : IndexBinary(d) {}

void IndexBinaryFlat::set_mapped(const uint8_t* codes, idx_t n, std::shared_ptr<const void> owner) {
    xb.clear();
    xb.shrink_to_fit();
    mapped_ = codes;
    mapped_owner_ = std::move(owner);
    ntotal = n;
}

void IndexBinaryFlat::materialize() {
    if (!mapped_) return;
    xb.assign(mapped_, mapped_ + size_t(ntotal) * size_t(code_size));
    mapped_ = nullptr;
    mapped_owner_.reset();
}

void IndexBinaryFlat::do_add(idx_t n, const uint8_t* x) {
    materialize();
    xb.insert(xb.end(), x, x + size_t(n) * size_t(code_size));
    ntotal += n;
}

void IndexBinaryFlat::do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* D, idx_t* I,
                                const SearchParameters* params) const {
    check_plain_params(params);
    hamming_knn(x, n, get_xb(), ntotal, size_t(code_size), k, D, I, selector_of(params));
}

void IndexBinaryFlat::do_range_search(idx_t n, const uint8_t* x, int radius, RangeSearchResult* res,
                                      const SearchParameters* params) const {
    check_plain_params(params);
    const IDSelector* sel = selector_of(params);
    const kernels::KernelTable& K = kernels::current();
    BinaryRangeHits hits(static_cast<size_t>(n));
    const uint8_t* codes = get_xb();
    const size_t cs = size_t(code_size);
    parallel_for_with(
        n, [] { return std::vector<int32_t>(kBlock); },
        [&](std::vector<int32_t>& buf, int64_t i) {
            auto& h = hits[size_t(i)];
            for (idx_t j0 = 0; j0 < ntotal; j0 += idx_t(kBlock)) {
                const size_t nj = size_t(std::min(idx_t(kBlock), ntotal - j0));
                K.hamming_ny(buf.data(), x + size_t(i) * cs, codes + size_t(j0) * cs, cs, nj);
                for (size_t j = 0; j < nj; ++j)
                    if (buf[j] < radius && (!sel || sel->is_member(j0 + idx_t(j))))
                        h.push_back({buf[j], j0 + idx_t(j)});
            }
        });
    set_range_result(hits, res);
}

void IndexBinaryFlat::do_reset() {
    mapped_ = nullptr;
    mapped_owner_.reset();
    xb.clear();
    ntotal = 0;
}

size_t IndexBinaryFlat::do_remove_ids(const IDSelector& sel) {
    materialize();
    const size_t cs = size_t(code_size);
    size_t j = 0;
    for (size_t i = 0; i < size_t(ntotal); ++i) {
        if (sel.is_member(idx_t(i))) continue;
        if (i != j) std::memmove(&xb[j * cs], &xb[i * cs], cs);
        ++j;
    }
    const size_t removed = size_t(ntotal) - j;
    xb.resize(j * cs);
    ntotal = idx_t(j);
    return removed;
}

void IndexBinaryFlat::do_reconstruct(idx_t key, uint8_t* recons) const {
    check_id_range(key, 1);
    std::memcpy(recons, get_xb() + size_t(key) * size_t(code_size), size_t(code_size));
}

}  // namespace faisslike
