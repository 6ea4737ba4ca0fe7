// Exact search over vectors stored contiguously (row-major).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "faisslike/Index.h"
#include "faisslike/impl/LargeAlloc.h"
#include "faisslike/impl/LiveArray.h"

namespace faisslike {

struct Bf16Rows;

struct IndexFlat : Index {
    // ntotal x d floats, unless the index was loaded memory-mapped (then codes is empty and
    // the vectors are read in place; any change copies them into codes first).
    // Huge pages: HNSW walks read random rows. Grows beside searches (LiveArray).
    LiveArray<float, LargeAllocator<float>> codes;

    explicit IndexFlat(idx_t d, MetricType metric = METRIC_L2);
    IndexFlat() = delete;

    // Removal: the selected ids go, later vectors move down (ids renumbered, as FAISS).
    RemovalMode removal_mode() const override { return RemovalMode::Renumber; }
    // Mapped vectors are copied on the first add, which excludes searches.
    bool concurrent_add() const override { return !is_mapped(); }

    const float* get_xb() const { return mapped_ ? mapped_ : codes.data(); }
    bool is_mapped() const { return mapped_ != nullptr; }
    // Uses ntotal x d floats at xb in place; owner keeps them valid (read_index, IO_FLAG_MMAP).
    // xb may be misaligned (a FAISS file's vectors): only memcpy and the kernels read it.
    void set_mapped(const float* xb, idx_t n, std::shared_ptr<const void> owner);
    // Copies mapped vectors into codes (before any change).
    void materialize();

   protected:
    void do_add(idx_t n, const float* x) override;
    void do_search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_reset() override;
    size_t do_remove_ids(const IDSelector& sel) override;
    void do_range_search(idx_t n, const float* x, float radius, RangeSearchResult* result,
                         const SearchParameters* params) const override;
    void do_reconstruct(idx_t key, float* recons) const override;
    // The code of a vector is its float32 bytes (as FAISS).
    size_t do_sa_code_size() const override;
    void do_sa_encode(idx_t n, const float* x, uint8_t* bytes) const override;
    void do_sa_decode(idx_t n, const uint8_t* bytes, float* x) const override;
    void do_reconstruct_n(idx_t i0, idx_t ni, float* recons) const override;

   private:
    const float* mapped_ = nullptr;
    std::shared_ptr<const void> map_owner_;

    // The rows in bf16 for searches of few queries (faisslike/impl/KnnBf16.h: an IVF coarse
    // quantizer searched one query at a time reads half the bytes), made once the same rows
    // served kBf16CacheAfter such searches. Valid while codes' generation, size and address
    // are those it was made from (every write to codes changes the generation).
    struct Bf16Cache {
        std::mutex mu;
        bool made = false;  // rows (null: bf16 does not suit these rows) made for the key
        std::shared_ptr<const Bf16Rows> rows;
        uint64_t gen = 0;
        size_t n = 0;
        const float* data = nullptr;
        size_t uses = 0;  // searches with the key since it changed
        Bf16Cache() = default;
        Bf16Cache(const Bf16Cache&) {}  // a copy starts empty
        Bf16Cache& operator=(const Bf16Cache&) {
            std::lock_guard<std::mutex> lock(mu);
            made = false;
            rows.reset();
            data = nullptr;
            uses = 0;
            return *this;
        }
    };
    static constexpr size_t kBf16CacheAfter = 8;
    mutable Bf16Cache bf16_;
    std::shared_ptr<const Bf16Rows> bf16_rows(size_t nb, const float* xb) const;
};

struct IndexFlatL2 : IndexFlat {
    explicit IndexFlatL2(idx_t d) : IndexFlat(d, METRIC_L2) {}
};

struct IndexFlatIP : IndexFlat {
    explicit IndexFlatIP(idx_t d) : IndexFlat(d, METRIC_INNER_PRODUCT) {}
};

}  // namespace faisslike
