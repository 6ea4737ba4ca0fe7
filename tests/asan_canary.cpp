// Must be reported by AddressSanitizer (scripts/sanitize.sh fails if it is not): a distance
// kernel of the library (the CPU's best ISA) reads one float past a heap array, so a clean
// ASan run of the suite means the per-ISA kernels are instrumented too.
#include <cstdio>
#include <memory>

#include "faisslike/distances.h"

int main() {
    const size_t d = 64;
    auto x = std::make_unique<float[]>(d);
    auto y = std::make_unique<float[]>(d - 1);
    for (size_t i = 0; i < d; ++i) x[i] = float(i);
    for (size_t i = 0; i + 1 < d; ++i) y[i] = float(i);
    std::printf("%g\n", double(faisslike::fvec_L2sqr(x.get(), y.get(), d)));
    return 0;
}
