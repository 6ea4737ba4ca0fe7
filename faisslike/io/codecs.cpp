// Quantizer sections shared by several record types (PQ and SQ parameters).
#include "faisslike/impl/IndexRecords.h"

#include "faisslike/ProductQuantizer.h"
#include "faisslike/ScalarQuantizer.h"

namespace faisslike {
namespace records {

void write_pq(IOWriter* b, const ProductQuantizer& pq) {
    put<uint64_t>(b, pq.d);
    put<uint64_t>(b, pq.M);
    put<uint64_t>(b, pq.nbits);
    put<uint64_t>(b, pq.centroids.size());  // 0 when untrained
    b->write(pq.centroids.data(), pq.centroids.size() * sizeof(float));
}

void write_sq(IOWriter* b, const ScalarQuantizer& sq) {
    put<int32_t>(b, int32_t(sq.qtype));
    put<uint64_t>(b, sq.vmin.size());  // 0 when untrained or fp16
    b->write(sq.vmin.data(), sq.vmin.size() * sizeof(float));
    put<uint64_t>(b, sq.vdiff.size());
    b->write(sq.vdiff.data(), sq.vdiff.size() * sizeof(float));
}

// PQ geometry (d, M, nbits) of an index of dimension d; validated before anything is built.
void read_pq_params(SectionReader& s, int d_index, uint64_t& M, uint64_t& nbits) {
    const uint64_t d = s.get<uint64_t>("pq_d");
    M = s.get<uint64_t>("pq_M");
    nbits = s.get<uint64_t>("pq_nbits");
    if (d != uint64_t(d_index) || M < 1 || M > d || d % M != 0 || nbits < 1 || nbits > 16)
        s.fail(format_string("invalid PQ parameters d=%llu M=%llu nbits=%llu for index d=%d",
                             (unsigned long long)d, (unsigned long long)M,
                             (unsigned long long)nbits, d_index));
}

// PQ centroids (count then floats, all finite); an untrained PQ stores none.
void read_pq_centroids(SectionReader& s, ProductQuantizer& pq, bool trained) {
    const uint64_t n = s.get<uint64_t>("pq_centroids_count");
    if (n != 0) {
        std::vector<float> c;
        read_array_body(s, c, n, pq.M * pq.ksub * pq.dsub, "pq_centroids");
        check_finite_field(s, c, "pq_centroids");
        pq.set_centroids(c.data());
    }
    if (trained && n == 0) s.fail("trained index without PQ centroids");
}

// Scalar quantizer of an index of dimension d; ranges present iff trained and the type has
// them (d per-dimension ranges, or 1 for the uniform types).
ScalarQuantizer read_sq(SectionReader& s, int d, bool trained) {
    const int32_t qt = s.get<int32_t>("sq_qtype");
    if (!ScalarQuantizer::valid_type(qt))
        s.fail(format_string("invalid scalar quantizer type %d", qt));
    ScalarQuantizer sq{size_t(d), ScalarQuantizer::QuantizerType(qt)};
    const uint64_t nr = s.get<uint64_t>("sq_vmin_count");
    const uint64_t expected = (trained || nr) ? uint64_t(sq.n_ranges()) : 0;
    read_array_body(s, sq.vmin, nr, expected, "sq_vmin",
                    " (the type's ranges when trained, else 0)");
    read_array(s, sq.vdiff, expected, "sq_vdiff");
    if (expected) {
        try {
            sq.validate();  // finite, non-negative ranges
        } catch (const Error& e) {
            s.fail(e.what());
        }
    }
    sq.update_scale();
    return sq;
}

}  // namespace records
}  // namespace faisslike
