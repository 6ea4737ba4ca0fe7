// Live indexes: searches, range searches and reconstructions running while another thread
// adds (and, for the exclusive operations, removes and resets). Oracles: every vector whose
// add returned before a search started is found by a query equal to its reconstruction
// (exact types), reconstructions read during the adds equal those of a reference index built
// serially from the same trained state, every label is one that was added. Synchronized on
// the writer's published count, never on time. Run under TSan by scripts/sanitize.sh.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexIVF.h"
#include "faisslike/index_factory.h"
#include "faisslike/index_io.h"
#include "faisslike/io.h"
#include "test_util.h"

using namespace faisslike;
using namespace faisslike_test;

namespace {

constexpr int kD = 16;

struct LiveCase {
    const char* desc;
    bool exact;        // a query equal to a stored vector's reconstruction finds it at ~0
    bool reconstruct;  // reconstruct(id) is available
    bool concurrent;   // add runs beside searches (else it waits for them)
    bool range;        // range_search is available (and exact)
};

const LiveCase kCases[] = {
    {"Flat", true, true, true, true},
    {"SQ8", true, true, true, false},
    {"PQ4", true, true, true, false},
    {"IVF8,Flat", true, true, true, true},
    {"IVF8,PQ4", true, true, true, true},
    {"IVF8,SQ8", true, true, true, true},
    {"IDMap,Flat", true, false, true, true},
    {"IDMap2,Flat", true, true, true, true},
    {"IDMap2,IVF8,Flat", true, true, true, true},
    {"IDMap2,SQ8", true, true, true, false},
    {"HNSW16", false, true, true, false},
    {"IDMap2,HNSW16", false, true, true, false},
    {"PQ8x4fs", false, false, false, false},
    {"IVF8,PQ8x4fs", false, false, false, false},
};

idx_t id_of(const std::string& desc, idx_t j) {
    return desc.rfind("IDMap", 0) == 0 ? 1000 + 3 * j : j;
}

// Accepts every id, and holds the first search that asks inside the index until release():
// a search under way for the other thread to act beside, synchronized on events, not time.
struct HoldingSelector : IDSelector {
    mutable std::atomic<int> phase{0};  // 1: a search is held; 2: released
    bool is_member(idx_t) const override {
        int expected = 0;
        if (phase.compare_exchange_strong(expected, 1))
            while (phase.load() != 2) std::this_thread::yield();
        return true;
    }
    void wait_held() const {
        while (phase.load() != 1) std::this_thread::yield();
    }
    void release() { phase.store(2); }
};

// Every IVF list; HNSW efSearch 64.
std::unique_ptr<SearchParameters> exhaustive(const Index& idx) {
    return typed_params(idx, 0, 64);
}

}  // namespace

class LiveIndex : public ::testing::TestWithParam<LiveCase> {};

