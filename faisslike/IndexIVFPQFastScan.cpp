#include "faisslike/IndexIVFPQFastScan.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "faisslike/Error.h"
#include "faisslike/IndexPQFastScan.h"
#include "faisslike/impl/PQ4Scan.h"
#include "faisslike/impl/Parallel.h"
#include "kernels/kernel_table.h"

namespace faisslike {

IndexIVFPQFastScan::IndexIVFPQFastScan(Index* quantizer_in, idx_t d_in, size_t nlist_in, size_t M,
                                       size_t nbits, MetricType metric, int bbs_in)
    : IndexIVFPQ(quantizer_in, d_in, nlist_in, M, 4, metric), bbs(bbs_in), M4(pq4::padded_M(M)) {
    pq4::check_args(nbits, bbs_in, M, metric);
    // A list's blocks scan in a few hundred cycles, so going list by list pays only when
    // many queries share each list: per query it was faster up to 20 visits per list, list by
    // list from 40 (IVF4096,PQ32x4fs on syn-1m, 10k queries, nprobe 8 / 16, 2 threads).
    by_list_min_visits = 32.0;
    packed_.resize(nlist);
    packed_n_.assign(nlist, 0);
}

void IndexIVFPQFastScan::lists_changed(bool appended) {
    packed_.resize(nlist);
    packed_n_.resize(nlist, 0);
    parallel_for(int64_t(nlist), [&](int64_t li) {
        const size_t l = size_t(li), ls = invlists->list_size(l);
        if (!appended || packed_n_[l] > ls) {
            std::vector<uint8_t>().swap(packed_[l]);  // frees it (reset, removal)
            packed_n_[l] = 0;
        }
        if (packed_n_[l] == ls) return;
        pq4::pack(pq, invlists->get_codes(l) + packed_n_[l] * code_size, packed_n_[l],
                  ls - packed_n_[l], packed_[l]);
        packed_[l].shrink_to_fit();
        packed_n_[l] = ls;
    });
}

const uint8_t* IndexIVFPQFastScan::blocks_of(size_t l, size_t ls, std::vector<uint8_t>& tmp) const {
    if (packed_n_[l] == ls) return packed_[l].data();
    // The lists were edited behind the index's back: pack this one here.
    tmp.clear();
    pq4::pack(pq, invlists->get_codes(l), 0, ls, tmp);
    return tmp.data();
}

void IndexIVFPQFastScan::prefetch_list(size_t l) const {
    // The first block; the hardware prefetcher follows the rest of the list. Any l may come
    // (the callers look ahead past the end, or pass a -1 assignment): those are ignored here.
    if (l >= packed_.size()) return;
    const std::vector<uint8_t>& p = packed_[l];
    const size_t n = std::min(p.size(), pq4::block_bytes(M4));
    for (size_t o = 0; o < n; o += 64) __builtin_prefetch(p.data() + o);
}

size_t IndexIVFPQFastScan::packed_bytes() const {
    size_t s = 0;
    for (const auto& p : packed_) s += p.capacity();
    return s;
}

namespace {

// One query's probed lists: their 8-bit tables (each on its own scale) and what each list adds
// to its sums; the float tables for the exact re-scoring: one shared, one per list (L2
// residuals), or, with precomputed tables, none (list l's is its precomputed table - 2 <x, .>,
// formed again for the few candidates: a query's 16+ float tables would not stay in cache
// between the scan and the re-scoring).
struct ProbePlan {
    size_t np = 0, M = 0, M4 = 0;
    bool shared = true, pre = false;
    const float* pt = nullptr;  // precomputed tables (pre)
    std::vector<idx_t> lists;
    // Each probed list's codes and ids, fetched once: the re-scoring reads them per candidate.
    std::vector<const uint8_t*> codes;
    std::vector<const idx_t*> ids;
    std::vector<float> ftab, extra;  // extra: added to a list's exact sums
    std::vector<uint8_t> qtab;
    std::vector<float> scale, tbias;  // per table
    std::vector<float> qip, r;        // pre: -2 <x, .> per entry; r: scratch

