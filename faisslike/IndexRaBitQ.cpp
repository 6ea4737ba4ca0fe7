#include "faisslike/IndexRaBitQ.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "faisslike/Error.h"
#include "faisslike/IndexPQFastScan.h"
#include "faisslike/impl/Parallel.h"
#include "faisslike/impl/ScanSearch.h"
#include "kernels/kernel_table.h"

namespace faisslike {

void check_rabitq_qb(int qb) {
    FAISSLIKE_CHECK_ARG(qb >= 0 && qb <= 8, "RaBitQ qb must be in [0, 8], got qb=%d", qb);
}

namespace {

// The query bits and quantizer of one search: the parameters', else the index's.
void rabitq_query_settings(const SearchParameters* params, int qb, bool centered,
                           RaBitQuantizer::Query& s) {
    if (auto p = params_as<SearchParametersRaBitQ>(params, "SearchParametersRaBitQ"))
        qb = p->qb, centered = p->centered;
    check_rabitq_qb(qb);
    s.qb = uint8_t(qb);
    s.centered = centered;
}

constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

// ---------------------------------------------------------------- IndexRaBitQ

IndexRaBitQ::IndexRaBitQ(idx_t d_in, MetricType metric, int nb_bits)
    : IndexFlatCodes(d_in, 0, metric),
      rabitq(size_t(std::max<idx_t>(d_in, 1)), metric, size_t(std::max(nb_bits, 0))) {
    FAISSLIKE_CHECK_ARG(d_in >= 1, "RaBitQ needs d >= 1, got d=%lld", (long long)d_in);
    code_size = rabitq.code_size;
    is_trained = false;
}

void IndexRaBitQ::do_train(idx_t n, const float* x) {
    check_empty_for_training();
    FAISSLIKE_CHECK_ARG(n >= 1, "training needs at least 1 vector, got n=%lld", (long long)n);
    // The centre: the mean, accumulated in double (FAISS's, without its float drift).
    std::vector<double> m(size_t(d), 0.0);
    for (idx_t i = 0; i < n; ++i)
        for (int j = 0; j < d; ++j) m[size_t(j)] += x[size_t(i) * size_t(d) + size_t(j)];
    center.resize(size_t(d));
    for (int j = 0; j < d; ++j) center[size_t(j)] = float(m[size_t(j)] / double(n));
    is_trained = true;
}

void IndexRaBitQ::encode(size_t n, const float* x, uint8_t* out) const {
    parallel_for(
        int64_t(n),
        [&](int64_t i) {
            rabitq.encode(x + size_t(i) * size_t(d), center.data(), out + size_t(i) * code_size);
        },
        n > 256);
}

void IndexRaBitQ::decode(size_t n, const uint8_t* in, float* x) const {
    for (size_t i = 0; i < n; ++i)
        rabitq.decode(in + i * code_size, center.data(), x + i * size_t(d));
}

namespace {

struct RaBitQScorer : CodeScorer {
    const IndexRaBitQ& index;
    const kernels::KernelTable& K = kernels::current();
    RaBitQuantizer::Query s;
    explicit RaBitQScorer(const IndexRaBitQ& index) : index(index) {
        check_rabitq_qb(index.qb);
        s.qb = uint8_t(index.qb);
        s.centered = index.centered;
    }
    void set_query(const float* x) override {
        index.rabitq.set_query(K, x, index.center.data(), s);
    }
    void score(const uint8_t* codes, size_t n, float* out) override {
        index.rabitq.distances(K, s, codes, n, out, kInf);
    }
};

// A topk_scan scanner over the codes of an IndexRaBitQ: blocks small enough for the heap's
// bound to skip full multi-bit estimates early.
struct RaBitQRows {
    static constexpr size_t kRows = 64;
    const IndexRaBitQ& index;
    const float* x;
    const IDSelector* filter;
    const kernels::KernelTable& K = kernels::current();
    RaBitQuantizer::Query s;
    Selector sel{kernels::current()};
    float buf[kRows];
    const float sign;
    RaBitQRows(const IndexRaBitQ& index, const float* x, const IDSelector* filter,
               const RaBitQuantizer::Query& settings)
        : index(index),
          x(x),
          filter(filter),
          s(settings),
          sign(index.metric_type == METRIC_INNER_PRODUCT ? -1.0f : 1.0f) {}
    void set_query(size_t i) {
        index.rabitq.set_query(K, x + i * size_t(index.d), index.center.data(), s);
    }
    void scan(size_t, size_t u, size_t k, float* hv, idx_t* hi) {
        const size_t j0 = u * kRows, nb = std::min(kRows, size_t(index.ntotal) - j0);
        index.rabitq.distances(K, s, index.codes.data() + j0 * index.code_size, nb, buf, hv[0]);
        mask_rejected(filter, buf, sign, nb, IdRange{idx_t(j0)});
        sel.add(k, hv, hi, buf, nullptr, sign, nb, IdRange{idx_t(j0)});
    }
};

}  // namespace

std::unique_ptr<CodeScorer> IndexRaBitQ::get_scorer() const {
    return std::make_unique<RaBitQScorer>(*this);
}

void IndexRaBitQ::do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                            const SearchParameters* params) const {
    RaBitQuantizer::Query settings;
    rabitq_query_settings(params, qb, centered, settings);
    const size_t ny = size_t(ntotal), nt = size_t(parallel_threads());
    constexpr size_t kRows = RaBitQRows::kRows;
    const bool split = size_t(n) < nt && ny >= nt * kRows * 64;
    const IDSelector* filter = selector_of(params);
    topk_scan(size_t(n), (ny + kRows - 1) / kRows, size_t(k), metric_type == METRIC_INNER_PRODUCT,
              distances, labels, split, [&] { return RaBitQRows(*this, x, filter, settings); });
}

void IndexRaBitQ::do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                                  const SearchParameters* params) const {
    RaBitQuantizer::Query settings;
    rabitq_query_settings(params, qb, centered, settings);
    const bool ip = metric_type == METRIC_INNER_PRODUCT;
    const float sign = ip ? -1.0f : 1.0f, thr = range_threshold(ip, radius);
    const IDSelector* filter = selector_of(params);
    std::vector<RangeHits> hits(static_cast<size_t>(n));
    struct Local {
        RaBitQuantizer::Query s;
        std::vector<float> buf;
    };
    const kernels::KernelTable& K = kernels::current();
    parallel_for_with(
        n,
        [&] {
            return Local{settings, std::vector<float>(RaBitQRows::kRows)};
        },
        [&](Local& L, int64_t i) {
            rabitq.set_query(K, x + size_t(i) * size_t(d), center.data(), L.s);
            for (size_t j0 = 0; j0 < size_t(ntotal); j0 += RaBitQRows::kRows) {
                const size_t nb = std::min(RaBitQRows::kRows, size_t(ntotal) - j0);
                // Unbounded: every code whose estimate is inside the radius (see IndexIVF).
                rabitq.distances(K, L.s, codes.data() + j0 * code_size, nb, L.buf.data(), kInf);
                mask_rejected(filter, L.buf.data(), sign, nb, IdRange{idx_t(j0)});
                collect_range(L.buf.data(), nullptr, sign, nb, thr, IdRange{idx_t(j0)},
                              hits[size_t(i)]);
            }
        },
        n > 1);
    finalize_range(hits, ip, nullptr, result);
}

