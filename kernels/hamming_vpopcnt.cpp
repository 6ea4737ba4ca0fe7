// The AVX-512 kernel table with Hamming and RaBitQ dot kernels on VPOPCNTDQ (8 popcounts per
// instruction).
// Compiled with the AVX-512 flags plus -mavx512vpopcntdq; used only when the CPU has it.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/kernel_table.h"

namespace faisslike {
namespace kernels {

namespace {

// Nothing from distances_simd.h here: its templates instantiated with these flags would be
// the same symbols as the AVX-512 table's and the linker could pick this copy for CPUs
// without VPOPCNTDQ.
inline uint64_t load_u64_avx512(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

// popcount(a ^ b) over nbytes: 64-byte blocks, then a 32-byte one, then words and bytes.
inline int32_t hamming1_avx512_vpopcnt(const uint8_t* a, const uint8_t* b, size_t nbytes) {
    size_t i = 0;
    __m512i acc = _mm512_setzero_si512();
    for (; i + 64 <= nbytes; i += 64) {
        const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i));
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
    }
    int64_t s = _mm512_reduce_add_epi64(acc);
    if (i + 32 <= nbytes) {
        const __m256i x =
            _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i)),
                             _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i)));
        const __m256i p = _mm256_popcnt_epi64(x);
        alignas(32) int64_t t[4];
        _mm256_store_si256(reinterpret_cast<__m256i*>(t), p);
        s += t[0] + t[1] + t[2] + t[3];
        i += 32;
    }
    for (; i + 8 <= nbytes; i += 8)
        s += __builtin_popcountll(load_u64_avx512(a + i) ^ load_u64_avx512(b + i));
    for (; i < nbytes; ++i) s += __builtin_popcount(unsigned(a[i] ^ b[i]));
    return int32_t(s);
}

void hamming_ny_avx512_vpopcnt(int32_t* out, const uint8_t* a, const uint8_t* b, size_t nbytes,
                               size_t ny) {
    for (size_t j = 0; j < ny; ++j) out[j] = hamming1_avx512_vpopcnt(a, b + j * nbytes, nbytes);
}

void hamming_batch4_avx512_vpopcnt(const uint8_t* a, const uint8_t* b0, const uint8_t* b1,
                                   const uint8_t* b2, const uint8_t* b3, size_t nbytes,
                                   int32_t* out) {
    out[0] = hamming1_avx512_vpopcnt(a, b0, nbytes);
    out[1] = hamming1_avx512_vpopcnt(a, b1, nbytes);
    out[2] = hamming1_avx512_vpopcnt(a, b2, nbytes);
    out[3] = hamming1_avx512_vpopcnt(a, b3, nbytes);
}

// RaBitQ's sign-bit dot products (kernels/rabitq_simd.h, same contract and results): a code's
// sign bytes in 64-byte chunks (the last one a masked load, so nothing past nbytes is read),
// 8 popcounts per instruction, each plane's counts weighted by its shift; the plane chunks stay
// in registers across codes. Codes of more than kMaxChunks chunks go to the plain kernel.
constexpr size_t kMaxChunks = 4;  // d up to 2048

template <int QB, int NC>
void rabitq_dot_chunks_avx512_vpopcnt(const __m512i (*P)[kMaxChunks], size_t nbytes,
                                      const uint8_t* codes, size_t stride, size_t n, uint32_t* dot,
                                      uint32_t* pop) {
    const size_t rem = nbytes - 64 * (NC - 1);
    const __mmask64 last = rem >= 64 ? ~__mmask64(0) : (__mmask64(1) << rem) - 1;
    for (size_t j = 0; j < n; ++j) {
        const uint8_t* c = codes + j * stride;
        __m512i acc = _mm512_setzero_si512(), pacc = _mm512_setzero_si512();
        for (int k = 0; k < NC; ++k) {
            const __m512i y = k + 1 < NC ? _mm512_loadu_si512(c + 64 * k)
                                         : _mm512_maskz_loadu_epi8(last, c + 64 * k);
            pacc = _mm512_add_epi64(pacc, _mm512_popcnt_epi64(y));
            for (int b = 0; b < QB; ++b)
                acc = _mm512_add_epi64(
                    acc, _mm512_slli_epi64(_mm512_popcnt_epi64(_mm512_and_si512(P[b][k], y)), b));
        }
        dot[j] = uint32_t(_mm512_reduce_add_epi64(acc));
        pop[j] = uint32_t(_mm512_reduce_add_epi64(pacc));
    }
}

