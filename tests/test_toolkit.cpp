// index_factory, id maps, removal, selectors (filtered search), range search, scalar
// quantizer and shards: each against brute force.
#include <omp.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexIVFFlat.h"
#include "faisslike/IndexIVFPQ.h"
#include "faisslike/IndexPQ.h"
#include "faisslike/IndexPreTransform.h"
#include "faisslike/IndexRefine.h"
#include "faisslike/IndexScalarQuantizer.h"
#include "faisslike/IndexShards.h"
#include "faisslike/distances.h"
#include "faisslike/index_factory.h"
#include "faisslike/index_io.h"
#include "test_util.h"

using namespace faisslike;
using namespace faisslike_test;

namespace {

const size_t d = 16, nb = 2000, nq = 20;

struct Result {
    std::vector<float> D;
    std::vector<idx_t> I;
};

Result search(const Index& idx, const std::vector<float>& xq, idx_t k,
              const SearchParameters* p = nullptr) {
    Result r{std::vector<float>(xq.size() / d * size_t(k)),
             std::vector<idx_t>(xq.size() / d * size_t(k))};
    idx.search(idx_t(xq.size() / d), xq.data(), k, r.D.data(), r.I.data(), p);
    return r;
}

// Exact top-k of x among the rows of y whose id (row number, or ids[row]) `keep` accepts.
template <class Keep>
std::vector<std::vector<std::pair<double, idx_t>>> brute(const std::vector<float>& y,
                                                         const std::vector<float>& x, bool ip,
                                                         const Keep& keep,
                                                         const std::vector<idx_t>* ids = nullptr) {
    std::vector<std::vector<std::pair<double, idx_t>>> out(x.size() / d);
    for (size_t i = 0; i < out.size(); ++i) {
        for (size_t j = 0; j < y.size() / d; ++j) {
            const idx_t id = ids ? (*ids)[j] : idx_t(j);
            if (!keep(id)) continue;
            const double v =
                ip ? -ref_IP(&x[i * d], &y[j * d], d) : ref_L2(&x[i * d], &y[j * d], d);
            out[i].emplace_back(v, id);
        }
        std::sort(out[i].begin(), out[i].end());
    }
    return out;
}

double recall_at(const Result& r, const std::vector<std::vector<std::pair<double, idx_t>>>& gt,
                 size_t k) {
    size_t hit = 0, tot = 0;
    for (size_t i = 0; i < gt.size(); ++i) {
        std::set<idx_t> g;
        for (size_t j = 0; j < std::min(k, gt[i].size()); ++j) g.insert(gt[i][j].second);
        for (size_t j = 0; j < k; ++j) hit += g.count(r.I[i * k + j]);
        tot += g.size();
    }
    return tot ? double(hit) / double(tot) : 1.0;
}

const std::vector<float>& base() {
    static const auto x = clustered(nb, d, 1, 20, 3.0f);
    return x;
}
const std::vector<float>& queries() {
    static const auto x = clustered(nq, d, 2, 20, 3.0f);
    return x;
}

std::vector<idx_t> user_ids(size_t n) {
    std::vector<idx_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = idx_t(1000 + 7 * i);
    return ids;
}

// Fills an index made by the factory (ids when it is an id map) and sets exhaustive search
// parameters where it has them.
// The id map of idx, directly or under a pre-transform (null if none).
IndexIDMap* id_map_of(Index* idx) {
    if (auto pt = dynamic_cast<IndexPreTransform*>(idx)) idx = pt->index;
    return dynamic_cast<IndexIDMap*>(idx);
}

void fill(Index& idx) {
    if (!idx.is_trained) idx.train(idx_t(nb), base().data());
    if (id_map_of(&idx)) {
        auto ids = user_ids(nb);
        idx.add_with_ids(idx_t(nb), base().data(), ids.data());
    } else {
        idx.add(idx_t(nb), base().data());
    }
}

}  // namespace

// ---------------------------------------------------------------- index_factory

