// Every wrapper over every base, and wrappers over wrappers, through add / add_with_ids /
// remove_ids / reconstruct / search with and without selectors / range_search / write+read /
// memory-mapped read, against a model of the same semantics (which user ids are live, and
// their vectors) with brute-force answers in double precision. Plus the regression tests of
// the composition defects found from outside (issue "One contract that composes").
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexIVF.h"
#include "faisslike/IndexIVFFlat.h"
#include "faisslike/IndexIVFPQ.h"
#include "faisslike/IndexPQ.h"
#include "faisslike/IndexPreTransform.h"
#include "faisslike/IndexRefine.h"
#include "faisslike/IndexScalarQuantizer.h"
#include "faisslike/IndexShards.h"
#include "faisslike/index_factory.h"
#include "faisslike/index_io.h"
#include "test_util.h"

using namespace faisslike;
using namespace faisslike_test;

namespace {

constexpr size_t kD = 16, kN = 600;

// Settings that make every approximate base find a stored vector's own id: all lists probed,
// a wide beam.
void make_exhaustive(Index* idx) {
    // Walk the wrapper chain through the public members (tests may know the types).
    for (Index* cur = idx; cur;) {
        if (auto ivf = dynamic_cast<IndexIVF*>(cur)) ivf->nprobe = ivf->nlist;
        if (auto hn = dynamic_cast<IndexHNSWFlat*>(cur)) hn->hnsw.efSearch = 256;
        if (auto im = dynamic_cast<IndexIDMap*>(cur)) {
            cur = im->index.get();
        } else if (auto pt = dynamic_cast<IndexPreTransform*>(cur)) {
            cur = pt->index.get();
        } else if (auto rf = dynamic_cast<IndexRefineFlat*>(cur)) {
            rf->k_factor = 4;
            cur = rf->base_index.get();
        } else if (auto sh = dynamic_cast<IndexShards*>(cur)) {
            for (auto& s : sh->shards) make_exhaustive(s.get());
            cur = nullptr;
        } else {
            cur = nullptr;
        }
    }
}

struct Case {
    std::string desc;  // factory string, or "Shards(IDMap2,<core>)"
    bool with_ids;     // add_with_ids (user ids) vs add (positions)
    bool exact_codes;  // vectors stored exactly (self query finds itself, reconstruct exact)
    bool normalized;   // L2norm in front: vectors are compared normalized
    bool removable;
    bool range;
};

std::vector<Case> cases() {
    std::vector<Case> out;
    const std::vector<std::pair<std::string, bool>> bases = {
        {"Flat", true},      {"IVF4,Flat", true}, {"IVF4,PQ4", false},
        {"IVF4,SQ8", false}, {"PQ4", false},      {"SQ8", false},
        {"HNSW8", false},    {"HNSW8,QG", false},  // stored exactly, but a
                                                   // parallel-built graph misses ~1%
                                                   // of self queries
    };
    for (const auto& [b, exact] : bases) {
        const bool ivf = b.rfind("IVF", 0) == 0, hnsw = b.rfind("HNSW", 0) == 0;
        const bool range = b == "Flat" || ivf || hnsw;
        out.push_back({b, false, exact, false, true, range});
        out.push_back({"IDMap," + b, true, exact, false, true, range});
        out.push_back({"IDMap2," + b, true, exact, false, true, range});
        out.push_back({"L2norm," + b, false, exact, true, true, range});
        out.push_back({"IDMap2,L2norm," + b, true, exact, true, true, range});
        // A random rotation keeps L2 distances: the model is the unrotated vectors, and
        // reconstruct goes back through the rotation.
        out.push_back({"RR16," + b, false, exact, false, true, range});
        out.push_back({"IDMap2,RR16," + b, true, exact, false, true, range});
        // Refine re-ranks base candidates exactly; it removes where the base renumbers or
        // marks (not over IVF, which keeps ids: wrap IDMap around it instead).
        out.push_back({b + ",RFlat", false, exact, false, !ivf, false});
        out.push_back({"IDMap2," + b + ",RFlat", true, exact, false, !ivf, false});
        out.push_back({"Shards(IDMap2," + b + ")", true, exact, false, true, range});
    }
    return out;
}

std::unique_ptr<Index> build(const Case& c) {
    if (c.desc.rfind("Shards(", 0) == 0) {
        const std::string inner = c.desc.substr(7, c.desc.size() - 8);
        auto sh = std::make_unique<IndexShards>(idx_t(kD), false);
        for (int s = 0; s < 3; ++s)
            sh->add_shard(index_factory(int(kD), inner.c_str()).release(), true);
        return sh;
    }
    return index_factory(int(kD), c.desc.c_str());
}

// The model: live user id -> the vector as the index compares it (normalized after L2norm).
struct Model {
    std::map<idx_t, std::vector<float>> live;
    bool normalized;
    // Labels are positions and removal renumbered them: the survivors 0, 1, ... in order.
    void renumber() {
        std::map<idx_t, std::vector<float>> moved;
        idx_t pos = 0;
        for (auto& kv : live) moved[pos++] = std::move(kv.second);
        live.swap(moved);
    }
    std::vector<float> as_stored(const float* v) const {
        std::vector<float> o(v, v + kD);
        if (normalized) {
            double s = 0;
            for (float f : o) s += double(f) * f;
            if (s > 0)
                for (float& f : o) f = float(f / std::sqrt(s));
        }
        return o;
    }
};

// Checks every public path of idx against the model.
void check_against_model(const Index& idx, const Model& m, const Case& c, const float* xq,
                         size_t nq) {
    const size_t k = 5;
    std::vector<float> D(nq * k);
    std::vector<idx_t> I(nq * k);
    idx.search(idx_t(nq), xq, idx_t(k), D.data(), I.data());
    for (size_t i = 0; i < nq * k; ++i)
        if (I[i] >= 0) ASSERT_TRUE(m.live.count(I[i])) << "returned removed/unknown id " << I[i];
    // Self queries: a stored vector finds its own id first (exactly stored vectors).
    if (c.exact_codes) {
        int checked = 0;
        for (const auto& [id, v] : m.live) {
            if (checked++ % 7) continue;
            float d1;
            idx_t l1;
            idx.search(1, v.data(), 1, &d1, &l1);
            ASSERT_EQ(l1, id) << "self query";
        }
    }
    // A selector on the labels this index returns.
    std::vector<idx_t> live_ids;
    for (const auto& kv : m.live) live_ids.push_back(kv.first);
    if (!live_ids.empty()) {
        const idx_t lo = live_ids[live_ids.size() / 4], hi = live_ids[live_ids.size() / 2];
        IDSelectorRange sel(lo, hi);
        SearchParameters p;
        p.sel = &sel;
        idx.search(idx_t(nq), xq, idx_t(k), D.data(), I.data(), &p);
        for (size_t i = 0; i < nq * k; ++i)
            if (I[i] >= 0) {
                ASSERT_TRUE(I[i] >= lo && I[i] < hi) << "selector ignored: " << I[i];
                ASSERT_TRUE(m.live.count(I[i]));
            }
        // An exact base finds the best allowed id of brute force.
        if (c.exact_codes) {
            for (size_t i = 0; i < nq; ++i) {
                const auto q = m.as_stored(xq + i * kD);
                double best = 1e300;
                for (const auto& [id, v] : m.live)
                    if (id >= lo && id < hi) best = std::min(best, ref_L2(q.data(), v.data(), kD));
                const auto it = m.live.find(I[i * k]);
                ASSERT_NE(it, m.live.end());
                EXPECT_NEAR(ref_L2(q.data(), it->second.data(), kD), best, 1e-3 * (1 + best));
            }
        }
    }
    // Range search: every result live, and (exact storage) within the radius.
    if (c.range) {
        RangeSearchResult r;
        idx.range_search(idx_t(nq), xq, c.normalized ? 0.5f : 30.0f, &r);
        for (idx_t l : r.labels) ASSERT_TRUE(m.live.count(l)) << "range returned " << l;
    }
}

}  // namespace

