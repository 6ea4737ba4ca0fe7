// k-means and IndexIVFFlat: against brute force (Flat), recall vs nprobe, I/O, bad input.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "faisslike/Clustering.h"
#include "faisslike/Error.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexIVFFlat.h"
#include "faisslike/index_io.h"
#include "test_util.h"

using namespace faisslike;
using namespace faisslike_test;

namespace {

struct IvfFixture {
    size_t d = 16, nb = 4000, nlist = 32;
    std::vector<float> xb = clustered(nb, d, 1, 20, 4.0f), xq = clustered(50, d, 2, 20, 4.0f);
    std::unique_ptr<IndexFlat> q;
    std::unique_ptr<IndexIVFFlat> ivf;
    explicit IvfFixture(MetricType m = METRIC_L2) {
        q = std::make_unique<IndexFlat>(d, m);
        ivf = std::make_unique<IndexIVFFlat>(q.get(), d, nlist, m);
        ivf->train(nb, xb.data());
        ivf->add(nb, xb.data());
    }
};

double recall_at(const std::vector<idx_t>& I, const std::vector<idx_t>& gt, size_t nq, size_t k) {
    size_t hit = 0;
    for (size_t q = 0; q < nq; ++q) {
        std::set<idx_t> g(gt.begin() + long(q * k), gt.begin() + long(q * k + k));
        for (size_t j = 0; j < k; ++j) hit += g.count(I[q * k + j]);
    }
    return double(hit) / double(nq * k);
}

}  // namespace

TEST(Clustering, ObjectiveDecreasesAndCentroidsAreMeans) {
    const size_t d = 8, n = 3000, k = 20;
    auto x = clustered(n, d, 3, 20, 4.0f);
    Clustering clus(d, k);
    IndexFlatL2 index(d);
    clus.train(n, x.data(), index);
    ASSERT_EQ(clus.iteration_stats.size(), 25u);
    ASSERT_EQ(clus.centroids.size(), k * d);
    EXPECT_EQ(index.ntotal, idx_t(k));
    const auto& st = clus.iteration_stats;
    EXPECT_LT(st.back().obj, st.front().obj);
    for (size_t i = 1; i < st.size(); ++i)  // Lloyd never increases it (splits nudge by 1/1024)
        EXPECT_LE(st[i].obj, st[i - 1].obj * (1 + 1e-3)) << "iteration " << i;
    // Objective equals the sum of squared distances to the nearest centroid (brute force).
    double obj = 0;
    for (size_t i = 0; i < n; ++i) {
        double best = 1e300;
        for (size_t c = 0; c < k; ++c)
            best = std::min(best, ref_L2(x.data() + i * d, clus.centroids.data() + c * d, d));
        obj += best;
    }
    // The stats record the objective before the last update, which can only be larger.
    EXPECT_LE(obj, st.back().obj * (1 + 1e-4));
}

TEST(Clustering, DeterministicSphericalKmeansppAndErrors) {
    const size_t d = 8, n = 1000, k = 10;
    auto x = clustered(n, d, 4, 20, 4.0f);
    ClusteringParameters cp;
    cp.niter = 5;
    Clustering a(d, k, cp), b(d, k, cp);
    IndexFlatL2 ia(d), ib(d);
    a.train(n, x.data(), ia);
    b.train(n, x.data(), ib);
    EXPECT_EQ(a.centroids, b.centroids);

    cp.spherical = true;
    Clustering s(d, k, cp);
    IndexFlatIP is(d);
    s.train(n, x.data(), is);
    for (size_t c = 0; c < k; ++c)
        EXPECT_NEAR(ref_IP(&s.centroids[c * d], &s.centroids[c * d], d), 1.0, 1e-4);

    cp.spherical = false;
    cp.kmeanspp = true;
    Clustering pp(d, k, cp);
    IndexFlatL2 ipp(d);
    pp.train(n, x.data(), ipp);
    EXPECT_LT(pp.iteration_stats.back().obj, pp.iteration_stats.front().obj * 1.0001);

    Clustering big(d, 50);
    IndexFlatL2 ib2(d);
    EXPECT_THROW(big.train(20, x.data(), ib2), Error);  // k > n
    auto bad = x;
    bad[5] = std::nanf("");
    EXPECT_THROW(a.train(n, bad.data(), ia), Error);
    EXPECT_THROW(Clustering(d, 0), Error);
}

