// Builds an index from a FAISS-style description string.
#pragma once

#include <memory>

#include "faisslike/Index.h"

namespace faisslike {

// Grammar (comma-separated, as FAISS):
//   [L2norm,] [IDMap,|IDMap2,] core [,RFlat | ,Refine(Flat)]
//   core := Flat | PQ<M>[x<nbits>] | SQ8 | SQfp16 | HNSW<M>
//         | IVF<nlist>,Flat | IVF<nlist>,PQ<M>[x<nbits>] | IVF<nlist>,SQ8 | IVF<nlist>,SQfp16
// The prefixes may come in either order; each wraps what follows it. The result owns all
// the indexes inside it. Unknown or malformed strings throw Error naming the token.
std::unique_ptr<Index> index_factory(int d, const char* description, MetricType metric = METRIC_L2);

}  // namespace faisslike