TEST_P(LiveIndex, SearchesWhileAddingSeeEveryFinishedAdd) {
    const LiveCase c = GetParam();
    const std::string desc = c.desc;
    const idx_t n0 = 400, batch = 40, nbatches = 30, n = n0 + batch * nbatches;
    auto x = clustered(size_t(n) * kD, kD, 71, 20, 4.0f);
    x.resize(size_t(n) * kD);
    std::vector<idx_t> ids(static_cast<size_t>(n));
    for (idx_t j = 0; j < n; ++j) ids[size_t(j)] = id_of(desc, j);

    auto trained = index_factory(kD, desc.c_str());
    trained->train(n, x.data());
    const std::vector<uint8_t> blob = serialize_index(trained.get());
    auto live = deserialize_index(blob.data(), blob.size());
    auto ref = deserialize_index(blob.data(), blob.size());
    if (c.reconstruct) {
        live->enable_reconstruct();
        ref->enable_reconstruct();
    }
    ASSERT_EQ(live->concurrent_add(), c.concurrent);

    // The reference: the same batches added serially; its reconstructions are what the live
    // index must hold (encoding is deterministic).
    add_per_factory(*ref, desc, n0, x.data(), ids.data());
    for (idx_t b = 0; b < nbatches; ++b) {
        const idx_t i0 = n0 + b * batch;
        add_per_factory(*ref, desc, batch, &x[size_t(i0) * kD], &ids[size_t(i0)]);
    }
    std::vector<float> recon(size_t(n) * kD);
    if (c.reconstruct)
        for (idx_t j = 0; j < n; ++j) ref->reconstruct(ids[size_t(j)], &recon[size_t(j) * kD]);
    else
        recon = x;  // approximate types: the raw vectors as queries

    add_per_factory(*live, desc, n0, x.data(), ids.data());
    std::atomic<idx_t> published{n0};  // adds that returned
    std::atomic<bool> done{false};
    const auto params = exhaustive(*live);
    const float eps = 1e-2f;  // neighbours are ~30 apart (squared L2)

    std::atomic<int> failures{0}, searches{0};
    auto fail = [&](const std::string& what) {
        if (failures.fetch_add(1) < 5) ADD_FAILURE() << desc << ": " << what;
    };
    auto reader = [&](uint32_t seed) {
        std::mt19937 rng(seed);
        const idx_t nq = 4, k = 8;
        std::vector<float> q(nq * kD), D(nq * k), r(kD);
        std::vector<idx_t> I(nq * k), js(nq);
        // At least a few searches after the last add, so both phases are covered.
        for (int after = 0; after < 3 && failures.load() == 0;) {
            if (done.load()) ++after;
            const idx_t before = published.load();
            for (idx_t i = 0; i < nq; ++i) {
                // Half the queries aim at the batch being added: its vectors show up while
                // the add is under way, where a writer's ordering error would surface.
                js[size_t(i)] = i % 2 ? idx_t(rng() % uint64_t(before))
                                      : std::min(n - 1, before + idx_t(rng() % uint64_t(batch)));
                std::memcpy(&q[size_t(i) * kD], &recon[size_t(js[size_t(i)]) * kD],
                            kD * sizeof(float));
            }
            live->search(nq, q.data(), k, D.data(), I.data(), params.get());
            searches.fetch_add(1);
            const idx_t limit = published.load() + batch;  // an add under way may show
            for (idx_t i = 0; i < nq; ++i) {
                const float* Di = &D[size_t(i * k)];
                const idx_t* Ii = &I[size_t(i * k)];
                std::set<idx_t> seen;
                bool found = false, all_tied = true;
                for (idx_t t = 0; t < k; ++t) {
                    if (t > 0 && !(Di[t] >= Di[t - 1])) fail("distances not ascending");
                    if (Ii[t] < 0) {
                        all_tied = false;
                        continue;
                    }
                    const idx_t j = desc.rfind("IDMap", 0) == 0 ? (Ii[t] - 1000) / 3 : Ii[t];
                    if (j < 0 || j >= limit || id_of(desc, j) != Ii[t])
                        fail("label " + std::to_string(Ii[t]) + " was never added");
                    if (!seen.insert(Ii[t]).second) fail("a label twice in one result");
                    if (Di[t] <= eps && Ii[t] == ids[size_t(js[size_t(i)])]) found = true;
                    if (Di[t] > eps) all_tied = false;
                }
                if (c.exact && js[size_t(i)] < before && !found && !all_tied)
                    fail("vector " + std::to_string(js[size_t(i)]) +
                         " added before the search "
                         "is missing");
            }
            if (c.reconstruct) {
                const idx_t j = idx_t(rng() % uint64_t(published.load()));
                live->reconstruct(ids[size_t(j)], r.data());
                if (std::memcmp(r.data(), &recon[size_t(j) * kD], kD * sizeof(float)) != 0)
                    fail("reconstruct(" + std::to_string(j) + ") differs from the reference");
            }
            if (c.range) {
                const idx_t j = idx_t(rng() % uint64_t(published.load()));
                RangeSearchResult res;
                live->range_search(1, &recon[size_t(j) * kD], eps, &res, params.get());
                bool hit = false;
                for (size_t t = res.lims[0]; t < res.lims[1]; ++t)
                    hit |= res.labels[t] == ids[size_t(j)];
                if (!hit) fail("range search misses vector " + std::to_string(j));
            }
        }
    };
    auto guarded_reader = [&](uint32_t seed) {
        try {
            reader(seed);
        } catch (const std::exception& e) {
            fail(std::string("search threw: ") + e.what());
        }
    };
    std::thread r1(guarded_reader, 1), r2(guarded_reader, 2);
    for (idx_t b = 0; b < nbatches; ++b) {
        const idx_t i0 = n0 + b * batch;
        add_per_factory(*live, desc, batch, &x[size_t(i0) * kD], &ids[size_t(i0)]);
        published.store(i0 + batch);
        // Both readers search between two adds (an event, not a delay): the phases overlap.
        const int s0 = searches.load();
        while (searches.load() < s0 + 2 && failures.load() == 0) std::this_thread::yield();
    }
    done.store(true);
    r1.join();
    r2.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(live->ntotal, n);
    EXPECT_GT(searches.load(), 0);
    // Nothing lost or reordered: the live index ends equal to the serial one. Exact types to
    // the bit; graph and fast-scan builds run their batch in parallel (insertion order within a
    // batch varies), so those end with the same neighbours, not the same graph.
    const idx_t nq = 50, k = 8;
    std::vector<float> D1(nq * k), D2(nq * k);
    std::vector<idx_t> I1(nq * k), I2(nq * k);
    live->search(nq, x.data(), k, D1.data(), I1.data(), params.get());
    ref->search(nq, x.data(), k, D2.data(), I2.data(), params.get());
    if (c.exact) {
        EXPECT_EQ(I1, I2);
        EXPECT_EQ(D1, D2);
    } else {
        size_t common = 0;
        for (idx_t i = 0; i < nq; ++i) {
            std::set<idx_t> a(I1.begin() + i * k, I1.begin() + (i + 1) * k);
            for (idx_t t = 0; t < k; ++t) common += a.count(I2[size_t(i * k + t)]);
        }
        EXPECT_GE(double(common), 0.95 * double(nq * k)) << desc;
    }
}

