// Writes one small valid file per index type into the directory given as argv[1]: the seed
// corpus of the fuzzer (generated, not committed).
#include <cstdio>
#include <string>
#include <vector>

#include <cmath>
#include "../test_util.h"
#include "faisslike/IDSelector.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexShards.h"

#include "faisslike/IndexBinary.h"
#include "faisslike/index_factory.h"
#include "faisslike/index_io.h"

using namespace faisslike;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <output dir>\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    const int d = 8, n = 64;
    std::vector<float> x(size_t(n) * d);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float((i * 7919) % 97) / 13.0f;
    std::vector<idx_t> ids(n);
    for (int i = 0; i < n; ++i) ids[size_t(i)] = 100 + 3 * i;
    const char* descs[] = {"Flat",
                           "IVF4,Flat",
                           "PQ2x4",
                           "IVF4,PQ2x4",
                           "HNSW4",
                           "IVF4,SQ8",
                           "SQ8",
                           "SQfp16",
                           "IDMap,Flat",
                           "IDMap2,HNSW4",
                           "PQ2x4,RFlat",
                           "L2norm,Flat",
                           "IDMap2,IVF4,SQfp16",
                           "PCA2,Flat",
                           "L2norm,PCAR2,IVF4,Flat",
                           "RR4,Flat",
                           "SQ4",
                           "IVF4,SQ6",
                           "SQbf16",
                           "HNSW4,SQ8",
                           "HNSW4,PQ2x4",
                           "HNSW4,QG",
                           "HR,Flat",
                           "MinMax,SQ8",
                           "MinMaxFP16,IVF4,PQ2x4",
                           "IMI2x2,Flat",
                           "HNSW4_4+PQ2x4",
                           "PQ2x4fs",
                           "IVF4,PQ2x4fsr",
                           "RaBitQ3",
                           "IVF4,RaBitQ",
                           "IVF4,RaBitQfs"};
    int count = 0;
    for (MetricType m : {METRIC_L2, METRIC_INNER_PRODUCT}) {
        for (const char* desc : descs) {
            if (m != METRIC_L2 && std::string(desc).rfind("IMI", 0) == 0) continue;  // L2 only
            auto idx = index_factory(d, desc, m);
            if (!idx->is_trained) idx->train(n, x.data());
            faisslike_test::add_per_factory(*idx, desc, n, x.data(), ids.data());
            if (std::string(desc) ==
                "HNSW4") {  // with deleted nodes, 8-bit and quantized-graph traversal
                IDSelectorRange sel(0, 5);
                idx->remove_ids(sel);
                static_cast<IndexHNSWFlat*>(idx.get())->set_sq8_traversal(true);
                static_cast<IndexHNSWFlat*>(idx.get())->set_qg_traversal(4);
            }
            std::string name = desc;
            for (char& c : name)
                if (c == ',' || c == '(' || c == ')') c = '_';
            write_index(idx.get(), dir + "/" + name + (m == METRIC_L2 ? "_L2" : "_IP") + ".index");
            ++count;
            // The same index in FAISS's format (read_index takes both), where it has one.
            try {
                write_index_faiss(idx.get(),
                                  dir + "/" + name + (m == METRIC_L2 ? "_L2" : "_IP") + ".faiss");
                ++count;
            } catch (const Error&) {
            }
        }
    }
    IndexShards sh(d);
    for (int s = 0; s < 2; ++s) sh.add_shard(index_factory(d, "Flat").release(), true);
    sh.add(n, x.data());
    write_index(&sh, dir + "/Shards.index");
    // Binary indexes over 64-bit codes.
    std::vector<uint8_t> codes(size_t(n) * 8);
    for (size_t i = 0; i < codes.size(); ++i)
        codes[i] = uint8_t(uint32_t(std::fabs(x[i % x.size()]) * 97.0f) + uint32_t(i));
    for (const char* desc : {"BFlat", "BIVF4", "BHNSW4", "BHash8", "BHash2x8", "IDMap2,BFlat"}) {
        auto idx = index_binary_factory(64, desc);
        idx->train(n, codes.data());
        if (std::string(desc).rfind("IDMap", 0) == 0)
            idx->add_with_ids(n, codes.data(), ids.data());
        else
            idx->add(n, codes.data());
        std::string name = desc;
        for (char& c : name)
            if (c == ',') c = '_';
        write_index_binary(idx.get(), dir + "/binary_" + name + ".index");
        ++count;
    }
    std::printf("%d seed files in %s\n", count + 1, dir.c_str());
    return 0;
}
