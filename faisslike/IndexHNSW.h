// HNSW graph (Malkov & Yashunin) over vectors stored flat.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "faisslike/Index.h"
#include "faisslike/Index2Layer.h"
#include "faisslike/IndexBinaryFlat.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexFlatCodes.h"
#include "faisslike/ProductQuantizer.h"
#include "faisslike/ScalarQuantizer.h"
#include "faisslike/impl/LargeAlloc.h"
#include "faisslike/impl/LiveArray.h"

namespace faisslike {

struct SearchParametersHNSW : SearchParameters {
    // FAISS's default, whatever the index's own setting (a program passing only `sel` gets
    // FAISS's depth); 0: the index's efSearch. Raised to k when smaller (as FAISS).
    int efSearch = 16;
    std::unique_ptr<SearchParameters> clone() const override {
        return std::make_unique<SearchParametersHNSW>(*this);
    }
};

// The entry point searches start from (node, top level) as one atomic value: an add beside
// searches publishes it after the nodes it names. Copies take the value.
class PublishedEntry {
   public:
    PublishedEntry() = default;
    PublishedEntry(const PublishedEntry& o) : v_(o.v_.load()) {}
    PublishedEntry& operator=(const PublishedEntry& o) {
        v_.store(o.v_.load());
        return *this;
    }
    void store(int64_t node, int level) {
        v_.store(uint64_t(node + 1) << 8 | uint64_t(uint8_t(level + 1)), std::memory_order_release);
    }
    // Both from one load.
    void load(int64_t& node, int& level) const {
        const uint64_t v = v_.load(std::memory_order_acquire);
        node = int64_t(v >> 8) - 1;
        level = int(v & 0xff) - 1;
    }

   private:
    std::atomic<uint64_t> v_{0};
};

// The graph. Level-0 rows are contiguous [count, 2M ids]; upper levels (M links each) live in
// a second array, reached through per-node offsets. All four arrays grow beside searches
// (LiveArray); rows are written under node locks with atomic stores, the count last, and read
// without locks (a search sees each row before or after a change, every id a valid node).
struct HNSW {
    int M;
    int efConstruction = 40;
    int efSearch = 16;
    double level_mult;
    // The writers' entry point; searches use `published` (publish_entry()).
    int max_level = -1;
    int64_t entry_point = -1;
    PublishedEntry published;
    uint64_t seed = 12345;
    // Links a new node keeps at level 0: 2M (FAISS, default) or M (hnswlib). 2M gives denser
    // graphs and much better recall at small efConstruction (FAISS's default of 40).
    bool level0_select_2M = true;
    // A full link list is pruned to (1 - prune_headroom) x capacity, so the next few back-links
    // are plain appends instead of another O(capacity^2) heuristic pass (FAISS 1.15 does the
    // same, default 0.2). 0 prunes to capacity (hnswlib). In [0, 0.5].
    float prune_headroom = 0.2f;
    // Nodes added since level 0 was last repaired (build_graph: nodes no walk reaches, and
    // nodes with few in-links, get links). Not stored in our files (an add repairs at its end
    // once this reaches 1/64 of ntotal); a graph read from a FAISS file counts all its nodes.
    int64_t unrepaired = 0;
    LiveArray<int8_t> levels;                            // top level of each node
    LiveArray<int32_t, LargeAllocator<int32_t>> links0;  // ntotal x (2M + 1)
    LiveArray<int64_t> upper_offsets;  // start of node's level-1 row in links_upper, or -1
    LiveArray<int32_t, LargeAllocator<int32_t>> links_upper;  // rows of (M + 1)

    // Makes the writers' entry point the one searches start from: after the nodes it names
    // are counted in ntotal (an add), or whenever no search can run.
    void publish_entry() { published.store(entry_point, max_level); }

