#include <cstdio>
#include <string>
#include <vector>

// Every public header must compile from the installed tree (none may need kernels/ or
// impl/ headers, which are not installed).
#include <faisslike/Clustering.h>
#include <faisslike/IDSelector.h>
#include <faisslike/IndexFlat.h>
#include <faisslike/IndexFlatCodes.h>
#include <faisslike/IndexHNSW.h>
#include <faisslike/IndexIDMap.h>
#include <faisslike/IndexIVFFlat.h>
#include <faisslike/IndexIVFPQ.h>
#include <faisslike/IndexPQ.h>
#include <faisslike/IndexPreTransform.h>
#include <faisslike/IndexRefine.h>
#include <faisslike/IndexScalarQuantizer.h>
#include <faisslike/IndexShards.h>
#include <faisslike/distances.h>
#include <faisslike/index_factory.h>
#include <faisslike/index_inspect.h>
#include <faisslike/index_io.h>

int main(int argc, char** argv) {
    faisslike::IndexFlatL2 index(4);
    std::vector<float> xb = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
    index.add(3, xb.data());
    float q[4] = {0.9f, 1.1f, 1, 1};
    float D[2];
    faisslike::idx_t I[2];
    index.search(1, q, 2, D, I);
    std::printf("simd=%s I=%lld,%lld\n", faisslike::simd_level_name(faisslike::simd_level()),
                (long long)I[0], (long long)I[1]);
    if (I[0] != 1) return 1;
    // The toolkit through the installed headers: factory, ids, a selector, a file round trip.
    auto idx = faisslike::index_factory(4, "IDMap2,Flat");
    const faisslike::idx_t ids[3] = {10, 20, 30};
    idx->add_with_ids(3, xb.data(), ids);
    faisslike::IDSelectorRange sel(25, 40);
    faisslike::SearchParameters p;
    p.sel = &sel;
    idx->search(1, q, 1, D, I, &p);
    auto bytes = faisslike::serialize_index(idx.get());
    auto back = faisslike::deserialize_index(bytes.data(), bytes.size());
    std::printf("filtered nearest id=%lld, round trip ntotal=%lld\n", (long long)I[0],
                (long long)back->ntotal);
    if (argc > 1) {  // a file for the installed faisslike-inspect (run_consumer_test.cmake)
        faisslike::write_index(idx.get(), argv[1]);
        bool clean = false;
        const std::string rep = faisslike::inspect_index_file(argv[1], false, &clean);
        if (!clean || rep.find("IndexIDMap2 [IxM2] d=4") == std::string::npos) return 1;
    }
    return (I[0] == 30 && back->ntotal == 3) ? 0 : 1;
}
