#include "faisslike/IndexBinaryHash.h"

#include <algorithm>
#include <cstring>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/impl/Parallel.h"
#include "kernels/kernel_table.h"

namespace faisslike {

uint64_t code_bits(const uint8_t* code, size_t start, int b) {
    uint64_t key = 0;
    for (int t = 0; t < b; ++t) {
        const size_t bit = start + size_t(t);
        key |= uint64_t((code[bit >> 3] >> (bit & 7)) & 1) << t;
    }
    return key;
}

namespace {

void flips_rec(uint64_t key, int b, int from, int left, std::vector<uint64_t>& out) {
    if (left == 0) return;
    for (int t = from; t < b; ++t) {
        const uint64_t k2 = key ^ (uint64_t(1) << t);
        out.push_back(k2);
        flips_rec(k2, b, t + 1, left - 1, out);
    }
}

void check_hash_bits(idx_t d, int b) {
    FAISSLIKE_CHECK_ARG(b >= 1 && b <= 64 && b <= d,
                        "hash bits b must be in [1, min(64, d=%lld)], "
                        "got %d",
                        (long long)d, b);
}

void check_nflip(int nflip, int b) {
    FAISSLIKE_CHECK_ARG(nflip >= 0 && nflip <= std::min(b, 8),
                        "nflip must be in [0, min(b, 8)], got %d", nflip);
}

}  // namespace

void keys_within(uint64_t key, int b, int nflip, std::vector<uint64_t>& out) {
    out.clear();
    out.push_back(key);
    flips_rec(key, b, 0, nflip, out);
}

// ---------------------------------------------------------------- IndexBinaryHash

IndexBinaryHash::IndexBinaryHash(idx_t d, int b_in) : IndexBinary(d), b(b_in) {
    check_hash_bits(d, b);
}

void IndexBinaryHash::set_nflip(int v) {
    check_nflip(v, b);
    nflip = v;
}

void IndexBinaryHash::do_add(idx_t n, const uint8_t* x) {
    std::vector<idx_t> ids(static_cast<size_t>(n));
    for (idx_t i = 0; i < n; ++i) ids[size_t(i)] = ntotal + i;
    do_add_with_ids(n, x, ids.data());
}

void IndexBinaryHash::do_add_with_ids(idx_t n, const uint8_t* x, const idx_t* xids) {
    const size_t cs = size_t(code_size);
    for (idx_t i = 0; i < n; ++i) {
        const uint8_t* c = x + size_t(i) * cs;
        Bucket& bk = invlists[code_bits(c, 0, b)];
        bk.ids.push_back(xids[i]);
        bk.codes.insert(bk.codes.end(), c, c + cs);
    }
    ntotal += n;
}

template <class Visit>
void IndexBinaryHash::scan(const uint8_t* q, const IDSelector* sel, std::vector<uint64_t>& keys,
                           std::vector<int32_t>& buf, const Visit& visit) const {
    const kernels::KernelTable& K = kernels::current();
    keys_within(code_bits(q, 0, b), b, nflip, keys);
    for (uint64_t key : keys) {
        auto it = invlists.find(key);
        if (it == invlists.end()) continue;
        const Bucket& bk = it->second;
        buf.resize(std::max(buf.size(), bk.ids.size()));
        K.hamming_ny(buf.data(), q, bk.codes.data(), size_t(code_size), bk.ids.size());
        for (size_t j = 0; j < bk.ids.size(); ++j)
            if (!sel || sel->is_member(bk.ids[j])) visit(buf[j], bk.ids[j]);
    }
}

void IndexBinaryHash::do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* D, idx_t* I,
                                const SearchParameters* params) const {
    check_plain_params(params);
    const IDSelector* sel = selector_of(params);
    parallel_for(n, [&](int64_t i) {
        std::vector<uint64_t> keys;
        std::vector<int32_t> buf;
        HammingTopK top(size_t(k), D + i * k, I + i * k);
        scan(x + size_t(i) * size_t(code_size), sel, keys, buf, [&](int32_t dis, idx_t id) {
            if (dis <= top.threshold()) top.add(dis, id);
        });
        top.finish();
    });
}