INSTANTIATE_TEST_SUITE_P(Types, LiveIndex, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<LiveCase>& info) {
                             std::string s = info.param.desc;
                             for (char& ch : s)
                                 if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return s;
                         });

// Removal and reset exclude searches: each search sees the index before or after, never a
// half-removed one (labels always below the largest count the index had).
TEST(LiveIndexExclusive, RemoveAndResetBesideSearches) {
    for (const char* desc : {"Flat", "IVF8,Flat", "IDMap2,SQ8", "HNSW16"}) {
        SCOPED_TRACE(desc);
        const idx_t n = 600;
        auto x = clustered(size_t(n) * kD, kD, 72, 20, 4.0f);
        std::vector<idx_t> ids(static_cast<size_t>(n));
        for (idx_t j = 0; j < n; ++j) ids[size_t(j)] = id_of(desc, j);
        auto idx = index_factory(kD, desc);
        idx->train(n, x.data());
        std::atomic<bool> done{false};
        std::atomic<int> bad{0}, searches{0};
        auto reader = [&] {
            std::vector<float> D(4 * 5);
            std::vector<idx_t> I(4 * 5);
            while (!done.load() || searches.load() < 2) {
                idx->search(4, x.data(), 5, D.data(), I.data());
                searches.fetch_add(1);
                for (idx_t l : I)
                    if (l != -1 && (l < 0 || l > id_of(desc, n))) bad.fetch_add(1);
            }
        };
        std::thread r1(reader), r2(reader);
        for (int round = 0; round < 8; ++round) {
            add_per_factory(*idx, desc, n, x.data(), ids.data());
            if (idx->removal_mode() != RemovalMode::Unsupported) {
                IDSelectorRange sel(id_of(desc, 0), id_of(desc, n / 2));
                idx->remove_ids(sel);
            }
            idx->reset();
        }
        done.store(true);
        r1.join();
        r2.join();
        EXPECT_EQ(bad.load(), 0);
        EXPECT_EQ(idx->ntotal, 0);
    }
}

