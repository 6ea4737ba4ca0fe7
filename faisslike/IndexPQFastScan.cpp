#include "faisslike/IndexPQFastScan.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/impl/PQ4Scan.h"
#include "faisslike/impl/Parallel.h"
#include "kernels/kernel_table.h"

namespace faisslike {

namespace pq4 {

void pack_nibbles(const uint8_t* codes, size_t stride, size_t M, size_t n0, size_t n,
                  std::vector<uint8_t>& packed) {
    const size_t M4 = padded_M(M), bb = block_bytes(M4);
    packed.resize((n0 + n + 31) / 32 * bb, 0);
    for (size_t i = 0; i < n; ++i) {
        const size_t v = n0 + i, j = v % 32;
        uint8_t* block = packed.data() + v / 32 * bb;
        const uint8_t* code = codes + i * stride;
        for (size_t m = 0; m < M; ++m) {
            const uint8_t c = uint8_t(nibble(code, m));
            uint8_t& byte = block[m * 16 + (j & 15)];
            byte = j < 16 ? uint8_t((byte & 0xf0) | c) : uint8_t((byte & 0x0f) | (c << 4));
        }
    }
}

void pack(const ProductQuantizer& pq, const uint8_t* codes, size_t n0, size_t n,
          std::vector<uint8_t>& packed) {
    pack_nibbles(codes, pq.code_size, pq.M, n0, n, packed);  // 4-bit codes: nibbles, low first
}

void unpack(const ProductQuantizer& pq, const uint8_t* packed, size_t i, uint8_t* code) {
    const size_t M4 = padded_M(pq.M), j = i % 32;
    const uint8_t* block = packed + i / 32 * block_bytes(M4);
    std::memset(code, 0, pq.code_size);
    for (size_t m = 0; m < pq.M; ++m) {
        const uint8_t byte = block[m * 16 + (j & 15)];
        pq.set_code(code, m, j < 16 ? byte & 15 : byte >> 4);
    }
}

void check_args(size_t nbits, int bbs, size_t M, MetricType metric) {
    FAISSLIKE_CHECK_ARG(nbits == 4, "fast-scan PQ codes have 4 bits, got nbits=%zu", nbits);
    FAISSLIKE_CHECK_ARG(bbs > 0 && bbs % 32 == 0,
                        "bbs (block size) must be a positive multiple of 32, got %d", bbs);
    FAISSLIKE_CHECK_ARG(padded_M(M) <= 256, "fast-scan takes at most 256 sub-quantizers, got M=%zu",
                        M);
    FAISSLIKE_CHECK_ARG_MSG(metric == METRIC_L2 || metric == METRIC_INNER_PRODUCT,
                            "fast-scan supports L2 and inner product only");
}

float quantize_table(const float* table, size_t M, size_t M4, uint8_t* qtable, float& scale,
                     float& bias) {
    // Per sub-quantizer offsets (their sum is the bias) and one scale for all, so that every
    // entry fits 0..255 and a sum of M4 entries fits 16 bits (kernels/pq4_simd.h).
    FAISSLIKE_THROW_IF_NOT_FMT(M <= M4 && M4 <= 256, "pq4 table of M=%zu, M4=%zu", M, M4);
    kernels::current().pq4_quantize_table(table, M, M4, qtable, &scale, &bias);
    return float(M) * 0.5f / scale;
}

}  // namespace pq4

IndexPQFastScan::IndexPQFastScan(idx_t d_in, size_t M, size_t nbits, MetricType metric, int bbs_in)
    : Index(d_in, metric), pq(size_t(d_in), M, 4), bbs(bbs_in), M4(pq4::padded_M(M)) {
    pq4::check_args(nbits, bbs_in, M, metric);
    is_trained = false;
}

IndexPQFastScan::IndexPQFastScan(const IndexPQ& orig, int bbs_in)
    : IndexPQFastScan(orig.d, orig.pq.M, orig.pq.nbits, orig.metric_type, bbs_in) {
    IndexReadScope r(orig);
    if (!orig.is_trained) return;
    pq = orig.pq;
    is_trained = true;
    pq4::pack(pq, orig.codes.data(), 0, size_t(orig.ntotal), codes);
    ntotal = orig.ntotal;
}

void IndexPQFastScan::do_train(idx_t n, const float* x) {
    FAISSLIKE_THROW_IF_NOT_MSG(ntotal == 0, "train: the index already holds vectors");
    pq.cp.verbose = verbose;
    pq.train(n, x);
    is_trained = true;
}

void IndexPQFastScan::do_add(idx_t n, const float* x) {
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "add: the index is not trained");
    std::vector<uint8_t> c(size_t(n) * pq.code_size);
    pq.compute_codes(x, c.data(), size_t(n));
    pq4::pack(pq, c.data(), size_t(ntotal), size_t(n), codes);
    ntotal += n;
}

