// write_index / read_index: the versioned binary format in docs/file-format.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "faisslike/Index.h"
#include "faisslike/io.h"

namespace faisslike {

// Current format version. Readers accept every version <= this one (see docs/file-format.md).
// 2: an XXH3-64 checksum after every record. Version 1 files (no checksums) are still read.
constexpr uint32_t kFormatVersion = 2;

// Atomic: the file at `path` is either the old one or the complete new one, never a mix.
void write_index(const Index* index, const std::string& path);
void write_index(const Index* index, IOWriter* writer);

// Throws Error (naming the file and the section) on a missing, truncated, corrupt or
// unsupported file; never trusts a count before checking it against the bytes left.
std::unique_ptr<Index> read_index(const std::string& path);
std::unique_ptr<Index> read_index(IOReader* reader);

std::vector<uint8_t> serialize_index(const Index* index);
std::unique_ptr<Index> deserialize_index(const uint8_t* data, size_t size);

}  // namespace faisslike
