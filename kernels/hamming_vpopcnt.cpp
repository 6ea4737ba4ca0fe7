// The AVX-512 kernel table with Hamming kernels on VPOPCNTDQ (8 popcounts per instruction).
// Compiled with the AVX-512 flags plus -mavx512vpopcntdq; used only when the CPU has it.
#include <immintrin.h>

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

KernelTable make_table_avx512_vpopcnt() {
    KernelTable t = *kernel_table_avx512();
    t.hamming_ny = &hamming_ny_avx512_vpopcnt;
    t.hamming_batch4 = &hamming_batch4_avx512_vpopcnt;
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
