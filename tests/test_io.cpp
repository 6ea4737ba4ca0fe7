// write_index/read_index: round trips, and every kind of bad file is a clean Error.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "faisslike/Error.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexHNSW.h"
#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexIVF.h"
#include "faisslike/IndexPreTransform.h"
#include "faisslike/IndexRefine.h"
#include "faisslike/index_factory.h"
#include "faisslike/index_io.h"
#include "faisslike/invlists/OnDiskInvertedLists.h"
#include "test_util.h"

using namespace faisslike;
using namespace faisslike_test;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/faisslike_test_XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
    std::vector<std::string> list() const {
        std::vector<std::string> out;
        DIR* d = opendir(path.c_str());
        while (dirent* e = readdir(d))
            if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
                out.push_back(e->d_name);
        closedir(d);
        return out;
    }
};

std::unique_ptr<IndexFlat> make_flat(MetricType m, size_t n, size_t d, uint32_t seed) {
    auto idx = std::make_unique<IndexFlat>(idx_t(d), m);
    auto x = randn(n * d, seed);
    idx->add(idx_t(n), x.data());
    return idx;
}

void expect_same_search(const Index& a, const Index& b) {
    const size_t nq = 30, k = 7;
    auto xq = randn(nq * a.d, 99);
    std::vector<float> D1(nq * k), D2(nq * k);
    std::vector<idx_t> I1(nq * k), I2(nq * k);
    a.search(nq, xq.data(), k, D1.data(), I1.data());
    b.search(nq, xq.data(), k, D2.data(), I2.data());
    EXPECT_EQ(I1, I2);
    EXPECT_EQ(D1, D2);
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

}  // namespace

TEST(IO, FileRoundTripBothMetrics) {
    TempDir dir;
    for (MetricType m : {METRIC_L2, METRIC_INNER_PRODUCT}) {
        auto idx = make_flat(m, 500, 24, 1);
        std::string p = dir.path + "/a.index";
        write_index(idx.get(), p);
        auto back = read_index(p);
        auto* flat = dynamic_cast<IndexFlat*>(back.get());
        ASSERT_NE(flat, nullptr);
        EXPECT_EQ(flat->d, 24);
        EXPECT_EQ(flat->ntotal, 500);
        EXPECT_EQ(flat->metric_type, m);
        EXPECT_EQ(flat->codes, idx->codes);
        expect_same_search(*idx, *back);
    }
    EXPECT_EQ(dir.list().size(), 1u);  // no temporary files left behind
}

TEST(IO, MemoryRoundTripAndEmptyIndex) {
    IndexFlatL2 empty(3);
    auto bytes = serialize_index(&empty);
    auto back = deserialize_index(bytes.data(), bytes.size());
    EXPECT_EQ(back->ntotal, 0);
    EXPECT_EQ(back->d, 3);
    auto idx = make_flat(METRIC_L2, 100, 8, 2);
    bytes = serialize_index(idx.get());
    back = deserialize_index(bytes.data(), bytes.size());
    expect_same_search(*idx, *back);
}

TEST(IO, TruncatedAtEveryByte) {
    auto idx = make_flat(METRIC_L2, 6, 5, 3);
    auto bytes = serialize_index(idx.get());
    for (size_t n = 0; n < bytes.size(); ++n) {
        EXPECT_THROW(deserialize_index(bytes.data(), n), Error) << "prefix of " << n << " bytes";
    }
    // And through the file reader.
    TempDir dir;
    std::string p = dir.path + "/t.index";
    for (size_t n : {size_t(0), size_t(5), size_t(16), size_t(30), bytes.size() - 1}) {
        write_bytes(p, std::vector<uint8_t>(bytes.begin(), bytes.begin() + long(n)));
        EXPECT_THROW(read_index(p), Error) << n;
    }
}

