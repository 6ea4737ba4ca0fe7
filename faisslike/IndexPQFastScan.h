// 4-bit product quantization scanned with in-register table lookups ("fast-scan", FAISS's
// IndexPQFastScan, factory "PQ<M>x4fs"). Codes are stored in blocks of 32 vectors, laid out
// so that one byte shuffle looks up 16 codes of one sub-quantizer (kernels/pq4_simd.h); the
// per-query distance tables are quantized to 8 bits and the sums kept in 16 bits, so the scan
// ranks by distances accurate to M / 2 table steps (pq4::quantize_table's bound; the returned
// distances are then recomputed exactly from the float tables: they equal IndexPQ's for the
// same codebooks).
#pragma once

#include <algorithm>
#include <vector>

#include "faisslike/Index.h"
#include "faisslike/IndexPQ.h"
#include "faisslike/ProductQuantizer.h"

namespace faisslike {

// The packed layout, shared with the IVF variant: vectors in blocks of 32; in a block, M4
// sub-quantizers of 16 bytes, byte j holding vector j's code in its low nibble and vector
// j + 16's in its high nibble. M4 = M rounded up to a multiple of 4 (padding codes are 0).
namespace pq4 {
inline size_t padded_M(size_t M) {
    return (M + 3) / 4 * 4;
}
inline size_t block_bytes(size_t M4) {
    return M4 * 16;
}
// Appends n PQ codes (pq.code_size bytes each) after the first n0 vectors of `packed`.
void pack(const ProductQuantizer& pq, const uint8_t* codes, size_t n0, size_t n,
          std::vector<uint8_t>& packed);
// The same for any codes (stride bytes apart) whose first ceil(M / 2) bytes hold M nibbles,
// low first (RaBitQ's sign bits, 4 components per nibble).
void pack_nibbles(const uint8_t* codes, size_t stride, size_t M, size_t n0, size_t n,
                  std::vector<uint8_t>& packed);
// The PQ code (pq.code_size bytes) of vector i.
void unpack(const ProductQuantizer& pq, const uint8_t* packed, size_t i, uint8_t* code);
// The constructors' checks (InvalidArgument naming the value): nbits 4, bbs a positive
// multiple of 32, M padded to at most 256, L2 or inner product.
void check_args(size_t nbits, int bbs, size_t M, MetricType metric);
// Sub-code m of a 4-bit PQ code (ProductQuantizer's bit order: nibbles, low first).
inline size_t nibble(const uint8_t* code, size_t m) {
    return (code[m >> 1] >> ((m & 1) * 4)) & 15;
}
// Sub-code m of vector i, read straight from the packed layout.
inline size_t packed_nibble(const uint8_t* packed, size_t M4, size_t i, size_t m) {
    const uint8_t byte = packed[(i / 32) * block_bytes(M4) + m * 16 + (i & 15)];
    return (i & 16) ? byte >> 4 : byte & 15;
}
// Quantizes a float table (M x 16, smaller is better) to uint8 (M4 x 16, zero padded):
// value ~= sum / scale + bias. Returns the worst-case error of a quantized sum (M / (2 scale)).
float quantize_table(const float* table, size_t M, size_t M4, uint8_t* qtable, float& scale,
                     float& bias);
}  // namespace pq4

struct IndexPQFastScan : Index {
    ProductQuantizer pq;
    int bbs = 32;  // FAISS's block size: a multiple of 32 (the layout always uses blocks of 32)
    size_t M4;
    std::vector<uint8_t> codes;  // packed (pq4 layout), ceil(ntotal / 32) blocks

    IndexPQFastScan(idx_t d, size_t M, size_t nbits = 4, MetricType metric = METRIC_L2,
                    int bbs = 32);
    // The codebooks and codes of a 4-bit IndexPQ (as FAISS): searches rank the same codes.
    explicit IndexPQFastScan(const IndexPQ& orig, int bbs = 32);
    RemovalMode removal_mode() const override { return RemovalMode::Renumber; }

   protected:
    void do_train(idx_t n, const float* x) override;
    void do_add(idx_t n, const float* x) override;
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_reset() override;
    size_t do_remove_ids(const IDSelector& sel) override;
    void do_reconstruct(idx_t key, float* recons) const override;
    size_t do_sa_code_size() const override { return pq.code_size; }
    void do_sa_encode(idx_t n, const float* x, uint8_t* bytes) const override;
    void do_sa_decode(idx_t n, const uint8_t* bytes, float* x) const override;
};

}  // namespace faisslike
