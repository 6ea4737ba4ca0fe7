// Inverted lists in their own data file, read in place (FAISS's OnDiskInvertedLists, used by
// contrib.ondisk.merge_ondisk to build an index larger than RAM from shards). An index file
// then records only where each list lies in the data file, with that file's size and XXH3
// hash: loading checks both (a data file that does not match is an Error, never other
// results), and every entry point checks the file was not changed in place since.
// Read-only like MappedInvertedLists: the first change copies the lists into memory.
#pragma once

#include <string>
#include <vector>

#include "faisslike/invlists/InvertedLists.h"

namespace faisslike {

class MappedFile;

struct OnDiskInvertedLists : MappedInvertedLists {
    std::string filename;           // as given (relative names: to the working directory)
    std::vector<uint64_t> offsets;  // per list: byte offset of its ids, its codes follow
    uint64_t file_size = 0, file_hash = 0;
    std::shared_ptr<const MappedFile> file;

    // Writes `filename` (atomically: the old file or the complete new one) with list l the
    // concatenation of list l of each source, in order, then maps it. shift_ids adds to the
    // ids of each source the number of entries of the sources before it (shards numbered
    // from 0 each). Sources must share nlist and code_size.
    static std::unique_ptr<OnDiskInvertedLists> merge(
        const std::vector<const InvertedLists*>& sources, const std::string& filename,
        bool shift_ids);
    // Maps an existing data file and checks it against what the index file recorded: size,
    // hash, list extents, ids >= 0. Error (naming the file) on any mismatch.
    static std::unique_ptr<OnDiskInvertedLists> open(const std::string& filename, size_t nlist,
                                                     size_t code_size,
                                                     const std::vector<uint64_t>& offsets,
                                                     const std::vector<uint64_t>& sizes,
                                                     uint64_t file_size, uint64_t file_hash);
    void check_unchanged() const override;

    // Data file layout: 64-byte header ("FLIVDATA", uint32 version 1, zeros), then per list
    // its ids (int64) and its codes, each starting at a multiple of 64.
    static constexpr uint64_t kHeaderSize = 64;

   private:
    OnDiskInvertedLists(size_t nlist, size_t code_size, std::shared_ptr<const void> owner)
        : MappedInvertedLists(nlist, code_size, std::move(owner)) {}
};

}  // namespace faisslike
