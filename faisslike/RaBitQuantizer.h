// RaBitQ (Gao & Long, SIGMOD 2024; multi-bit: Gao et al. 2025): a vector o is coded relative
// to a centre c by the signs of o - c (1 bit per component) plus two or three floats, and,
// with nb_bits > 1, by ex_bits = nb_bits - 1 more bits per component of |o - c|. Distances are
// estimated without decoding: the 1-bit estimate from popcounts against the query quantized
// to qb bits, with an error bound that lets a multi-bit scan skip most full estimates.
//
// The rotation the method assumes is not part of the quantizer (as in FAISS): put an RR / HR
// transform in front ("RR<d>,RaBitQ") for data whose components are not already mixed.
//
// Code layout, byte for byte FAISS's (sa_encode output is interchangeable):
//   [sign bits: (d + 7) / 8 bytes, bit i of byte i / 8 set when o_i > c_i]
//   [or_minus_c_l2sqr: f32][dp_multiplier: f32][f_error: f32, nb_bits > 1 only]
//   nb_bits > 1: [ex code: (d * ex_bits + 7) / 8 bytes, value i at bit i * ex_bits, LSB
//                 first; |o_i - c_i| levels, bit-complemented where o_i < c_i]
//                [f_add_ex: f32][f_rescale_ex: f32]
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "faisslike/MetricType.h"

namespace faisslike {

namespace kernels {
struct KernelTable;
}

struct RaBitQuantizer {
    size_t d = 0;
    MetricType metric = METRIC_L2;
    size_t nb_bits = 1;  // 1 + ex_bits, in [1, 9]
    size_t code_size = 0;

    // InvalidArgument unless d >= 1, nb_bits in [1, 9] and the metric is L2 or IP.
    RaBitQuantizer(size_t d, MetricType metric, size_t nb_bits);

    size_t ex_bits() const { return nb_bits - 1; }
    size_t sign_bytes() const { return (d + 7) / 8; }
    size_t ex_offset() const { return sign_bytes() + (nb_bits > 1 ? 12 : 8); }

    // One vector x against centre c (null: zero), into code_size bytes.
    void encode(const float* x, const float* c, uint8_t* code) const;
    // The reconstruction: centre + the code's estimate of o - c (with ex bits when there are).
    void decode(const uint8_t* code, const float* c, float* x) const;

    // A query prepared against one centre (per thread; reused across centres).
    struct Query {
        uint8_t qb = 4;                // 0: float query
        bool centered = false;         // symmetric query quantizer (FAISS's `centered`)
        std::vector<float> r;          // q - c
        std::vector<uint64_t> planes;  // qb bit planes of the quantized r
        size_t nwords = 0;
        float r_norm2 = 0;               // ||q - c||^2
        float q_norm2 = 0;               // ||q||^2 (IP)
        float q_dot_c = 0;               // <q, c> (IP)
        float sum_r = 0;                 // sum_i r_i
        float c1 = 0, c2 = 0, c34 = 0;   // 1-bit dot from (popcount dot, popcount)
        float int_dot_scale = 0;         // centered
        int64_t plane_sum = 0;           // centered: sum_b 2^b popcount(plane_b)
        float g_error = 0;               // ||q - c||, scales the codes' error factors
        std::vector<uint32_t> dot, pop;  // per-block scratch
    };
    // q against centre c (null: zero). qb in [0, 8] (checked by the caller).
    void set_query(const kernels::KernelTable& K, const float* q, const float* c, Query& s) const;

    // Distances (L2) or inner products of s's query to n codes (code_size apart).
    // bound (heap space: an L2 distance, or a negated inner product) lets multi-bit codes
    // whose error bound rules them out skip the full estimate: they get +inf (L2) / -inf (IP).
    // Pass +inf to estimate every code.
    void distances(const kernels::KernelTable& K, Query& s, const uint8_t* codes, size_t n,
                   float* out, float bound) const;

    // 1-bit estimates only (the first stage).
    void estimates_1bit(const kernels::KernelTable& K, Query& s, const uint8_t* codes, size_t n,
                        float* out) const;
    // Multi-bit codes: out (1-bit estimates) becomes the full estimates of the codes that
    // bound admits, +inf (L2) / -inf (IP) for the others (the second stage of distances).
    // ferr: the codes' error factors as an array (fast-scan's packed copy), else read from
    // the codes.
    void refine(const kernels::KernelTable& K, const Query& s, const uint8_t* codes, size_t n,
                float* out, float bound, const float* ferr = nullptr) const;
    // The full estimate of one code (multi-bit; = the 1-bit estimate when nb_bits == 1).
    float full_estimate(const kernels::KernelTable& K, const Query& s, const uint8_t* code) const;
};

}  // namespace faisslike