TEST(IO, EverySingleByteCorruptionIsCaught) {
    // With a checksum per record, changing any byte is an Error (never a crash, a huge
    // allocation, or a silently different index).
    auto idx = make_flat(METRIC_L2, 4, 3, 4);
    auto bytes = serialize_index(idx.get());
    for (size_t i = 0; i < bytes.size(); ++i) {
        for (uint8_t v : {uint8_t(0x00), uint8_t(0xff), uint8_t(bytes[i] ^ 0x80)}) {
            if (v == bytes[i]) continue;
            auto b = bytes;
            b[i] = v;
            EXPECT_THROW(deserialize_index(b.data(), b.size()), Error) << "byte " << i;
        }
    }
}

TEST(IO, ChecksumNamesTheRecord) {
    auto idx = make_flat(METRIC_L2, 4, 3, 4);
    auto b = serialize_index(idx.get());
    b[64] ^= 1;  // first float of the codes (at the first 64-byte offset): fields stay valid
    try {
        deserialize_index(b.data(), b.size());
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("section 'IxFl': checksum mismatch"),
                  std::string::npos)
            << e.what();
    }
}

TEST(IO, Version1FilesStillRead) {
    // docs/file-format.md's version-1 example (no checksums): IndexFlatL2, d = 2, (1, 2).
    const std::vector<uint8_t> v1 = {
        0x89, 0x46, 0x53, 0x4C, 0x49, 0x4B, 0x0D, 0x0A, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x49, 0x78, 0x46, 0x6C, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40};
    auto idx = deserialize_index(v1.data(), v1.size());
    ASSERT_EQ(idx->ntotal, 1);
    float v[2];
    idx->reconstruct(0, v);
    EXPECT_EQ(v[0], 1.0f);
    EXPECT_EQ(v[1], 2.0f);
    auto longer = v1;
    longer.insert(longer.end(), 8, 0);  // a v1 file has no trailer to skip
    EXPECT_THROW(deserialize_index(longer.data(), longer.size()), Error);
}

