// Shards records (IxSh).
#include "faisslike/impl/IndexRecords.h"

#include "faisslike/IndexShards.h"

namespace faisslike {
namespace records {

void write_shards(IOWriter* b, const Index& index) {
    const auto* sh = static_cast<const IndexShards*>(&index);
    write_index_header(b, sh);
    put<uint8_t>(b, sh->successive_ids ? 1 : 0);
    put<uint32_t>(b, uint32_t(sh->shards.size()));
    for (const SubIndex& sub : sh->shards) write_index_record(b, sub.get());
}

std::unique_ptr<Index> read_shards(SectionReader& s, int depth) {
    IndexHeader h = read_index_header(s);
    const uint8_t succ = s.get<uint8_t>("successive_ids");
    const uint32_t ns = s.get<uint32_t>("shard_count");
    if (succ > 1) s.fail(format_string("invalid successive_ids byte %u", unsigned(succ)));
    // Every shard record takes at least 12 bytes: the count is checked before the loop.
    if (uint64_t(ns) * 12 > s.left) s.fail(format_string("%u shards cannot fit", ns));
    if (ns > IndexShards::kMaxShards)
        s.fail(format_string("%u shards (at most %zu)", ns, IndexShards::kMaxShards));
    auto sh = std::make_unique<IndexShards>(h.d, succ == 1, MetricType(h.metric));
    for (uint32_t i = 0; i < ns; ++i) {
        std::unique_ptr<Index> sub = read_nested(s, depth, "shard");
        if (sub->d != h.d || sub->metric_type != h.metric)
            s.fail("shard dimension or metric differ");
        sh->shards.emplace_back(std::move(sub));
    }
    sh->sync_ntotal();
    if (sh->ntotal != h.ntotal)
        s.fail(format_string("shards hold %lld vectors but ntotal=%lld", (long long)sh->ntotal,
                             (long long)h.ntotal));
    return sh;
}

}  // namespace records
}  // namespace faisslike
