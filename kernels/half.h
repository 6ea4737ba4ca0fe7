// Internal: IEEE half-float conversions without F16C (scalar path, encoding). Plain C++, safe
// to include from any translation unit.
#pragma once

#include <cstdint>

namespace faisslike {
namespace kernels {

// IEEE binary16 -> float without F16C (scalar path); exact for every input.
inline float half_to_float(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);  // inf / NaN
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else {  // subnormal: normalize
        exp = 113;
        while (!(mant & 0x400u)) {
            mant <<= 1;
            --exp;
        }
        bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
    float f;
    __builtin_memcpy(&f, &bits, 4);
    return f;
}

// IEEE binary16 of a float, rounded to nearest even; values beyond the half range clamp to
// +-65504 (a half infinity would poison every distance).
inline uint16_t float_to_half(float f) {
    f = f < -65504.0f ? -65504.0f : (f > 65504.0f ? 65504.0f : f);
    uint32_t x;
    __builtin_memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000u;
    x &= 0x7fffffffu;
    if (x < 0x38800000u) {  // below the smallest normal half: subnormal or zero
        float a;
        __builtin_memcpy(&a, &x, 4);
        // a / 2^-24 rounded to nearest even is the subnormal mantissa.
        return uint16_t(sign | uint32_t(__builtin_nearbyintf(a * 16777216.0f)));
    }
    // Round the 13 dropped mantissa bits to nearest even, then rebias the exponent.
    const uint32_t lsb = (x >> 13) & 1u;
    x += 0xfffu + lsb;
    return uint16_t(sign | ((x - 0x38000000u) >> 13));
}

}  // namespace kernels
}  // namespace faisslike
