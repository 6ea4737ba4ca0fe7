#include "faisslike/invlists/InvertedLists.h"

#include <algorithm>
#include <cstring>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/impl/Parallel.h"

namespace faisslike {

void make_writable(std::unique_ptr<InvertedLists>& il) {
    if (!il->is_mapped()) return;
    auto a = std::make_unique<ArrayInvertedLists>(il->nlist, il->code_size);
    for (size_t l = 0; l < il->nlist; ++l) {
        const size_t ls = il->list_size(l);
        if (ls) a->add_entries(l, ls, il->get_ids(l), il->get_codes(l));
    }
    il = std::move(a);
}

size_t remove_ids_from_lists(InvertedLists& il, const IDSelector& sel) {
    std::vector<size_t> removed_per_list(il.nlist, 0);
    // Lists are independent: one thread per list, the last entry moves into each hole.
    parallel_for(int64_t(il.nlist), [&](int64_t l) {
        size_t ls = il.list_size(size_t(l));
        const idx_t* ids = il.get_ids(size_t(l));
        size_t removed = 0;
        for (size_t o = 0; o < ls;) {
            if (!sel.is_member(ids[o])) {
                ++o;
                continue;
            }
            --ls;
            if (o != ls)
                il.update_entry(size_t(l), o, ids[ls], il.get_codes(size_t(l)) + ls * il.code_size);
            ++removed;
            ids = il.get_ids(size_t(l));
        }
        il.resize(size_t(l), ls);
        removed_per_list[size_t(l)] = removed;
    });
    size_t removed = 0;
    for (size_t r : removed_per_list) removed += r;
    return removed;
}

size_t InvertedLists::compute_ntotal() const {
    size_t n = 0;
    for (size_t l = 0; l < nlist; ++l) n += list_size(l);
    return n;
}

void InvertedLists::check_list_no(size_t list_no) const {
    FAISSLIKE_THROW_IF_NOT_FMT(list_no < nlist, "list number %zu out of range [0, %zu)", list_no,
                               nlist);
}

ArrayInvertedLists::ArrayInvertedLists(size_t nlist_in, size_t code_size_in)
    : InvertedLists(nlist_in, code_size_in), codes(nlist_in), ids(nlist_in) {}

void ArrayInvertedLists::reserve_extra(size_t list_no, size_t extra) {
    const size_t need = ids[list_no].size() + extra;
    const size_t cap = ids[list_no].capacity();
    if (need <= cap) return;
    // Grow by at least 25%: amortized linear for many small adds, while a big add costs at
    // most 25% slack (std::vector doubling can leave 2x, the FAISS out-of-memory complaint).
    const size_t target = std::max(need, cap + cap / 4);
    ids[list_no].reserve(target);
    codes[list_no].reserve(target * code_size);
}

size_t ArrayInvertedLists::add_entries(size_t list_no, size_t n, const idx_t* new_ids,
                                       const uint8_t* new_codes) {
    const size_t o = ids[list_no].size();
    if (n == 0) return o;
    reserve_extra(list_no, n);
    codes[list_no].append(new_codes, n * code_size);
    ids[list_no].append(new_ids, n);  // publishes the entries
    return o;
}

void ArrayInvertedLists::update_entry(size_t list_no, size_t offset, idx_t id,
                                      const uint8_t* code) {
    ids[list_no][offset] = id;
    std::memcpy(codes[list_no].data() + offset * code_size, code, code_size);
}

void ArrayInvertedLists::resize(size_t list_no, size_t new_size) {
    ids[list_no].resize(new_size);
    codes[list_no].resize(new_size * code_size);
}

void ArrayInvertedLists::reset() {
    for (size_t l = 0; l < nlist; ++l) {
        LiveArray<uint8_t>().swap(codes[l]);
        LiveArray<idx_t>().swap(ids[l]);
    }
}

MappedInvertedLists::MappedInvertedLists(size_t nlist_in, size_t code_size_in,
                                         std::shared_ptr<const void> owner_in)
    : InvertedLists(nlist_in, code_size_in),
      codes(nlist_in, nullptr),
      ids(nlist_in, nullptr),
      sizes(nlist_in, 0),
      owner(std::move(owner_in)) {}

namespace {
[[noreturn]] void read_only() {
    FAISSLIKE_THROW_MSG("memory-mapped inverted lists are read-only");
}
}  // namespace

size_t MappedInvertedLists::add_entries(size_t, size_t, const idx_t*, const uint8_t*) {
    read_only();
}
void MappedInvertedLists::reserve_extra(size_t, size_t) {
    read_only();
}
void MappedInvertedLists::update_entry(size_t, size_t, idx_t, const uint8_t*) {
    read_only();
}
void MappedInvertedLists::resize(size_t, size_t) {
    read_only();
}
void MappedInvertedLists::reset() {
    read_only();
}

}  // namespace faisslike