    void build(const IndexIVFPQFastScan& ix, const float* x, const idx_t* assign,
               const float* coarse, size_t nprobe) {
        M = ix.pq.M;
        M4 = ix.M4;
        const size_t T = M * 16;
        const bool ip = ix.metric_type == METRIC_INNER_PRODUCT;
        const bool residual_L2 = ix.by_residual && !ip;
        pre = residual_L2 && ix.uses_precomputed_table();
        pt = pre ? ix.precomputed_table.data() : nullptr;
        shared = !residual_L2;
        lists.clear();
        codes.clear();
        ids.clear();
        extra.clear();
        for (size_t p = 0; p < nprobe; ++p) {
            if (assign[p] < 0) continue;
            FAISSLIKE_THROW_IF_NOT_FMT(size_t(assign[p]) < ix.nlist,
                                       "coarse assignment %lld out of range", (long long)assign[p]);
            lists.push_back(assign[p]);
            codes.push_back(ix.invlists->get_codes(size_t(assign[p])));
            ids.push_back(ix.invlists->get_ids(size_t(assign[p])));
            // IP residual: <x, c> belongs to every inner product of the list; L2 residual
            // with precomputed tables: ||x - c||^2 to every distance of the list.
            extra.push_back(ip && ix.by_residual ? -coarse[p] : pre ? coarse[p] : 0.0f);
        }
        np = lists.size();
        const size_t nt = shared ? 1 : np;
        tbias.resize(nt);
        scale.resize(nt);
        qtab.resize(nt * M4 * 16);
        // Each table on its own 8-bit scale: a far list's wide table does not coarsen a near
        // list's.
        auto quantize = [&](size_t t, const float* f) {
            pq4::quantize_table(f, M, M4, qtab.data() + t * M4 * 16, scale[t], tbias[t]);
        };
        if (shared) {
            ftab.resize(T);
            ix.pq.compute_table(ix.metric_type, x, ftab.data());
            if (ip)
                for (float& v : ftab) v = -v;
            quantize(0, ftab.data());
        } else if (pre) {
            // ||r||^2 + 2 <c, r> from the list's precomputed table, - 2 <x, r> from the query.
            qip.resize(T);
            ix.pq.compute_inner_prod_table(x, qip.data());
            for (float& v : qip) v *= -2.0f;
            r.resize(T);
            for (size_t p = 0; p < np; ++p) {
                const float* l = pt + size_t(lists[p]) * T;
                for (size_t e = 0; e < T; ++e) r[e] = l[e] + qip[e];
                quantize(p, r.data());
            }
        } else {
            ftab.resize(np * T);
            r.resize(size_t(ix.d));
            for (size_t p = 0; p < np; ++p) {
                ix.compute_residual(x, size_t(lists[p]), r.data());
                ix.pq.compute_distance_table(r.data(), ftab.data() + p * T);
                quantize(p, ftab.data() + p * T);
            }
        }
    }

    // Probe p's quantized table; its vectors' keys are (p << 32) + offset in the list.
    pq4scan::QTable qt(size_t p) const {
        const size_t t = shared ? 0 : p;
        return {qtab.data() + t * M4 * 16, scale[t], tbias[t] + extra[p], int64_t(p) << 32};
    }