// ---------------------------------------------------------------- IndexIVFRaBitQ

IndexIVFRaBitQ::IndexIVFRaBitQ(Index* quantizer_in, idx_t d_in, size_t nlist_in, MetricType metric,
                               int nb_bits)
    : IndexIVF(
          quantizer_in, d_in, nlist_in,
          RaBitQuantizer(size_t(std::max<idx_t>(d_in, 1)), metric, size_t(std::max(nb_bits, 0)))
              .code_size,
          metric),
      rabitq(size_t(std::max<idx_t>(d_in, 1)), metric, size_t(std::max(nb_bits, 0))) {}

void IndexIVFRaBitQ::encode_vector(const float* x, size_t list_no, uint8_t* code) const {
    const idx_t l = idx_t(list_no);
    encode_vectors(1, x, &l, code);
}

void IndexIVFRaBitQ::encode_vectors(size_t n, const float* x, const idx_t* list_nos,
                                    uint8_t* codes) const {
    const size_t dd = size_t(d);
    parallel_for_with(
        int64_t(n), [&] { return std::vector<float>(dd); },
        [&](std::vector<float>& c, int64_t i) {
            if (list_nos[i] < 0) return;
            quantizer->reconstruct(list_nos[i], c.data());
            rabitq.encode(x + size_t(i) * dd, c.data(), codes + size_t(i) * code_size);
        },
        n > 256);
}