void IndexPQFastScan::do_reset() {
    codes.clear();
    codes.shrink_to_fit();
    ntotal = 0;
}

void IndexPQFastScan::do_reconstruct(idx_t key, float* recons) const {
    FAISSLIKE_CHECK_ARG(key >= 0 && key < ntotal, "key %lld out of range [0, %lld)", (long long)key,
                        (long long)ntotal);
    std::vector<uint8_t> c(pq.code_size);
    pq4::unpack(pq, codes.data(), size_t(key), c.data());
    pq.decode(c.data(), recons, 1);
}

size_t IndexPQFastScan::do_remove_ids(const IDSelector& sel) {
    std::vector<uint8_t> kept, c(pq.code_size);
    size_t nk = 0;
    for (idx_t i = 0; i < ntotal; ++i) {
        if (sel.is_member(i)) continue;
        pq4::unpack(pq, codes.data(), size_t(i), c.data());
        kept.insert(kept.end(), c.begin(), c.end());
        ++nk;
    }
    const size_t removed = size_t(ntotal) - nk;
    if (removed == 0) return 0;
    std::vector<uint8_t> packed;
    pq4::pack(pq, kept.data(), 0, nk, packed);
    codes.swap(packed);
    ntotal = idx_t(nk);
    return removed;
}

void IndexPQFastScan::do_sa_encode(idx_t n, const float* x, uint8_t* bytes) const {
    pq.compute_codes(x, bytes, size_t(n));
}

void IndexPQFastScan::do_sa_decode(idx_t n, const uint8_t* bytes, float* x) const {
    pq.decode(bytes, x, size_t(n));
}

void IndexPQFastScan::do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                                const SearchParameters* params) const {
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "search: the index is not trained");
    check_plain_params(params);
    const IDSelector* sel = selector_of(params);
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    const size_t nq = size_t(n), nblocks = (size_t(ntotal) + 31) / 32;
    // Queries in groups (each block's codes serve the whole group); with fewer queries than
    // threads, each query's blocks are split over the threads and the partial top-k merged.
    const size_t nthreads = size_t(parallel_threads());
    const size_t group = std::min(pq4scan::Scratch::kMaxQ, std::max<size_t>(1, nq / nthreads));
    const size_t ngroups = (nq + group - 1) / group;
    const size_t splits =
        nq >= nthreads ? 1 : std::max<size_t>(1, std::min(nthreads, nblocks / 64));
    const size_t per = (nblocks + splits - 1) / splits;
    std::vector<pq4scan::Candidates> parts(nq * splits);
    std::vector<pq4scan::QueryTable> tables{nq};
    parallel_for(
        n,
        [&](int64_t i) {
            tables[size_t(i)].compute(pq, M4, metric_type, x + size_t(i) * size_t(d));
        },
        n > 1);
    parallel_for_with(
        int64_t(ngroups * splits), [&] { return pq4scan::Scratch(); },
        [&](pq4scan::Scratch& s, int64_t t) {
            const size_t g = size_t(t) / splits, part = size_t(t) % splits;
            const size_t q0 = g * group, gq = std::min(group, nq - q0);
            const size_t b0 = std::min(nblocks, part * per), b1 = std::min(nblocks, b0 + per);
            pq4scan::QTable tabs[pq4scan::Scratch::kMaxQ] = {};
            pq4scan::Candidates* cands[pq4scan::Scratch::kMaxQ];
            for (size_t q = 0; q < gq; ++q) {
                const pq4scan::QueryTable& qt = tables[q0 + q];
                tabs[q] = {qt.q.data(), qt.scale, qt.bias, int64_t(b0 * 32)};
                cands[q] = &parts[(q0 + q) * splits + part];
                cands[q]->reset(size_t(k));
            }
            pq4scan::scan_blocks(kernels::current(), codes.data() + b0 * pq4::block_bytes(M4),
                                 b1 - b0, M4, tabs, gq, size_t(ntotal) - b0 * 32, sel, nullptr, s,
                                 cands);
        });
    parallel_for(
        n,
        [&](int64_t i) {
            pq4scan::Candidates& all = parts[size_t(i) * splits];
            for (size_t p = 1; p < splits; ++p) all.merge(parts[size_t(i) * splits + p]);
            const pq4scan::QueryTable& tab = tables[size_t(i)];
            if (params && params->estimates_suffice) {
                pq4scan::finish_estimates(
                    all, size_t(k), ip, [](int64_t id) { return idx_t(id); },
                    distances + size_t(i) * size_t(k), labels + size_t(i) * size_t(k));
                return;
            }
            pq4scan::finish(
                all, size_t(k), ip,
                [&](int64_t id) { return tab.exact_packed(pq.M, M4, codes.data(), size_t(id)); },
                distances + size_t(i) * size_t(k), labels + size_t(i) * size_t(k));
        },
        n > 1);
}

}  // namespace faisslike