TEST(Factory, EveryStringBuildsTrainsSearchesAndRoundTrips) {
    const char* descs[] = {"Flat",
                           "IVF16,Flat",
                           "PQ4",
                           "PQ4x6",
                           "IVF16,PQ4",
                           "IVF16,PQ8x4",
                           "HNSW16",
                           "IVF16,SQ8",
                           "IVF16,SQfp16",
                           "SQ8",
                           "SQfp16",
                           "IDMap,Flat",
                           "IDMap2,Flat",
                           "IDMap,HNSW8",
                           "IDMap2,IVF16,SQ8",
                           "PQ4,RFlat",
                           "IVF16,PQ4,Refine(Flat)",
                           "L2norm,Flat",
                           "L2norm,IVF16,Flat",
                           "L2norm,IDMap2,HNSW8",
                           " IVF16 , Flat "};
    const auto& xq = queries();
    for (MetricType metric : {METRIC_L2, METRIC_INNER_PRODUCT}) {
        for (const char* desc : descs) {
            SCOPED_TRACE(std::string(desc) + (metric == METRIC_L2 ? " L2" : " IP"));
            std::unique_ptr<Index> idx = index_factory(int(d), desc, metric);
            ASSERT_EQ(idx->d, int(d));
            ASSERT_EQ(idx->metric_type, metric);
            fill(*idx);
            ASSERT_EQ(idx->ntotal, idx_t(nb));
            Result r = search(*idx, xq, 5);
            const bool has_ids = id_map_of(idx.get()) != nullptr;
            for (idx_t l : r.I) {
                if (has_ids) {
                    EXPECT_TRUE(l >= 1000 && (l - 1000) % 7 == 0 && l < 1000 + 7 * idx_t(nb)) << l;
                } else {
                    EXPECT_TRUE(l >= 0 && l < idx_t(nb)) << l;
                }
            }
            // Sorted best first.
            for (size_t i = 0; i < nq; ++i)
                for (size_t j = 1; j < 5; ++j) {
                    if (metric == METRIC_L2) {
                        EXPECT_LE(r.D[i * 5 + j - 1], r.D[i * 5 + j]);
                    } else {
                        EXPECT_GE(r.D[i * 5 + j - 1], r.D[i * 5 + j]);
                    }
                }
            auto bytes = serialize_index(idx.get());
            auto back = deserialize_index(bytes.data(), bytes.size());
            const Index &b = *back, &a = *idx;
            EXPECT_EQ(typeid(b), typeid(a));
            Result r2 = search(*back, xq, 5);
            EXPECT_EQ(r.I, r2.I);
            EXPECT_EQ(r.D, r2.D);
            EXPECT_EQ(serialize_index(back.get()), bytes);
        }
    }
}

TEST(Factory, ExactStringsMatchBruteForce) {
    const auto& xb = base();
    const auto& xq = queries();
    auto gt = brute(xb, xq, false, [](idx_t) { return true; });
    for (const char* desc : {"Flat", "IDMap2,Flat", "IVF8,Flat", "SQfp16", "IVF8,SQfp16"}) {
        SCOPED_TRACE(desc);
        auto idx = index_factory(int(d), desc);
        if (!idx->is_trained) idx->train(idx_t(nb), xb.data());
        std::vector<idx_t> ids(nb);
        for (size_t i = 0; i < nb; ++i) ids[i] = idx_t(i);
        if (dynamic_cast<IndexIDMap*>(idx.get())) {
            idx->add_with_ids(idx_t(nb), xb.data(), ids.data());
        } else {
            idx->add(idx_t(nb), xb.data());
        }
        SearchParametersIVF all;
        all.nprobe = 8;
        const bool ivf = dynamic_cast<IndexIVF*>(idx.get()) != nullptr;
        Result r = search(*idx, xq, 10, ivf ? &all : nullptr);
        EXPECT_GE(recall_at(r, gt, 10),
                  std::string(desc).find("fp16") != std::string::npos ? 0.97 : 1.0);
    }
}

TEST(Factory, BadStringsNameTheToken) {
    auto expect_msg = [](const char* desc, const char* token) {
        try {
            index_factory(int(d), desc);
            ADD_FAILURE() << desc << " did not throw";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(token), std::string::npos)
                << desc << ": " << e.what();
        }
    };
    expect_msg("Flatt", "'Flatt'");
    expect_msg("IVF16,Foo", "'Foo'");
    expect_msg("IVF16", "code type");
    expect_msg("IVF0,Flat", "'IVF0'");
    expect_msg("PQ3x17", "'PQ3x17'");
    expect_msg("Flat,RFlat,Flat", "'Flat'");
    expect_msg("HNSW", "'HNSW'");
    expect_msg("IDMap", "no index type");
    expect_msg("Flat,,", "empty");
    expect_msg("", "empty");
    expect_msg("PQ5", "PQ");  // d=16 is not a multiple of 5
    expect_msg("HNSW99999999999", "'HNSW99999999999'");
    EXPECT_THROW(index_factory(0, "Flat"), Error);
    EXPECT_THROW(index_factory(int(d), nullptr), Error);
}

// ---------------------------------------------------------------- selectors