TEST(Composition, EveryWrapperOverEveryBaseAgreesWithTheModel) {
    auto x = clustered(kN, kD, 101, 12, 3.0f), xq = clustered(10, kD, 102, 12, 3.0f);
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.desc);
        std::unique_ptr<Index> idx = build(c);
        if (!idx->is_trained) idx->train(idx_t(kN), x.data());
        make_exhaustive(idx.get());
        Model m;
        m.normalized = c.normalized;
        std::vector<idx_t> ids(kN);
        for (size_t i = 0; i < kN; ++i) ids[i] = c.with_ids ? idx_t(1000 + 3 * i) : idx_t(i);
        if (c.with_ids) {
            idx->add_with_ids(idx_t(kN), x.data(), ids.data());
        } else {
            idx->add(idx_t(kN), x.data());
        }
        for (size_t i = 0; i < kN; ++i) m.live[ids[i]] = m.as_stored(x.data() + i * kD);
        check_against_model(*idx, m, c, xq.data(), 10);
        if (HasFatalFailure()) return;

        // Removal of every 5th id; what the rest are called afterwards depends on the mode.
        if (c.removable) {
            std::vector<idx_t> rm;
            for (size_t i = 0; i < kN; i += 5) rm.push_back(ids[i]);
            IDSelectorBatch sel(rm.size(), rm.data());
            const RemovalMode mode = idx->removal_mode();
            ASSERT_NE(mode, RemovalMode::Unsupported);
            EXPECT_EQ(idx->remove_ids(sel), rm.size());
            // Already gone (after renumbering, the same positions name other vectors).
            if (mode != RemovalMode::Renumber) EXPECT_EQ(idx->remove_ids(sel), 0u);
            for (idx_t r : rm) m.live.erase(r);
            if (mode == RemovalMode::Renumber) m.renumber();  // positions moved down
            check_against_model(*idx, m, c, xq.data(), 10);
            if (HasFatalFailure()) return;
            // Compact frees what was only marked; survivors renumbered in order (positions).
            if (mode == RemovalMode::MarkDeleted) {
                EXPECT_EQ(idx->compact(), rm.size());
                if (!c.with_ids) m.renumber();
                check_against_model(*idx, m, c, xq.data(), 10);
                if (HasFatalFailure()) return;
            }
        }
        // Reconstruct by label (IDMap2: user ids; others: positions), removed ones refused.
        if (c.desc.rfind("IDMap2", 0) == 0 ||
            (!c.with_ids && c.desc.find("Shards") == std::string::npos &&
             c.desc.find("IVF") == std::string::npos)) {
            std::vector<float> rec(kD);
            for (const auto& [id, v] : m.live) {
                ASSERT_NO_THROW(idx->reconstruct(id, rec.data())) << "id " << id;
                const double err = ref_L2(rec.data(), v.data(), kD);
                const double tol =
                    c.exact_codes || c.desc.find("RFlat") != std::string::npos ||
                            c.desc.find("HNSW") != std::string::npos
                        ? 1e-6
                        : 0.5 * ref_L2(v.data(), std::vector<float>(kD).data(), kD) + 1;
                ASSERT_LE(err, tol) << "id " << id;
                break;
            }
            if (c.with_ids && c.removable)
                EXPECT_THROW(idx->reconstruct(ids[0], rec.data()), Error);
        }
        // Round trips: copy and memory-mapped, same answers.
        std::vector<float> D0(10 * 5), D1(10 * 5);
        std::vector<idx_t> I0(10 * 5), I1(10 * 5);
        idx->search(10, xq.data(), 5, D0.data(), I0.data());
        auto bytes = serialize_index(idx.get());
        auto back = deserialize_index(bytes.data(), bytes.size());
        make_exhaustive(back.get());
        back->search(10, xq.data(), 5, D1.data(), I1.data());
        EXPECT_EQ(I0, I1);
        const std::string path = "/tmp/faisslike_comp_" + std::to_string(getpid()) + ".index";
        write_index(idx.get(), path);
        auto mapped = read_index(path, IO_FLAG_MMAP);
        make_exhaustive(mapped.get());
        mapped->search(10, xq.data(), 5, D1.data(), I1.data());
        EXPECT_EQ(I0, I1);
        check_against_model(*mapped, m, c, xq.data(), 10);
        std::remove(path.c_str());
        if (HasFatalFailure()) return;
    }
}

