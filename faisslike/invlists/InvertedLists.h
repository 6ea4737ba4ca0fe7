// Inverted lists: per list, contiguous codes and the ids that go with them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "faisslike/MetricType.h"
#include "faisslike/impl/LiveArray.h"

namespace faisslike {

// Storage interface of IVF indexes. Readers may be called concurrently. Writers need
// exclusive access, except add_entries where concurrent_append() says so: then a reader that
// reads list_size before get_codes / get_ids finds that many complete entries. A
// memory-mapped implementation only has to provide the getters.
struct InvertedLists {
    size_t nlist;
    size_t code_size;  // bytes per vector

    InvertedLists(size_t nlist, size_t code_size) : nlist(nlist), code_size(code_size) {}
    virtual ~InvertedLists() = default;

    virtual size_t list_size(size_t list_no) const = 0;
    virtual const uint8_t* get_codes(size_t list_no) const = 0;
    virtual const idx_t* get_ids(size_t list_no) const = 0;

    // Appends n entries; returns the offset of the first one in the list.
    virtual size_t add_entries(size_t list_no, size_t n, const idx_t* ids,
                               const uint8_t* codes) = 0;
    // Makes room for `extra` more entries (lets adds reserve from assignment counts).
    virtual void reserve_extra(size_t list_no, size_t extra) = 0;
    // Overwrites entry `offset` (used by removal to move the last entry into a hole).
    virtual void update_entry(size_t list_no, size_t offset, idx_t id, const uint8_t* code) = 0;
    virtual void resize(size_t list_no, size_t new_size) = 0;
    virtual void reset() = 0;
    // Read in place from a file (no changes possible: copy first).
    virtual bool is_mapped() const { return false; }
    virtual bool concurrent_append() const { return false; }
    // Lists read from a file that may be changed under them: Error if it was (see
    // MappedFile). Called by the entry points of the index holding them.
    virtual void check_unchanged() const {}

    size_t compute_ntotal() const;
    // Throws Error if list_no is out of range (used on every public path).
    void check_list_no(size_t list_no) const;
};

struct IDSelector;
// Replaces memory-mapped lists by an in-memory copy (no-op for in-memory lists): before any
// change.
void make_writable(std::unique_ptr<InvertedLists>& il);
// Removes the entries whose ids sel selects from every list (the last entry of a list moves
// into each hole; lists in parallel). Returns how many were removed.
size_t remove_ids_from_lists(InvertedLists& il, const IDSelector& sel);

struct ArrayInvertedLists : InvertedLists {
    // Appends publish codes, then ids (whose size is list_size): see LiveArray.
    std::vector<LiveArray<uint8_t>> codes;
    std::vector<LiveArray<idx_t>> ids;

    ArrayInvertedLists(size_t nlist, size_t code_size);

    size_t list_size(size_t list_no) const override { return ids[list_no].size(); }
    const uint8_t* get_codes(size_t list_no) const override { return codes[list_no].data(); }
    const idx_t* get_ids(size_t list_no) const override { return ids[list_no].data(); }
    size_t add_entries(size_t list_no, size_t n, const idx_t* ids, const uint8_t* codes) override;
    void reserve_extra(size_t list_no, size_t extra) override;
    void update_entry(size_t list_no, size_t offset, idx_t id, const uint8_t* code) override;
    void resize(size_t list_no, size_t new_size) override;
    void reset() override;
    bool concurrent_append() const override { return true; }
};

// Lists read in place from a memory-mapped file (read_index with IO_FLAG_MMAP): getters only.
// IndexIVF copies them into ArrayInvertedLists before any change.
struct MappedInvertedLists : InvertedLists {
    std::vector<const uint8_t*> codes;
    std::vector<const idx_t*> ids;
    std::vector<size_t> sizes;
    std::shared_ptr<const void> owner;  // keeps the mapping alive

    MappedInvertedLists(size_t nlist, size_t code_size, std::shared_ptr<const void> owner);

    size_t list_size(size_t list_no) const override { return sizes[list_no]; }
    const uint8_t* get_codes(size_t list_no) const override { return codes[list_no]; }
    const idx_t* get_ids(size_t list_no) const override { return ids[list_no]; }
    size_t add_entries(size_t, size_t, const idx_t*, const uint8_t*) override;
    void reserve_extra(size_t, size_t) override;
    void update_entry(size_t, size_t, idx_t, const uint8_t*) override;
    void resize(size_t, size_t) override;
    void reset() override;
    bool is_mapped() const override { return true; }
};

}  // namespace faisslike