void IndexBinaryHash::do_range_search(idx_t n, const uint8_t* x, int radius, RangeSearchResult* res,
                                      const SearchParameters* params) const {
    check_plain_params(params);
    const IDSelector* sel = selector_of(params);
    BinaryRangeHits hits(static_cast<size_t>(n));
    parallel_for(n, [&](int64_t i) {
        std::vector<uint64_t> keys;
        std::vector<int32_t> buf;
        scan(x + size_t(i) * size_t(code_size), sel, keys, buf, [&](int32_t dis, idx_t id) {
            if (dis < radius) hits[size_t(i)].push_back({dis, id});
        });
    });
    set_range_result(hits, res);
}

void IndexBinaryHash::do_reset() {
    invlists.clear();
    ntotal = 0;
}

// ---------------------------------------------------------------- IndexBinaryMultiHash

IndexBinaryMultiHash::IndexBinaryMultiHash(idx_t d, int nhash_in, int b_in)
    : IndexBinary(d), storage(d), nhash(nhash_in), b(b_in) {
    check_hash_bits(d, b);
    FAISSLIKE_CHECK_ARG(nhash >= 1 && idx_t(nhash) * b <= d,
                        "nhash=%d tables of b=%d bits need nhash * b <= d=%lld", nhash, b,
                        (long long)d);
    maps.resize(size_t(nhash));
}

void IndexBinaryMultiHash::set_nflip(int v) {
    check_nflip(v, b);
    nflip = v;
}

void IndexBinaryMultiHash::do_add(idx_t n, const uint8_t* x) {
    const size_t cs = size_t(code_size);
    for (idx_t i = 0; i < n; ++i)
        for (int h = 0; h < nhash; ++h)
            maps[size_t(h)][code_bits(x + size_t(i) * cs, size_t(h) * size_t(b), b)].push_back(
                ntotal + i);
    storage.add(n, x);
    ntotal = storage.ntotal;
}

void IndexBinaryMultiHash::candidates(const uint8_t* q, std::vector<uint64_t>& keys,
                                      std::vector<idx_t>& out) const {
    out.clear();
    for (int h = 0; h < nhash; ++h) {
        keys_within(code_bits(q, size_t(h) * size_t(b), b), b, nflip, keys);
        for (uint64_t key : keys) {
            auto it = maps[size_t(h)].find(key);
            if (it != maps[size_t(h)].end())
                out.insert(out.end(), it->second.begin(), it->second.end());
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
}

template <class Visit>
void IndexBinaryMultiHash::scan(idx_t n, const uint8_t* x, const IDSelector* sel,
                                const Visit& visit) const {
    const kernels::KernelTable& K = kernels::current();
    const uint8_t* codes = storage.get_xb();
    const size_t cs = size_t(code_size);
    parallel_for(n, [&](int64_t i) {
        std::vector<uint64_t> keys;
        std::vector<idx_t> cand;
        const uint8_t* q = x + size_t(i) * cs;
        candidates(q, keys, cand);
        visit(i, [&](auto&& take) {
            for (idx_t id : cand) {
                if (sel && !sel->is_member(id)) continue;
                int32_t dis;
                K.hamming_ny(&dis, q, codes + size_t(id) * cs, cs, 1);
                take(dis, id);
            }
        });
    });
}

void IndexBinaryMultiHash::do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* D, idx_t* I,
                                     const SearchParameters* params) const {
    check_plain_params(params);
    scan(n, x, selector_of(params), [&](int64_t i, auto&& each) {
        HammingTopK top(size_t(k), D + i * k, I + i * k);
        each([&](int32_t dis, idx_t id) {
            if (dis <= top.threshold()) top.add(dis, id);
        });
        top.finish();
    });
}

void IndexBinaryMultiHash::do_range_search(idx_t n, const uint8_t* x, int radius,
                                           RangeSearchResult* res,
                                           const SearchParameters* params) const {
    check_plain_params(params);
    BinaryRangeHits hits(static_cast<size_t>(n));
    scan(n, x, selector_of(params), [&](int64_t i, auto&& each) {
        each([&](int32_t dis, idx_t id) {
            if (dis < radius) hits[size_t(i)].push_back({dis, id});
        });
    });
    set_range_result(hits, res);
}

void IndexBinaryMultiHash::do_reset() {
    storage.reset();
    for (auto& m : maps) m.clear();
    ntotal = 0;
}

void IndexBinaryMultiHash::do_reconstruct(idx_t key, uint8_t* recons) const {
    storage.reconstruct(key, recons);
}

}  // namespace faisslike