// ---------------------------------------------------------------- regression tests

TEST(CompositionRegression, IDMap2OverL2normOverIVFRemovesAndReconstructs) {
    auto x = clustered(2000, 8, 7, 10, 3.0f);
    auto idx = index_factory(8, "IDMap2,L2norm,IVF4,Flat");
    idx->train(2000, x.data());
    std::vector<idx_t> ids(2000);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = idx_t(1000 + 10 * i);
    idx->add_with_ids(2000, x.data(), ids.data());
    make_exhaustive(idx.get());
    std::vector<idx_t> rm = {1000, 1010, 1020};
    IDSelectorBatch sel(rm.size(), rm.data());
    EXPECT_EQ(idx->remove_ids(sel), 3u);
    // Id 1150 (row 15) still finds itself and reconstructs (normalized).
    std::vector<float> q(x.begin() + 15 * 8, x.begin() + 16 * 8), rec(8);
    float dist;
    idx_t label;
    idx->search(1, q.data(), 1, &dist, &label);
    EXPECT_EQ(label, 1150);
    ASSERT_NO_THROW(idx->reconstruct(1150, rec.data()));
    EXPECT_THROW(idx->reconstruct(1010, rec.data()), Error);
}

TEST(CompositionRegression, IDMap2OverL2normOverHNSWForgetsRemovedIds) {
    auto x = clustered(500, 8, 8, 10, 3.0f);
    auto idx = index_factory(8, "IDMap2,L2norm,HNSW8");
    std::vector<idx_t> ids(500);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = idx_t(i * 2);
    idx->add_with_ids(500, x.data(), ids.data());
    const idx_t gone = 10;
    IDSelectorRange sel(gone, gone + 1);
    EXPECT_EQ(idx->remove_ids(sel), 1u);
    std::vector<float> rec(8);
    EXPECT_THROW(idx->reconstruct(gone, rec.data()), Error);         // removed: gone
    EXPECT_NO_THROW(idx->add_with_ids(1, x.data() + 5 * 8, &gone));  // and may come back
    EXPECT_EQ(idx->compact(), 1u);                                   // frees the marked node
    EXPECT_EQ(idx->ntotal, 500);
    EXPECT_NO_THROW(idx->reconstruct(gone, rec.data()));
}