template <int QB>
void rabitq_dot_q_avx512_vpopcnt(const __m512i (*P)[kMaxChunks], size_t nbytes, size_t nc,
                                 const uint8_t* codes, size_t stride, size_t n, uint32_t* dot,
                                 uint32_t* pop) {
    switch (nc) {
        case 1:
            return rabitq_dot_chunks_avx512_vpopcnt<QB, 1>(P, nbytes, codes, stride, n, dot, pop);
        case 2:
            return rabitq_dot_chunks_avx512_vpopcnt<QB, 2>(P, nbytes, codes, stride, n, dot, pop);
        case 3:
            return rabitq_dot_chunks_avx512_vpopcnt<QB, 3>(P, nbytes, codes, stride, n, dot, pop);
        default:
            return rabitq_dot_chunks_avx512_vpopcnt<QB, 4>(P, nbytes, codes, stride, n, dot, pop);
    }
}

void rabitq_dot_ny_avx512_vpopcnt(const uint64_t* planes, size_t nbytes, size_t qb,
                                  const uint8_t* codes, size_t stride, size_t n, uint32_t* dot,
                                  uint32_t* pop) {
    const size_t nw = (nbytes + 7) / 8, nc = (nbytes + 63) / 64;
    if (nc == 0 || nc > kMaxChunks || qb < 1 || qb > 8)
        return kernel_table_avx512()->rabitq_dot_ny(planes, nbytes, qb, codes, stride, n, dot, pop);
    __m512i P[8][kMaxChunks];
    for (size_t b = 0; b < qb; ++b)
        for (size_t k = 0; k < nc; ++k) {
            const size_t w0 = 8 * k, m = std::min<size_t>(8, nw - w0);
            P[b][k] = _mm512_maskz_loadu_epi64(__mmask8((1u << m) - 1), planes + b * nw + w0);
        }
    switch (qb) {
        case 1:
            return rabitq_dot_q_avx512_vpopcnt<1>(P, nbytes, nc, codes, stride, n, dot, pop);
        case 2:
            return rabitq_dot_q_avx512_vpopcnt<2>(P, nbytes, nc, codes, stride, n, dot, pop);
        case 3:
            return rabitq_dot_q_avx512_vpopcnt<3>(P, nbytes, nc, codes, stride, n, dot, pop);
        case 4:
            return rabitq_dot_q_avx512_vpopcnt<4>(P, nbytes, nc, codes, stride, n, dot, pop);
        case 5:
            return rabitq_dot_q_avx512_vpopcnt<5>(P, nbytes, nc, codes, stride, n, dot, pop);
        case 6:
            return rabitq_dot_q_avx512_vpopcnt<6>(P, nbytes, nc, codes, stride, n, dot, pop);
        case 7:
            return rabitq_dot_q_avx512_vpopcnt<7>(P, nbytes, nc, codes, stride, n, dot, pop);
        default:
            return rabitq_dot_q_avx512_vpopcnt<8>(P, nbytes, nc, codes, stride, n, dot, pop);
    }
}

KernelTable make_table_avx512_vpopcnt() {
    KernelTable t = *kernel_table_avx512();
    t.hamming_ny = &hamming_ny_avx512_vpopcnt;
    t.hamming_batch4 = &hamming_batch4_avx512_vpopcnt;
    t.rabitq_dot_ny = &rabitq_dot_ny_avx512_vpopcnt;
    return t;
}

}  // namespace

const KernelTable* kernel_table_avx512_vpopcnt() {
    // Built on first use (after dispatch chose this level), never at load time.
    static const KernelTable table = make_table_avx512_vpopcnt();
    return &table;
}

}  // namespace kernels
}  // namespace faisslike