    explicit HNSW(int M);
    // Checked setters (InvalidArgument): ef > 0, headroom in [0, 0.5].
    void set_efSearch(int ef);
    void set_efConstruction(int ef);
    void set_prune_headroom(float headroom);
    int capacity(int level) const { return level == 0 ? 2 * M : M; }
    // Loaded memory-mapped (read_index, IO_FLAG_MMAP): the link arrays are read in place
    // and links0 / links_upper stay empty until a change copies them (materialize_links).
    const int32_t* links0_mapped = nullptr;
    const int32_t* links_upper_mapped = nullptr;
    size_t links0_mapped_n = 0, links_upper_mapped_n = 0;
    std::shared_ptr<const void> links_owner;

    const int32_t* links0_data() const { return links0_mapped ? links0_mapped : links0.data(); }
    size_t links0_size() const { return links0_mapped ? links0_mapped_n : links0.size(); }
    const int32_t* links_upper_data() const {
        return links0_mapped ? links_upper_mapped : links_upper.data();
    }
    size_t links_upper_size() const {
        return links0_mapped ? links_upper_mapped_n : links_upper.size();
    }
    void materialize_links();
    void unmap_links();
    // Drops every node (mapped or not); the parameters stay.
    void clear_graph();

    // Row [count, ids...] of node at level (level <= levels[node]), read in place (mapped
    // or not).
    const int32_t* row(int64_t node, int level) const {
        return level == 0 ? links0_data() + size_t(node) * size_t(2 * M + 1)
                          : links_upper_data() + size_t(upper_offsets[size_t(node)]) +
                                size_t(level - 1) * size_t(M + 1);
    }
    // The same row for writing: only after materialize_links() (building does that first).
    int32_t* mutable_row(int64_t node, int level) {
        return level == 0 ? links0.data() + size_t(node) * size_t(2 * M + 1)
                          : links_upper.data() + size_t(upper_offsets[size_t(node)]) +
                                size_t(level - 1) * size_t(M + 1);
    }
    // Rebuilds upper_offsets from levels; returns the links_upper size they imply.
    size_t compute_upper_offsets();
    // Gives nodes from `first` on their upper rows, starting at `offset` in links_upper;
    // returns the links_upper size they imply (earlier offsets stay valid).
    size_t assign_upper_offsets(size_t first, size_t offset);
    // Throws Error if any link, level or the entry point is inconsistent (used on read).
    void validate(int64_t ntotal) const;
};

struct IndexHNSWFlat : Index {
    HNSW hnsw;
    IndexFlat storage;
    // remove_ids marks nodes deleted: they stay in the graph (searches still route through
    // them) but are never returned. compact() rebuilds without them. Marking runs beside
    // searches: flags are set, then the count published (a search reads the count first).
    LiveArray<uint8_t> deleted;  // empty, or one flag per node
    Count ndeleted = 0;
    // Optional 8-bit copy of the vectors used while walking level 0 (4x fewer bytes per
    // distance; the graph walk is memory-bound); the ef candidates found are re-ranked with
    // exact distances, so returned distances stay exact. Costs d bytes per vector.
    std::unique_ptr<ScalarQuantizer> traversal_sq;
    LargeVector<uint8_t> traversal_codes;
    // Optional quantized-graph walk of level 0 (issue 19): one record per node holding its
    // level-0 row (count, 2M ids), the 4-bit PQ codes of those neighbours (fast-scan blocks
    // of 32) and its vector, so expanding a node is one contiguous read and one kernel call
    // scoring all its neighbours; only the nodes expanded are scored exactly (the results).
    // Costs a record of 4 (2M + 1) + 4 d + ceil(2M / 32) x 16 x M4 bytes (parts padded to 64)
    // per node beside the graph and the vectors. Inner product is estimated as
    // (|q - x~|^2 - |q|^2 - |x|^2) / 2 from the L2 table and the neighbours' exact squared
    // norms, 4 x 2M more bytes: PQ's error on q.x~ is as large as q, on |q - x~|^2 it shrinks
    // with |q - x| (unit vectors, d = 48: the walk's recall at efSearch 64 went 0.938 -> 0.984).
    // The record is [row, norms][vector][block 0][block 1]: most nodes have at most 32 links
    // (mean level-0 degree ~20 of 64 slots), so the walk prefetches the second block only for
    // the nodes flagged in qg_wide.
    std::unique_ptr<ProductQuantizer> qg_pq;
    size_t qg_M4 = 0, qg_nblocks = 0;  // padded sub-quantizers; blocks per node
    size_t qg_record = 0, qg_codes_at = 0, qg_vec_at = 0, qg_norms_at = 0;  // offsets in a record
    float qg_max_norm2 = 0;  // inner product: the largest |x|^2 (the kernel's bound)
    LargeVector<uint8_t> qg_records;
    std::vector<uint64_t> qg_wide;  // bit per node: more than 32 level-0 links

