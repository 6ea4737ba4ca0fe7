// Inverted file over binary codes (FAISS's IndexBinaryIVF): a binary coarse quantizer
// (IndexBinaryFlat, or IndexBinaryHNSW for many lists) assigns each code to one of nlist
// lists; search scans the nprobe lists nearest to the query by Hamming distance.
#pragma once

#include <memory>

#include "faisslike/IndexBinary.h"
#include "faisslike/IndexIVF.h"

namespace faisslike {

struct IndexBinaryIVF : IndexBinary {
    IndexBinary* quantizer;
    bool own_fields = false;
    size_t nlist;
    size_t nprobe = 1;
    std::unique_ptr<InvertedLists> invlists;
    DirectMap direct_map;
    ClusteringParameters cp;  // k-means on the codes as +-1 vectors (FAISS's training)

    IndexBinaryIVF(IndexBinary* quantizer, idx_t d, size_t nlist);
    ~IndexBinaryIVF() override;
    IndexBinaryIVF(const IndexBinaryIVF&) = delete;
    IndexBinaryIVF& operator=(const IndexBinaryIVF&) = delete;

    void set_nprobe(idx_t nprobe);
    // The quantizer holds exactly nlist centroids labelled 0..nlist-1 (Error otherwise).
    void check_quantizer() const;
    void make_direct_map(bool maintain = true);
    void set_direct_map_type(DirectMap::Type type);
    void make_invlists_writable();
    // FAISS's add_core with a given assignment (-1: skipped).
    void add_preassigned(idx_t n, const uint8_t* x, const idx_t* xids, const idx_t* list_nos);
    void search_preassigned_checked(idx_t n, const uint8_t* x, idx_t k, size_t nprobe,
                                    const idx_t* assign, int32_t* distances, idx_t* labels,
                                    const SearchParameters* params = nullptr) const;

    RemovalMode removal_mode() const override { return RemovalMode::KeepIds; }
    bool accepts_ids() const override { return true; }
    void enable_reconstruct() override;

   protected:
    void do_train(idx_t n, const uint8_t* x) override;
    void do_add(idx_t n, const uint8_t* x) override;
    void do_add_with_ids(idx_t n, const uint8_t* x, const idx_t* xids) override;
    void do_search(idx_t n, const uint8_t* x, idx_t k, int32_t* distances, idx_t* labels,
                   const SearchParameters* params) const override;
    void do_range_search(idx_t n, const uint8_t* x, int radius, RangeSearchResult* result,
                         const SearchParameters* params) const override;
    void do_reset() override;
    size_t do_remove_ids(const IDSelector& sel) override;
    void do_reconstruct(idx_t key, uint8_t* recons) const override;

   private:
    size_t effective_nprobe(const SearchParameters* params) const;
    std::vector<idx_t> assign_lists(idx_t n, const uint8_t* x) const;
    void add_core(idx_t n, const uint8_t* x, const idx_t* xids, const idx_t* list_nos);
    void search_lists(idx_t n, const uint8_t* x, idx_t k, size_t np, const idx_t* assign,
                      int32_t* D, idx_t* I, const IDSelector* sel) const;
};

}  // namespace faisslike