TEST(IDSelector, Semantics) {
    IDSelectorRange r(10, 20);
    EXPECT_TRUE(r.is_member(10));
    EXPECT_FALSE(r.is_member(20));
    EXPECT_THROW(IDSelectorRange(5, 4), Error);
    const idx_t ids[] = {5, 3, 1000000007, -4};
    IDSelectorArray a(4, ids);
    IDSelectorBatch b(4, ids);
    for (idx_t i = -10; i < 2000; ++i) {
        const bool in = i == 5 || i == 3 || i == -4;
        EXPECT_EQ(a.is_member(i), in) << i;
        EXPECT_EQ(b.is_member(i), in) << i;
    }
    EXPECT_TRUE(b.is_member(1000000007));
    // Many ids: the bloom mask never rejects a member.
    std::vector<idx_t> many;
    for (idx_t i = 0; i < 100000; i += 3) many.push_back(i * 977);
    IDSelectorBatch big(many.size(), many.data());
    for (idx_t v : many) ASSERT_TRUE(big.is_member(v));
    EXPECT_FALSE(big.is_member(1));
    IDSelectorBatch empty(0, nullptr);
    EXPECT_FALSE(empty.is_member(0));
    const uint8_t bits[] = {0x05};
    IDSelectorBitmap bm(1, bits);
    EXPECT_TRUE(bm.is_member(0));
    EXPECT_FALSE(bm.is_member(1));
    EXPECT_TRUE(bm.is_member(2));
    EXPECT_FALSE(bm.is_member(8));
    EXPECT_FALSE(bm.is_member(-1));
    IDSelectorNot n(&r);
    IDSelectorAnd an(&r, &a);
    IDSelectorOr o(&r, &a);
    EXPECT_FALSE(n.is_member(15));
    EXPECT_TRUE(n.is_member(5));
    EXPECT_FALSE(an.is_member(5));
    EXPECT_TRUE(o.is_member(5));
    EXPECT_TRUE(o.is_member(15));
    EXPECT_THROW(IDSelectorNot(nullptr), Error);
    EXPECT_THROW(IDSelectorAnd(&r, nullptr), Error);
}

// ---------------------------------------------------------------- filtered search

TEST(FilteredSearch, NeverReturnsRejectedIdsAndMatchesBruteForce) {
    const auto& xq = queries();
    // Keep ids with id % 10 == 3 (10%).
    std::vector<idx_t> keep_ids;
    for (size_t i = 3; i < nb; i += 10) keep_ids.push_back(idx_t(i));
    IDSelectorBatch sel(keep_ids.size(), keep_ids.data());
    auto keep = [](idx_t id) { return id % 10 == 3; };
    for (MetricType metric : {METRIC_L2, METRIC_INNER_PRODUCT}) {
        const bool ip = metric == METRIC_INNER_PRODUCT;
        auto gt = brute(base(), xq, ip, keep);
        for (const char* desc : {"Flat", "IVF16,Flat", "PQ8", "IVF16,PQ8", "SQ8", "IVF16,SQ8",
                                 "SQfp16", "HNSW16", "PQ8,RFlat"}) {
            SCOPED_TRACE(std::string(desc) + (ip ? " IP" : " L2"));
            auto idx = index_factory(int(d), desc, metric);
            const bool graph = dynamic_cast<IndexHNSWFlat*>(idx.get()) != nullptr;
            {
                // A graph built on one thread is the same in every run. Built in parallel, its
                // filtered recall on this data varies with the threads' interleaving: IP
                // 0.655-0.84 over ~300 builds under load (it failed CI once below 0.7),
                // FAISS's 0.26 here. What this test checks is the filter.
                const int saved = omp_get_max_threads();
                if (graph) omp_set_num_threads(1);
                fill(*idx);
                omp_set_num_threads(saved);
            }
            std::unique_ptr<SearchParameters> p;
            if (dynamic_cast<IndexIVF*>(idx.get())) {
                auto pi = std::make_unique<SearchParametersIVF>();
                pi->nprobe = 16;
                p = std::move(pi);
            } else if (graph) {
                auto ph = std::make_unique<SearchParametersHNSW>();
                ph->efSearch = 64;
                p = std::move(ph);
            } else {
                p = std::make_unique<SearchParameters>();
            }
            p->sel = &sel;
            for (idx_t k : {1, 10}) {
                Result r = search(*idx, xq, k, p.get());
                for (idx_t l : r.I) EXPECT_TRUE(l == -1 || keep(l)) << l;
                const std::string s(desc);
                const bool exact = s == "Flat" || s == "IVF16,Flat";
                // HNSW on raw inner products (not a metric) is the weak case of graphs.
                const double want = exact                               ? 1.0
                                    : s.find("PQ") != std::string::npos ? 0.4
                                    : (s == "HNSW16" && ip)             ? 0.7
                                                                        : 0.9;
                EXPECT_GE(recall_at(r, gt, size_t(k)), want) << "k=" << k;
            }
        }
    }
    // An empty selector: no results at all, never an error.
    IDSelectorBatch none(0, nullptr);
    SearchParameters p;
    p.sel = &none;
    auto flat = index_factory(int(d), "Flat");
    fill(*flat);
    Result r = search(*flat, xq, 3, &p);
    for (idx_t l : r.I) EXPECT_EQ(l, -1);
}

