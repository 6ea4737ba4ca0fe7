#include "faisslike/index_factory.h"

#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "faisslike/Error.h"
#include "faisslike/IndexBinaryFlat.h"
#include "faisslike/IndexBinaryHash.h"
#include "faisslike/IndexBinaryIDMap.h"
#include "faisslike/IndexBinaryIVF.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexIVFFlat.h"
#include "faisslike/IndexIVFPQ.h"
#include "faisslike/IndexIVFPQFastScan.h"
#include "faisslike/IndexPQ.h"
#include "faisslike/IndexPQFastScan.h"
#include "faisslike/IndexPreTransform.h"
#include "faisslike/IndexRaBitQ.h"
#include "faisslike/IndexRefine.h"
#include "faisslike/IndexRowwiseMinMax.h"
#include "faisslike/IndexScalarQuantizer.h"

namespace faisslike {

namespace {

std::vector<std::string> split_tokens(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == ',') {
            out.push_back(cur);
            cur.clear();
        } else if (!std::isspace(static_cast<unsigned char>(c))) {
            cur += c;
        }
    }
    out.push_back(cur);
    return out;
}

// t is prefix followed by one or more digits: the digits go to `num`.
bool prefixed_number(const std::string& t, const char* prefix, std::string& num) {
    const size_t n = std::strlen(prefix);
    if (t.size() <= n || t.compare(0, n, prefix) != 0) return false;
    num = t.substr(n);
    for (char c : num)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

// Parses a positive integer that fits `max`; throws naming the token otherwise.
long parse_count(const std::string& digits, long max, const std::string& token,
                 const std::string& desc) {
    long v = -1;
    if (digits.size() <= 10) v = std::stol(digits);
    FAISSLIKE_CHECK_ARG(v >= 1 && v <= max,
                        "index_factory: number %s in token '%s' of '%s' must be in "
                        "[1, %ld]",
                        digits.c_str(), token.c_str(), desc.c_str(), max);
    return v;
}

struct Parser {
    int d;
    MetricType metric;
    std::string desc;
    std::vector<std::string> tok;
    size_t pos = 0;

    [[noreturn]] void fail(const std::string& token, const char* why) const {
        FAISSLIKE_THROW_ARG_FMT("index_factory: %s token '%s' in '%s'", why, token.c_str(),
                                desc.c_str());
    }

    // PQ<M>[x<nbits>] -> (M, nbits), or false if the token is not a PQ token.
    // PQ<M>[x<nbits>][np] ("np": no precomputed tables for IVFPQ).
    bool pq_params(const std::string& t_in, size_t& M, size_t& nbits) const {
        bool np = false;
        return pq_params(t_in, M, nbits, np);
    }
    bool pq_params(const std::string& t_in, size_t& M, size_t& nbits, bool& np) const {
        std::string t = t_in;
        np = t.size() > 2 && t.compare(t.size() - 2, 2, "np") == 0;
        if (np) t.resize(t.size() - 2);
        const size_t x = t.find('x');
        std::string m_digits, b_digits;
        if (!prefixed_number(t.substr(0, x), "PQ", m_digits)) return false;
        if (x != std::string::npos && !prefixed_number(t.substr(x), "x", b_digits)) return false;
        M = size_t(parse_count(m_digits, 1 << 16, t, desc));
        nbits = b_digits.empty() ? 8 : size_t(parse_count(b_digits, 16, t, desc));
        return true;
    }

    // PQ<M>x4fs[r][_<bbs>] -> (M, bbs): 4-bit fast-scan ("r": residuals, for IVF).
    bool fs_params(const std::string& t, size_t& M, int& bbs, bool& residual) const {
        const size_t x = t.find("x4fs");
        std::string m_digits;
        if (x == std::string::npos || !prefixed_number(t.substr(0, x), "PQ", m_digits))
            return false;
        std::string rest = t.substr(x + 4);
        residual = !rest.empty() && rest[0] == 'r';
        if (residual) rest = rest.substr(1);
        bbs = 32;
        if (!rest.empty()) {
            std::string b_digits;
            if (!prefixed_number(rest, "_", b_digits)) fail(t, "malformed fast-scan");
            bbs = int(parse_count(b_digits, 1 << 20, t, desc));
        }
        M = size_t(parse_count(m_digits, 1 << 16, t, desc));
        return true;
    }

    // RaBitQ[<nb_bits>] or RaBitQfs[<nb_bits>][_<bbs>] (FAISS's tokens): nb_bits 1 when
    // absent; bbs 0 for the plain form.
    bool rabitq_params(const std::string& t, int& nb_bits, int& bbs) const {
        if (t.compare(0, 6, "RaBitQ") != 0) return false;
        std::string rest = t.substr(6);
        bbs = 0;
        if (rest.compare(0, 2, "fs") == 0) {
            bbs = 32;
            rest = rest.substr(2);
            const size_t us = rest.find('_');
            if (us != std::string::npos) {
                std::string digits;
                if (!prefixed_number(rest.substr(us), "_", digits)) fail(t, "malformed RaBitQ");
                bbs = int(parse_count(digits, 1 << 20, t, desc));
                rest.resize(us);
            }
        }
        nb_bits = 1;
        if (!rest.empty()) {
            std::string digits;
            if (!prefixed_number("b" + rest, "b", digits)) fail(t, "malformed RaBitQ");
            nb_bits = int(parse_count(digits, 9, t, desc));
        }
        return true;
    }

    std::unique_ptr<Index> core() {
        FAISSLIKE_CHECK_ARG(pos < tok.size(), "index_factory: '%s' has no index type",
                            desc.c_str());
        const std::string t = tok[pos];
        try {
            return core_token();
        } catch (const Error& e) {
            if (std::string(e.what()).find("index_factory") != std::string::npos) throw;
            fail(t, (std::string("invalid parameters (") + e.what() + ") in").c_str());
        }
    }

    // SQ4, SQ6, SQ8, SQfp16, SQbf16, SQ8_direct, SQ8_direct_signed (FAISS's tokens).
    static bool sq_type(const std::string& t, ScalarQuantizer::QuantizerType& qt) {
        static const std::pair<const char*, ScalarQuantizer::QuantizerType> kTypes[] = {
            {"SQ4", ScalarQuantizer::QT_4bit},
            {"SQ6", ScalarQuantizer::QT_6bit},
            {"SQ8", ScalarQuantizer::QT_8bit},
            {"SQfp16", ScalarQuantizer::QT_fp16},
            {"SQbf16", ScalarQuantizer::QT_bf16},
            {"SQ8_direct", ScalarQuantizer::QT_8bit_direct},
            {"SQ8_direct_signed", ScalarQuantizer::QT_8bit_direct_signed}};
        for (const auto& [name, type] : kTypes)
            if (t == name) {
                qt = type;
                return true;
            }
        return false;
    }

    std::unique_ptr<Index> flat(MetricType m) const {
        if (m == METRIC_L2) return std::make_unique<IndexFlatL2>(d);
        return std::make_unique<IndexFlatIP>(d);
    }

    std::unique_ptr<Index> core_token() {
        const std::string t = tok[pos++];
        std::string num;
        size_t M, nbits;
        ScalarQuantizer::QuantizerType qt;
        if (t == "Flat") return flat(metric);
        if (sq_type(t, qt)) return std::make_unique<IndexScalarQuantizer>(d, qt, metric);
        {
            int bbs;
            bool residual;
            if (fs_params(t, M, bbs, residual))
                return std::make_unique<IndexPQFastScan>(d, M, 4, metric, bbs);
        }
        if (pq_params(t, M, nbits)) return std::make_unique<IndexPQ>(d, M, nbits, metric);
        if (int nb = 1, bbs = 0; rabitq_params(t, nb, bbs)) {
            if (bbs) fail(t, "RaBitQ fast-scan is IVF only (IVF<n>,RaBitQfs): not supported");
            return std::make_unique<IndexRaBitQ>(d, metric, nb);
        }
        {
            // HNSW<M>, HNSW<M>,<codes> or HNSW<M>_<codes>, codes = Flat | SQ.. | PQ..
            const size_t us = t.find('_');
            const std::string head = t.substr(0, us);
            std::string codes_tok = us == std::string::npos ? "" : t.substr(us + 1);
            if (prefixed_number(head, "HNSW", num) && t.rfind("HNSW", 0) == 0) {
                const int M = int(parse_count(num, 512, t, desc));
                size_t pm, pb;
                auto qg_tok = [&](const std::string& c) {
                    return c == "QG" || prefixed_number(c, "QG", num);
                };
                if (codes_tok.empty() && pos < tok.size() &&
                    (tok[pos] == "Flat" || sq_type(tok[pos], qt) || pq_params(tok[pos], pm, pb) ||
                     qg_tok(tok[pos])))
                    codes_tok = tok[pos++];
                // QG or QG<pq_M>: the quantized graph (IndexHNSWQG).
                if (qg_tok(codes_tok))
                    return std::make_unique<IndexHNSWQG>(
                        d, M, codes_tok == "QG" ? 0 : int(parse_count(num, 256, codes_tok, desc)),
                        metric);
                // <nlist>+PQ<m> or 2x<nbits>+PQ<m>: IndexHNSW2Level.
                const size_t plus = codes_tok.find("+PQ");
                if (plus != std::string::npos) {
                    const std::string left = codes_tok.substr(0, plus);
                    size_t m_pq, pq_nbits;  // PQ<m>, or PQ<m>x<nbits> (ours)
                    if (!pq_params(codes_tok.substr(plus + 1), m_pq, pq_nbits))
                        fail(codes_tok, "malformed PQ part");
                    std::unique_ptr<Index> q;
                    size_t nlist;
                    if (prefixed_number(left, "2x", num)) {
                        const size_t nb = size_t(parse_count(num, 15, t, desc));
                        if (metric != METRIC_L2) fail(t, "the multi-index quantizer is L2 only");
                        q = std::make_unique<MultiIndexQuantizer>(d, 2, nb);
                        nlist = size_t(1) << (2 * nb);
                    } else {
                        nlist = size_t(parse_count(left, 1L << 31, t, desc));
                        q = flat(metric);
                    }
                    auto h = std::make_unique<IndexHNSW2Level>(
                        std::make_unique<Index2Layer>(q.get(), nlist, int(m_pq), int(pq_nbits),
                                                      metric),
                        M);
                    h->storage2l().q1.set_owned(true);
                    q.release();
                    return h;
                }
                if (codes_tok.empty() || codes_tok == "Flat")
                    return std::make_unique<IndexHNSWFlat>(d, M, metric);
                if (sq_type(codes_tok, qt)) return std::make_unique<IndexHNSWSQ>(d, qt, M, metric);
                if (pq_params(codes_tok, pm, pb))
                    return std::make_unique<IndexHNSWPQ>(d, int(pm), M, int(pb), metric);
                fail(codes_tok, "unknown HNSW storage (expected Flat, SQ.., PQ.. or QG..)");
            }
        }
        std::string ivf_part = t, hnsw_m;
        const size_t us = t.find("_HNSW");
        if (t.rfind("IVF", 0) == 0 && us != std::string::npos) {  // IVF<n>_HNSW<M>
            ivf_part = t.substr(0, us);
            if (!prefixed_number(t.substr(us + 1), "HNSW", hnsw_m)) fail(t, "malformed");
        }
        const bool imi = prefixed_number(ivf_part, "IMI2x", num) && hnsw_m.empty();
        if (imi || prefixed_number(ivf_part, "IVF", num)) {
            size_t nlist, imi_nbits = 0;
            if (imi) {  // a multi-index of 2 x nbits: nlist = 2^(2 nbits)
                imi_nbits = size_t(parse_count(num, 15, t, desc));
                if (metric != METRIC_L2) fail(t, "the multi-index quantizer is L2 only");
                nlist = size_t(1) << (2 * imi_nbits);
            } else {
                nlist = size_t(parse_count(num, 1L << 31, t, desc));
            }
            FAISSLIKE_CHECK_ARG(pos < tok.size(),
                                "index_factory: '%s' needs a code type after '%s' (Flat, "
                                "PQ<M>, SQ8 or SQfp16)",
                                desc.c_str(), t.c_str());
            const std::string c = tok[pos++];
            std::unique_ptr<Index> q;
            if (imi)
                q = std::make_unique<MultiIndexQuantizer>(d, 2, imi_nbits);
            else if (hnsw_m.empty())
                q = flat(metric);
            else
                q = std::make_unique<IndexHNSWFlat>(d, int(parse_count(hnsw_m, 512, t, desc)),
                                                    metric);
            std::unique_ptr<IndexIVF> ivf;
            if (c == "Flat") {
                ivf = std::make_unique<IndexIVFFlat>(q.get(), d, nlist, metric);
            } else if (sq_type(c, qt)) {
                ivf = std::make_unique<IndexIVFScalarQuantizer>(q.get(), d, nlist, qt, metric);
            } else if (int bbs = 32; [&] {
                           bool residual = false;
                           if (!fs_params(c, M, bbs, residual)) return false;
                           auto fs = std::make_unique<IndexIVFPQFastScan>(q.get(), d, nlist, M, 4,
                                                                          metric, bbs);
                           fs->by_residual = residual;  // "x4fsr": residuals (as FAISS)
                           ivf = std::move(fs);
                           return true;
                       }()) {
            } else if (int nb = 1, bbs = 0; rabitq_params(c, nb, bbs)) {
                if (bbs)
                    ivf = std::make_unique<IndexIVFRaBitQFastScan>(q.get(), d, nlist, metric, nb,
                                                                   bbs);
                else
                    ivf = std::make_unique<IndexIVFRaBitQ>(q.get(), d, nlist, metric, nb);
            } else if (bool np = false; pq_params(c, M, nbits, np)) {
                auto pq = std::make_unique<IndexIVFPQ>(q.get(), d, nlist, M, nbits, metric);
                if (np) pq->set_use_precomputed_table(false);
                ivf = std::move(pq);
            } else {
                fail(c,
                     "unknown IVF code type (expected Flat, PQ<M>[x<nbits>], SQ4, SQ6, SQ8, "
                     "SQfp16, SQbf16, SQ8_direct, RaBitQ[<nb_bits>], RaBitQfs[<nb_bits>])");
            }
            ivf->quantizer.set_owned(true);
            q.release();
            return ivf;
        }
        fail(t, "unknown index type");
    }

    // A transform prefix (L2norm, PCA<d>, PCAR<d>, PCAW<d>, PCAWR<d>, RR<d>, HR[<seed>],
    // OPQ<M>[_<d>]) taking d_in:
    // the transform, or null if t is not one.
    std::unique_ptr<VectorTransform> transform(const std::string& t, int d_in) const {
        if (t == "L2norm") return std::make_unique<NormalizationTransform>(d_in);
        std::string num;
        if (t == "HR") return std::make_unique<HadamardRotation>(d_in);
        if (prefixed_number(t, "HR", num))
            return std::make_unique<HadamardRotation>(
                d_in, uint32_t(parse_count(num, int64_t(UINT32_MAX), t, desc)));
        // OPQ<M>[_<d_out>] (FAISS's token).
        if (t.rfind("OPQ", 0) == 0) {
            const size_t us = t.find('_');
            std::string m_digits, o_digits;
            if (!prefixed_number(t.substr(0, us), "OPQ", m_digits)) return nullptr;
            if (us != std::string::npos && !prefixed_number(t.substr(us), "_", o_digits))
                fail(t, "malformed OPQ");
            const int M = int(parse_count(m_digits, kMaxDim, t, desc));
            const int d_out =
                o_digits.empty() ? d_in : int(parse_count(o_digits, kMaxDim, t, desc));
            return std::make_unique<OPQMatrix>(d_in, M, d_out);
        }
        for (const char* pfx : {"PCAWR", "PCAW", "PCAR", "PCA", "RR"}) {
            if (!prefixed_number(t, pfx, num)) continue;
            const int d_out = int(parse_count(num, kMaxDim, t, desc));
            if (std::strcmp(pfx, "RR") == 0)
                return std::make_unique<RandomRotationMatrix>(d_in, d_out);
            if (d_out > d_in) fail(t, "PCA output dimension larger than its input in");
            const bool whiten = std::strncmp(pfx, "PCAW", 4) == 0;
            const bool rot = pfx[std::strlen(pfx) - 1] == 'R';
            return std::make_unique<PCAMatrix>(d_in, d_out, whiten ? -0.5f : 0.0f, rot);
        }
        return nullptr;
    }

    std::unique_ptr<Index> parse() {
        // Prefixes, outermost first: wrappers and transforms (which change d for the rest).
        std::vector<std::string> wrappers;
        std::vector<std::unique_ptr<VectorTransform>> transforms;  // parallel to wrappers
        while (pos < tok.size()) {
            if (tok[pos] == "IDMap" || tok[pos] == "IDMap2" || tok[pos] == "MinMax" ||
                tok[pos] == "MinMaxFP16") {
                wrappers.push_back(tok[pos++]);
                transforms.emplace_back();
            } else if (auto vt = transform(tok[pos], d)) {
                d = vt->d_out;
                wrappers.push_back(tok[pos++]);
                transforms.push_back(std::move(vt));
            } else {
                break;
            }
        }
        std::unique_ptr<Index> idx = core();
        if (pos < tok.size() && (tok[pos] == "RFlat" || tok[pos] == "Refine(Flat)")) {
            auto rf = std::make_unique<IndexRefineFlat>(idx.get());
            rf->base_index.set_owned(true);
            idx.release();
            idx = std::move(rf);
            ++pos;
        }
        if (pos < tok.size()) fail(tok[pos], "unexpected");
        for (size_t w = wrappers.size(); w-- > 0;) {
            if (transforms[w]) {
                // Consecutive transforms share one IndexPreTransform chain (as FAISS).
                const bool chain_more = w + 1 < wrappers.size() && transforms[w + 1];
                if (chain_more) {
                    static_cast<IndexPreTransform*>(idx.get())->prepend_transform(
                        transforms[w].release());
                } else {
                    auto pt =
                        std::make_unique<IndexPreTransform>(transforms[w].release(), idx.get());
                    pt->index.set_owned(true);
                    idx.release();
                    idx = std::move(pt);
                }
            } else if (wrappers[w] == "MinMax" || wrappers[w] == "MinMaxFP16") {
                if (!idx->has_sa_codec())
                    fail(wrappers[w], "needs an index with a standalone codec after it");
                std::unique_ptr<IndexRowwiseMinMax> mm;
                if (wrappers[w] == "MinMax")
                    mm = std::make_unique<IndexRowwiseMinMax>(idx.get());
                else
                    mm = std::make_unique<IndexRowwiseMinMaxFP16>(idx.get());
                mm->index.set_owned(true);
                idx.release();
                idx = std::move(mm);
            } else {
                std::unique_ptr<IndexIDMap> im;
                if (wrappers[w] == "IDMap") {
                    im = std::make_unique<IndexIDMap>(idx.get());
                } else {
                    im = std::make_unique<IndexIDMap2>(idx.get());
                }
                im->index.set_owned(true);
                idx.release();
                idx = std::move(im);
            }
        }
        return idx;
    }
};

}  // namespace