// Deterministic: a selector holds a search inside the index while another thread writes.
TEST(LiveIndexExclusive, AddRunsBesideAHeldSearchResetWaitsForIt) {
    IndexFlatL2 idx(8);
    auto x = randn(100 * 8, 4);
    idx.add(100, x.data());
    HoldingSelector sel;
    SearchParameters p;
    p.sel = &sel;
    std::vector<float> D(5);
    std::vector<idx_t> I(5);
    std::thread searcher([&] { idx.search(1, x.data(), 5, D.data(), I.data(), &p); });
    sel.wait_held();       // the search is under way
    idx.add(1, x.data());  // returns: adds run beside searches
    EXPECT_EQ(idx.ntotal, 101);
    // The add outgrew the block the search scans: kept until the search has left.
    EXPECT_GE(idx.usage().retired_blocks(), 1u);
    std::atomic<bool> reset_done{false};
    std::thread resetter([&] {
        idx.reset();
        reset_done.store(true);
    });
    for (int i = 0; i < 1000; ++i) std::this_thread::yield();
    EXPECT_FALSE(reset_done.load());  // held back by the search (cannot pass spuriously)
    sel.release();
    searcher.join();
    resetter.join();
    EXPECT_EQ(idx.ntotal, 0);
    EXPECT_EQ(idx.usage().retired_blocks(), 0u);  // released by the reset (no reader left)
    // The search saw the index as it was: its own query first, at distance 0.
    EXPECT_EQ(I[0], 0);
    EXPECT_EQ(D[0], 0.0f);
    for (idx_t l : I) EXPECT_TRUE(l >= 0 && l < 101) << l;
}

// A callback that changes the index it is called from would wait for itself: refused with an
// error, on the calling thread and on the parallel workers alike.
TEST(LiveIndexExclusive, MutationFromInsideACallIsRefused) {
    for (bool exclusive : {false, true}) {
        IndexFlatL2 idx(8);
        auto x = randn(200 * 8, 5);
        idx.add(200, x.data());
        struct MutatingSel : IDSelector {
            IndexFlatL2* idx;
            const float* x;
            bool exclusive;
            bool is_member(idx_t) const override {
                if (exclusive)
                    idx->reset();
                else
                    idx->add(1, x);
                return true;
            }
        } sel;
        sel.idx = &idx;
        sel.x = x.data();
        sel.exclusive = exclusive;
        SearchParameters p;
        p.sel = &sel;
        const idx_t nq = 64;  // enough queries for every OpenMP thread to take some
        std::vector<float> D(nq * 3);
        std::vector<idx_t> I(nq * 3);
        try {
            idx.search(nq, x.data(), 3, D.data(), I.data(), &p);
            ADD_FAILURE() << "no error";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("from inside a call"), std::string::npos)
                << e.what();
        }
        EXPECT_EQ(idx.ntotal, 200);
        EXPECT_NO_THROW(idx.add(1, x.data()));  // nothing left held
    }
}

// ---------------------------------------------------------------- removal and upsert

namespace {

// The vector of version v of id j (deterministic, so readers recompute what was committed).
std::vector<float> version_vector(idx_t j, int v) {
    return randn(kD, uint32_t(7919 * j + 104729 * v + 17));
}

struct UpsertCase {
    const char* desc;
    bool exact;  // distances are exact (check them against the committed versions)
};

const UpsertCase kUpsertCases[] = {
    {"IDMap2,Flat", true}, {"IDMap2,SQ8", false},    {"IDMap2,IVF8,Flat", true},
    {"IDMap2,PQ4", false}, {"IDMap2,HNSW16", false}, {"IDMap2,IVF8,PQ4", false},
};

}  // namespace

class LiveUpsert : public ::testing::TestWithParam<UpsertCase> {};