TEST(FilteredSearch, IDMapSelectsUserIds) {
    auto idx = index_factory(int(d), "IDMap,Flat");
    fill(*idx);                                 // user ids 1000 + 7 i
    IDSelectorRange sel(1000, 1000 + 7 * 100);  // the first 100 vectors
    SearchParameters p;
    p.sel = &sel;
    Result r = search(*idx, queries(), 10, &p);
    std::vector<float> sub(base().begin(), base().begin() + 100 * d);
    auto gt = brute(sub, queries(), false, [](idx_t) { return true; });
    for (size_t i = 0; i < nq; ++i)
        for (size_t j = 0; j < 10; ++j) EXPECT_EQ(r.I[i * 10 + j], 1000 + 7 * gt[i][j].second);
}

// ---------------------------------------------------------------- removal

TEST(RemoveIds, SearchNeverReturnsRemovedIds) {
    const auto& xq = queries();
    for (const char* desc : {"Flat", "IVF16,Flat", "IVF16,PQ8", "IVF16,SQ8", "PQ8", "SQ8", "SQfp16",
                             "IDMap,Flat", "IDMap2,Flat", "IDMap,HNSW16", "IDMap2,HNSW16", "HNSW16",
                             "IDMap,IVF16,Flat", "IDMap2,IVF16,SQ8"}) {
        SCOPED_TRACE(desc);
        auto idx = index_factory(int(d), desc);
        fill(*idx);
        auto* im = dynamic_cast<IndexIDMap*>(idx.get());
        // Remove every third vector (by user id for id maps).
        std::vector<idx_t> gone;
        for (size_t i = 0; i < nb; i += 3) gone.push_back(im ? 1000 + 7 * idx_t(i) : idx_t(i));
        IDSelectorBatch sel(gone.size(), gone.data());
        auto* hn = dynamic_cast<IndexHNSWFlat*>(im ? im->index : idx.get());
        const bool renumbered = !im && !hn && !dynamic_cast<IndexIVF*>(idx.get());
        std::vector<float> second(d);
        if (renumbered) idx->reconstruct(1, second.data());
        EXPECT_EQ(idx->remove_ids(sel), gone.size());
        // Ids that are not (or no longer) there: nothing removed. Renumbering indexes gave
        // the removed ids to survivors, so only ids past the end are absent there.
        if (!renumbered) EXPECT_EQ(idx->remove_ids(sel), 0u) << "already removed";
        IDSelectorRange nothing(5000000, 6000000);
        EXPECT_EQ(idx->remove_ids(nothing), 0u);
        if (!hn) EXPECT_EQ(idx->ntotal, idx_t(nb - gone.size()));
        Result r = search(*idx, xq, 10);
        for (idx_t l : r.I) {
            ASSERT_GE(l, 0);
            if (!renumbered) EXPECT_FALSE(sel.is_member(l)) << l;
        }
        if (renumbered) {
            // Survivors moved down: row j is now the j-th surviving vector.
            std::vector<float> rec(d);
            idx->reconstruct(0, rec.data());
            EXPECT_EQ(rec, second);  // vector 0 was removed, 1 survived
        }
        if (auto* im2 = dynamic_cast<IndexIDMap2*>(idx.get())) {
            std::vector<float> rec(d);
            EXPECT_THROW(im2->reconstruct(1000, rec.data()), Error);  // removed
            EXPECT_NO_THROW(im2->reconstruct(1007, rec.data()));
        }
        // Round trip keeps the removals.
        auto bytes = serialize_index(idx.get());
        auto back = deserialize_index(bytes.data(), bytes.size());
        EXPECT_EQ(search(*back, xq, 10).I, r.I);
    }
}