void IndexIVFRaBitQ::decode_vector(const uint8_t* code, size_t list_no, float* x) const {
    std::vector<float> c(static_cast<size_t>(d));
    quantizer->reconstruct(idx_t(list_no), c.data());
    rabitq.decode(code, c.data(), x);
}

namespace {

struct IVFRaBitQScanner : InvertedListScanner {
    const IndexIVFRaBitQ& ivf;
    const kernels::KernelTable& K = kernels::current();
    RaBitQuantizer::Query s;
    std::vector<float> centroid;
    const float* x = nullptr;

    IVFRaBitQScanner(const IndexIVFRaBitQ& ivf, int qb, bool centered)
        : ivf(ivf), centroid(size_t(ivf.d)) {
        check_rabitq_qb(qb);
        s.qb = uint8_t(qb);
        s.centered = centered;
    }
    void set_query(const float* q) override { x = q; }
    void set_list(size_t list_no, float) override {
        // Codes are relative to the list centroid: so is the query's quantization.
        ivf.quantizer->reconstruct(idx_t(list_no), centroid.data());
        ivf.rabitq.set_query(K, x, centroid.data(), s);
    }
    void distance_block(const uint8_t* codes, size_t nb, float* out) override {
        ivf.rabitq.distances(K, s, codes, nb, out, kInf);
    }
    bool uses_bound() const override { return ivf.rabitq.nb_bits > 1; }
    void distance_block_bounded(const uint8_t* codes, size_t nb, float* out, float bound) override {
        ivf.rabitq.distances(K, s, codes, nb, out, bound);
    }
};

}  // namespace

std::unique_ptr<InvertedListScanner> IndexIVFRaBitQ::get_scanner() const {
    return std::make_unique<IVFRaBitQScanner>(*this, qb, centered);
}

std::unique_ptr<InvertedListScanner> IndexIVFRaBitQ::get_scanner_for(
    const SearchParameters* params) const {
    // Any IVF parameters are accepted (IndexIVF checked their type); only these carry qb.
    if (auto p = dynamic_cast<const SearchParametersIVFRaBitQ*>(params))
        return std::make_unique<IVFRaBitQScanner>(*this, p->qb, p->centered);
    return get_scanner();
}

// ---------------------------------------------------------------- IndexIVFRaBitQFastScan

IndexIVFRaBitQFastScan::IndexIVFRaBitQFastScan(Index* quantizer_in, idx_t d_in, size_t nlist_in,
                                               MetricType metric, int nb_bits, int bbs_in)
    : IndexIVFRaBitQ(quantizer_in, d_in, nlist_in, metric, nb_bits),
      bbs(bbs_in),
      M((size_t(d_in) + 3) / 4),
      M4(pq4::padded_M(M)) {
    FAISSLIKE_CHECK_ARG(bbs > 0 && bbs % 32 == 0,
                        "bbs (block size) must be a positive multiple of 32, got %d", bbs);
    FAISSLIKE_CHECK_ARG(M4 <= 256, "RaBitQ fast-scan takes d <= 1024, got d=%lld", (long long)d_in);
}