// One writer upserts (replacing present ids, adding absent ones) and removes, with frequent
// compaction; readers search one id at a time through a selector and check the model: an id
// is found exactly once (never its old and new vector together, never neither) when every
// state committed while the search ran holds it, at most once otherwise, with the distance
// of a version committed in that window; unfiltered searches never return an id twice nor
// one absent from every state of their window (from the last write returned before the
// search to the one under way after it). States are recorded before the write that makes
// them starts, so readers never wait on time.
TEST_P(LiveUpsert, SearchesSeeEachIdOnceAcrossUpsertsAndRemovals) {
    const UpsertCase c = GetParam();
    const int N = 200, kRounds = 120;
    auto idx = index_factory(kD, c.desc);
    auto* im = dynamic_cast<IndexIDMap*>(idx.get());
    ASSERT_NE(im, nullptr);
    im->set_max_dead_fraction(0.2f);
    {
        auto xt = randn(size_t(2000) * kD, 5);
        idx->train(2000, xt.data());
    }
    // states[g][j]: version of id j after g commits (-1: absent). Filled before publishing g.
    std::vector<std::vector<int>> states(size_t(kRounds) + 1, std::vector<int>(N, -1));
    std::vector<int> cur(N, 0);
    {
        std::vector<float> x;
        std::vector<idx_t> ids;
        for (int j = 0; j < N; ++j) {
            auto v = version_vector(j, 0);
            x.insert(x.end(), v.begin(), v.end());
            ids.push_back(j);
        }
        idx->add_with_ids(N, x.data(), ids.data());
    }
    states[0] = cur;
    // gen: writes returned; prepared: the state of the write under way is recorded.
    std::atomic<int> gen{0}, prepared{0};
    std::atomic<bool> done{false};
    std::atomic<int> failures{0}, checks{0};
    const auto params = exhaustive(*idx);

    auto reader = [&](int seed) {
        omp_set_num_threads(1);
        std::mt19937 rng{uint32_t(seed)};
        std::vector<float> D(10);
        std::vector<idx_t> I(10);
        while (!done.load() || checks.load() < 20) {
            const idx_t j = idx_t(rng() % N);
            auto q = randn(kD, rng());
            IDSelectorArray one(1, &j);
            auto p = params->clone();
            p->sel = &one;
            const int g0 = gen.load(std::memory_order_acquire);
            idx->search(1, q.data(), 2, D.data(), I.data(), p.get());
            const int g1 = prepared.load(std::memory_order_acquire);
            bool always = true, ever = false;
            std::vector<int> versions;
            for (int g = g0; g <= g1; ++g) {
                const int v = states[size_t(g)][size_t(j)];
                always &= v >= 0;
                ever |= v >= 0;
                if (v >= 0) versions.push_back(v);
            }
            const int found = int(I[0] == j) + int(I[1] == j);
            bool ok = found <= 1 && (found == 1 || !always) && (found == 0 || ever);
            ok &= (I[0] == j || I[0] == -1) && I[1] == -1;
            if (ok && found == 1 && c.exact) {
                bool match = false;
                for (int v : versions) {
                    const auto y = version_vector(j, v);
                    double dist = 0;
                    for (int t = 0; t < kD; ++t) dist += double(q[t] - y[t]) * double(q[t] - y[t]);
                    match |= std::abs(dist - double(D[0])) <= 1e-3 * std::max(1.0, dist);
                }
                ok = match;
            }
            if (!ok) {
                if (failures.fetch_add(1) < 5)
                    ADD_FAILURE() << c.desc << ": id " << j << " found " << found << " times ("
                                  << I[0] << ", " << I[1] << ") in window [" << g0 << ", " << g1
                                  << "] always=" << always << " ever=" << ever;
            }
            // Unfiltered: no id twice, none absent from every state of the window.
            const int h0 = gen.load(std::memory_order_acquire);
            idx->search(1, q.data(), 10, D.data(), I.data(), params.get());
            const int h1 = prepared.load(std::memory_order_acquire);
            std::set<idx_t> seen;
            for (idx_t l : I) {
                if (l == -1) continue;
                bool present = false;
                for (int g = h0; g <= h1 && l >= 0 && l < N; ++g)
                    present |= states[size_t(g)][size_t(l)] >= 0;
                if (!present || !seen.insert(l).second) {
                    if (failures.fetch_add(1) < 5)
                        ADD_FAILURE() << c.desc << ": unfiltered search returned " << l
                                      << (present ? " twice" : " absent from every state");
                }
            }
            checks.fetch_add(1);
        }
    };
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t) readers.emplace_back(reader, 100 + t);

    std::mt19937 wrng(99);
    auto stop_readers = [&] {
        done.store(true);
        for (auto& t : readers) t.join();
    };
    try {
        for (int g = 1; g <= kRounds; ++g) {
            // The state this write leads to, recorded (prepared) before it starts: a search
            // running beside it may see it.
            std::vector<idx_t> ids;
            std::vector<float> x;
            const bool removal = g % 3 == 0;
            if (removal) {  // up to 12 present ids
                for (int t = 0; t < 12; ++t) {
                    const idx_t j = idx_t(wrng() % N);
                    if (cur[size_t(j)] >= 0) ids.push_back(j);
                }
                for (idx_t j : ids) cur[size_t(j)] = -1;
            } else {  // upsert 15 distinct ids, present or not
                std::set<idx_t> pick;
                while (pick.size() < 15) pick.insert(idx_t(wrng() % N));
                ids.assign(pick.begin(), pick.end());
                for (idx_t j : ids) {
                    auto y = version_vector(j, g);  // versions: the round number, unique per id
                    x.insert(x.end(), y.begin(), y.end());
                    cur[size_t(j)] = g;
                }
            }
            states[size_t(g)] = cur;
            prepared.store(g, std::memory_order_release);
            if (removal) {
                IDSelectorArray sel(ids.size(), ids.data());
                idx->remove_ids(sel);
            } else {
                idx->add_with_ids(idx_t(ids.size()), x.data(), ids.data(), /*replace=*/true);
            }
            gen.store(g, std::memory_order_release);
        }
    } catch (...) {
        stop_readers();
        throw;
    }
    stop_readers();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_GT(checks.load(), 0);

    // Final state: ntotal, reconstruct (exact types), and a round trip keep the model.
    const int present = int(std::count_if(cur.begin(), cur.end(), [](int v) { return v >= 0; }));
    EXPECT_EQ(idx->ntotal, present);
    auto check_final = [&](const Index& ix) {
        for (int j = 0; j < N; ++j) {
            std::vector<float> q = version_vector(j, std::max(cur[size_t(j)], 0));
            const idx_t jj = j;
            IDSelectorArray one(1, &jj);
            auto p = params->clone();
            p->sel = &one;
            std::vector<float> D(2);
            std::vector<idx_t> I(2);
            ix.search(1, q.data(), 2, D.data(), I.data(), p.get());
            EXPECT_EQ(I[0], cur[size_t(j)] >= 0 ? j : -1) << j;
            EXPECT_EQ(I[1], -1) << j;
        }
    };
    check_final(*idx);
    auto bytes = serialize_index(idx.get());
    auto back = deserialize_index(bytes.data(), bytes.size());
    EXPECT_EQ(back->ntotal, present);
    check_final(*back);
    const size_t dead = im->num_dead();
    EXPECT_EQ(idx->compact(), dead);
    EXPECT_EQ(im->num_dead(), 0u);
    EXPECT_EQ(idx->ntotal, present);
    check_final(*idx);
}

