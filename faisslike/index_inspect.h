// inspect_index_file: an index file's structure, from its records, without loading it into
// memory (the file is mapped read-only and large arrays are never copied).
#pragma once

#include <string>

namespace faisslike {

// The record tree of a faisslike (any version) or FAISS index file, float or binary: per
// record its type, tag, d / metric / ntotal, the other parameters as stored, the bytes of each
// array ("memory per part"), offset and size, and its checksum status; a first line with the
// format, version and file size, a second with the checksum summary. A corrupt file is
// described up to the point where reading stopped, followed by the reader's error; stored
// checksums that do not match are reported, not thrown. Throws Error only when the file
// cannot be opened. json = true: the same as one JSON object. *clean (when given): whether the
// file was read to its end with every checksum matching.
std::string inspect_index_file(const std::string& path, bool json = false, bool* clean = nullptr);

}  // namespace faisslike