TEST(RemoveIds, HNSWCompactFreesDeletedNodes) {
    IndexHNSWFlat idx(d, 16);
    idx.add(idx_t(nb), base().data());
    IDSelectorRange sel(0, idx_t(nb / 2));
    EXPECT_EQ(idx.remove_ids(sel), nb / 2);
    EXPECT_EQ(idx.ntotal, idx_t(nb));
    EXPECT_EQ(idx.ndeleted, nb / 2);
    // Searches still find good neighbours among the live half.
    std::vector<float> live(base().begin() + (nb / 2) * d, base().end());
    auto gt = brute(base(), queries(), false, [](idx_t id) { return id >= idx_t(nb / 2); });
    SearchParametersHNSW p;
    p.efSearch = 64;
    EXPECT_GE(recall_at(search(idx, queries(), 10, &p), gt, 10), 0.9);
    EXPECT_EQ(idx.compact(), nb / 2);
    EXPECT_EQ(idx.ntotal, idx_t(nb / 2));
    EXPECT_EQ(idx.ndeleted, 0u);
    idx.hnsw.validate(idx.ntotal);
    auto gt2 = brute(live, queries(), false, [](idx_t) { return true; });
    EXPECT_GE(recall_at(search(idx, queries(), 10, &p), gt2, 10), 0.9);
}

TEST(RemoveIds, IDMapOverHNSWCompacts) {
    auto idx = index_factory(int(d), "IDMap2,HNSW16");
    fill(*idx);  // user ids 1000 + 7 i
    auto* im = static_cast<IndexIDMap2*>(idx.get());
    IDSelectorRange sel(1000, 1000 + 7 * idx_t(nb / 2));  // the first half
    EXPECT_EQ(im->remove_ids(sel), nb / 2);
    Result before = search(*im, queries(), 10);
    EXPECT_EQ(im->compact(), nb / 2);
    EXPECT_EQ(im->ntotal, idx_t(nb / 2));
    EXPECT_EQ(im->id_map.size(), nb / 2);
    EXPECT_EQ(im->id_map[0], 1000 + 7 * idx_t(nb / 2));
    std::vector<float> v(d);
    im->reconstruct(1000 + 7 * idx_t(nb - 1), v.data());
    for (size_t j = 0; j < d; ++j) EXPECT_EQ(v[j], base()[(nb - 1) * d + j]);
    EXPECT_THROW(im->reconstruct(1000, v.data()), Error);
    Result after = search(*im, queries(), 10);
    for (idx_t l : after.I) EXPECT_FALSE(sel.is_member(l)) << l;
    // Same neighbours (up to graph differences): most results agree.
    size_t same = 0;
    for (size_t i = 0; i < after.I.size(); ++i)
        same += std::find(before.I.begin() + long(i / 10 * 10),
                          before.I.begin() + long(i / 10 * 10 + 10),
                          after.I[i]) != before.I.begin() + long(i / 10 * 10 + 10);
    EXPECT_GE(same, after.I.size() * 9 / 10);
    EXPECT_EQ(im->compact(), 0u);
}

TEST(RemoveIds, IVFKeepsIdsAndHashtableDirectMap) {
    auto idx = index_factory(int(d), "IVF16,Flat");
    fill(*idx);
    auto* ivf = static_cast<IndexIVF*>(idx.get());
    ivf->make_direct_map(true);
    IDSelectorRange sel(0, 10);
    EXPECT_THROW(ivf->remove_ids(sel), Error);  // Array direct map
    ivf->set_direct_map_type(DirectMap::Hashtable);
    EXPECT_EQ(ivf->remove_ids(sel), 10u);
    std::vector<float> rec(d);
    EXPECT_THROW(ivf->reconstruct(3, rec.data()), Error);
    ivf->reconstruct(11, rec.data());
    for (size_t j = 0; j < d; ++j) EXPECT_EQ(rec[j], base()[11 * d + j]);
    // IDMap over IVF: inner ids are never reused, so adds after removals stay consistent.
    auto im = index_factory(int(d), "IDMap2,IVF16,Flat");
    fill(*im);  // user ids 1000 + 7 i
    IDSelectorRange first_ten(1000, 1000 + 7 * 10);
    EXPECT_EQ(im->remove_ids(first_ten), 10u);
    EXPECT_EQ(im->ntotal, idx_t(nb - 10));
    const idx_t again[] = {1000, 5};  // a removed id may come back, and a new one
    im->add_with_ids(2, base().data() + 20 * d, again);
    static_cast<IndexIVF*>(static_cast<IndexIDMap*>(im.get())->index.get())->nprobe = 16;
    Result r = search(*im, std::vector<float>(base().begin() + 20 * d, base().begin() + 21 * d), 3);
    std::set<idx_t> top(r.I.begin(), r.I.end());
    // Query = vector 20: itself (id 1140) and its re-added copy (id 1000) at distance 0.
    EXPECT_TRUE(top.count(1000) && top.count(1000 + 7 * 20))
        << r.I[0] << " " << r.I[1] << " " << r.I[2];
    auto* im2 = static_cast<IndexIDMap2*>(im.get());
    std::vector<float> v(d);
    im2->reconstruct(5, v.data());  // the second added row: vector 21
    for (size_t j = 0; j < d; ++j) EXPECT_EQ(v[j], base()[21 * d + j]);
    EXPECT_THROW(im2->reconstruct(1007, v.data()), Error);  // removed
    auto bytes = serialize_index(im.get());
    auto back = deserialize_index(bytes.data(), bytes.size());
    EXPECT_EQ(
        search(*back, std::vector<float>(base().begin() + 20 * d, base().begin() + 21 * d), 3).I,
        r.I);
}