INSTANTIATE_TEST_SUITE_P(Types, LiveUpsert, ::testing::ValuesIn(kUpsertCases),
                         [](const ::testing::TestParamInfo<UpsertCase>& info) {
                             std::string s = info.param.desc;
                             for (char& ch : s)
                                 if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return s;
                         });

// The bad input of upserts: duplicates without replace, replace where ids are not unique.
TEST(LiveUpsertErrors, DuplicatesAndReplaceWhereUnsupported) {
    auto x = randn(size_t(20) * kD, 3);
    std::vector<idx_t> ids(20);
    for (int j = 0; j < 20; ++j) ids[size_t(j)] = 100 + j;
    IndexIDMap2 two(std::make_unique<IndexFlatL2>(kD));
    two.add_with_ids(10, x.data(), ids.data());
    // An id already present, without replace: nothing added.
    std::vector<idx_t> clash = {130, 105};
    EXPECT_THROW(two.add_with_ids(2, x.data(), clash.data()), Error);
    EXPECT_EQ(two.ntotal, 10);
    EXPECT_EQ(two.index->ntotal, 10);
    // Twice in one batch: refused with and without replace.
    std::vector<idx_t> twice = {140, 140};
    EXPECT_THROW(two.add_with_ids(2, x.data(), twice.data()), Error);
    EXPECT_THROW(two.add_with_ids(2, x.data(), twice.data(), true), Error);
    EXPECT_EQ(two.index->ntotal, 10);
    // replace=true where ids are not unique or not kept: a clear error, nothing added.
    IndexIDMap one(std::make_unique<IndexFlatL2>(kD));
    EXPECT_THROW(one.add_with_ids(2, x.data(), clash.data(), true), Error);
    IndexFlatL2 flat(kD);
    EXPECT_THROW(flat.add_with_ids(2, x.data(), clash.data(), true), Error);
    EXPECT_EQ(one.ntotal + flat.ntotal, 0);
    // The upsert replaces: reconstruct gives the new vector, ntotal unchanged.
    std::vector<idx_t> again = {105};
    two.add_with_ids(1, x.data() + 15 * kD, again.data(), true);
    EXPECT_EQ(two.ntotal, 10);
    EXPECT_EQ(two.num_dead(), 1u);
    std::vector<float> r(kD);
    two.reconstruct(105, r.data());
    EXPECT_TRUE(std::equal(r.begin(), r.end(), x.begin() + 15 * kD));
    EXPECT_THROW(two.set_max_dead_fraction(-1.0f), InvalidArgument);
    // FAISS's format cannot hold tombstones: a clear error naming compact().
    EXPECT_THROW(
        {
            try {
                VectorIOWriter w;
                write_index_faiss(&two, &w);
            } catch (const Error& e) {
                EXPECT_NE(std::string(e.what()).find("compact()"), std::string::npos);
                throw;
            }
        },
        Error);
    EXPECT_EQ(two.compact(), 1u);
}

