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
// 2: an XXH3-64 checksum after every record, large arrays at 64-byte file offsets. Version 1
// files (neither) are still read.
// 3: a record's checksum no longer covers the bodies of the records nested in it (each has
// its own), so checksumming costs the same at any nesting depth.
constexpr uint32_t kFormatVersion = 3;

// read_index flag: map the file read-only and use Flat vectors, inverted lists and HNSW links
// in place instead of copying them (validated the same way; the first change to such an
// index copies what it changes). Pages come from the page cache and can be shared between
// processes.
constexpr int IO_FLAG_MMAP = 1;
// FAISS's flags, for its programs: READ_ONLY is accepted (loads never write); ONDISK_SAME_DIR
// looks up on-disk inverted-list data files next to the index file.
constexpr int IO_FLAG_READ_ONLY = 2;
constexpr int IO_FLAG_ONDISK_SAME_DIR = 4;

// Atomic: the file at `path` is either the old one or the complete new one, never a mix.
void write_index(const Index* index, const std::string& path);
void write_index(const Index* index, IOWriter* writer);

// Throws Error (naming the file and the section) on a missing, truncated, corrupt or
// unsupported file; never trusts a count before checking it against the bytes left.
std::unique_ptr<Index> read_index(const std::string& path, int io_flags = 0);
std::unique_ptr<Index> read_index(IOReader* reader);

std::vector<uint8_t> serialize_index(const Index* index);

// FAISS's own format (what faiss.write_index writes; read_index recognises it by its first
// bytes): Flat, IVFFlat, IVFPQ, IVFSQ, PQ, SQ, HNSWFlat / SQ / PQ, IDMap(2), RefineFlat,
// PreTransform (L2norm, PCA, random rotation, linear, Hadamard), MultiIndexQuantizer. Other
// types are an Error naming them (before `path` is touched: atomic like write_index).
void write_index_faiss(const Index* index, const std::string& path);
void write_index_faiss(const Index* index, IOWriter* writer);
std::vector<uint8_t> serialize_index_faiss(const Index* index);
std::unique_ptr<Index> deserialize_index(const uint8_t* data, size_t size);

// Binary indexes: the same container and checks; a binary file is not a float index file
// (read_index refuses it, and read_index_binary a float one, naming the record type).
struct IndexBinary;
void write_index_binary(const IndexBinary* index, const std::string& path);
void write_index_binary(const IndexBinary* index, IOWriter* writer);
std::unique_ptr<IndexBinary> read_index_binary(const std::string& path, int io_flags = 0);
std::unique_ptr<IndexBinary> read_index_binary(IOReader* reader);
std::vector<uint8_t> serialize_index_binary(const IndexBinary* index);
// Binary indexes in FAISS's format (Flat, IVF, HNSW, IDMap(2)); read_index_binary reads both.
void write_index_binary_faiss(const IndexBinary* index, const std::string& path);
void write_index_binary_faiss(const IndexBinary* index, IOWriter* writer);
std::vector<uint8_t> serialize_index_binary_faiss(const IndexBinary* index);
std::unique_ptr<IndexBinary> deserialize_index_binary(const uint8_t* data, size_t size);

}  // namespace faisslike
