#include "faisslike/io.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

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

namespace {

std::string dir_of(const std::string& p) {
    const size_t slash = p.find_last_of('/');
    return slash == std::string::npos ? std::string() : p.substr(0, slash + 1);
}

// The file a write to `path` should replace: symlinks followed, even dangling ones (the
// link's target gets created). Loops are left to open() to report.
std::string resolve_symlinks(const std::string& path) {
    std::string p = path;
    for (int hop = 0; hop < 40; ++hop) {
        struct stat st;
        if (lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
        std::vector<char> buf(size_t(st.st_size > 0 ? st.st_size : 255) + 1);
        const ssize_t n = readlink(p.c_str(), buf.data(), buf.size());
        if (n < 0 || size_t(n) >= buf.size()) return p;
        std::string target(buf.data(), size_t(n));
        p = (!target.empty() && target[0] == '/') ? target : dir_of(p) + target;
    }
    return p;
}

// Removes <name>.tmp.<pid>.* files in the target's directory whose writer process is gone.
void remove_stale_temp_files(const std::string& target) {
    const std::string dir = dir_of(target);
    const std::string prefix = target.substr(dir.size()) + ".tmp.";
    DIR* d = opendir(dir.empty() ? "." : dir.c_str());
    if (!d) return;
    while (struct dirent* e = readdir(d)) {
        const std::string name = e->d_name;
        if (name.compare(0, prefix.size(), prefix) != 0) continue;
        char* end = nullptr;
        const long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
        if (pid <= 0 || !end || *end != '.') continue;
        if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;  // alive (or not ours)
        ::unlink((dir + name).c_str());
    }
    closedir(d);
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(const std::string& path) : given_path_(path) {
    FAISSLIKE_CHECK_ARG_MSG(!path.empty(), "output path is empty");
    path_ = resolve_symlinks(path);
    struct stat st;
    const bool exists = ::stat(path_.c_str(), &st) == 0;
    if (exists && !S_ISREG(st.st_mode))
        FAISSLIKE_THROW_FILE_FMT("cannot write index to '%s': %s", path.c_str(),
                                 S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular file");
    remove_stale_temp_files(path_);
    // Same directory as the target so rename() is atomic (no cross-device move).
    std::string tmpl = path_ + ".tmp." + std::to_string(long(getpid())) + ".XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    int fd = mkstemp(buf.data());
    if (fd < 0)
        FAISSLIKE_THROW_FILE_FMT("cannot create a temporary file next to '%s': %s", path.c_str(),
                                 std::strerror(errno));
    tmp_path_ = buf.data();
    if (exists) {
        // Replacing a file keeps what its owner chose for it.
        fchmod(fd, st.st_mode & 07777);
        if (fchown(fd, st.st_uid, st.st_gid) != 0) {
            // Not permitted for other users' files: the new file is ours.
        }
    } else {
        // mkstemp creates 0600; new index files are ordinary data files.
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);
    }
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

namespace {
int64_t ns_of(const struct timespec& t) {
    return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec;
}
}  // namespace

MappedFile::MappedFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {
    struct stat st;
    if (fstat(fd_, &st) != 0) {
        const int err = errno;
        ::close(fd_);
        FAISSLIKE_THROW_FILE_FMT("cannot stat '%s': %s", path_.c_str(), std::strerror(err));
    }
    size_ = uint64_t(st.st_size);
    mtime_ns_ = ns_of(st.st_mtim);
}

MappedFile::~MappedFile() {
    ::close(fd_);
}

void MappedFile::check_unchanged() const {
    struct stat st;
    // Content writes move mtime. Deleting or renaming over the file does not (it changes
    // ctime, which is why ctime is not compared): the mapping keeps the old inode.
    FAISSLIKE_THROW_IF_NOT_FMT(
        fstat(fd_, &st) == 0 && uint64_t(st.st_size) == size_ && ns_of(st.st_mtim) == mtime_ns_,
        "memory-mapped file '%s' was changed in place after it was loaded (size %llu -> %llu): "
        "reload it; write_index replaces files without changing them in place",
        path_.c_str(), (unsigned long long)size_, (unsigned long long)st.st_size);
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
    // Snapshot before mapping: a change between the two is then caught at the first call.
    file_ = std::make_shared<const MappedFile>(path, fd);  // owns fd from here
    size_ = uint64_t(st.st_size);
    if (size_ == 0) return;  // mmap refuses empty files; the reader then reports "too short"
    void* p = mmap(nullptr, size_t(size_), PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
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
    if (!ok)
        FAISSLIKE_THROW_FILE_FMT("cannot flush '%s': %s", tmp_path_.c_str(), std::strerror(err));
    if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0)
        FAISSLIKE_THROW_FILE_FMT("cannot rename '%s' to '%s': %s", tmp_path_.c_str(), path_.c_str(),
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
