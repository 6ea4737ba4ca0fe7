#include <cstdio>
#include <vector>

#include <faisslike/IndexFlat.h>
#include <faisslike/distances.h>

int main() {
    faisslike::IndexFlatL2 index(4);
    std::vector<float> xb = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
    index.add(3, xb.data());
    float q[4] = {0.9f, 1.1f, 1, 1};
    float D[2];
    faisslike::idx_t I[2];
    index.search(1, q, 2, D, I);
    std::printf("simd=%s I=%lld,%lld\n", faisslike::simd_level_name(faisslike::simd_level()),
                (long long)I[0], (long long)I[1]);
    return (I[0] == 1) ? 0 : 1;
}