    // M >= 2. efConstruction 40 and efSearch 16 by default, like FAISS.
    explicit IndexHNSWFlat(idx_t d, int M = 32, MetricType metric = METRIC_L2);

    // Removal marks the selected nodes deleted (ids of the others do not change); ntotal
    // still counts them until compact(), which rebuilds the graph from the live vectors
    // only; the survivors are renumbered 0..n-1 in their old order.
    RemovalMode removal_mode() const override { return RemovalMode::MarkDeleted; }
    bool is_deleted(idx_t label) const override;
    bool concurrent_remove() const override { return true; }
    // Turns the 8-bit traversal on (encoding the vectors present; later adds are encoded as
    // they come) or off (frees the codes). Stored in the file.
    void set_sq8_traversal(bool on);
    // Same with a given 8-bit quantizer (trained or not): what the reader uses.
    void set_sq8_traversal(std::unique_ptr<ScalarQuantizer> sq);
    bool sq8_traversal() const { return traversal_sq != nullptr; }
    // Turns the quantized-graph walk on with a PQ of pq_M 4-bit sub-quantizers (trained on up
    // to 65536 of the stored vectors; pq_M divides d, at most 256), or off (pq_M = 0).
    void set_qg_traversal(int pq_M);
    // Same with a given 4-bit PQ (trained or not): what the reader uses.
    void set_qg_traversal(std::unique_ptr<ProductQuantizer> pq);
    bool qg_traversal() const { return qg_pq != nullptr; }
    // Inserts run beside searches (readers see the graph before or after each link change and
    // only nodes counted in ntotal when they started), except over a memory-mapped file,
    // with nodes marked deleted, or with the 8-bit traversal on.
    bool concurrent_add() const override;
    // Blocks between which an add can be interrupted; the quantized records are repacked
    // after each block (every row), hence larger ones there.
    idx_t add_block_size() const override { return qg_pq ? 65536 : 16384; }
    bool filters_cheaply() const override { return true; }

   protected:
    void do_add(idx_t n, const float* x) override;
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                         const SearchParameters* params) const override;
    void do_reset() override;
    size_t do_remove_ids(const IDSelector& sel) override;
    size_t do_compact() override;
    // A deleted node cannot be reconstructed (it is gone for every other purpose too).
    void do_reconstruct(idx_t key, float* recons) const override;

   private:
    void encode_traversal(idx_t from);
    void pack_qg();
    // The setters' work, inside a write scope the caller holds (reset) or needs none (read).
    void install_sq8(std::unique_ptr<ScalarQuantizer> sq);
    void install_qg(std::unique_ptr<ProductQuantizer> pq);
};

