// The contract every index implements (FAISS semantics: row-major float vectors, int64 ids).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <typeinfo>

#include "faisslike/Error.h"
#include "faisslike/MetricType.h"
#include "faisslike/impl/UsageGuard.h"

namespace faisslike {

class MappedFile;

struct IDSelector;

// Per-call search settings. Index types extend it (e.g. nprobe, efSearch) so concurrent
// searches with different settings never share mutable state.
struct SearchParameters {
    // Only ids for which sel->is_member() holds are returned (not owned; null: all ids).
    const IDSelector* sel = nullptr;
    // Set by a caller that scores every returned candidate again itself (IndexRefineFlat):
    // an index whose results are re-scored estimates (fast-scan) may then return the
    // estimates as they are. The ids returned are the same; their order and distances may
    // differ. Wrappers pass it on with the rest of the parameters.
    bool estimates_suffice = false;
    virtual ~SearchParameters() = default;
    // Wrappers (IndexIDMap, ...) pass a copy with another selector to the index they wrap.
    virtual std::unique_ptr<SearchParameters> clone() const {
        return std::make_unique<SearchParameters>(*this);
    }
};

// Results of range_search for nq queries: those of query i are entries lims[i] .. lims[i+1]
// of labels / distances (FAISS's layout), sorted best first.
struct RangeSearchResult {
    size_t nq = 0;
    std::vector<size_t> lims;
    std::vector<idx_t> labels;
    std::vector<float> distances;
};

// What remove_ids does to the ids of the vectors that stay: what a wrapper keeping its own
// table per stored vector (IndexIDMap, IndexRefineFlat) must do after a removal.
enum class RemovalMode {
    Unsupported,  // remove_ids throws
    Renumber,     // the others move down, order kept (Flat, PQ, SQ: as FAISS)
    KeepIds,      // the others keep their ids (IVF, IDMap)
    MarkDeleted,  // nodes are flagged (is_deleted) and keep their ids until compact() (HNSW)
};

// A count that the one writer changes while readers read it (Index::ntotal): converts to
// idx_t like the plain field it replaces; the writer publishes it after the data it counts.
class Count {
   public:
    Count(idx_t v = 0) : v_(v) {}
    Count(const Count& o) : v_(o.load()) {}
    Count& operator=(const Count& o) {
        store(o.load());
        return *this;
    }
    Count& operator=(idx_t v) {
        store(v);
        return *this;
    }
    operator idx_t() const { return load(); }
    Count& operator+=(idx_t n) {
        store(load() + n);
        return *this;
    }
    Count& operator-=(idx_t n) {
        store(load() - n);
        return *this;
    }
    idx_t load() const { return v_.load(std::memory_order_acquire); }
    void store(idx_t v) { v_.store(v, std::memory_order_release); }

   private:
    std::atomic<idx_t> v_;
};

// The contract. Public entry points are not virtual: each validates its arguments once
// (InvalidArgument naming the value), enters the object's concurrency domain (UsageGuard.h:
// searches never lock; writers are serialized and run beside searches where the type
// supports it, concurrent_add), then calls the protected do_* implementation, which may
// assume valid arguments.
struct Index {
    int d;
    Count ntotal = 0;
    bool verbose = false;
    bool is_trained = true;
    MetricType metric_type;

    explicit Index(idx_t d = 0, MetricType metric = METRIC_L2);
    virtual ~Index();
    Index(const Index& other);
    Index& operator=(const Index& other);