void IndexIVFRaBitQFastScan::pack_factors(const uint8_t* codes, size_t n0, size_t n,
                                          std::vector<float>& out) const {
    const size_t nf = factors_per_vector();
    out.resize((n0 + n + 31) / 32 * 32 * nf, 0.0f);
    const size_t sb = rabitq.sign_bytes();
    for (size_t i = 0; i < n; ++i) {
        const size_t v = n0 + i;
        float* blk = out.data() + v / 32 * 32 * nf + v % 32;
        for (size_t f = 0; f < nf; ++f)
            std::memcpy(blk + 32 * f, codes + i * code_size + sb + 4 * f, 4);
    }
}

void IndexIVFRaBitQFastScan::lists_changed(bool appended) {
    packed_.resize(nlist);
    factors_.resize(nlist);
    packed_n_.resize(nlist, 0);
    parallel_for(int64_t(nlist), [&](int64_t li) {
        const size_t l = size_t(li), ls = invlists->list_size(l);
        if (!appended || packed_n_[l] > ls) {  // reset, removal: start over, memory freed
            std::vector<uint8_t>().swap(packed_[l]);
            std::vector<float>().swap(factors_[l]);
            packed_n_[l] = 0;
        }
        if (packed_n_[l] == ls) return;
        const uint8_t* codes = invlists->get_codes(l) + packed_n_[l] * code_size;
        pq4::pack_nibbles(codes, code_size, M, packed_n_[l], ls - packed_n_[l], packed_[l]);
        pack_factors(codes, packed_n_[l], ls - packed_n_[l], factors_[l]);
        packed_[l].shrink_to_fit();
        factors_[l].shrink_to_fit();
        packed_n_[l] = ls;
    });
}

IndexIVFRaBitQFastScan::Packed IndexIVFRaBitQFastScan::packed_list(
    size_t l, size_t ls, std::vector<uint8_t>& tmp_blocks, std::vector<float>& tmp_factors) const {
    if (l < packed_n_.size() && packed_n_[l] == ls) return {packed_[l].data(), factors_[l].data()};
    // The lists were edited behind the index's back: pack this one here.
    tmp_blocks.clear();
    tmp_factors.clear();
    pq4::pack_nibbles(invlists->get_codes(l), code_size, M, 0, ls, tmp_blocks);
    pack_factors(invlists->get_codes(l), 0, ls, tmp_factors);
    return {tmp_blocks.data(), tmp_factors.data()};
}

size_t IndexIVFRaBitQFastScan::packed_bytes() const {
    size_t s = 0;
    for (const auto& p : packed_) s += p.capacity();
    for (const auto& f : factors_) s += f.capacity() * sizeof(float);
    return s;
}

namespace {

struct IVFRaBitQFastScanner : InvertedListScanner {
    const IndexIVFRaBitQFastScan& ivf;
    const kernels::KernelTable& K = kernels::current();
    const RaBitQuantizer& rq;
    RaBitQuantizer::Query s;  // float preparation (r, norms); qb 0
    std::vector<float> centroid, tmp_factors;
    std::vector<uint8_t> qlut, tmp_blocks;
    std::vector<uint16_t> sums;
    std::vector<uint32_t> masks;
    const float* x = nullptr;
    const uint8_t* base = nullptr;  // the list's codes
    IndexIVFRaBitQFastScan::Packed packed{nullptr, nullptr};
    float scale = 1, bias = 0;