// The quantized graph (issue 19; factory "HNSW<M>,QG" or "HNSW<M>,QG<pq_M>"): an HNSW whose
// level-0 walk runs on quantized codes from the first add, built with efConstruction 200 by
// default (the estimates need a careful graph: at FAISS's 40 the walk loses 2-3x at matched
// recall). Up to d = 256 (and whenever pq_M is given) the walk reads the per-node records of
// IndexHNSWFlat::set_qg_traversal (row, neighbours' 4-bit PQ codes, vector: one contiguous
// read and one fast-scan call per expanded node); above, where 4-bit PQ estimates are too
// coarse to steer (d = 768: efSearch 256 for recall 0.99 against 32), it walks on 8-bit codes
// of the vectors (IndexHNSWFlat::set_sq8_traversal). Results get exact distances either way.
// The rest is IndexHNSWFlat's (adds after the first, removal, selectors, range search,
// mmap); its file record is IndexHNSWFlat's under its own tag (IHqg), the walk included.
// docs/architecture.md has the design and the measured effect of each step.
struct IndexHNSWQG : IndexHNSWFlat {
    // pq_M: 4-bit sub-quantizers per neighbour code, a divisor of d in [1, 256]; 0 picks the
    // walk by d (pq_walk_by_default) and then default_pq_M(d). M in [2, 32] (level-0 rows of
    // 2M <= 64 links, two fast-scan blocks). InvalidArgument otherwise, or for a metric other
    // than L2 / inner product.
    explicit IndexHNSWQG(idx_t d, int M = 32, int pq_M = 0, MetricType metric = METRIC_L2);
    // Whether pq_M = 0 means the PQ-record walk (d <= 256) rather than the 8-bit one. Measured
    // at d = 128 (PQ faster) and d = 768 (8-bit faster); the boundary between is a choice.
    static bool pq_walk_by_default(idx_t d) { return d <= 256; }
    // d up to d = 64 (one component per sub-quantizer: two lose recall at small d), else the
    // largest divisor of d up to min(256, d / 2) (64 at d = 128; 256 at d = 768).
    static int default_pq_M(idx_t d);
};

// HNSW over the codes of a flat-codes storage (FAISS's IndexHNSWSQ / IndexHNSWPQ): the graph
// is built and walked on the codec's distances (approximate, as FAISS); memory per vector is
// the code plus the links. Removal is not supported (as FAISS).
struct IndexHNSWCodes : Index {
    HNSW hnsw;
    std::unique_ptr<IndexFlatCodes> storage;

    IndexHNSWCodes(std::unique_ptr<IndexFlatCodes> storage, int M);
    bool filters_cheaply() const override { return true; }
    idx_t add_block_size() const override { return 16384; }

   protected:
    void do_train(idx_t n, const float* x) override;
    void do_add(idx_t n, const float* x) override;
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_reset() override;
    void do_reconstruct(idx_t key, float* recons) const override;
};

struct IndexHNSWSQ : IndexHNSWCodes {
    IndexHNSWSQ(idx_t d, ScalarQuantizer::QuantizerType qtype, int M = 32,
                MetricType metric = METRIC_L2);
};

struct IndexHNSWPQ : IndexHNSWCodes {
    IndexHNSWPQ(idx_t d, int pq_m, int M = 32, int pq_nbits = 8, MetricType metric = METRIC_L2);
};

// HNSW over two-level codes (FAISS's IndexHNSW2Level): coarse list number + PQ of the
// residual (Index2Layer storage). `quantizer` (nlist centroids after training; not owned
// unless the storage's q1.set_owned(true)) may be a MultiIndexQuantizer.
struct IndexHNSW2Level : IndexHNSWCodes {
    IndexHNSW2Level(Index* quantizer, size_t nlist, int m_pq, int M = 32,
                    MetricType metric = METRIC_L2);
    IndexHNSW2Level(std::unique_ptr<Index2Layer> storage, int M);
    Index2Layer& storage2l() const;
};

// HNSW over binary codes with Hamming distance (FAISS's IndexBinaryHNSW): the same graph
// code as IndexHNSWFlat, the codes stored in an IndexBinaryFlat.
struct IndexBinaryHNSW : IndexBinary {
    HNSW hnsw;
    IndexBinaryFlat storage;

    explicit IndexBinaryHNSW(idx_t d, int M = 32);

   protected:
    void do_add(idx_t n, const uint8_t* x) override;
    void do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_reset() override;
    void do_reconstruct(idx_t key, uint8_t* recons) const override;
};

}  // namespace faisslike
