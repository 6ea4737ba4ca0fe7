// Byte streams for serialization: files (atomic on write) and memory buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace faisslike {

struct IOWriter {
    virtual ~IOWriter() = default;
    // Writes all n bytes or throws Error.
    virtual void write(const void* ptr, size_t n) = 0;
    // Bytes written so far (the file offset): arrays are padded to 64-byte offsets so that a
    // memory-mapped file can be used in place.
    virtual uint64_t position() const = 0;
    // Record layer (index_io.cpp): a writer that only counts bytes, and the writer below any
    // hashing layers (a nested record's body is hashed by its own checksum only).
    virtual bool counting_only() const { return false; }
    virtual IOWriter* unhashed() { return this; }
};

// The file under a read-only mapping, as it was when loaded. The contract (docs/
// file-format.md): a mapped file must not be changed in place. write_index never does (it
// renames a new file over the old one, and the mapping keeps the old inode), other writers
// may; check_unchanged() makes such a change an Error at the next call instead of a SIGBUS
// (truncation) or silently different results (overwrite). One fstat per call.
class MappedFile {
   public:
    MappedFile(std::string path, int fd);  // takes the descriptor
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    void check_unchanged() const;
    const std::string& path() const { return path_; }

   private:
    std::string path_;
    int fd_;
    uint64_t size_;
    int64_t mtime_ns_;
};

struct IOReader {
    virtual ~IOReader() = default;
    // Reads exactly n bytes or throws Error (a short read is a truncated file).
    virtual void read(void* ptr, size_t n) = 0;
    // Bytes left; the reader checks every count against this before allocating.
    virtual uint64_t remaining() const = 0;
    // Offset of the next byte.
    virtual uint64_t position() const = 0;
    // Used in error messages ("file 'x.index'", "memory buffer").
    virtual std::string name() const = 0;
    // Memory-mapped readers: the next n bytes in place (and skips them), else null.
    virtual const uint8_t* try_view(size_t /*n*/) { return nullptr; }
    // What keeps viewed bytes valid (the mapping); null for copying readers.
    virtual std::shared_ptr<const void> keepalive() const { return nullptr; }
    // Memory-mapped readers: the file to watch for in-place changes.
    virtual std::shared_ptr<const MappedFile> mapped_file() const { return nullptr; }
    // The reader below any hashing layers (see IOWriter::unhashed).
    virtual IOReader* unhashed() { return this; }
    // Set by read_index with IO_FLAG_ONDISK_SAME_DIR: on-disk inverted-list files are looked
    // up in this directory (by their base name) instead of by the name recorded.
    std::string ondisk_dir;
};

struct VectorIOWriter : IOWriter {
    std::vector<uint8_t> data;
    void write(const void* ptr, size_t n) override;
    uint64_t position() const override { return data.size(); }
};

struct BufferIOReader : IOReader {
    const uint8_t* data;
    size_t size;
    size_t pos = 0;
    BufferIOReader(const uint8_t* data, size_t size) : data(data), size(size) {}
    void read(void* ptr, size_t n) override;
    uint64_t remaining() const override { return size - pos; }
    uint64_t position() const override { return pos; }
    std::string name() const override { return "memory buffer"; }
};

// The whole file mapped read-only (read_index with IO_FLAG_MMAP). Views into it stay valid
// as long as an index holds keepalive(), even if the file is deleted or replaced (write_index
// renames a new file over it; the mapping keeps the old inode).
struct MmapIOReader : IOReader {
    explicit MmapIOReader(const std::string& path);
    void read(void* ptr, size_t n) override;
    uint64_t remaining() const override { return size_ - pos_; }
    uint64_t position() const override { return pos_; }
    std::string name() const override { return "file '" + path_ + "' (mapped)"; }
    const uint8_t* try_view(size_t n) override;
    std::shared_ptr<const void> keepalive() const override { return map_; }
    std::shared_ptr<const MappedFile> mapped_file() const override { return file_; }

   private:
    std::string path_;
    std::shared_ptr<const void> map_;
    std::shared_ptr<const MappedFile> file_;
    const uint8_t* base_ = nullptr;
    uint64_t size_ = 0, pos_ = 0;
};

struct FileIOReader : IOReader {
    explicit FileIOReader(const std::string& path);
    ~FileIOReader() override;
    void read(void* ptr, size_t n) override;
    uint64_t remaining() const override { return size_ - pos_; }
    uint64_t position() const override { return pos_; }
    std::string name() const override { return "file '" + path_ + "'"; }

   private:
    std::string path_;
    FILE* f_ = nullptr;
    uint64_t size_ = 0, pos_ = 0;
};

// Writes to a temporary file next to `path`; commit() fsyncs and renames it over `path`.
// Destroyed without commit() (e.g. during an exception), it deletes the temporary file, so
// an existing file at `path` is never half-overwritten. A symlink at `path` is followed (the
// file it names is replaced, the link stays); an existing file keeps its mode (and owner
// where permitted); a directory or other non-regular target is a FileError before anything
// is written. Temporary files are named <target>.tmp.<pid>.XXXXXX: those of writers that
// died (no process with that pid) are removed by the next write to the same target.
struct AtomicFileWriter : IOWriter {
    explicit AtomicFileWriter(const std::string& path);
    ~AtomicFileWriter() override;
    void write(const void* ptr, size_t n) override;
    uint64_t position() const override { return written_; }
    void commit();

   private:
    std::string path_;        // the file to replace (symlinks resolved)
    std::string given_path_;  // as the caller named it, for messages
    std::string tmp_path_;
    FILE* f_ = nullptr;
    bool committed_ = false;
    uint64_t written_ = 0;
};

}  // namespace faisslike
