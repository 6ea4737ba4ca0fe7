// Picks the kernel table once from CPUID (or FAISSLIKE_SIMD). Compiled with baseline flags.
#include <cpuid.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

#include "faisslike/Error.h"
#include "kernels/kernel_table.h"

namespace faisslike {

const char* simd_level_name(SIMDLevel level) {
    switch (level) {
        case SIMDLevel::NONE:
            return "scalar";
        case SIMDLevel::AVX2:
            return "avx2";
        case SIMDLevel::AVX512:
            return "avx512";
    }
    return "unknown";
}

SIMDLevel parse_simd_level(const char* name) {
    FAISSLIKE_THROW_IF_NOT_MSG(name != nullptr, "SIMD level name is null");
    std::string s(name);
    for (char& c : s) c = char(std::tolower((unsigned char)c));
    if (s == "scalar" || s == "none" || s == "generic") return SIMDLevel::NONE;
    if (s == "avx2") return SIMDLevel::AVX2;
    if (s == "avx512") return SIMDLevel::AVX512;
    FAISSLIKE_THROW_FMT("unknown SIMD level '%s' (expected scalar, avx2 or avx512)", name);
}

bool simd_level_supported(SIMDLevel level) {
    // libgcc's checks include the OS side (XCR0), not just the CPUID bits.
    __builtin_cpu_init();
    // F16C (half-float loads of the fp16 scalar quantizer) comes with every AVX2 CPU, but
    // is a separate CPUID bit: check it rather than assume.
    unsigned a = 0, b = 0, c = 0, dx = 0;
    const bool f16c = __get_cpuid(1, &a, &b, &c, &dx) && (c & bit_F16C);
    // POPCNT and BMI2 (pdep, RaBitQ's multi-bit codes) likewise.
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c &&
                      __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("bmi2");
    switch (level) {
        case SIMDLevel::NONE:
            return true;
        case SIMDLevel::AVX2:
            return avx2;
        case SIMDLevel::AVX512:
            return avx2 && __builtin_cpu_supports("avx512f") &&
                   __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd");
    }
    return false;
}

namespace kernels {

bool cpu_has_vpopcntdq() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vpopcntdq") && __builtin_cpu_supports("avx512f");
}

bool cpu_has_avx512bf16() {
    __builtin_cpu_init();
    // FAISSLIKE_NO_BF16=1 keeps the fp32 path (A/B measurements, tests of both).
    const char* off = std::getenv("FAISSLIKE_NO_BF16");
    if (off && *off && *off != '0') return false;
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512f");
}

const KernelTable* kernel_table(SIMDLevel level) {
    FAISSLIKE_THROW_IF_NOT_FMT(simd_level_supported(level),
                               "SIMD level '%s' is not supported by this CPU",
                               simd_level_name(level));
    switch (level) {
        case SIMDLevel::NONE:
            return kernel_table_scalar();
        case SIMDLevel::AVX2:
            return kernel_table_avx2();
        case SIMDLevel::AVX512: {
            // VPOPCNTDQ (FAISS's AVX512_VPOPCNT level) changes the Hamming and RaBitQ dot
            // kernels; AVX512-BF16 adds the bf16 pre-filter of exact search
            // (faisslike/distances.cpp).
            const KernelTable* t =
                cpu_has_vpopcntdq() ? kernel_table_avx512_vpopcnt() : kernel_table_avx512();
            return cpu_has_avx512bf16() ? kernel_table_avx512_bf16(t) : t;
        }
    }
    FAISSLIKE_THROW_FMT("invalid SIMD level %d", int(level));
}

namespace {

std::atomic<const KernelTable*> g_table{nullptr};
std::atomic<int> g_level{-1};

SIMDLevel initial_level() {
    const char* env = std::getenv("FAISSLIKE_SIMD");
    if (env && *env) {
        SIMDLevel l = parse_simd_level(env);
        FAISSLIKE_THROW_IF_NOT_FMT(simd_level_supported(l),
                                   "FAISSLIKE_SIMD=%s but this CPU does not support %s", env,
                                   simd_level_name(l));
        return l;
    }
    if (simd_level_supported(SIMDLevel::AVX512)) return SIMDLevel::AVX512;
    if (simd_level_supported(SIMDLevel::AVX2)) return SIMDLevel::AVX2;
    return SIMDLevel::NONE;
}

void install(SIMDLevel l) {
    g_level.store(int(l));
    g_table.store(kernel_table(l));
}

}  // namespace

const KernelTable& current() {
    const KernelTable* t = g_table.load(std::memory_order_acquire);
    if (!t) {
        // Racing first calls compute the same answer; an invalid FAISSLIKE_SIMD throws every time.
        install(initial_level());
        t = g_table.load();
    }
    return *t;
}

}  // namespace kernels

SIMDLevel simd_level() {
    kernels::current();
    return SIMDLevel(kernels::g_level.load());
}

void set_simd_level(SIMDLevel level) {
    kernels::install(level);
}

}  // namespace faisslike