// Deterministic: removal and upsert return while a search is held inside the index, and that
// search (its snapshot taken before) still sees the entries as they were; a search started
// after sees the removal and the new vector, each id once.
TEST(LiveUpsertErrors, RemoveAndUpsertRunBesideAHeldSearch) {
    IndexIDMap2 idx(std::make_unique<IndexFlatL2>(8));
    idx.set_max_dead_fraction(1.0f);  // no compaction: it would wait for the search
    auto x = randn(100 * 8, 4);
    std::vector<idx_t> ids(100);
    for (int j = 0; j < 100; ++j) ids[size_t(j)] = 500 + j;
    idx.add_with_ids(100, x.data(), ids.data());
    // The first tombstone waits for the searches under way (they check no visibility); the
    // next ones do not wait.
    const idx_t last = 599;
    IDSelectorArray rm_last(1, &last);
    EXPECT_EQ(idx.remove_ids(rm_last), 1u);
    HoldingSelector sel;
    SearchParameters p;
    p.sel = &sel;
    std::vector<float> D(3);
    std::vector<idx_t> I(3);
    // Query: vector 0 (id 500). Removed and id 501 replaced by a copy of vector 0 beside it.
    std::thread searcher([&] { idx.search(1, x.data(), 3, D.data(), I.data(), &p); });
    sel.wait_held();  // the search is under way
    const idx_t first = 500, second = 501;
    IDSelectorArray rm(1, &first);
    EXPECT_EQ(idx.remove_ids(rm), 1u);
    idx.add_with_ids(1, x.data(), &second, /*replace=*/true);
    EXPECT_EQ(idx.ntotal, 98);
    sel.release();
    searcher.join();
    EXPECT_EQ(I[0], 500);  // the held search: before both writes
    EXPECT_EQ(D[0], 0.0f);
    idx.search(1, x.data(), 3, D.data(), I.data());
    EXPECT_EQ(I[0], 501);  // after: 500 gone, 501 holds vector 0, found once
    EXPECT_EQ(D[0], 0.0f);
    EXPECT_NE(I[1], 501);
    EXPECT_NE(I[1], 500);
    EXPECT_EQ(idx.num_dead(), 3u);
}

