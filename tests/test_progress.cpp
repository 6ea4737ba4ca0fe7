// Progress reports and interrupts (faisslike/Progress.h): an interrupt thrown from inside the
// parallel driver stops the operation with Interrupted and leaves the index consistent.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "faisslike/IndexFlat.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexIVFFlat.h"
#include "faisslike/Progress.h"
#include "test_util.h"

using namespace faisslike;
using faisslike_test::randn;

namespace {

// Wants to interrupt from its n-th question on; counts the questions.
struct CountingInterrupt : InterruptCallback {
    std::atomic<int> asked{0};
    int from;
    explicit CountingInterrupt(int from_n) : from(from_n) {}
    bool want_interrupt() override { return ++asked >= from; }
};

struct Installed {
    std::shared_ptr<CountingInterrupt> cb;
    explicit Installed(int from) : cb(std::make_shared<CountingInterrupt>(from)) {
        InterruptCallback::set_instance(cb);
    }
    ~Installed() { InterruptCallback::clear_instance(); }
};

struct Reports {
    std::vector<ProgressInfo> seen;
    std::vector<std::string> what;
    Reports() {
        set_progress_callback([this](const ProgressInfo& i) {
            seen.push_back(i);
            what.push_back(i.what);
        });
    }
    ~Reports() { set_progress_callback(nullptr); }
};

}  // namespace

TEST(Interrupt, SearchStopsAndTheIndexStaysUsable) {
    const int d = 32, n = 20000, nq = 4000;
    auto xb = randn(size_t(n) * d, 1), xq = randn(size_t(nq) * d, 2);
    IndexFlatL2 idx(d);
    idx.add(n, xb.data());
    std::vector<float> D(size_t(nq) * 10);
    std::vector<idx_t> I(size_t(nq) * 10);
    {
        Installed in(1);  // the first poll of the driver interrupts
        EXPECT_THROW(idx.search(nq, xq.data(), 10, D.data(), I.data()), Interrupted);
        EXPECT_GE(in.cb->asked.load(), 1);
    }
    idx.search(nq, xq.data(), 10, D.data(), I.data());  // no callback: runs to the end
    for (idx_t l : I) ASSERT_TRUE(l >= 0 && l < n);
}

TEST(Interrupt, AddKeepsTheBlocksDone) {
    const int d = 16;
    const idx_t n = 5 * 16384;
    auto x = randn(size_t(n) * d, 3);
    for (bool wrapped : {false, true}) {
        SCOPED_TRACE(wrapped ? "IDMap2 over HNSW8" : "HNSW8");
        IndexHNSWFlat hnsw(d, 8);
        // The blocks are the point, not the graph: the default effort (40) made the two adds
        // of 5 x 16384 vectors 33 s of this suite under ASan.
        hnsw.hnsw.set_efConstruction(10);
        hnsw.hnsw.set_efSearch(128);  // so the stored vectors' lookup below is not a recall test
        IndexIDMap2 map(&hnsw);
        Index* idx = wrapped ? static_cast<Index*>(&map) : &hnsw;
        std::vector<idx_t> ids(static_cast<size_t>(n));
        for (idx_t i = 0; i < n; ++i) ids[size_t(i)] = 3 * i + 1;
        {
            Installed in(3);  // the third interrupt point, between blocks 3 and 4
            if (idx->accepts_ids())
                EXPECT_THROW(idx->add_with_ids(n, x.data(), ids.data()), Interrupted);
            else
                EXPECT_THROW(idx->add(n, x.data()), Interrupted);
            // Only interrupt points between blocks asked: nothing inside a block.
            EXPECT_EQ(in.cb->asked.load(), 3);
        }
        ASSERT_EQ(idx->ntotal, 3 * 16384);
        // The stored vectors are the input's first rows, each findable, and adding resumes.
        std::vector<float> D(50);
        std::vector<idx_t> I(50);
        idx->search(50, x.data() + size_t(idx->ntotal - 50) * d, 1, D.data(), I.data());
        int hits = 0;
        for (int i = 0; i < 50; ++i) {
            const idx_t want = idx->ntotal - 50 + i;
            hits += I[size_t(i)] == (idx->accepts_ids() ? 3 * want + 1 : want);
        }
        EXPECT_GE(hits, 48);
        const idx_t done = idx->ntotal;
        if (idx->accepts_ids())
            idx->add_with_ids(n - done, x.data() + size_t(done) * d, ids.data() + done);
        else
            idx->add(n - done, x.data() + size_t(done) * d);
        EXPECT_EQ(idx->ntotal, n);
    }
}

TEST(Interrupt, TrainLeavesTheIndexUntrained) {
    const int d = 16;
    auto x = randn(size_t(20000) * d, 4);
    IndexFlatL2 q(d);
    IndexIVFFlat ivf(&q, d, 64);
    ivf.cp.niter = 50;
    {
        Installed in(5);
        EXPECT_THROW(ivf.train(20000, x.data()), Interrupted);
    }
    EXPECT_FALSE(ivf.is_trained);
    ivf.train(20000, x.data());
    EXPECT_TRUE(ivf.is_trained);
    ivf.add(1000, x.data());
    EXPECT_EQ(ivf.ntotal, 1000);
}

TEST(Progress, VerboseAddReportsBlocksAndTheEnd) {
    const int d = 8;
    const idx_t n = 3 * 16384 + 100;
    auto x = randn(size_t(n) * d, 5);
    IndexHNSWFlat idx(d, 8);
    idx.hnsw.set_efConstruction(10);  // the reports are the point, not the graph
    Reports r;
    idx.add(n, x.data());  // not verbose: nothing
    EXPECT_TRUE(r.seen.empty());
    idx.reset();
    idx.verbose = true;
    idx.add(n, x.data());
    ASSERT_FALSE(r.seen.empty());
    const ProgressInfo& last = r.seen.back();
    EXPECT_TRUE(last.finished);
    EXPECT_EQ(std::string(last.what), "add");
    EXPECT_EQ(last.done, n);
    EXPECT_EQ(last.total, n);
    // Reports come between blocks, after a period of time: at a multiple of 16384 or, when the
    // last block took long enough (a TSan run), at its end, just before the finished one.
    for (size_t i = 0; i + 1 < r.seen.size(); ++i) {
        EXPECT_FALSE(r.seen[i].finished);
        EXPECT_TRUE(r.seen[i].done % 16384 == 0 || r.seen[i].done == n) << r.seen[i].done;
    }
}
