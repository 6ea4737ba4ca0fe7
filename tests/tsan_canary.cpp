// Must be reported by ThreadSanitizer (scripts/sanitize.sh fails if it is not): proves that
// races inside parallel regions of the driver are visible through libomp + Archer, so a clean
// TSan run of the suite means something.
#include <cstdio>

#include "faisslike/impl/Parallel.h"

int main() {
    long sum = 0;
    faisslike::parallel_for(
        1000, [&](int64_t i) { sum += i; }, /*enabled=*/true, /*dynamic=*/false);
    std::printf("%ld\n", sum);
    return 0;
}