class IvfMetric : public ::testing::TestWithParam<MetricType> {};

TEST_P(IvfMetric, FullProbeIsExact) {
    IvfFixture f(GetParam());
    IndexFlat flat(f.d, GetParam());
    flat.add(f.nb, f.xb.data());
    const size_t k = 10, nq = 50;
    std::vector<float> D1(nq * k), D2(nq * k);
    std::vector<idx_t> I1(nq * k), I2(nq * k);
    flat.search(nq, f.xq.data(), k, D1.data(), I1.data());
    SearchParametersIVF p;
    p.nprobe = f.nlist;
    f.ivf->search(nq, f.xq.data(), k, D2.data(), I2.data(), &p);
    for (size_t i = 0; i < nq * k; ++i)
        EXPECT_NEAR(D1[i], D2[i], 1e-3 * std::max(1.0f, std::fabs(D1[i])));
    EXPECT_GE(recall_at(I2, I1, nq, k), 0.99);  // only float near-ties may swap
    // Single-query path (lists spread over threads) gives the same answer.
    omp_set_num_threads(2);
    for (size_t q = 0; q < 5; ++q) {
        std::vector<float> D3(k);
        std::vector<idx_t> I3(k);
        f.ivf->search(1, f.xq.data() + q * f.d, k, D3.data(), I3.data(), &p);
        // The batch went through sgemm, the single query through the SIMD scan: the same
        // neighbours, distances equal to float rounding.
        for (size_t j = 0; j < k; ++j) {
            EXPECT_NEAR(D3[j], D2[q * k + j], 1e-3 * std::max(1.0f, std::fabs(D3[j])));
            if (j + 1 < k && std::fabs(D3[j + 1] - D3[j]) > 1e-3f) EXPECT_EQ(I3[j], I2[q * k + j]);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Metrics, IvfMetric, ::testing::Values(METRIC_L2, METRIC_INNER_PRODUCT));

TEST(IVF, RecallMonotoneInNprobe) {
    IvfFixture f;
    const size_t k = 10, nq = 50;
    // Tie-aware recall against double-precision brute force: a result is a hit when its true
    // distance is within rounding of the true k-th distance (so float near-ties between the
    // sgemm and SIMD paths cannot fake a drop).
    std::vector<double> kth(nq);
    for (size_t q = 0; q < nq; ++q) {
        std::vector<double> all(f.nb);
        for (size_t j = 0; j < f.nb; ++j)
            all[j] = ref_L2(f.xq.data() + q * f.d, f.xb.data() + j * f.d, f.d);
        std::nth_element(all.begin(), all.begin() + long(k - 1), all.end());
        kth[q] = all[k - 1];
    }
    std::vector<float> D(nq * k);
    std::vector<idx_t> I(nq * k);
    double prev = -1;
    for (size_t np : {1, 2, 4, 8, 16, 32}) {
        SearchParametersIVF p;
        p.nprobe = np;
        f.ivf->search(nq, f.xq.data(), k, D.data(), I.data(), &p);
        size_t hits = 0;
        for (size_t q = 0; q < nq; ++q)
            for (size_t j = 0; j < k; ++j) {
                idx_t l = I[q * k + j];
                if (l >= 0 && ref_L2(f.xq.data() + q * f.d, f.xb.data() + size_t(l) * f.d, f.d) <=
                                  kth[q] * (1 + 1e-5) + 1e-6)
                    hits++;
            }
        double r = double(hits) / double(nq * k);
        EXPECT_GE(r, prev) << "nprobe=" << np;
        prev = r;
    }
    EXPECT_EQ(prev, 1.0);
}

TEST(IVF, NprobeClampsAndParamsAreThreadSafe) {
    IvfFixture f;
    const size_t k = 5, nq = 50;
    std::vector<float> Da(nq * k), Db(nq * k);
    std::vector<idx_t> Ia(nq * k), Ib(nq * k);
    SearchParametersIVF all, over;
    all.nprobe = f.nlist;
    over.nprobe = f.nlist * 10;
    f.ivf->search(nq, f.xq.data(), k, Da.data(), Ia.data(), &all);
    f.ivf->search(nq, f.xq.data(), k, Db.data(), Ib.data(), &over);
    EXPECT_EQ(Ia, Ib);
    // Concurrent searches with different nprobe: each matches its sequential result.
    std::vector<std::vector<idx_t>> expect(4, std::vector<idx_t>(nq * k));
    for (size_t t = 0; t < 4; ++t) {
        SearchParametersIVF p;
        p.nprobe = 1 + t * 3;
        std::vector<float> D(nq * k);
        f.ivf->search(nq, f.xq.data(), k, D.data(), expect[t].data(), &p);
    }
    std::vector<std::thread> th;
    std::vector<int> ok(4, 0);
    for (size_t t = 0; t < 4; ++t) {
        th.emplace_back([&, t] {
            for (int rep = 0; rep < 5; ++rep) {
                SearchParametersIVF p;
                p.nprobe = 1 + t * 3;
                std::vector<float> D(nq * k);
                std::vector<idx_t> I(nq * k);
                f.ivf->search(nq, f.xq.data(), k, D.data(), I.data(), &p);
                ok[t] += I == expect[t];
            }
        });
    }
    for (auto& t : th) t.join();
    for (size_t t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 5);
}

TEST(IVF, FewerThanKResultsGiveMinusOne) {
    IvfFixture f;
    SearchParametersIVF p;
    p.nprobe = 1;
    const size_t k = 1000;  // more than one cell holds
    std::vector<float> D(k);
    std::vector<idx_t> I(k);
    f.ivf->search(1, f.xq.data(), k, D.data(), I.data(), &p);
    EXPECT_EQ(I[k - 1], -1);
    EXPECT_TRUE(std::isinf(D[k - 1]));
    EXPECT_GE(I[0], 0);
}

TEST(IVF, AddWithIdsReconstructAndDirectMap) {
    const size_t d = 8, n = 500;
    auto x = clustered(n, d, 5, 20, 4.0f);
    IndexFlatL2 q(d);
    IndexIVFFlat ivf(&q, d, 8);
    ivf.train(n, x.data());
    std::vector<idx_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = idx_t(1000 + 7 * i);
    ivf.add_with_ids(n, x.data(), ids.data());
    std::vector<float> D(1);
    std::vector<idx_t> I(1);
    SearchParametersIVF p;
    p.nprobe = 8;
    ivf.search(1, x.data() + 33 * d, 1, D.data(), I.data(), &p);
    EXPECT_EQ(I[0], 1000 + 7 * 33);
    std::vector<float> r(d);
    EXPECT_THROW(ivf.reconstruct(1000, r.data()), Error);  // no direct map yet
    EXPECT_THROW(ivf.make_direct_map(), Error);            // ids are not 0..n-1
    ivf.set_direct_map_type(DirectMap::Hashtable);
    ivf.reconstruct(1000 + 7 * 12, r.data());
    for (size_t j = 0; j < d; ++j) EXPECT_EQ(r[j], x[12 * d + j]);
    EXPECT_THROW(ivf.reconstruct(3, r.data()), Error);
    std::vector<idx_t> neg = {-5};
    EXPECT_THROW(ivf.add_with_ids(1, x.data(), neg.data()), Error);

    IndexFlatL2 q2(d);
    IndexIVFFlat seq(&q2, d, 8);
    seq.train(n, x.data());
    seq.make_direct_map();
    seq.add(n, x.data());  // Array map maintained through add
    seq.reconstruct(77, r.data());
    for (size_t j = 0; j < d; ++j) EXPECT_EQ(r[j], x[77 * d + j]);
}

TEST(IVF, BadInput) {
    const size_t d = 8;
    auto x = clustered(100, d, 6, 20, 4.0f);
    IndexFlatL2 q(d);
    IndexIVFFlat ivf(&q, d, 16);
    std::vector<float> D(10);
    std::vector<idx_t> I(10);
    EXPECT_FALSE(ivf.is_trained);
    EXPECT_THROW(ivf.add(10, x.data()), Error);
    EXPECT_THROW(ivf.search(1, x.data(), 1, D.data(), I.data()), Error);
    try {
        ivf.train(10, x.data());  // fewer points than nlist
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("nlist=16"), std::string::npos) << e.what();
    }
    auto bad = x;
    bad[3] = std::numeric_limits<float>::infinity();
    EXPECT_THROW(ivf.train(100, bad.data()), Error);
    ivf.train(100, x.data());
    ivf.add(100, x.data());
    ivf.nprobe = 0;
    EXPECT_THROW(ivf.search(1, x.data(), 1, D.data(), I.data()), Error);
    ivf.nprobe = 1;
    // Another index type's parameters are an error; plain SearchParameters (selector only)
    // are fine.
    SearchParametersHNSW wrong;
    EXPECT_THROW(ivf.search(1, x.data(), 1, D.data(), I.data(), &wrong), Error);
    SearchParameters plain;
    EXPECT_NO_THROW(ivf.search(1, x.data(), 1, D.data(), I.data(), &plain));
    IndexFlatL2 q_wrong(d + 1);
    EXPECT_THROW(IndexIVFFlat(&q_wrong, d, 4), Error);
    EXPECT_THROW(IndexIVFFlat(nullptr, d, 4), Error);
    EXPECT_THROW(IndexIVFFlat(&q, d, 0), Error);
}

TEST(IVF, SerializationRoundTripAndCorruption) {
    IvfFixture f;
    f.ivf->nprobe = 4;
    auto bytes = serialize_index(f.ivf.get());
    auto back = deserialize_index(bytes.data(), bytes.size());
    auto* ivf2 = dynamic_cast<IndexIVFFlat*>(back.get());
    ASSERT_NE(ivf2, nullptr);
    EXPECT_EQ(ivf2->nprobe, 4u);
    EXPECT_EQ(ivf2->nlist, f.nlist);
    const size_t k = 10, nq = 50;
    std::vector<float> D1(nq * k), D2(nq * k);
    std::vector<idx_t> I1(nq * k), I2(nq * k);
    f.ivf->search(nq, f.xq.data(), k, D1.data(), I1.data());
    ivf2->search(nq, f.xq.data(), k, D2.data(), I2.data());
    EXPECT_EQ(I1, I2);
    EXPECT_EQ(D1, D2);

    // A small index, truncated at every byte and with every byte flipped.
    const size_t d = 4;
    auto x = clustered(40, d, 9, 20, 4.0f);
    IndexFlatL2 q(d);
    IndexIVFFlat small(&q, d, 4);
    small.train(40, x.data());
    small.add(40, x.data());
    auto sb = serialize_index(&small);
    for (size_t n = 0; n < sb.size(); ++n)
        EXPECT_THROW(deserialize_index(sb.data(), n), Error) << "prefix " << n;
    for (size_t i = 0; i < sb.size(); ++i) {
        for (uint8_t v : {uint8_t(0xff), uint8_t(sb[i] ^ 0x01), uint8_t(0x80)}) {
            auto b = sb;
            b[i] = v;
            try {
                auto r = deserialize_index(b.data(), b.size());
                EXPECT_EQ(r->ntotal, 40);  // only payload bytes (floats, nprobe, ids) can pass
            } catch (const Error&) {
            }
        }
    }
}

TEST(IVF, NestingDepthIsCapped) {
    // IDMaps wrapped around IDMaps: valid, but deeper than allowed. (IVF quantizers cannot
    // nest any more: an IVF labels its vectors with ids, not list numbers.)
    const size_t d = 4;
    auto x = randn(2 * d, 3);
    const idx_t ids[2] = {5, 9};
    auto chain = [&](int levels) {
        std::unique_ptr<Index> idx = std::make_unique<IndexFlatL2>(d);
        for (int l = 0; l < levels; ++l) idx = std::make_unique<IndexIDMap>(std::move(idx));
        idx->add_with_ids(2, x.data(), ids);
        return idx;
    };
    auto bytes = serialize_index(chain(3).get());  // depth 3: fine
    EXPECT_NO_THROW(deserialize_index(bytes.data(), bytes.size()));
    bytes = serialize_index(chain(9).get());
    try {
        deserialize_index(bytes.data(), bytes.size());
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("nesting deeper"), std::string::npos) << e.what();
    }
}