    explicit IVFRaBitQFastScanner(const IndexIVFRaBitQFastScan& ivf)
        : ivf(ivf),
          rq(ivf.rabitq),
          centroid(size_t(ivf.d)),
          qlut(ivf.M4 * 16),
          sums(IndexIVF::kScanBlock),
          masks(IndexIVF::kScanBlock / 32) {
        s.qb = 0;
    }
    void set_query(const float* q) override { x = q; }
    void set_list(size_t list_no, float) override {
        ivf.quantizer->reconstruct(idx_t(list_no), centroid.data());
        rq.set_query(K, x, centroid.data(), s);
        // Group m's table: entry v = sum of r over the components whose bit is set in v,
        // relative to its minimum, quantized (value ~ sum / scale + bias).
        K.rabitq_fs_tables(s.r.data(), rq.d, ivf.M, qlut.data(), &bias, &scale);
        const InvertedLists& il = *ivf.invlists;
        base = il.get_codes(list_no);
        packed = ivf.packed_list(list_no, il.list_size(list_no), tmp_blocks, tmp_factors);
    }
    void scan(const uint8_t* codes, size_t nb, float* out, float bound) {
        // IndexIVF hands out blocks of whole 32-vector groups (1024 or 64 codes), so codes
        // starts a packed block.
        const size_t j0 = size_t(codes - base) / ivf.code_size, nblk = (nb + 31) / 32;
        const uint8_t* tab = qlut.data();
        const uint16_t lim = 0xffff;
        K.pq4_scan(packed.blocks + j0 / 32 * pq4::block_bytes(ivf.M4), nblk, ivf.M4, &tab, 1, &lim,
                   sums.data(), masks.data());
        // sum_i bit_i r_i ~ sums / scale + bias, then the 1-bit estimate as in
        // RaBitQuantizer::estimates_1bit with a float query, 32 codes at a time over the
        // factor arrays.
        const size_t nf = ivf.factors_per_vector();
        const float inv = 1.0f / scale, r2 = s.r_norm2, qn = s.q_norm2;
        const float a = s.c1 * inv, b0 = s.c1 * bias - s.c34;
        const bool ip = rq.metric == METRIC_INNER_PRODUCT;
        for (size_t blk = 0; blk < nblk; ++blk) {
            const float* orc = packed.factors + (j0 / 32 + blk) * 32 * nf;
            const float* dp = orc + 32;
            const uint16_t* sm = sums.data() + blk * 32;
            float* o = out + blk * 32;
            const size_t n = std::min<size_t>(32, nb - blk * 32);
            if (ip) {
                for (size_t j = 0; j < 32; ++j)
                    o[j] = -0.5f * (orc[j] + r2 - 2.0f * dp[j] * (a * float(sm[j]) + b0) - qn);
            } else {
                for (size_t j = 0; j < 32; ++j)
                    o[j] = std::max(0.0f, orc[j] + r2 - 2.0f * dp[j] * (a * float(sm[j]) + b0));
            }
            if (rq.nb_bits > 1)
                rq.refine(K, s, codes + blk * 32 * ivf.code_size, n, o, bound, orc + 64);
        }
    }
    void distance_block(const uint8_t* codes, size_t nb, float* out) override {
        scan(codes, nb, out, kInf);
    }
    bool uses_bound() const override { return rq.nb_bits > 1; }
    void distance_block_bounded(const uint8_t* codes, size_t nb, float* out, float bound) override {
        scan(codes, nb, out, bound);
    }
};

}  // namespace

std::unique_ptr<InvertedListScanner> IndexIVFRaBitQFastScan::get_scanner() const {
    check_rabitq_qb(qb);
    return std::make_unique<IVFRaBitQFastScanner>(*this);
}

std::unique_ptr<InvertedListScanner> IndexIVFRaBitQFastScan::get_scanner_for(
    const SearchParameters* params) const {
    if (auto p = dynamic_cast<const SearchParametersIVFRaBitQ*>(params)) check_rabitq_qb(p->qb);
    return get_scanner();
}

}  // namespace faisslike
