// Inverted-file indexes: a coarse quantizer splits the space into nlist cells; a search
// scans the nprobe cells nearest to the query.
#pragma once

#include <memory>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "faisslike/Clustering.h"
#include "faisslike/Index.h"
#include "faisslike/impl/SubIndex.h"
#include "faisslike/invlists/InvertedLists.h"

namespace faisslike {

// Per-thread scoring state of an IVF search: set_query once per query (lookup tables, ...),
// set_list for each probed list, then distance_block over the list's codes in blocks.
// IndexIVF does the rest (selectors, top-k, range), the same for every code type.
struct InvertedListScanner {
    virtual ~InvertedListScanner() = default;
    virtual void set_query(const float* x) = 0;
    // coarse_dis: the quantizer's distance (L2) or inner product (IP) to the list centroid.
    virtual void set_list(size_t list_no, float coarse_dis) = 0;
    // out[j] = L2 distance (or inner product) of the query to the j-th of nb codes.
    virtual void distance_block(const uint8_t* codes, size_t nb, float* out) = 0;
    // Scanners whose codes carry error bounds (RaBitQ's multi-bit codes) can leave out codes
    // that provably cannot enter the results. They return true here and IndexIVF then calls
    // distance_block_bounded, in small blocks, with its current bound in heap space (an L2
    // distance, or a negated inner product); left-out codes get +inf (L2) / -inf (IP).
    virtual bool uses_bound() const { return false; }
    virtual void distance_block_bounded(const uint8_t* codes, size_t nb, float* out, float) {
        distance_block(codes, nb, out);
    }
};

struct SearchParametersIVF : SearchParameters {
    // FAISS's default (1), whatever the index's own nprobe; 0: the index's nprobe. Values
    // above nlist are clamped to nlist.
    size_t nprobe = 1;
    std::unique_ptr<SearchParameters> clone() const override {
        return std::make_unique<SearchParametersIVF>(*this);
    }
};

// id -> (list, offset), for reconstruct() (and later removal).
struct DirectMap {
    enum Type : uint8_t { NoMap = 0, Array = 1, Hashtable = 2 };
    Type type = NoMap;
    LiveArray<uint64_t> array;                      // Array: ids must be 0, 1, 2, ...
    std::unordered_map<idx_t, uint64_t> hashtable;  // Hashtable: any ids
    // The table rehashes as it grows: reconstructs (get) read it beside a concurrent add.
    mutable std::shared_mutex hashtable_mutex;

    static uint64_t lo_build(size_t list_no, size_t offset) {
        return (uint64_t(list_no) << 32) | uint64_t(offset);
    }
    static size_t lo_list(uint64_t lo) { return size_t(lo >> 32); }
    static size_t lo_offset(uint64_t lo) { return size_t(lo & 0xffffffffu); }

    // Rebuilds from the lists; throws if Array is asked for and ids are not 0..ntotal-1.
    void set_type(Type t, const InvertedLists& il, idx_t ntotal);
    void add(idx_t id, size_t list_no, size_t offset);
    uint64_t get(idx_t id) const;  // throws Error if the id is unknown
    void clear();
};

// Gives `quantizer` its nlist centroids (FAISS's Level1Quantizer::train_q1): nothing if it
// has them, its own training if it trains alone (a MultiIndexQuantizer, or trains_alone),
// else k-means with cp on the n training vectors.
void train_coarse_quantizer(Index& quantizer, size_t nlist, const ClusteringParameters& cp,
                            bool trains_alone, idx_t n, const float* x, bool verbose);

// The checks of a preassigned search (float or binary IVF): nprobe in [1, 2^31], then, when
// n > 0, n x nprobe list numbers in [-1, nlist). False when there is nothing to search.
bool check_preassigned(idx_t n, size_t nprobe, const idx_t* assign, size_t nlist);

struct IndexIVF : Index {
    SubIndex quantizer;  // not owned unless quantizer.set_owned(true)
    size_t nlist;
    size_t nprobe = 1;
    // k-means settings for train(): FAISS's IVF defaults (10 iterations, spherical for IP).
    ClusteringParameters cp;
    std::unique_ptr<InvertedLists> invlists;
    size_t code_size;
    DirectMap direct_map;