TEST(IO, SpecificCorruptions) {
    auto idx = make_flat(METRIC_L2, 4, 3, 5);
    const auto good = serialize_index(idx.get());
    auto expect_msg = [](std::vector<uint8_t> b, const std::string& needle) {
        try {
            deserialize_index(b.data(), b.size());
            FAIL() << "no error for " << needle;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    auto b = good;
    b[1] = 'X';
    expect_msg(b, "bad magic");  // neither ours nor a FAISS fourcc
    b = good;
    b[8] = 4;  // version
    expect_msg(b, "format version 4");
    b = good;
    b[16] = 'Z';  // tag
    expect_msg(b, "unknown index type tag");
    b = good;
    std::memset(&b[20], 0xff, 8);  // record length
    expect_msg(b, "declares");
    b = good;
    int64_t huge = int64_t(1) << 40;
    std::memcpy(&b[28 + 8], &huge, 8);  // ntotal, after d and metric
    expect_msg(b, "ntotal");
    b = good;
    b[28] = 0;  // d = 0
    b[29] = b[30] = b[31] = 0;
    expect_msg(b, "invalid dimension d=0");
    b = good;
    b.push_back(0);
    expect_msg(b, "trailing");
}

TEST(IO, MissingEmptyAndDirectoryPaths) {
    TempDir dir;
    auto expect_msg = [](const std::string& p, const std::string& needle) {
        try {
            read_index(p);
            FAIL() << p;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    expect_msg(dir.path + "/nope.index", "No such file");
    EXPECT_THROW(read_index(dir.path + "/nope.index"), FileError);  // OS failure, not content
    write_bytes(dir.path + "/empty.index", {});
    expect_msg(dir.path + "/empty.index", "too short");
    expect_msg(dir.path, "not a regular file");
    std::vector<uint8_t> text(100, 'a');
    write_bytes(dir.path + "/text.index", text);
    expect_msg(dir.path + "/text.index", "bad magic");
}

TEST(IO, UnwritablePathKeepsNothingAndFailsClearly) {
    auto idx = make_flat(METRIC_L2, 10, 4, 6);
    EXPECT_THROW(write_index(idx.get(), "/nonexistent_dir_faisslike/x.index"), FileError);
    EXPECT_THROW(write_index(idx.get(), ""), Error);
}

TEST(IO, FailedWriteLeavesExistingFileIntact) {
    TempDir dir;
    std::string p = dir.path + "/keep.index";
    auto old_idx = make_flat(METRIC_L2, 50, 8, 7);
    write_index(old_idx.get(), p);
    auto big = make_flat(METRIC_L2, 20000, 64, 8);  // ~5 MB
    // A child process whose file size limit stops the write half-way (EFBIG).
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {1 << 20, 1 << 20};
        setrlimit(RLIMIT_FSIZE, &rl);
        try {
            write_index(big.get(), p);
        } catch (const Error&) {
            _exit(0);  // expected
        }
        _exit(1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "write_index did not report the failed write";
    auto back = read_index(p);
    expect_same_search(*old_idx, *back);
    EXPECT_EQ(dir.list().size(), 1u) << "temporary file left behind";
}

// The trailer shown in docs/file-format.md.
constexpr uint64_t kDocumentedChecksum = 0x7eea3544ccbb8110ull;

TEST(IO, BytesMatchTheDocumentedExample) {
    // docs/file-format.md: IndexFlatL2, d = 2, one vector (1, 2).
    IndexFlatL2 index(2);
    const float v[2] = {1.0f, 2.0f};
    index.add(1, v);
    std::vector<uint8_t> expected = {
        0x89, 0x46, 0x53, 0x4C, 0x49, 0x4B, 0x0D, 0x0A, 0x03, 0x00, 0x00, 0x00,  // header
        0x00, 0x00, 0x00, 0x00, 0x49, 0x78, 0x46, 0x6C, 0x2C, 0x00, 0x00, 0x00,  // IxFl, 44
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,  // d, metric
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,                    // ntotal, trained
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,                          // 2 floats
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,        // pad to 64
        0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40};                         // 1.0, 2.0
    // The trailer is XXH3-64 of the 44 body bytes, little-endian (computed independently
    // here with the xxHash library, and written out in the document).
    const uint64_t h = XXH3_64bits(expected.data() + 28, 44);
    for (int i = 0; i < 8; ++i) expected.push_back(uint8_t(h >> (8 * i)));
    EXPECT_EQ(h, kDocumentedChecksum);
    EXPECT_EQ(serialize_index(&index), expected);
}

TEST(IO, KilledWriterNeverLeavesABrokenFile) {
    // A child rewrites the index in a loop and is SIGKILLed at a random moment, 100 times:
    // the target must always hold a complete index, the old one or the new one.
    TempDir dir;
    const std::string p = dir.path + "/k.index";
    const size_t d = 32;
    auto a = make_flat(METRIC_L2, 100000, d, 11), b = make_flat(METRIC_L2, 150000, d, 12);
    write_index(a.get(), p);
    // Synchronized on events, not on time: the child reports each write it starts ('S') and
    // completes ('D'); the parent kills it right after a completion (between writes, or early
    // in the next) or right after a later start (inside a write). At least one write of
    // `next` completed before every kill, so the file must be exactly `next`, however fast
    // or slow the machine is.
    int saw_a = 0, saw_b = 0;
    for (int it = 0; it < 40; ++it) {
        const Index* next = it % 2 ? a.get() : b.get();
        int fds[2];
        ASSERT_EQ(pipe(fds), 0);
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            close(fds[0]);
            for (;;) {  // until killed
                if (write(fds[1], "S", 1) != 1) _exit(1);
                write_index(next, p);
                if (write(fds[1], "D", 1) != 1) _exit(1);
            }
        }
        close(fds[1]);
        // it % 4 < 2: kill after the first completion; else after the next start.
        const char* wait_for = (it % 4 < 2) ? "SD" : "SDS";
        for (const char* w = wait_for; *w; ++w) {
            char c = 0;
            ASSERT_EQ(read(fds[0], &c, 1), 1);
            ASSERT_EQ(c, *w);
        }
        kill(pid, SIGKILL);
        close(fds[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status));
        std::unique_ptr<Index> back;
        ASSERT_NO_THROW(back = read_index(p)) << "iteration " << it;
        const IndexFlat* f = dynamic_cast<const IndexFlat*>(back.get());
        ASSERT_NE(f, nullptr);
        const IndexFlat* want = static_cast<const IndexFlat*>(next);
        ASSERT_EQ(f->ntotal, want->ntotal) << "iteration " << it;
        ASSERT_EQ(f->codes, want->codes) << "iteration " << it;
        (want == a.get() ? saw_a : saw_b)++;
    }
    // Both indexes were seen: the kills hit writes at different stages.
    EXPECT_GT(saw_a, 0);
    EXPECT_GT(saw_b, 0);
    // SIGKILL leaves the writer's temporary files behind (nothing can clean up after it);
    // they never replace the target, and the next write to the same target removes them
    // (their writers are dead).
    for (const std::string& f : dir.list())
        if (f != "k.index") EXPECT_EQ(f.rfind("k.index.tmp.", 0), 0u) << f;
    // However many the kills left, one more is certain: a writer that has exited.
    const pid_t dead = fork();
    ASSERT_GE(dead, 0);
    if (dead == 0) _exit(0);
    waitpid(dead, nullptr, 0);
    const std::string stale = p + ".tmp." + std::to_string(long(dead)) + ".dead00";
    std::fclose(std::fopen(stale.c_str(), "w"));
    // A live writer's temporary file (this process's pid) must survive the cleanup.
    const std::string live = p + ".tmp." + std::to_string(long(getpid())) + ".live00";
    std::fclose(std::fopen(live.c_str(), "w"));
    write_index(a.get(), p);
    std::vector<std::string> left = dir.list();
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, (std::vector<std::string>{
                        "k.index", "k.index.tmp." + std::to_string(long(getpid())) + ".live00"}));
}

TEST(IO, WriteFollowsSymlinksKeepsModeAndRefusesDirectories) {
    TempDir dir;
    auto a = make_flat(METRIC_L2, 100, 8, 31), b = make_flat(METRIC_L2, 200, 8, 32);
    const std::string target = dir.path + "/real.index", link = dir.path + "/link.index";
    write_index(a.get(), target);
    ASSERT_EQ(chmod(target.c_str(), 0600), 0);
    ASSERT_EQ(symlink("real.index", link.c_str()), 0);  // relative, as users make them
    write_index(b.get(), link);
    struct stat st;
    ASSERT_EQ(lstat(link.c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the link was replaced by a file";
    ASSERT_EQ(stat(target.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u) << "the file's mode was reset";
    EXPECT_EQ(read_index(target)->ntotal, 200);
    // A dangling link: its target is created.
    const std::string dangling = dir.path + "/dangling.index";
    ASSERT_EQ(symlink("new.index", dangling.c_str()), 0);
    write_index(a.get(), dangling);
    EXPECT_EQ(read_index(dir.path + "/new.index")->ntotal, 100);
    // A directory is an OS-level refusal (FileError -> OSError), before anything is written.
    EXPECT_THROW(write_index(a.get(), dir.path), FileError);
    const std::string sub = dir.path + "/sub";
    ASSERT_EQ(mkdir(sub.c_str(), 0700), 0);
    EXPECT_THROW(write_index(a.get(), sub), FileError);
    for (const std::string& f : dir.list()) EXPECT_EQ(f.find(".tmp."), std::string::npos) << f;
}

TEST(IO, MemoryMappedLoadingUsesTheFileInPlace) {
    TempDir dir;
    const size_t d = 16, n = 3000, nq = 20, k = 5;
    auto x = clustered(n, d, 21, 20, 3.0f), xq = clustered(nq, d, 22, 20, 3.0f);
    std::vector<idx_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = idx_t(7 * i);
    for (const char* desc : {"Flat", "IVF16,Flat", "IVF16,PQ8", "IVF16,SQ8", "HNSW16",
                             "IDMap2,HNSW16", "PQ8,RFlat", "IDMap2,IVF16,Flat"}) {
        SCOPED_TRACE(desc);
        auto idx = index_factory(int(d), desc);
        if (!idx->is_trained) idx->train(idx_t(n), x.data());
        add_per_factory(*idx, desc, idx_t(n), x.data(), ids.data());
        const std::string p = dir.path + "/m.index";
        write_index(idx.get(), p);
        auto copied = read_index(p);
        auto mapped = read_index(p, IO_FLAG_MMAP);
        // In place: no copy of the big arrays.
        const Index* inner = mapped.get();
        if (auto im = dynamic_cast<const IndexIDMap*>(inner)) inner = im->index;
        if (auto rf = dynamic_cast<const IndexRefineFlat*>(inner)) {
            EXPECT_TRUE(rf->refine_index.is_mapped());
            inner = rf->base_index;
        }
        if (auto f = dynamic_cast<const IndexFlat*>(inner)) EXPECT_TRUE(f->is_mapped());
        if (auto hn = dynamic_cast<const IndexHNSWFlat*>(inner)) {
            EXPECT_TRUE(hn->storage.is_mapped());
            EXPECT_NE(hn->hnsw.links0_mapped, nullptr);
            EXPECT_TRUE(hn->hnsw.links0.empty());
        }
        if (auto ivf = dynamic_cast<const IndexIVF*>(inner))
            EXPECT_NE(dynamic_cast<const MappedInvertedLists*>(ivf->invlists.get()), nullptr);
        expect_same_search(*copied, *mapped);
        // The mapping outlives the file: replaced (write_index renames) and then deleted.
        write_index(make_flat(METRIC_L2, 10, d, 3).get(), p);
        std::remove(p.c_str());
        expect_same_search(*copied, *mapped);
        // Written back from the mapping: the same bytes.
        EXPECT_EQ(serialize_index(mapped.get()), serialize_index(copied.get()));
        // The first change copies what it changes; both then evolve alike.
        std::vector<idx_t> more_ids(nq);
        for (size_t i = 0; i < nq; ++i) more_ids[i] = idx_t(100000 + i);
        for (Index* target : {copied.get(), mapped.get()}) {
            add_per_factory(*target, desc, idx_t(nq), xq.data(), more_ids.data());
        }
        expect_same_search(*copied, *mapped);
    }
}

// FAISS files put their vectors at odd offsets (a top-level flat's at byte 45): mapped, they
// are used in place anyway (O(1) load), read only through unaligned loads (UBSan's alignment
// check runs this in scripts/sanitize.sh), and watched for in-place changes like ours.
TEST(IO, FaissFlatFilesAreMappedInPlace) {
    TempDir dir;
    const size_t d = 21, n = 1500, nq = 9;  // d odd: every row misaligned differently
    auto x = clustered(n, d, 51, 20, 3.0f), xq = clustered(nq, d, 52, 20, 3.0f);
    std::vector<idx_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = idx_t(5 * i + 2);
    for (const char* desc : {"Flat", "IDMap,Flat", "IDMap2,Flat", "L2norm,Flat"}) {
        for (MetricType m : {METRIC_L2, METRIC_INNER_PRODUCT}) {
            SCOPED_TRACE(std::string(desc) + (m == METRIC_L2 ? " L2" : " IP"));
            auto idx = index_factory(int(d), desc, m);
            add_per_factory(*idx, desc, idx_t(n), x.data(), ids.data());
            const std::string p = dir.path + "/f.faiss";
            write_index_faiss(idx.get(), p);
            auto copied = read_index(p);
            auto mapped = read_index(p, IO_FLAG_MMAP);
            const Index* inner = mapped.get();
            if (auto im = dynamic_cast<const IndexIDMap*>(inner)) inner = im->index;
            if (auto pt = dynamic_cast<const IndexPreTransform*>(inner)) inner = pt->index.get();
            auto flat = dynamic_cast<const IndexFlat*>(inner);
            ASSERT_NE(flat, nullptr);
            ASSERT_TRUE(flat->is_mapped());
            EXPECT_NE(reinterpret_cast<uintptr_t>(flat->get_xb()) % alignof(float), 0u);
            expect_same_search(*copied, *mapped);
            for (idx_t k : {1, 10}) {  // one query: the per-row kernels; many: sgemm
                for (size_t q : {size_t(1), nq}) {
                    std::vector<float> D1(q * size_t(k)), D2(q * size_t(k));
                    std::vector<idx_t> I1(q * size_t(k)), I2(q * size_t(k));
                    copied->search(idx_t(q), xq.data(), k, D1.data(), I1.data());
                    mapped->search(idx_t(q), xq.data(), k, D2.data(), I2.data());
                    EXPECT_EQ(I1, I2);
                    EXPECT_EQ(D1, D2);
                }
            }
            RangeSearchResult r1, r2;
            std::vector<float> D20(20);  // a radius that holds ~20 results for query 0
            std::vector<idx_t> I20(20);
            copied->search(1, xq.data(), 20, D20.data(), I20.data());
            const float radius = D20[19];
            copied->range_search(idx_t(nq), xq.data(), radius, &r1);
            mapped->range_search(idx_t(nq), xq.data(), radius, &r2);
            EXPECT_EQ(r1.lims, r2.lims);
            EXPECT_EQ(r1.labels, r2.labels);
            EXPECT_GT(r1.labels.size(), 0u);
            if (std::string(desc) != "IDMap,Flat") {  // IndexIDMap has no reconstruct (as FAISS)
                std::vector<float> v1(d), v2(d);
                const idx_t last =
                    std::string(desc).rfind("IDMap", 0) == 0 ? ids[n - 1] : idx_t(n - 1);
                copied->reconstruct(last, v1.data());
                mapped->reconstruct(last, v2.data());
                EXPECT_EQ(v1, v2);
            }
            // Written back from the mapping: FAISS's bytes again.
            EXPECT_EQ(serialize_index_faiss(mapped.get()), serialize_index_faiss(copied.get()));
            // Changed in place by another program: an Error at the next call.
            const std::string p2 = dir.path + "/g.faiss";
            write_index_faiss(idx.get(), p2);
            struct timespec old[2] = {{1600000000, 0}, {1600000000, 0}};
            ASSERT_EQ(utimensat(AT_FDCWD, p2.c_str(), old, 0), 0);
            auto watched = read_index(p2, IO_FLAG_MMAP);
            const int fd = open(p2.c_str(), O_WRONLY);
            ASSERT_GE(fd, 0);
            std::vector<uint8_t> junk(4096, 0x7f);
            ASSERT_EQ(pwrite(fd, junk.data(), junk.size(), 100), ssize_t(junk.size()));
            close(fd);
            std::vector<float> D(5);
            std::vector<idx_t> I(5);
            EXPECT_THROW(watched->search(1, xq.data(), 5, D.data(), I.data()), Error);
            // The first change copies the rows; both then evolve alike.
            std::vector<idx_t> more(nq);
            for (size_t i = 0; i < nq; ++i) more[i] = idx_t(100000 + i);
            for (Index* target : {copied.get(), mapped.get()})
                add_per_factory(*target, desc, idx_t(nq), xq.data(), more.data());
            EXPECT_FALSE(flat->is_mapped());
            expect_same_search(*copied, *mapped);
            std::remove(p.c_str());
            std::remove(p2.c_str());
        }
    }
}

// The mmap contract (docs/file-format.md): write_index replacing the file and deleting it are
// fine (above); another program changing the file in place is an Error at the next call,
// never a SIGBUS or silently different results.
TEST(IO, MappedFileChangedInPlaceIsAnErrorNotACrash) {
    TempDir dir;
    const size_t d = 16, n = 2000;
    auto x = clustered(n, d, 41, 20, 3.0f);
    std::vector<idx_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = idx_t(3 * i);
    std::vector<float> D(5);
    std::vector<idx_t> I(5);
    for (const char* desc : {"Flat", "IVF8,Flat", "IVF8,SQ8", "HNSW16", "IDMap2,HNSW16"}) {
        for (const char* change : {"truncate", "overwrite", "grow"}) {
            SCOPED_TRACE(std::string(desc) + " " + change);
            auto idx = index_factory(int(d), desc);
            if (!idx->is_trained) idx->train(idx_t(n), x.data());
            add_per_factory(*idx, desc, idx_t(n), x.data(), ids.data());
            const std::string p = dir.path + "/c.index";
            write_index(idx.get(), p);
            // Timestamps tick coarsely: make the in-place write land on another one.
            struct timespec old[2] = {{1600000000, 0}, {1600000000, 0}};
            ASSERT_EQ(utimensat(AT_FDCWD, p.c_str(), old, 0), 0);
            auto mapped = read_index(p, IO_FLAG_MMAP);
            mapped->search(1, x.data(), 5, D.data(), I.data());
            const off_t size = off_t(serialize_index(idx.get()).size());
            const int fd = open(p.c_str(), O_WRONLY);
            ASSERT_GE(fd, 0);
            if (std::string(change) == "truncate") {
                ASSERT_EQ(ftruncate(fd, size / 3), 0);  // touching the lost pages: SIGBUS
            } else if (std::string(change) == "overwrite") {
                std::vector<uint8_t> junk(size_t(size) / 2, 0x7f);
                ASSERT_EQ(pwrite(fd, junk.data(), junk.size(), size / 4), ssize_t(junk.size()));
            } else {
                ASSERT_EQ(ftruncate(fd, size + 4096), 0);
            }
            close(fd);
            EXPECT_THROW(mapped->search(1, x.data(), 5, D.data(), I.data()), Error);
            EXPECT_THROW(serialize_index(mapped.get()), Error);
            EXPECT_THROW(mapped->add(1, x.data()), Error);
            std::remove(p.c_str());
        }
    }
}

// Second line of defence: links read from a mapping that changed (the file check bypassed)
// are checked before use, so a search ends in an Error, not a wild read.
TEST(IO, MappedHNSWLinksAreCheckedBeforeUse) {
    TempDir dir;
    const size_t d = 8, n = 3000;
    auto x = randn(n * d, 43);
    auto idx = index_factory(int(d), "HNSW8");
    idx->add(idx_t(n), x.data());
    const std::string p = dir.path + "/h.index";
    write_index(idx.get(), p);
    auto mapped = read_index(p, IO_FLAG_MMAP);
    mapped->set_mapped_file(nullptr);  // no file check: only the traversal's own checks left
    const auto bytes = serialize_index(idx.get());
    // Overwrite everything past the vectors (the link arrays) with large values.
    const size_t links_from = 200 + n * d * sizeof(float);
    ASSERT_LT(links_from, bytes.size());
    std::vector<uint8_t> junk(bytes.size() - links_from - 16, 0x7f);
    const int fd = open(p.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pwrite(fd, junk.data(), junk.size(), off_t(links_from)), ssize_t(junk.size()));
    close(fd);
    std::vector<float> D(10 * 5);
    std::vector<idx_t> I(10 * 5);
    try {
        mapped->search(10, x.data(), 5, D.data(), I.data());
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("changed after loading"), std::string::npos)
            << e.what();
    }
}

TEST(IO, MemoryMappedBadFilesAreErrors) {
    TempDir dir;
    const std::string p = dir.path + "/b.index";
    auto idx = index_factory(8, "IVF4,Flat");
    auto x = randn(400 * 8, 5);
    idx->train(400, x.data());
    idx->add(400, x.data());
    const auto bytes = serialize_index(idx.get());
    write_bytes(p, {});
    EXPECT_THROW(read_index(p, IO_FLAG_MMAP), Error);  // empty
    for (size_t cut : {size_t(10), bytes.size() / 2, bytes.size() - 1}) {
        write_bytes(p, std::vector<uint8_t>(bytes.begin(), bytes.begin() + long(cut)));
        EXPECT_THROW(read_index(p, IO_FLAG_MMAP), Error) << cut;
    }
    for (size_t i = 0; i < bytes.size(); i += 97) {
        auto b = bytes;
        b[i] ^= 0x40;
        write_bytes(p, b);
        EXPECT_THROW(read_index(p, IO_FLAG_MMAP), Error) << i;
    }
    EXPECT_THROW(read_index(dir.path + "/missing", IO_FLAG_MMAP), FileError);
    EXPECT_THROW(read_index(dir.path, IO_FLAG_MMAP), FileError);
    EXPECT_THROW(read_index(p, 0x40), Error);  // unknown flag
}

// On-disk lists: merged from in-memory lists, reopened only with the recorded extents, size
// and hash; anything else is an Error before a byte of the lists is used.
TEST(OnDiskInvertedLists, MergeOpenAndHostileExtents) {
    const size_t nlist = 3, cs = 5;
    ArrayInvertedLists a(nlist, cs), b(nlist, cs);
    std::vector<uint8_t> code(cs, 7);
    for (idx_t i = 0; i < 10; ++i) a.add_entries(size_t(i) % nlist, 1, &i, code.data());
    for (idx_t i = 0; i < 4; ++i) b.add_entries(1, 1, &i, code.data());
    char tmpl[] = "/tmp/faisslike_ondisk_XXXXXX";
    const std::string path = std::string(mkdtemp(tmpl)) + "/lists.ivfdata";
    auto od = OnDiskInvertedLists::merge({&a, &b}, path, /*shift_ids=*/true);
    ASSERT_EQ(od->compute_ntotal(), 14u);
    ASSERT_EQ(od->list_size(1), 3u + 4u);
    EXPECT_EQ(od->get_ids(1)[3], 10);  // b's id 0 shifted by a's 10 entries
    std::vector<uint64_t> sizes(nlist);
    for (size_t l = 0; l < nlist; ++l) sizes[l] = od->list_size(l);
    auto reopen = [&](std::vector<uint64_t> offs, std::vector<uint64_t> sz, uint64_t fsize,
                      uint64_t hash) {
        return OnDiskInvertedLists::open(path, nlist, cs, offs, sz, fsize, hash);
    };
    EXPECT_NO_THROW(reopen(od->offsets, sizes, od->file_size, od->file_hash));
    EXPECT_THROW(reopen(od->offsets, sizes, od->file_size, od->file_hash ^ 1), Error);
    EXPECT_THROW(reopen(od->offsets, sizes, od->file_size + 64, od->file_hash), Error);
    auto offs = od->offsets;
    offs[2] = od->file_size - 64;  // the list would run past the end
    EXPECT_THROW(reopen(offs, sizes, od->file_size, od->file_hash), Error);
    offs = od->offsets;
    offs[0] += 8;  // misaligned
    EXPECT_THROW(reopen(offs, sizes, od->file_size, od->file_hash), Error);
    auto big = sizes;
    big[1] = uint64_t(1) << 40;
    EXPECT_THROW(reopen(od->offsets, big, od->file_size, od->file_hash), Error);
    offs = od->offsets;
    offs[0] = 0;  // the header is not a list
    EXPECT_THROW(reopen(offs, sizes, od->file_size, od->file_hash), Error);
    const idx_t new_id = 99;
    EXPECT_THROW(od->add_entries(0, 1, &new_id, code.data()), Error);  // read-only: copy first
    unlink(path.c_str());
}