    void train(idx_t n, const float* x);
    void add(idx_t n, const float* x);
    // Indexes that keep ids (accepts_ids()) store xids (each >= 0); others throw. replace:
    // an upsert (supports_replace(): IndexIDMap2): an id already present gets the new
    // vector, atomically for searches (never both, never neither); others throw.
    void add_with_ids(idx_t n, const float* x, const idx_t* xids, bool replace = false);
    // For each of the n queries, the k nearest results, sorted (best first). Missing results
    // have label -1 and distance +inf (L2) or -inf (inner product).
    void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                const SearchParameters* params = nullptr) const;
    void reset();
    // Removes the vectors whose ids sel selects; returns how many. What happens to the other
    // ids: removal_mode().
    size_t remove_ids(const IDSelector& sel);
    // All results within `radius`: L2 distance < radius, or inner product > radius. Throws
    // where not supported.
    void range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                      const SearchParameters* params = nullptr) const;
    // The stored vector with id `key` (as search returns it).
    void reconstruct(idx_t key, float* recons) const;
    void reconstruct_n(idx_t i0, idx_t ni, float* recons) const;
    // InvalidArgument unless [i0, i0 + ni) lies in [0, ntotal): lets callers that allocate
    // the output (the bindings) ask before allocating.
    void check_id_range(idx_t i0, idx_t ni) const;

    // Standalone codec (FAISS's sa_* API): sa_code_size() bytes per vector, computed without
    // adding anything. Error for index types that have none (has_sa_codec() says which) or
    // that are untrained; sa_decode checks what it reads (InvalidArgument for a code no
    // encoder could have written, e.g. a list number >= nlist).
    bool has_sa_codec() const { return do_sa_code_size() != 0; }
    size_t sa_code_size() const;
    void sa_encode(idx_t n, const float* x, uint8_t* bytes) const;
    void sa_decode(idx_t n, const uint8_t* bytes, float* x) const;

    // Loaded with IO_FLAG_MMAP: every entry point (and write_index) first checks that the
    // file was not changed in place since (Error if it was). Set by read_index.
    void set_mapped_file(std::shared_ptr<const MappedFile> file) { mapped_file_ = std::move(file); }
    void check_mapped_file() const;
    // Frees what removal only marked (MarkDeleted); the survivors are renumbered in their
    // old order. Returns how many were freed (0 for other indexes).
    size_t compact();

    // ---- Capabilities: what wrappers ask of the index they wrap (wrappers forward them).
    virtual RemovalMode removal_mode() const { return RemovalMode::Unsupported; }
    // add_with_ids stores the given ids and search returns them as labels.
    virtual bool accepts_ids() const { return false; }
    // Whether the vector with this label was removed but is still stored (MarkDeleted).
    virtual bool is_deleted(idx_t /*label*/) const { return false; }
    // Makes reconstruct(label) work for labels given through add_with_ids (IVF: a direct
    // map). No-op where it already does.
    virtual void enable_reconstruct() {}
    // Trained on the data itself, after which it holds its centroids (a multi-index): an IVF
    // over it trains it directly instead of running k-means (FAISS's quantizer_trains_alone).
    virtual bool trains_alone() const { return false; }
    // Whether add / add_with_ids run beside searches (storage that publishes appends, see
    // LiveArray). Otherwise they exclude searches for their duration. train, reset,
    // remove_ids, compact and the like always exclude them.
    virtual bool concurrent_add() const { return false; }
    // Whether remove_ids runs beside searches (tombstones: IndexIDMap).
    virtual bool concurrent_remove() const { return false; }
    // add_with_ids(..., replace=true) works (unique ids).
    virtual bool supports_replace() const { return false; }
    // add / add_with_ids run in blocks of this many vectors (0: one block), each exactly an
    // add call of its own: between two, progress is reported (verbose) and an interrupt
    // (Ctrl-C) may stop the add, the index then holding the blocks done.
    virtual idx_t add_block_size() const { return 0; }
    // A selector costs a search little more than its own test (graph walks check candidates
    // one by one anyway); elsewhere it costs the fast paths (BLAS, list scans), and wrappers
    // that hide a few entries ask for more results and drop them instead.
    virtual bool filters_cheaply() const { return false; }

   protected:
    virtual void do_train(idx_t n, const float* x);
    virtual void do_add(idx_t n, const float* x) = 0;
    virtual void do_add_with_ids(idx_t n, const float* x, const idx_t* xids);
    // Called only where supports_replace().
    virtual void do_upsert(idx_t n, const float* x, const idx_t* xids);
    virtual void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                           const SearchParameters* params) const = 0;
    virtual void do_reset() = 0;
    virtual size_t do_remove_ids(const IDSelector& sel);
    virtual void do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                                 const SearchParameters* params) const;
    virtual void do_reconstruct(idx_t key, float* recons) const;
    virtual void do_reconstruct_n(idx_t i0, idx_t ni, float* recons) const;
    virtual size_t do_compact() { return 0; }
    // Files the index reads in place besides the one it was loaded from (IVF: on-disk
    // inverted lists): Error if changed. Called with check_mapped_file().
    virtual void check_external_files() const {}
    // 0: no standalone codec. Encode / decode are called with n > 0 on a trained index.
    virtual size_t do_sa_code_size() const { return 0; }
    virtual void do_sa_encode(idx_t n, const float* x, uint8_t* bytes) const;
    virtual void do_sa_decode(idx_t n, const uint8_t* bytes, float* x) const;

    // The argument checks of the entry points, for subclasses' own entry points.
    void check_search_args(idx_t n, const float* x, idx_t k, const float* distances,
                           const idx_t* labels) const;

   private:
    void check_add_args(idx_t n, const float* x) const;
    void check_reconstruct_n_args(idx_t i0, idx_t ni, const float* recons) const;
    void check_range_args(idx_t n, const float* x, float radius,
                          const RangeSearchResult* result) const;
    UsageCounter usage_;
    std::shared_ptr<const MappedFile> mapped_file_;

   public:
    const UsageCounter& usage() const { return usage_; }
};

// Guards of the entry points (UsageGuard.h): readers, and shared or exclusive writers.
using IndexReadScope = ReadScope<Index>;
using IndexWriteScope = WriteScope<Index>;

// The selector of params (null when there are no params or no selector).
inline const IDSelector* selector_of(const SearchParameters* params) {
    return params ? params->sel : nullptr;
}

// params as the index type's own parameters P: null for no params or a plain
// SearchParameters (selector only); Error for parameters of another index type.
template <class P>
const P* params_as(const SearchParameters* params, const char* expected) {
    if (!params) return nullptr;
    if (auto p = dynamic_cast<const P*>(params)) return p;
    FAISSLIKE_CHECK_ARG(typeid(*params) == typeid(SearchParameters),
                        "this index takes %s (or plain SearchParameters), got parameters of "
                        "another index type",
                        expected);
    return nullptr;
}

// Largest vector dimension: keeps n * d and per-row byte offsets far from overflow.
constexpr idx_t kMaxDim = idx_t(1) << 24;

// Throws InvalidArgument if params are not plain SearchParameters (an index that takes no
// parameters of its own).
void check_plain_params(const SearchParameters* params);

// Throws Error if any of the n x d values is NaN or infinite (names the row and column).
void check_finite(const char* what, idx_t n, int d, const float* x);

}  // namespace faisslike