    float exact(size_t p, const uint8_t* code) const {
        float s = 0;
        if (pre) {
            const float* l = pt + size_t(lists[p]) * M * 16;
            for (size_t m = 0; m < M; ++m) {
                const size_t e = m * 16 + pq4::nibble(code, m);
                s += l[e] + qip[e];
            }
        } else {
            const float* t = ftab.data() + (shared ? 0 : p) * M * 16;
            for (size_t m = 0; m < M; ++m) s += t[m * 16 + pq4::nibble(code, m)];
        }
        return s + extra[p];
    }
};

// A candidate's key is (probe << 32) + offset in the probed list.
const uint8_t* key_code(const IndexIVFPQFastScan& ix, const ProbePlan& plan, int64_t key) {
    return plan.codes[size_t(key >> 32)] + size_t(key & 0xffffffff) * ix.code_size;
}
const idx_t* key_id(const ProbePlan& plan, int64_t key) {
    return plan.ids[size_t(key >> 32)] + size_t(key & 0xffffffff);
}

// Merges the partial top-k into `all`, re-scores it exactly (unless the caller re-scores them
// itself: estimates) and writes query's results.
void finish_query(const IndexIVFPQFastScan& ix, const ProbePlan& plan, pq4scan::Candidates& all,
                  const pq4scan::Candidates* parts, size_t nparts, size_t k, bool estimates,
                  float* D, idx_t* I) {
    for (size_t r = 0; r < nparts; ++r) all.merge(parts[r]);
    const bool ip = ix.metric_type == METRIC_INNER_PRODUCT;
    if (estimates) {
        for (const auto& it : all.h) __builtin_prefetch(key_id(plan, it.key));
        pq4scan::finish_estimates(
            all, k, ip, [&](int64_t key) { return *key_id(plan, key); }, D, I);
        return;
    }
    // The candidates' codes and ids are scattered over the lists (cache misses): all loads
    // are issued first so that they overlap.
    for (const auto& it : all.h) {
        __builtin_prefetch(key_code(ix, plan, it.key));
        __builtin_prefetch(key_id(plan, it.key));
    }
    pq4scan::finish(
        all, k, ip,
        [&](int64_t key) { return plan.exact(size_t(key >> 32), key_code(ix, plan, key)); },
        [&](int64_t key) { return *key_id(plan, key); }, D, I);
}

struct IVFScratch {
    pq4scan::Scratch s;
    ProbePlan plan;
    std::vector<uint8_t> packed;  // a list packed on the fly (see blocks_of)
};

}  // namespace

void IndexIVFPQFastScan::do_search(idx_t n, const float* x, idx_t k, float* distances,
                                   idx_t* labels, const SearchParameters* params) const {
    FAISSLIKE_THROW_IF_NOT_MSG(is_trained, "search: the index is not trained");
    const size_t np = effective_nprobe(params);
    check_quantizer();
    const IDSelector* sel = selector_of(params);
    const bool estimates = params && params->estimates_suffice;
    const size_t nq = size_t(n);
    std::vector<float> cd(nq * np);
    std::vector<idx_t> ci(nq * np);
    if (n > 0) quantizer->search(n, x, idx_t(np), cd.data(), ci.data());
    // Fewer queries than threads: each query's probes split over the threads (plans built
    // first, shared), partial top-k merged.
    const size_t nthreads = size_t(parallel_threads());
    const size_t splits = nq >= nthreads ? 1 : std::max<size_t>(1, std::min(nthreads, np));
    std::vector<ProbePlan> plans(splits > 1 ? nq : 0);
    for (size_t i = 0; i < plans.size(); ++i)
        plans[i].build(*this, x + i * size_t(d), ci.data() + i * np, cd.data() + i * np, np);
    std::vector<pq4scan::Candidates> parts(nq * splits);
    const kernels::KernelTable& K = kernels::current();
    // Big batches whose queries share lists: list by list, each list's blocks read once for
    // groups of 4 of the queries probing it.
    if (splits == 1 && nq >= 4 * nthreads &&
        double(nq) * double(np) >= by_list_min_visits * double(nlist)) {
        search_by_list(x, nq, np, size_t(k), ci.data(), cd.data(), sel, estimates, distances,
                       labels);
        return;
    }
    auto scan_query = [&](IVFScratch& st, const ProbePlan& plan, size_t part,
                          pq4scan::Candidates& c) {
        pq4scan::Candidates* cp = &c;
        for (size_t p = part; p < plan.np; p += splits) {
            const size_t l = size_t(plan.lists[p]), ls = invlists->list_size(l);
            if (ls == 0) continue;
            const uint8_t* blocks = blocks_of(l, ls, st.packed);
            const pq4scan::QTable qt = plan.qt(p);
            pq4scan::scan_blocks(K, blocks, (ls + 31) / 32, M4, &qt, 1, ls, sel,
                                 invlists->get_ids(l), st.s, &cp);
        }
    };
    parallel_for_with(
        int64_t(nq * splits), [&] { return IVFScratch(); },
        [&](IVFScratch& st, int64_t t) {
            const size_t i = size_t(t) / splits, part = size_t(t) % splits;
            pq4scan::Candidates& c = parts[size_t(t)];
            c.reset(size_t(k));
            if (splits > 1) {
                scan_query(st, plans[i], part, c);
                return;
            }
            if (i + 2 < nq && np > 0) prefetch_list(size_t(ci[(i + 2) * np]));
            st.plan.build(*this, x + i * size_t(d), ci.data() + i * np, cd.data() + i * np, np);
            scan_query(st, st.plan, 0, c);
            // Re-scored here, while this query's tables are at hand.
            finish_query(*this, st.plan, c, nullptr, 0, size_t(k), estimates,
                         distances + i * size_t(k), labels + i * size_t(k));
        },
        n > 1);
    if (splits == 1) return;
    for (size_t i = 0; i < nq; ++i)
        finish_query(*this, plans[i], parts[i * splits], &parts[i * splits + 1], splits - 1,
                     size_t(k), estimates, distances + i * size_t(k), labels + i * size_t(k));
}

void IndexIVFPQFastScan::search_by_list(const float* x, size_t nq, size_t np, size_t k,
                                        const idx_t* ci, const float* cd, const IDSelector* sel,
                                        bool estimates, float* distances, idx_t* labels) const {
    const kernels::KernelTable& K = kernels::current();
    const int nt = parallel_threads();
    // Chunks of queries bound the plans' memory (residual tables: np per query).
    const size_t chunk = 2048;
    std::vector<ProbePlan> plans(std::min(chunk, nq));
    std::vector<size_t> start(nlist + 1);
    std::vector<std::pair<uint32_t, uint32_t>> visits;  // (query in chunk, probe)
    std::vector<pq4scan::Candidates> heaps(size_t(nt) * plans.size()), first(plans.size());
    for (size_t q0 = 0; q0 < nq; q0 += chunk) {
        const size_t nc = std::min(chunk, nq - q0);
        parallel_for(int64_t(nc), [&](int64_t j) {
            const size_t i = q0 + size_t(j);
            plans[size_t(j)].build(*this, x + i * size_t(d), ci + i * np, cd + i * np, np);
        });
        // Visits grouped by list (counting sort).
        std::fill(start.begin(), start.end(), 0);
        for (size_t j = 0; j < nc; ++j)
            for (size_t p = 1; p < plans[j].np; ++p) start[size_t(plans[j].lists[p]) + 1]++;
        for (size_t l = 0; l < nlist; ++l) start[l + 1] += start[l];
        visits.resize(start[nlist]);
        {
            std::vector<size_t> fill(start.begin(), start.end() - 1);
            for (size_t j = 0; j < nc; ++j)
                for (size_t p = 1; p < plans[j].np; ++p)
                    visits[fill[size_t(plans[j].lists[p])]++] = {uint32_t(j), uint32_t(p)};
        }
        // Each query's nearest list first, query by query: its k-th estimate then caps what
        // the list-by-list pass keeps (per thread), which prunes from the first block.
        parallel_for_with(
            int64_t(nc), [&] { return IVFScratch(); },
            [&](IVFScratch& st, int64_t jj) {
                const size_t j = size_t(jj);
                // The next queries' lists come from memory: their loads start now.
                if (j + 2 < nc && plans[j + 2].np > 0) prefetch_list(size_t(plans[j + 2].lists[0]));
                pq4scan::Candidates& c0 = first[j];
                c0.reset(k);
                const ProbePlan& plan = plans[j];
                if (plan.np == 0) return;
                const size_t l = size_t(plan.lists[0]), ls = invlists->list_size(l);
                if (ls == 0) return;
                const uint8_t* blocks = blocks_of(l, ls, st.packed);
                const pq4scan::QTable t = plan.qt(0);
                pq4scan::Candidates* cp = &c0;
                pq4scan::scan_blocks(K, blocks, (ls + 31) / 32, M4, &t, 1, ls, sel,
                                     invlists->get_ids(l), st.s, &cp);
            });
        for (int r = 0; r < nt; ++r)
            for (size_t j = 0; j < nc; ++j)
                heaps[size_t(r) * plans.size() + j].reset(
                    k, first[j].full() ? first[j].limit() : std::numeric_limits<float>::infinity());
        parallel_region(nt, [&](Team& team) {
            pq4scan::Scratch scratch;
            std::vector<uint8_t> tmp;
            team.for_range(int64_t(nlist), [&](int64_t li) {
                const size_t l = size_t(li), v0 = start[l], v1 = start[l + 1];
                prefetch_list(size_t(li) + 2);
                const size_t ls = invlists->list_size(l);
                if (v0 == v1 || ls == 0) return;
                const uint8_t* blocks = blocks_of(l, ls, tmp);
                const idx_t* ids = invlists->get_ids(l);
                for (size_t g0 = v0; g0 < v1; g0 += pq4scan::Scratch::kMaxQ) {
                    const size_t g = std::min(pq4scan::Scratch::kMaxQ, v1 - g0);
                    pq4scan::QTable t[pq4scan::Scratch::kMaxQ];
                    pq4scan::Candidates* c[pq4scan::Scratch::kMaxQ];
                    for (size_t u = 0; u < g; ++u) {
                        const auto [j, p] = visits[g0 + u];
                        t[u] = plans[j].qt(p);
                        c[u] = &heaps[size_t(team.rank) * plans.size() + j];
                    }
                    pq4scan::scan_blocks(K, blocks, (ls + 31) / 32, M4, t, g, ls, sel, ids, scratch,
                                         c);
                }
            });
        });
        parallel_for(int64_t(nc), [&](int64_t jj) {
            const size_t j = size_t(jj), i = q0 + j;
            for (int r = 0; r < nt; ++r) first[j].merge(heaps[size_t(r) * plans.size() + j]);
            finish_query(*this, plans[j], first[j], nullptr, 0, k, estimates, distances + i * k,
                         labels + i * k);
        });
    }
}

}  // namespace faisslike
