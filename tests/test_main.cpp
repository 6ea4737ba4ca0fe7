#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

#include "faisslike/Error.h"
#include "faisslike/distances.h"

int main(int argc, char** argv) {
    // CTest runs this binary once per ISA; a level this CPU lacks is a skip, not a failure.
    if (const char* env = std::getenv("FAISSLIKE_SIMD")) {
        try {
            if (!faisslike::simd_level_supported(faisslike::parse_simd_level(env))) {
                std::printf("FAISSLIKE_SIMD=%s not supported by this CPU: skipping\n", env);
                return 77;
            }
        } catch (const faisslike::Error& e) {
            std::fprintf(stderr, "%s\n", e.what());
            return 1;
        }
    }
    std::printf("kernels in use: %s\n", faisslike::simd_level_name(faisslike::simd_level()));
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