namespace {
// A quantizer that finds lists but cannot reconstruct them.
struct NoReconstructFlat : IndexFlatL2 {
    using IndexFlatL2::IndexFlatL2;

   protected:
    void do_reconstruct(idx_t, float*) const override {
        FAISSLIKE_THROW_MSG("this quantizer cannot reconstruct");
    }
};
}  // namespace

TEST(CompositionRegression, ErrorsInsideParallelRegionsAreRethrownNotFatal) {
    auto x = clustered(3000, 8, 9, 10, 3.0f);
    NoReconstructFlat q(8);
    IndexIVFScalarQuantizer ivf(&q, 8, 4, ScalarQuantizer::QT_fp16);  // fp16: no SQ training
    std::vector<float> c(4 * 8);
    for (size_t i = 0; i < c.size(); ++i) c[i] = x[i];
    q.add(4, c.data());
    ivf.is_trained = true;
    // Residual encoding runs in a parallel loop: the quantizer's error comes back here.
    try {
        ivf.add(3000, x.data());
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot reconstruct"), std::string::npos);
    }
    EXPECT_EQ(ivf.ntotal, 0);
    IndexIVFPQ ivfpq(&q, 8, 4, 2, 4);
    EXPECT_THROW(ivfpq.train(3000, x.data()), Error);
}

TEST(CompositionRegression, ShardsApplySelectorsToGlobalIds) {
    auto x = clustered(300, 8, 10, 10, 3.0f);
    IndexShards sh(8, true);
    for (int s = 0; s < 3; ++s) sh.add_shard(new IndexFlatL2(8), true);
    sh.add(300, x.data());
    IDSelectorRange sel(0, 10);
    SearchParameters p;
    p.sel = &sel;
    std::vector<float> D(5 * 20);
    std::vector<idx_t> I(5 * 20);
    sh.search(5, x.data() + 200 * 8, 20, D.data(), I.data(), &p);
    for (size_t i = 0; i < I.size(); ++i) {
        if (i % 20 < 10) EXPECT_TRUE(I[i] >= 0 && I[i] < 10) << I[i];  // the 10 allowed
        if (i % 20 >= 10) EXPECT_EQ(I[i], -1);                         // nothing else
    }
}