    IndexIVF(Index* quantizer, idx_t d, size_t nlist, size_t code_size, MetricType metric);
    IndexIVF(const IndexIVF&) = delete;
    IndexIVF& operator=(const IndexIVF&) = delete;

    // nprobe in [1, kMaxNprobe] (InvalidArgument otherwise; the same bound in search
    // parameters and files); values above nlist act as nlist.
    static constexpr size_t kMaxNprobe = size_t(1) << 31;
    void set_nprobe(idx_t nprobe);

    // Removal: entries leave their lists (the last entry moves into each hole); the other
    // ids are kept. Not possible with an Array direct map (use Hashtable), as in FAISS.
    RemovalMode removal_mode() const override { return RemovalMode::KeepIds; }
    bool accepts_ids() const override { return true; }
    // Lists that publish appends (ArrayInvertedLists) and no per-list state rebuilt after
    // adds (lists_changed: the fast-scan types say false).
    bool concurrent_add() const override;
    idx_t add_block_size() const override { return 65536; }
    // A Hashtable direct map unless one is there (reconstruct needs it, as in FAISS).
    void enable_reconstruct() override;
    // The quantizer answers with list numbers in [0, nlist) for every vector: it holds
    // exactly nlist vectors and is neither an IDMap nor anything else that relabels. Throws
    // Error otherwise (checked on construction, read, add and search).
    void check_quantizer() const;

    // Replaces memory-mapped lists by an in-memory copy (done before any change).
    void make_invlists_writable();
    // Installs other lists (e.g. OnDiskInvertedLists::merge of shards built with this
    // index's trained quantizer): same nlist and code_size; ntotal becomes their total and
    // the direct map is rebuilt. Checked and guarded like add.
    void replace_invlists(std::unique_ptr<InvertedLists> il);
    void make_direct_map(bool maintain = true);
    void set_direct_map_type(DirectMap::Type type);

    // FAISS's merge_from: moves every entry of `other` into this index, ids shifted by add_id
    // (>= 0), and leaves `other` empty. `other` must be an IVF index of the same type, d,
    // metric, nlist and code size, with the same coarse centroids and the same encoder
    // (codes decode to the same vectors); neither may keep an Array direct map (a Hashtable
    // one is rebuilt). Nothing moves when a check fails (InvalidArgument).
    void merge_from(Index& other, idx_t add_id = 0);
    // The checks of merge_from, without moving anything.
    void check_compatible_for_merge(const Index& other) const;
    // Copies the entries of the inverted lists `list_nos` of `other` (checked as merge_from;
    // left unchanged) into this index, ids shifted by add_id: re-cutting shards by list.
    void copy_lists_from(const Index& other, const std::vector<idx_t>& list_nos, idx_t add_id = 0);

    // FAISS's add_core / contrib add_preassigned: adds n vectors to the lists given in
    // list_nos (-1: the vector is skipped but still uses up its id). xids null: ids
    // ntotal, ntotal + 1, ... Checked like add_with_ids, plus every list_nos in [-1, nlist).
    void add_preassigned(idx_t n, const float* x, const idx_t* xids, const idx_t* list_nos);
    // Checked search with the caller's coarse assignment (n x nprobe lists, -1 = none;
    // coarse_dis may be null: zeros, which only IVFPQ by_residual with L2 uses).
    void search_preassigned_checked(idx_t n, const float* x, idx_t k, size_t nprobe,
                                    const idx_t* assign, const float* coarse_dis, float* distances,
                                    idx_t* labels, const SearchParameters* params = nullptr) const;
    // FAISS's replace_ivf_quantizer: q (not owned) must hold the same nlist centroids of
    // dimension d; the lists are kept as they are. The old quantizer is kept (not freed)
    // until the index is destroyed.
    void replace_quantizer(Index* q);
    std::vector<SubIndex> retired_quantizers;

