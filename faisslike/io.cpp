#include "faisslike/io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "faisslike/Error.h"

namespace faisslike {

void VectorIOWriter::write(const void* ptr, size_t n) {
    const uint8_t* p = static_cast<const uint8_t*>(ptr);
    data.insert(data.end(), p, p + n);
}

void BufferIOReader::read(void* ptr, size_t n) {
    FAISSLIKE_THROW_IF_NOT_FMT(n <= size - pos,
                               "%s truncated: need %zu bytes at offset %zu, only %zu left",
                               name().c_str(), n, pos, size - pos);
    if (n) std::memcpy(ptr, data + pos, n);
    pos += n;
}

FileIOReader::FileIOReader(const std::string& path) : path_(path) {
    f_ = std::fopen(path.c_str(), "rb");
    if (!f_)
        FAISSLIKE_THROW_FILE_FMT("cannot open '%s' for reading: %s", path.c_str(),
                                 std::strerror(errno));
    struct stat st;
    if (fstat(fileno(f_), &st) != 0 || !S_ISREG(st.st_mode)) {
        std::fclose(f_);
        f_ = nullptr;
        FAISSLIKE_THROW_FILE_FMT("'%s' is not a regular file", path.c_str());
    }
    size_ = uint64_t(st.st_size);
}

FileIOReader::~FileIOReader() {
    if (f_) std::fclose(f_);
}

void FileIOReader::read(void* ptr, size_t n) {
    FAISSLIKE_THROW_IF_NOT_FMT(
        n <= size_ - pos_, "%s truncated: need %zu bytes at offset %llu, only %llu left",
        name().c_str(), n, (unsigned long long)pos_, (unsigned long long)(size_ - pos_));
    size_t got = n ? std::fread(ptr, 1, n, f_) : 0;
    if (got != n)
        FAISSLIKE_THROW_FILE_FMT("read error on %s at offset %llu: %s", name().c_str(),
                                 (unsigned long long)pos_, std::strerror(errno));
    pos_ += n;
}

AtomicFileWriter::AtomicFileWriter(const std::string& path) : path_(path) {
    FAISSLIKE_CHECK_ARG_MSG(!path.empty(), "output path is empty");
    // Same directory as the target so rename() is atomic (no cross-device move).
    std::string tmpl = path + ".tmp.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    int fd = mkstemp(buf.data());
    if (fd < 0)
        FAISSLIKE_THROW_FILE_FMT("cannot create a temporary file next to '%s': %s", path.c_str(),
                                 std::strerror(errno));
    tmp_path_ = buf.data();
    // mkstemp creates 0600; index files are ordinary data files.
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    f_ = fdopen(fd, "wb");
    if (!f_) {
        int err = errno;
        ::close(fd);
        ::unlink(tmp_path_.c_str());
        FAISSLIKE_THROW_FILE_FMT("cannot open temporary file for '%s': %s", path.c_str(),
                                 std::strerror(err));
    }
}

AtomicFileWriter::~AtomicFileWriter() {
    if (f_) std::fclose(f_);
    if (!committed_) ::unlink(tmp_path_.c_str());
}

void AtomicFileWriter::write(const void* ptr, size_t n) {
    FAISSLIKE_THROW_IF_NOT_FMT(f_ != nullptr && !committed_, "write to closed file for '%s'",
                               path_.c_str());
    size_t got = n ? std::fwrite(ptr, 1, n, f_) : 0;
    if (got != n)
        FAISSLIKE_THROW_FILE_FMT("write error on '%s': %s", tmp_path_.c_str(),
                                 std::strerror(errno));
    written_ += n;
}

MmapIOReader::MmapIOReader(const std::string& path) : path_(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        FAISSLIKE_THROW_FILE_FMT("cannot open '%s' for reading: %s", path.c_str(),
                                 std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        FAISSLIKE_THROW_FILE_FMT("'%s' is not a regular file", path.c_str());
    }
    size_ = uint64_t(st.st_size);
    if (size_ == 0) {  // mmap refuses empty files; the reader then reports "too short"
        ::close(fd);
        return;
    }
    void* p = mmap(nullptr, size_t(size_), PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
    ::close(fd);  // the mapping keeps the file
    if (p == MAP_FAILED)
        FAISSLIKE_THROW_FILE_FMT("cannot map '%s': %s", path.c_str(), std::strerror(err));
    const size_t len = size_t(size_);
    map_ =
        std::shared_ptr<const void>(p, [len](const void* q) { munmap(const_cast<void*>(q), len); });
    base_ = static_cast<const uint8_t*>(p);
}

void MmapIOReader::read(void* ptr, size_t n) {
    const uint8_t* p = try_view(n);
    if (n) std::memcpy(ptr, p, n);
}

const uint8_t* MmapIOReader::try_view(size_t n) {
    FAISSLIKE_THROW_IF_NOT_FMT(
        n <= size_ - pos_, "%s truncated: need %zu bytes at offset %llu, only %llu left",
        name().c_str(), n, (unsigned long long)pos_, (unsigned long long)(size_ - pos_));
    const uint8_t* p = base_ + pos_;
    pos_ += n;
    return p;
}

void AtomicFileWriter::commit() {
    FAISSLIKE_THROW_IF_NOT_FMT(f_ != nullptr && !committed_, "commit of closed file for '%s'",
                               path_.c_str());
    bool ok = std::fflush(f_) == 0 && fsync(fileno(f_)) == 0;
    int err = errno;
    ok = (std::fclose(f_) == 0) && ok;
    f_ = nullptr;
    FAISSLIKE_THROW_IF_NOT_FMT(ok, "cannot flush '%s': %s", tmp_path_.c_str(), std::strerror(err));
    FAISSLIKE_THROW_IF_NOT_FMT(std::rename(tmp_path_.c_str(), path_.c_str()) == 0,
                               "cannot rename '%s' to '%s': %s", tmp_path_.c_str(), path_.c_str(),
                               std::strerror(errno));
    committed_ = true;
    // Make the rename itself durable.
    std::string dir = path_.substr(
        0, path_.find_last_of('/') == std::string::npos ? 0 : path_.find_last_of('/') + 1);
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        ::close(dfd);
    }
}

}  // namespace faisslike