// ---------------------------------------------------------------- id maps

TEST(IDMap, AddWithIdsSearchAndErrors) {
    IndexFlatL2 flat(d);
    IndexIDMap2 im(&flat);
    auto ids = user_ids(nb);
    EXPECT_THROW(im.add(1, base().data()), Error);
    im.add_with_ids(idx_t(nb), base().data(), ids.data());
    std::vector<float> rec(d);
    im.reconstruct(ids[17], rec.data());
    for (size_t j = 0; j < d; ++j) EXPECT_EQ(rec[j], base()[17 * d + j]);
    // Duplicates: within the batch and against stored ids; nothing is added on error.
    const idx_t dup_batch[] = {1, 1};
    EXPECT_THROW(im.add_with_ids(2, base().data(), dup_batch), Error);
    EXPECT_THROW(im.add_with_ids(1, base().data(), ids.data()), Error);
    const idx_t neg[] = {-5};
    EXPECT_THROW(im.add_with_ids(1, base().data(), neg), Error);
    EXPECT_EQ(im.ntotal, idx_t(nb));
    EXPECT_EQ(flat.ntotal, idx_t(nb));
    // IndexIDMap (not 2) allows duplicate ids, as FAISS.
    IndexFlatL2 flat2(d);
    IndexIDMap im1(&flat2);
    EXPECT_NO_THROW(im1.add_with_ids(2, base().data(), dup_batch));
    IndexFlatL2 nonempty(d);
    nonempty.add(1, base().data());
    EXPECT_THROW(IndexIDMap{&nonempty}, Error);
    EXPECT_THROW(IndexIDMap{nullptr}, Error);
    // IVF takes ids natively.
    auto ivf = index_factory(int(d), "IVF16,Flat");
    ivf->train(idx_t(nb), base().data());
    ivf->add_with_ids(idx_t(nb), base().data(), ids.data());
    Result r = search(*ivf, queries(), 5);
    for (idx_t l : r.I) EXPECT_TRUE(l >= 1000 && (l - 1000) % 7 == 0);
}

// ---------------------------------------------------------------- range search

TEST(RangeSearch, FlatAndIVFEqualBruteForce) {
    const auto& xq = queries();
    for (MetricType metric : {METRIC_L2, METRIC_INNER_PRODUCT}) {
        const bool ip = metric == METRIC_INNER_PRODUCT;
        auto all = brute(base(), xq, ip, [](idx_t) { return true; });
        // A radius that catches ~50 results per query.
        std::vector<double> v;
        for (auto& q : all) v.push_back(q[50].first);
        std::sort(v.begin(), v.end());
        const float radius = float(ip ? -v[v.size() / 2] : v[v.size() / 2]);
        for (const char* desc : {"Flat", "IVF16,Flat", "IDMap2,Flat", "L2norm,Flat"}) {
            SCOPED_TRACE(std::string(desc) + (ip ? " IP" : " L2"));
            auto idx = index_factory(int(d), desc, metric);
            fill(*idx);
            SearchParametersIVF all_lists;
            all_lists.nprobe = 16;
            RangeSearchResult res;
            const bool is_ivf = dynamic_cast<IndexIVF*>(idx.get()) != nullptr;
            idx->range_search(idx_t(nq), xq.data(), radius, &res, is_ivf ? &all_lists : nullptr);
            ASSERT_EQ(res.nq, nq);
            ASSERT_EQ(res.lims.size(), nq + 1);
            const bool norm = std::string(desc).find("L2norm") != std::string::npos;
            std::vector<float> xb = base(), xqn = xq;
            if (norm) {
                fvec_renorm_L2(d, nb, xb.data());
                fvec_renorm_L2(d, nq, xqn.data());
            }
            auto gt = brute(xb, xqn, ip, [](idx_t) { return true; });
            size_t total = 0;
            for (size_t i = 0; i < nq; ++i) {
                std::set<idx_t> want, got;
                for (auto& e : gt[i]) {
                    const double dist = ip ? -e.first : e.first;
                    // Skip values within float rounding of the radius.
                    if (std::abs(dist - radius) < 1e-4 * (1 + std::abs(radius))) continue;
                    if (ip ? dist > radius : dist < radius) want.insert(e.second);
                }
                for (size_t j = res.lims[i]; j < res.lims[i + 1]; ++j) {
                    idx_t l = res.labels[j];
                    if (dynamic_cast<IndexIDMap*>(idx.get())) l = (l - 1000) / 7;
                    got.insert(l);
                    const float dj = res.distances[j];
                    EXPECT_TRUE(ip ? dj > radius : dj < radius);
                    if (j > res.lims[i]) {
                        if (ip) {
                            EXPECT_LE(dj, res.distances[j - 1]);
                        } else {
                            EXPECT_GE(dj, res.distances[j - 1]);
                        }
                    }
                }
                for (idx_t w : want) EXPECT_TRUE(got.count(w)) << "query " << i << " id " << w;
                EXPECT_LE(got.size(), want.size() + 2);
                total += got.size();
            }
            if (!norm) EXPECT_GT(total, nq * 10);
        }
    }
    IndexFlatL2 flat(d);
    RangeSearchResult res;
    EXPECT_THROW(flat.range_search(1, queries().data(), -1.0f, &res), Error);
    EXPECT_THROW(flat.range_search(1, queries().data(), 1.0f, nullptr), Error);
    IndexFlatIP fip(d);
    EXPECT_NO_THROW(fip.range_search(1, queries().data(), -1.0f, &res));  // IP: any radius
    IndexHNSWSQ hs(d, ScalarQuantizer::QT_fp16, 8);
    EXPECT_THROW(hs.range_search(1, queries().data(), 1.0f, &res), Error);  // not supported
}