    // Search with coarse assignments already computed (n x nprobe lists, -1 = none).
    void search_preassigned(idx_t n, const float* x, idx_t k, const idx_t* assign,
                            const float* coarse_dis, float* distances, idx_t* labels, size_t nprobe,
                            const IDSelector* sel = nullptr,
                            const SearchParameters* params = nullptr) const;

    // Subclass hooks.
    virtual void encode_vector(const float* x, size_t list_no, uint8_t* code) const = 0;
    // n vectors at once (list_nos[i] >= 0); the default calls encode_vector in parallel.
    virtual void encode_vectors(size_t n, const float* x, const idx_t* list_nos,
                                uint8_t* codes) const;
    virtual void decode_vector(const uint8_t* code, size_t list_no, float* x) const = 0;
    virtual std::unique_ptr<InvertedListScanner> get_scanner() const = 0;
    // The scanner for a search with these parameters (null: the index's settings); types
    // with their own search parameters (IVF RaBitQ's query bits) override it.
    virtual std::unique_ptr<InvertedListScanner> get_scanner_for(
        const SearchParameters* /*params*/) const {
        return get_scanner();
    }
    virtual void train_encoder(idx_t /*n*/, const float* /*x*/) {}
    // Batches that probe each list many times may be answered list by list (each list read
    // once for all its queries). Returns false when the index type has no such path.
    virtual bool search_preassigned_by_list(idx_t /*n*/, const float* /*x*/, idx_t /*k*/,
                                            const idx_t* /*assign*/, float* /*distances*/,
                                            idx_t* /*labels*/, size_t /*nprobe*/) const {
        return false;
    }
    // Average (query, list) visits per list at and above which a batch goes list by list.
    // Tuned with benchs/ann_bench.py on syn-1m (see docs/architecture.md).
    double by_list_min_visits = 4.0;
    // FAISS's setting: 1 trains the quantizer on the data itself instead of by k-means (also
    // done whenever quantizer->trains_alone()). Not serialized.
    int quantizer_trains_alone = 0;

    static constexpr size_t kScanBlock = 1024;

    // Called after the lists changed through this class (appended: only entries were added
    // at the ends of lists). Indexes that keep a derived form of the lists (fast-scan's
    // packed blocks) refresh it here; code that edits `invlists` directly must call it.
    virtual void lists_changed(bool /*appended*/) {}

   protected:
    void do_train(idx_t n, const float* x) override;
    void do_add(idx_t n, const float* x) override;
    void do_add_with_ids(idx_t n, const float* x, const idx_t* xids) override;
    // nprobe from params (SearchParametersIVF) or the index; fewer than k results in the
    // probed lists give -1 labels (see docs/python-api.md).
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_reset() override;
    size_t do_remove_ids(const IDSelector& sel) override;
    void do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                         const SearchParameters* params) const override;
    // Needs a direct map (make_direct_map / enable_reconstruct), as in FAISS.
    void do_reconstruct(idx_t key, float* recons) const override;
    // FAISS's layout: the list number in coarse_code_size() little-endian bytes, then the
    // list's code of the vector.
    size_t do_sa_code_size() const override;
    void do_sa_encode(idx_t n, const float* x, uint8_t* bytes) const override;
    void do_sa_decode(idx_t n, const uint8_t* bytes, float* x) const override;
    size_t coarse_code_size() const;
    void check_external_files() const override { invlists->check_unchanged(); }
    size_t effective_nprobe(const SearchParameters* params) const;
    // The quantizer's lists of n vectors (each checked to be in [0, nlist)).
    std::vector<idx_t> assign_lists(idx_t n, const float* x) const;
    // Appends to the lists (list_nos[i] < 0: skipped); ntotal grows by n.
    void add_core(idx_t n, const float* x, const idx_t* xids, const idx_t* list_nos);

   private:
    // merge_from / copy_lists_from once checked: appends other's lists where take[l] (all
    // lists when take is null), ids + add_id; nothing changes when an id would overflow.
    void append_lists_of(const IndexIVF& other, const std::vector<bool>* take, idx_t add_id);
};

}  // namespace faisslike