TEST(IVF, ListMajorBatchMatchesPerQueryScan) {
    for (MetricType m : {METRIC_L2, METRIC_INNER_PRODUCT}) {
        IvfFixture f(m);
        const size_t k = 7, nq = 50;
        std::vector<float> D1(nq * k), D2(nq * k);
        std::vector<idx_t> I1(nq * k), I2(nq * k);
        for (size_t np : {1, 3, 8, 32}) {
            SearchParametersIVF p;
            p.nprobe = np;
            f.ivf->by_list_min_visits = 0;  // always list by list
            f.ivf->search(nq, f.xq.data(), k, D1.data(), I1.data(), &p);
            f.ivf->by_list_min_visits = 1e30;  // never
            f.ivf->search(nq, f.xq.data(), k, D2.data(), I2.data(), &p);
            size_t same = 0;
            for (size_t i = 0; i < nq * k; ++i) {
                same += I1[i] == I2[i];
                EXPECT_NEAR(D1[i], D2[i], 1e-3 * std::max(1.0f, std::fabs(D2[i])));
            }
            EXPECT_GE(same, nq * k * 99 / 100) << "nprobe=" << np;
        }
    }
}

TEST(IVF, MergeFromMovesEverythingOrNothing) {
    const size_t d = 16, nb = 4000, nq = 50, k = 10;
    auto xb = clustered(nb, d, 1, 20, 4.0f), xq = clustered(nq, d, 2, 20, 4.0f);
    IndexFlatL2 q(d);
    IndexIVFFlat empty(&q, d, 32);
    empty.train(nb, xb.data());
    const auto trained = serialize_index(&empty);
    auto copy = [&] {
        auto idx = deserialize_index(trained.data(), trained.size());
        dynamic_cast<IndexIVF&>(*idx).nprobe = 4;
        return idx;
    };
    auto whole = copy(), a = copy(), b = copy();
    whole->add(nb, xb.data());
    a->add(1500, xb.data());
    b->add(nb - 1500, xb.data() + 1500 * d);  // ids 0.. in the shard
    auto& ia = dynamic_cast<IndexIVF&>(*a);
    ia.merge_from(*b, 1500);
    EXPECT_EQ(a->ntotal, idx_t(nb));
    EXPECT_EQ(b->ntotal, 0);
    std::vector<float> D1(nq * k), D2(nq * k);
    std::vector<idx_t> I1(nq * k), I2(nq * k);
    a->search(nq, xq.data(), k, D1.data(), I1.data());
    whole->search(nq, xq.data(), k, D2.data(), I2.data());
    EXPECT_EQ(I1, I2);
    EXPECT_EQ(D1, D2);
    // Refusals leave both sides as they were.
    IndexFlatL2 flat(d);
    flat.add(10, xb.data());
    auto c = copy();
    c->add(10, xb.data());
    EXPECT_THROW(ia.merge_from(ia, 0), InvalidArgument);
    EXPECT_THROW(ia.merge_from(flat, 0), InvalidArgument);
    EXPECT_THROW(ia.merge_from(*c, -1), InvalidArgument);
    IndexFlatL2 q2(d);
    IndexIVFFlat other(&q2, d, 32);
    other.train(1000, xb.data() + 3000 * d);  // other centroids
    other.add(10, xb.data());
    EXPECT_THROW(ia.merge_from(other, 0), InvalidArgument);
    EXPECT_EQ(a->ntotal, idx_t(nb));
    EXPECT_EQ(c->ntotal, 10);
    EXPECT_EQ(other.ntotal, 10);
    // Two threads merging two indexes into each other at once: serialized, no deadlock, every
    // vector ends up in exactly one of them.
    auto x = copy(), y = copy();
    x->add(100, xb.data());
    y->add(200, xb.data());
    std::thread t1([&] { dynamic_cast<IndexIVF&>(*x).merge_from(*y, 0); });
    std::thread t2([&] { dynamic_cast<IndexIVF&>(*y).merge_from(*x, 0); });
    t1.join();
    t2.join();
    EXPECT_EQ(x->ntotal + y->ntotal, 300);
    EXPECT_TRUE(x->ntotal == 0 || y->ntotal == 0);
}