// Searches while tombstones are pending ask Flat / IVF for more results and drop the hidden
// ones (their fast paths kept); a query whose neighbourhood was removed runs short and is
// searched again with the visibility selector. Both against brute force over what is left,
// and against the same index after compact().
TEST(LiveUpsertErrors, PendingTombstonesKeepExactResults) {
    for (const char* desc : {"IDMap2,Flat", "IDMap2,IVF8,Flat"}) {
        SCOPED_TRACE(desc);
        const int n = 2000, nq = 21, k = 10;
        auto x = randn(size_t(n) * kD, 21);
        auto q = randn(size_t(nq) * kD, 22);
        auto idx = index_factory(kD, desc);
        auto* im = dynamic_cast<IndexIDMap*>(idx.get());
        im->set_max_dead_fraction(1.0f);
        idx->train(n, x.data());
        std::vector<idx_t> ids(n);
        for (int j = 0; j < n; ++j) ids[size_t(j)] = 10 * j + 3;
        idx->add_with_ids(n, x.data(), ids.data());
        auto dist = [&](int qi, int j) {
            double s = 0;
            for (int t = 0; t < kD; ++t) {
                const double u = double(q[size_t(qi * kD + t)]) - double(x[size_t(j * kD + t)]);
                s += u * u;
            }
            return s;
        };
        // Query 0's 60 nearest go (more than the extra results asked for), plus a few others.
        std::vector<int> order(n);
        for (int j = 0; j < n; ++j) order[size_t(j)] = j;
        std::sort(order.begin(), order.end(),
                  [&](int a, int b) { return dist(0, a) < dist(0, b); });
        std::vector<idx_t> gone;
        std::vector<bool> dead(n, false);
        for (int t = 0; t < 60; ++t) dead[size_t(order[size_t(t)])] = true;
        for (int j = 7; j < n; j += 97) dead[size_t(j)] = true;
        for (int j = 0; j < n; ++j)
            if (dead[size_t(j)]) gone.push_back(ids[size_t(j)]);
        IDSelectorArray sel(gone.size(), gone.data());
        EXPECT_EQ(idx->remove_ids(sel), gone.size());
        const auto params = exhaustive(*idx);
        std::vector<float> D(nq * k);
        std::vector<idx_t> I(nq * k);
        idx->search(nq, q.data(), k, D.data(), I.data(), params.get());
        for (int qi = 0; qi < nq; ++qi) {
            std::vector<std::pair<double, int>> ref;
            for (int j = 0; j < n; ++j)
                if (!dead[size_t(j)]) ref.push_back({dist(qi, j), j});
            std::partial_sort(ref.begin(), ref.begin() + k, ref.end());
            for (int t = 0; t < k; ++t) {
                EXPECT_EQ(I[size_t(qi * k + t)], ids[size_t(ref[size_t(t)].second)]) << qi;
                EXPECT_NEAR(D[size_t(qi * k + t)], ref[size_t(t)].first, 1e-3) << qi;
            }
        }
        // Range search drops the hidden entries too.
        RangeSearchResult res;
        const float radius = float(0.5 * (dist(0, order[100]) + dist(0, order[101])));
        idx->range_search(1, q.data(), radius, &res, params.get());
        size_t expect = 0;
        for (int j = 0; j < n; ++j) expect += !dead[size_t(j)] && dist(0, j) < radius;
        EXPECT_EQ(res.lims[1], expect);
        for (idx_t l : res.labels) EXPECT_FALSE(dead[size_t((l - 3) / 10)]) << l;
        // The same after compaction.
        std::vector<float> D2(nq * k);
        std::vector<idx_t> I2(nq * k);
        idx->compact();
        EXPECT_EQ(im->num_dead(), 0u);
        idx->search(nq, q.data(), k, D2.data(), I2.data(), params.get());
        EXPECT_EQ(I, I2);
    }
}

// HNSW marks removed nodes with flags beside searches: remove_ids returns while a search is
// held inside the index, and a search started after it never returns the removed ids.
TEST(LiveUpsertErrors, HNSWRemovalRunsBesideAHeldSearch) {
    IndexHNSWFlat idx(8, 16);
    auto x = randn(300 * 8, 6);
    idx.add(300, x.data());
    ASSERT_TRUE(idx.concurrent_remove());
    HoldingSelector sel;
    SearchParametersHNSW p;
    p.efSearch = 64;
    p.sel = &sel;
    std::vector<float> D(5);
    std::vector<idx_t> I(5);
    std::thread searcher([&] { idx.search(1, x.data(), 5, D.data(), I.data(), &p); });
    sel.wait_held();  // the search is under way
    IDSelectorRange first(0, 150);
    EXPECT_EQ(idx.remove_ids(first), 150u);  // returns: marking runs beside searches
    idx.add(10, x.data() + 290 * 8);         // and so do adds with nodes marked
    sel.release();
    searcher.join();
    EXPECT_EQ(idx.ndeleted, 150);
    SearchParametersHNSW q;
    q.efSearch = 64;
    std::vector<float> D2(20 * 10);
    std::vector<idx_t> I2(20 * 10);
    idx.search(20, x.data(), 10, D2.data(), I2.data(), &q);
    for (idx_t l : I2) EXPECT_TRUE(l == -1 || l >= 150) << l;
    EXPECT_EQ(idx.compact(), 150u);
    EXPECT_EQ(idx.ntotal, 160);
}
