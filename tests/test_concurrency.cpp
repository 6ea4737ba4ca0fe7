// Many threads searching one index of every type at once, each with its own per-call
// parameters: results must equal the single-threaded ones. Run under TSan by
// scripts/sanitize.sh (std::threads, one OpenMP thread each: libgomp is not instrumented).
#include <omp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "faisslike/IDSelector.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexIVF.h"
#include "faisslike/IndexShards.h"
#include "faisslike/impl/Parallel.h"
#include "faisslike/index_factory.h"
#include "test_util.h"

using namespace faisslike;
using namespace faisslike_test;

namespace {

// Parameters for call variant v (0..3) of an index: different nprobe / efSearch, half with
// a selector.
std::unique_ptr<SearchParameters> params_for(const Index& idx, int v, const IDSelector* sel) {
    auto p = typed_params(idx, size_t(1 + 3 * v), 16 + 16 * v);
    if (v % 2) p->sel = sel;
    return p;
}

}  // namespace

// A member that fails at once must not strand the others at a worksharing barrier: every
// member runs the body (regression: members that started after a failure skipped it and the
// rest waited at the loop's barrier forever, seen as a hung IVF-SQ add).
TEST(Concurrency, FailingMemberNeverStrandsTheTeamAtABarrier) {
    if (omp_get_max_threads() < 2) GTEST_SKIP() << "needs 2 OpenMP threads";
    for (int rep = 0; rep < 2000; ++rep) {
        std::atomic<int> entered{0};
        try {
            parallel_region(2, [&](Team& t) {
                entered.fetch_add(1);
                t.for_range(1000, [](int64_t i) {
                    if (i == 0) throw Error("early failure");
                });
                t.barrier();
            });
            FAIL() << "no error";
        } catch (const Error& e) {
            ASSERT_NE(std::string(e.what()).find("early failure"), std::string::npos);
        }
        ASSERT_EQ(entered.load(), 2) << "rep " << rep;
    }
}

TEST(Concurrency, ParallelSearchesWithOwnParametersMatchSerialOnes) {
    const size_t d = 16, nb = 3000, nq = 12, k = 5;
    auto xb = clustered(nb, d, 1, 20, 3.0f), xq = clustered(nq, d, 2, 20, 3.0f);
    IDSelectorRange sel(0, idx_t(nb / 2));
    std::vector<idx_t> ids(nb);
    for (size_t i = 0; i < nb; ++i) ids[i] = idx_t(i);
    const int saved = omp_get_max_threads();
    for (const char* desc :
         {"Flat", "IVF16,Flat", "IVF16,PQ8", "IVF16,SQ8", "PQ8", "SQ8", "SQfp16", "HNSW16",
          "IDMap2,Flat", "PQ8,RFlat", "L2norm,Flat", "Shards(Flat,HNSW16)"}) {
        SCOPED_TRACE(desc);
        std::unique_ptr<Index> idx;
        if (std::string(desc).rfind("Shards", 0) == 0) {
            auto sh = std::make_unique<IndexShards>(idx_t(d));
            sh->add_shard(index_factory(int(d), "Flat").release(), true);
            sh->add_shard(index_factory(int(d), "HNSW16").release(), true);
            idx = std::move(sh);
        } else {
            idx = index_factory(int(d), desc);
        }
        if (!idx->is_trained) idx->train(idx_t(nb), xb.data());
        if (dynamic_cast<IndexIDMap*>(idx.get())) {
            idx->add_with_ids(idx_t(nb), xb.data(), ids.data());
        } else {
            idx->add(idx_t(nb), xb.data());
        }
        omp_set_num_threads(1);
        // Reference results, one call at a time.
        std::vector<std::vector<float>> refD(4, std::vector<float>(nq * k));
        std::vector<std::vector<idx_t>> refI(4, std::vector<idx_t>(nq * k));
        for (int v = 0; v < 4; ++v) {
            auto p = params_for(*idx, v, &sel);
            idx->search(idx_t(nq), xq.data(), idx_t(k), refD[size_t(v)].data(),
                        refI[size_t(v)].data(), p.get());
        }
        std::vector<int> mismatches(8, 0);
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                omp_set_num_threads(1);
                std::vector<float> D(nq * k);
                std::vector<idx_t> I(nq * k);
                for (int rep = 0; rep < 10; ++rep) {
                    const int v = (t + rep) % 4;
                    auto p = params_for(*idx, v, &sel);
                    idx->search(idx_t(nq), xq.data(), idx_t(k), D.data(), I.data(), p.get());
                    if (D != refD[size_t(v)] || I != refI[size_t(v)]) mismatches[size_t(t)]++;
                }
            });
        }
        for (auto& th : threads) th.join();
        omp_set_num_threads(saved);
        for (int t = 0; t < 8; ++t) EXPECT_EQ(mismatches[size_t(t)], 0) << "thread " << t;
    }
}