// ---------------------------------------------------------------- scalar quantizer

TEST(ScalarQuantizer, SearchEqualsExactSearchOnDecodedVectors) {
    for (int qti = 0; qti <= 8; ++qti) {
        const auto qt = ScalarQuantizer::QuantizerType(qti);
        for (MetricType metric : {METRIC_L2, METRIC_INNER_PRODUCT}) {
            SCOPED_TRACE(qti);
            IndexScalarQuantizer sq(d, qt, metric);
            EXPECT_EQ(sq.is_trained, !sq.sq.needs_training());
            if (sq.sq.needs_training()) EXPECT_THROW(sq.add(1, base().data()), Error);  // untrained
            sq.train(idx_t(nb), base().data());
            sq.add(idx_t(nb), base().data());
            std::vector<float> dec(nb * d);
            sq.reconstruct_n(0, idx_t(nb), dec.data());
            // Decoding error is bounded by half a bin (8-bit) / half precision (fp16).
            if (qt == ScalarQuantizer::QT_8bit || qt == ScalarQuantizer::QT_fp16)
                for (size_t j = 0; j < nb * d; ++j)
                    ASSERT_NEAR(dec[j], base()[j], qt == ScalarQuantizer::QT_8bit ? 0.1 : 0.01);
            const bool ip = metric == METRIC_INNER_PRODUCT;
            auto gt = brute(dec, queries(), ip, [](idx_t) { return true; });
            Result r = search(sq, queries(), 10);
            for (size_t i = 0; i < nq; ++i)
                for (size_t j = 0; j < 10; ++j) {
                    const double want = ip ? -gt[i][j].first : gt[i][j].first;
                    EXPECT_NEAR(r.D[i * 10 + j], want, 1e-3 * (1 + std::abs(want)));
                }
            // IVF with every list probed: the same distances (residual coding differs, so
            // compare against its own decoded vectors).
            IndexFlat q(d, metric);
            IndexIVFScalarQuantizer ivf(&q, d, 8, qt, metric);
            ivf.train(idx_t(nb), base().data());
            ivf.add(idx_t(nb), base().data());
            ivf.make_direct_map(true);
            std::vector<float> dec2(nb * d);
            for (size_t i = 0; i < nb; ++i) ivf.reconstruct(idx_t(i), dec2.data() + i * d);
            auto gt2 = brute(dec2, queries(), ip, [](idx_t) { return true; });
            SearchParametersIVF p;
            p.nprobe = 8;
            Result r2 = search(ivf, queries(), 10, &p);
            for (size_t i = 0; i < nq; ++i)
                for (size_t j = 0; j < 10; ++j) {
                    const double want = ip ? -gt2[i][j].first : gt2[i][j].first;
                    EXPECT_NEAR(r2.D[i * 10 + j], want, 2e-3 * (1 + std::abs(want)));
                }
        }
    }
    EXPECT_THROW(IndexScalarQuantizer(d, ScalarQuantizer::QuantizerType(9)), Error);
}

