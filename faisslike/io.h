// Byte streams for serialization: files (atomic on write) and memory buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace faisslike {

struct IOWriter {
    virtual ~IOWriter() = default;
    // Writes all n bytes or throws Error.
    virtual void write(const void* ptr, size_t n) = 0;
};

struct IOReader {
    virtual ~IOReader() = default;
    // Reads exactly n bytes or throws Error (a short read is a truncated file).
    virtual void read(void* ptr, size_t n) = 0;
    // Bytes left; the reader checks every count against this before allocating.
    virtual uint64_t remaining() const = 0;
    // Used in error messages ("file 'x.index'", "memory buffer").
    virtual std::string name() const = 0;
};

struct VectorIOWriter : IOWriter {
    std::vector<uint8_t> data;
    void write(const void* ptr, size_t n) override;
};

struct BufferIOReader : IOReader {
    const uint8_t* data;
    size_t size;
    size_t pos = 0;
    BufferIOReader(const uint8_t* data, size_t size) : data(data), size(size) {}
    void read(void* ptr, size_t n) override;
    uint64_t remaining() const override { return size - pos; }
    std::string name() const override { return "memory buffer"; }
};

struct FileIOReader : IOReader {
    explicit FileIOReader(const std::string& path);
    ~FileIOReader() override;
    void read(void* ptr, size_t n) override;
    uint64_t remaining() const override { return size_ - pos_; }
    std::string name() const override { return "file '" + path_ + "'"; }

   private:
    std::string path_;
    FILE* f_ = nullptr;
    uint64_t size_ = 0, pos_ = 0;
};

// Writes to a temporary file next to `path`; commit() fsyncs and renames it over `path`.
// Destroyed without commit() (e.g. during an exception), it deletes the temporary file, so
// an existing file at `path` is never half-overwritten.
struct AtomicFileWriter : IOWriter {
    explicit AtomicFileWriter(const std::string& path);
    ~AtomicFileWriter() override;
    void write(const void* ptr, size_t n) override;
    void commit();

   private:
    std::string path_, tmp_path_;
    FILE* f_ = nullptr;
    bool committed_ = false;
};

}  // namespace faisslike