std::unique_ptr<Index> index_factory(int d, const char* description, MetricType metric) {
    FAISSLIKE_CHECK_ARG_MSG(description != nullptr, "index_factory: description is null");
    FAISSLIKE_CHECK_ARG(d > 0, "index_factory: d must be > 0, got %d", d);
    // Some tokens build a type fixed to one metric (IndexFlatL2): check before choosing.
    FAISSLIKE_CHECK_ARG(metric == METRIC_L2 || metric == METRIC_INNER_PRODUCT,
                        "index_factory: unsupported metric type %d", int(metric));
    Parser p{d, metric, description, split_tokens(description)};
    for (const std::string& t : p.tok)
        if (t.empty()) p.fail(t, "empty");
    return p.parse();
}

std::unique_ptr<IndexBinary> index_binary_factory(int d, const char* description) {
    FAISSLIKE_CHECK_ARG_MSG(description != nullptr, "index_binary_factory: description is null");
    FAISSLIKE_CHECK_ARG(d >= 8 && d % 8 == 0,
                        "index_binary_factory: d must be a positive multiple of 8, got %d", d);
    Parser p{d, METRIC_L2, description, split_tokens(description)};
    for (const std::string& t : p.tok)
        if (t.empty()) p.fail(t, "empty");
    std::string wrap;
    if (p.tok[0] == "IDMap" || p.tok[0] == "IDMap2") wrap = p.tok[p.pos++];
    FAISSLIKE_CHECK_ARG(p.pos + 1 == p.tok.size(),
                        "index_binary_factory: '%s' needs exactly one index type after the "
                        "optional IDMap prefix",
                        description);
    const std::string t = p.tok[p.pos];
    std::string num, num2;
    std::unique_ptr<IndexBinary> idx;
    try {
        if (t == "BFlat") {
            idx = std::make_unique<IndexBinaryFlat>(d);
        } else if (t.rfind("BIVF", 0) == 0) {
            std::string head = t.substr(1), hnsw_m;
            const size_t us = head.find("_HNSW");
            if (us != std::string::npos) {
                if (!prefixed_number(head.substr(us + 1), "HNSW", hnsw_m)) p.fail(t, "malformed");
                head = head.substr(0, us);
            }
            if (!prefixed_number(head, "IVF", num)) p.fail(t, "malformed");
            const size_t nlist = size_t(parse_count(num, 1L << 31, t, p.desc));
            std::unique_ptr<IndexBinary> q;
            if (hnsw_m.empty())
                q = std::make_unique<IndexBinaryFlat>(d);
            else
                q = std::make_unique<IndexBinaryHNSW>(d, int(parse_count(hnsw_m, 512, t, p.desc)));
            auto ivf = std::make_unique<IndexBinaryIVF>(q.get(), d, nlist);
            ivf->own_fields = true;
            q.release();
            idx = std::move(ivf);
        } else if (prefixed_number(t, "BHNSW", num)) {
            idx = std::make_unique<IndexBinaryHNSW>(d, int(parse_count(num, 512, t, p.desc)));
        } else if (t.rfind("BHash", 0) == 0) {
            const std::string rest = t.substr(5);
            const size_t x = rest.find('x');
            if (x == std::string::npos) {
                if (!prefixed_number("B" + rest, "B", num)) p.fail(t, "malformed");
                idx = std::make_unique<IndexBinaryHash>(d, int(parse_count(num, 64, t, p.desc)));
            } else {
                if (!prefixed_number("B" + rest.substr(0, x), "B", num) ||
                    !prefixed_number(rest.substr(x), "x", num2))
                    p.fail(t, "malformed");
                idx = std::make_unique<IndexBinaryMultiHash>(
                    d, int(parse_count(num, 1 << 20, t, p.desc)),
                    int(parse_count(num2, 64, t, p.desc)));
            }
        } else {
            p.fail(t, "unknown binary index type");
        }
    } catch (const Error& e) {
        if (std::string(e.what()).find("index_") != std::string::npos) throw;
        p.fail(t, (std::string("invalid parameters (") + e.what() + ") in").c_str());
    }
    if (!wrap.empty()) {
        std::unique_ptr<IndexBinaryIDMap> im;
        if (wrap == "IDMap")
            im = std::make_unique<IndexBinaryIDMap>(idx.get());
        else
            im = std::make_unique<IndexBinaryIDMap2>(idx.get());
        im->own_fields = true;
        idx.release();
        idx = std::move(im);
    }
    return idx;
}

}  // namespace faisslike