TEST(ScalarQuantizer, ConstantDimensionsAndOutOfRangeValues) {
    std::vector<float> x(100 * d, 2.5f);
    IndexScalarQuantizer sq(d, ScalarQuantizer::QT_8bit);
    sq.train(100, x.data());  // zero range in every dimension
    sq.add(100, x.data());
    std::vector<float> far(d, 1e6f), rec(d);
    sq.add(1, far.data());  // clamps to the trained range
    sq.reconstruct(100, rec.data());
    for (float v : rec) EXPECT_EQ(v, 2.5f);
    Result r = search(sq, std::vector<float>(x.begin(), x.begin() + d), 3);
    EXPECT_EQ(r.D[0], 0.0f);
}

// ---------------------------------------------------------------- shards

TEST(Shards, MergedResultsEqualOneIndex) {
    for (MetricType metric : {METRIC_L2, METRIC_INNER_PRODUCT}) {
        IndexShards sh(d, true, metric);
        for (int s = 0; s < 3; ++s) sh.add_shard(new IndexFlat(d, metric), true);
        sh.add(idx_t(nb), base().data());
        EXPECT_EQ(sh.ntotal, idx_t(nb));
        IndexFlat one(d, metric);
        one.add(idx_t(nb), base().data());
        Result a = search(sh, queries(), 10), b = search(one, queries(), 10);
        EXPECT_EQ(a.I, b.I);
        for (size_t i = 0; i < a.D.size(); ++i) EXPECT_NEAR(a.D[i], b.D[i], 1e-3);
        EXPECT_THROW(sh.add_with_ids(1, base().data(), user_ids(1).data()), Error);
        IDSelectorRange sel(0, 1);
        EXPECT_THROW(sh.remove_ids(sel), Error);
        auto bytes = serialize_index(&sh);
        auto back = deserialize_index(bytes.data(), bytes.size());
        EXPECT_EQ(search(*back, queries(), 10).I, a.I);
    }
    // User ids spread over id-mapped shards.
    IndexShards sh(d, false);
    for (int s = 0; s < 2; ++s) sh.add_shard(index_factory(int(d), "IDMap,Flat").release(), true);
    auto ids = user_ids(nb);
    EXPECT_THROW(sh.add(1, base().data()), Error);
    sh.add_with_ids(idx_t(nb), base().data(), ids.data());
    IndexFlatL2 one(d);
    one.add(idx_t(nb), base().data());
    Result a = search(sh, queries(), 10), b = search(one, queries(), 10);
    for (size_t i = 0; i < a.I.size(); ++i) EXPECT_EQ(a.I[i], ids[size_t(b.I[i])]);
    IDSelectorRange sel(1000, 1000 + 7 * 10);
    EXPECT_EQ(sh.remove_ids(sel), 10u);
    EXPECT_EQ(sh.ntotal, idx_t(nb - 10));
    IndexShards empty(d);
    EXPECT_THROW(search(empty, queries(), 1), Error);
    IndexFlatL2 wrong(d + 1);
    EXPECT_THROW(empty.add_shard(&wrong), Error);
}

// ---------------------------------------------------------------- hostile files

TEST(HostileFiles, EveryByteFlipOfEveryIndexTypeIsAnError) {
    const size_t n = 40, dd = 4;
    auto x = clustered(n, dd, 9, 4, 3.0f);
    std::vector<idx_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = idx_t(10 + i);
    for (const char* desc :
         {"Flat", "IVF2,Flat", "PQ2x4", "IVF2,PQ2x4", "HNSW4", "IVF2,SQ8", "SQ8", "SQfp16",
          "IDMap,Flat", "IDMap2,HNSW4", "PQ2x4,RFlat", "L2norm,Flat", "IDMap2,IVF2,SQfp16"}) {
        SCOPED_TRACE(desc);
        auto idx = index_factory(int(dd), desc);
        if (!idx->is_trained) idx->train(idx_t(n), x.data());
        add_per_factory(*idx, desc, idx_t(n), x.data(), ids.data());
        const auto bytes = serialize_index(idx.get());
        for (size_t i = 0; i < bytes.size(); ++i) {
            auto b = bytes;
            b[i] ^= uint8_t(1 + (i % 255));
            EXPECT_THROW(deserialize_index(b.data(), b.size()), Error) << "byte " << i;
        }
        for (size_t cut = 0; cut < bytes.size(); cut += 7)
            EXPECT_THROW(deserialize_index(bytes.data(), cut), Error) << "prefix " << cut;
    }
}