TEST(CompositionRegression, ManyShardsRunOnBoundedThreads) {
    IndexShards sh(4, true);
    auto x = randn(3000 * 4, 3);
    for (int s = 0; s < 3000; ++s) {
        auto f = new IndexFlatL2(4);
        f->add(1, x.data() + s * 4);
        sh.add_shard(f, true);
    }
    std::vector<float> D(2 * 3);
    std::vector<idx_t> I(2 * 3);
    ASSERT_NO_THROW(sh.search(2, x.data(), 3, D.data(), I.data()));
    EXPECT_EQ(I[0], 0);
}

TEST(CompositionRegression, TrainingAFilledCodedIndexIsRefused) {
    auto x = clustered(2000, 8, 11, 10, 3.0f);
    for (const char* desc : {"PQ4", "SQ8", "IVF4,PQ4", "IVF4,Flat"}) {
        SCOPED_TRACE(desc);
        auto idx = index_factory(8, desc);
        idx->train(2000, x.data());
        idx->add(2000, x.data());
        EXPECT_THROW(idx->train(2000, x.data()), Error);
        idx->reset();
        EXPECT_NO_THROW(idx->train(2000, x.data()));
    }
}

TEST(CompositionRegression, QuantizerChangedAfterTrainingIsRefused) {
    auto x = clustered(1000, 8, 12, 10, 3.0f);
    auto idx = index_factory(8, "IVF4,Flat");
    idx->train(1000, x.data());
    auto* ivf = static_cast<IndexIVF*>(idx.get());
    idx->add(100, x.data());
    const std::vector<uint8_t> good = serialize_index(idx.get());
    ivf->quantizer->reset();
    EXPECT_THROW(idx->add(10, x.data()), Error);
    EXPECT_EQ(idx->ntotal, 100);
    // Nor is a file written that read_index would refuse.
    EXPECT_THROW(serialize_index(idx.get()), Error);
    EXPECT_NO_THROW(deserialize_index(good.data(), good.size()));
    // An id-keeping quantizer is refused at construction.
    IndexIDMap2 im(new IndexFlatL2(8));
    im.index.set_owned(true);
    EXPECT_THROW(IndexIVFFlat(&im, 8, 4), InvalidArgument);
}

TEST(CompositionRegression, RefineCandidatesAreBoundedByNtotal) {
    auto x = clustered(300, 8, 13, 10, 3.0f);
    auto idx = index_factory(8, "Flat,RFlat");
    idx->add(300, x.data());
    static_cast<IndexRefineFlat*>(idx.get())->k_factor = 1e6f;  // 300 x 10 x 1e6 if unbounded
    std::vector<float> D(300 * 10);
    std::vector<idx_t> I(300 * 10);
    ASSERT_NO_THROW(idx->search(300, x.data(), 10, D.data(), I.data()));
    EXPECT_EQ(I[0], 0);
}

TEST(CompositionRegression, ArgumentErrorsAreInvalidArgumentOnEveryType) {
    EXPECT_THROW(IndexHNSWFlat(8, 1), InvalidArgument);
    EXPECT_THROW(IndexHNSWFlat(8, 1000), InvalidArgument);
    EXPECT_THROW(IndexFlatL2(0), InvalidArgument);
    EXPECT_THROW(IndexPQ(16, 5), InvalidArgument);
    EXPECT_THROW(index_factory(8, "IVFx,Flat"), InvalidArgument);
    IndexFlatL2 f(8);
    std::vector<float> D(1);
    std::vector<idx_t> I(1);
    EXPECT_THROW(f.search(1, D.data(), 0, D.data(), I.data()), InvalidArgument);
    SearchParametersIVF foreign;
    f.add(1, std::vector<float>(8).data());
    std::vector<float> q(8);
    EXPECT_THROW(f.search(1, q.data(), 1, D.data(), I.data(), &foreign), InvalidArgument);
}
