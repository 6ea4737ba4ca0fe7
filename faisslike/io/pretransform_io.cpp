// PreTransform records (IxPT): the transform chain, then the wrapped index.
#include "faisslike/impl/IndexRecords.h"

#include "faisslike/IndexPreTransform.h"

namespace faisslike {
namespace records {

namespace {

void put_floats(IOWriter* b, const std::vector<float>& v) {
    put<uint64_t>(b, v.size());
    if (!v.empty()) b->write(v.data(), v.size() * sizeof(float));
}

void write_linear_header(IOWriter* b, const LinearTransform& lt) {
    put<int32_t>(b, lt.d_out);
    put<uint8_t>(b, lt.have_bias ? 1 : 0);
    put<uint8_t>(b, lt.is_trained ? 1 : 0);
}

void write_linear_arrays(IOWriter* b, const LinearTransform& lt) {
    if (lt.is_trained) {
        put_floats(b, lt.A);
        if (lt.have_bias) put_floats(b, lt.b);
    }
}

void write_transform(IOWriter* b, const VectorTransform& vt) {
    // Most derived first: PCAMatrix and RandomRotationMatrix are LinearTransforms.
    if (dynamic_cast<const NormalizationTransform*>(&vt)) {
        put<uint32_t>(b, kTransformL2Norm);
        put<int32_t>(b, vt.d_in);
    } else if (auto* hr = dynamic_cast<const HadamardRotation*>(&vt)) {
        // Everything follows from d_in and the seed.
        put<uint32_t>(b, kTransformHadamard);
        put<int32_t>(b, vt.d_in);
        put<uint32_t>(b, hr->seed);
    } else if (auto* pca = dynamic_cast<const PCAMatrix*>(&vt)) {
        put<uint32_t>(b, kTransformPCA);
        put<int32_t>(b, vt.d_in);
        write_linear_header(b, *pca);
        put<float>(b, pca->eigen_power);
        put<float>(b, pca->epsilon);
        put<uint8_t>(b, pca->random_rotation ? 1 : 0);
        put<uint64_t>(b, pca->max_points_per_d);
        write_linear_arrays(b, *pca);
        if (pca->is_trained) {
            put_floats(b, pca->mean);
            put_floats(b, pca->eigenvalues);
            put_floats(b, pca->PCAMat);
        }
    } else if (auto* opq = dynamic_cast<const OPQMatrix*>(&vt)) {
        put<uint32_t>(b, kTransformOPQ);
        put<int32_t>(b, vt.d_in);
        write_linear_header(b, *opq);
        put<int32_t>(b, opq->M);
        put<int32_t>(b, opq->niter);
        put<int32_t>(b, opq->niter_pq);
        put<int32_t>(b, opq->niter_pq_0);
        put<uint64_t>(b, opq->max_train_points);
        write_linear_arrays(b, *opq);
    } else if (auto* rr = dynamic_cast<const RandomRotationMatrix*>(&vt)) {
        put<uint32_t>(b, kTransformRandomRotation);
        put<int32_t>(b, vt.d_in);
        write_linear_header(b, *rr);
        write_linear_arrays(b, *rr);
    } else if (auto* lt = dynamic_cast<const LinearTransform*>(&vt)) {
        put<uint32_t>(b, kTransformLinear);
        put<int32_t>(b, vt.d_in);
        write_linear_header(b, *lt);
        write_linear_arrays(b, *lt);
    } else {
        FAISSLIKE_THROW_MSG("write_index: this vector transform type cannot be serialized");
    }
}

int32_t read_dim(SectionReader& s, const char* field) {
    const int32_t v = s.get<int32_t>(field);
    if (v <= 0 || v > kMaxDim) s.fail(format_string("invalid %s=%d", field, v));
    return v;
}

bool read_flag(SectionReader& s, const char* field) {
    const uint8_t v = s.get<uint8_t>(field);
    if (v > 1) s.fail(format_string("invalid %s byte %u", field, unsigned(v)));
    return v == 1;
}

void read_floats(SectionReader& s, std::vector<float>& out, uint64_t expected, const char* field) {
    read_array(s, out, expected, field);
    check_finite_field(s, out, field);
}

// The linear part after d_in; `lt` was constructed with the d_in / d_out / have_bias read.
void read_linear_body(SectionReader& s, LinearTransform& lt) {
    if (!lt.is_trained) return;
    read_floats(s, lt.A, uint64_t(lt.d_out) * uint64_t(lt.d_in), "A");
    if (lt.have_bias) read_floats(s, lt.b, uint64_t(lt.d_out), "b");
    lt.set_is_orthonormal();
}

std::unique_ptr<VectorTransform> read_transform(SectionReader& s) {
    const uint32_t type = s.get<uint32_t>("transform_type");
    const int32_t din = read_dim(s, "transform_d_in");
    if (type == kTransformL2Norm) return std::make_unique<NormalizationTransform>(din);
    if (type == kTransformHadamard) {
        const uint32_t seed = s.get<uint32_t>("hadamard_seed");
        return std::make_unique<HadamardRotation>(din, seed);
    }
    if (type != kTransformLinear && type != kTransformRandomRotation && type != kTransformPCA &&
        type != kTransformOPQ)
        s.fail(format_string("unknown transform type %u", type));
    const int32_t dout = read_dim(s, "transform_d_out");
    const bool bias = read_flag(s, "have_bias");
    const bool trained = read_flag(s, "transform_is_trained");
    if (type == kTransformLinear) {
        auto lt = std::make_unique<LinearTransform>(din, dout, bias);
        lt->is_trained = trained;
        read_linear_body(s, *lt);
        return lt;
    }
    if (type == kTransformOPQ) {
        if (bias) s.fail("an OPQ rotation has no bias");
        if (dout > din) s.fail(format_string("OPQ d_out=%d exceeds d_in=%d", dout, din));
        const int32_t M = s.get<int32_t>("opq_M");
        if (M <= 0 || dout % M != 0)
            s.fail(format_string("OPQ M=%d does not divide d_out=%d", M, dout));
        auto opq = std::make_unique<OPQMatrix>(din, M, dout);
        opq->niter = s.get<int32_t>("opq_niter");
        opq->niter_pq = s.get<int32_t>("opq_niter_pq");
        opq->niter_pq_0 = s.get<int32_t>("opq_niter_pq_0");
        opq->max_train_points = size_t(s.get<uint64_t>("opq_max_train_points"));
        opq->is_trained = trained;
        read_linear_body(s, *opq);
        if (trained && !opq->is_orthonormal) s.fail("an OPQ matrix with rows not orthonormal");
        return opq;
    }
    if (type == kTransformRandomRotation) {
        if (bias) s.fail("a random rotation has no bias");
        auto rr = std::make_unique<RandomRotationMatrix>(din, dout);
        rr->is_trained = trained;
        read_linear_body(s, *rr);
        return rr;
    }
    if (!bias) s.fail("a PCA transform has a bias");
    if (dout > din) s.fail(format_string("PCA d_out=%d exceeds d_in=%d", dout, din));
    const float power = s.get<float>("eigen_power");
    const float eps = s.get<float>("epsilon");
    if (!std::isfinite(power) || !std::isfinite(eps)) s.fail("non-finite eigen_power or epsilon");
    const bool rot = read_flag(s, "random_rotation");
    auto pca = std::make_unique<PCAMatrix>(din, dout, power, rot);
    pca->epsilon = eps;
    pca->max_points_per_d = size_t(s.get<uint64_t>("max_points_per_d"));
    pca->is_trained = trained;
    read_linear_body(s, *pca);
    if (trained) {
        read_floats(s, pca->mean, uint64_t(din), "mean");
        read_floats(s, pca->eigenvalues, uint64_t(din), "eigenvalues");
        read_floats(s, pca->PCAMat, uint64_t(din) * uint64_t(din), "PCAMat");
    }
    return pca;
}

}  // namespace

void write_pretransform(IOWriter* b, const Index& index) {
    const auto* pt = static_cast<const IndexPreTransform*>(&index);
    write_index_header(b, pt);
    put<uint32_t>(b, uint32_t(pt->chain.size()));
    for (const auto& vt : pt->chain) write_transform(b, *vt);
    write_index_record(b, pt->index.get());
}

std::unique_ptr<Index> read_pretransform(SectionReader& s, int depth) {
    IndexHeader h = read_index_header(s);
    const uint32_t nt = s.get<uint32_t>("chain_length");
    if (nt > IndexPreTransform::kMaxChain)
        s.fail(format_string("transform chain of length %u (expected 0..%zu)", nt,
                             IndexPreTransform::kMaxChain));
    std::vector<std::unique_ptr<VectorTransform>> chain;
    int cur_d = h.d;
    for (uint32_t i = 0; i < nt; ++i) {
        chain.push_back(read_transform(s));
        if (chain.back()->d_in != cur_d)
            s.fail(format_string("transform %u takes d=%d, its input has d=%d", i,
                                 chain.back()->d_in, cur_d));
        cur_d = chain.back()->d_out;
    }
    std::unique_ptr<Index> sub = read_nested(s, depth, "index");
    if (sub->d != cur_d || sub->metric_type != h.metric || sub->ntotal != h.ntotal)
        s.fail("wrapped index dimension, metric or ntotal differ");
    auto pt = std::make_unique<IndexPreTransform>(sub.get());
    pt->index.set_owned(true);
    sub.release();
    for (size_t i = chain.size(); i-- > 0;) pt->prepend_transform(chain[i].release());
    pt->is_trained = h.is_trained;
    for (const auto& vt : pt->chain)
        if (h.is_trained && !vt->is_trained) s.fail("a trained index with an untrained transform");
    return pt;
}

}  // namespace records
}  // namespace faisslike
