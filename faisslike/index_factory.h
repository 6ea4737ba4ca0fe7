// Builds an index from a FAISS-style description string.
#pragma once

#include <memory>

#include "faisslike/Index.h"

namespace faisslike {

// Grammar (comma-separated, as FAISS):
//   prefix* core [,RFlat | ,Refine(Flat)]
//   prefix := L2norm | IDMap | IDMap2 | PCA<d> | PCAR<d> | PCAW<d> | PCAWR<d> | RR<d>
//   core := Flat | PQ<M>[x<nbits>] | SQ4 | SQ6 | SQ8 | SQfp16 | SQbf16 | SQ8_direct | HNSW<M>
//         | IVF<nlist>[_HNSW<M>],(Flat | PQ<M>[x<nbits>] | SQ...)
// Each prefix wraps what follows it (transforms change d for the rest). The result owns
// all the indexes inside it. Unknown or malformed strings throw InvalidArgument naming the
// token.
std::unique_ptr<Index> index_factory(int d, const char* description, MetricType metric = METRIC_L2);

// Binary indexes (d bits): [IDMap,|IDMap2,] (BFlat | BIVF<nlist>[_HNSW<M>] | BHNSW<M>
// | BHash<b> | BHash<nhash>x<b>), as FAISS's index_binary_factory.
struct IndexBinary;
std::unique_ptr<IndexBinary> index_binary_factory(int d, const char* description);

}  // namespace faisslike
