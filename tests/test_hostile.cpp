// Hostile structures with valid checksums: saved files are parsed into records, fields and
// nested records are mutated (numbers that size buffers, counts, swapped nested types), the
// checksums recomputed, and each result loaded (copied and memory-mapped) and exercised in
// child processes. A crash, an allocation past a bound, or a result outside the index is
// counted; the test requires zero of each. FAISSLIKE_HOSTILE_CASES sets the number of files
// (default 1500; scripts/hostile.sh runs a long one).
#include <fcntl.h>
#include <omp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "faisslike/Error.h"
#include "faisslike/IDSelector.h"
#include "faisslike/IndexBinaryFromFloat.h"
#include "faisslike/IndexBinaryIDMap.h"
#include "faisslike/IndexFlat.h"
#include "faisslike/IndexIDMap.h"
#include "faisslike/IndexPreTransform.h"
#include "faisslike/IndexShards.h"
#include "faisslike/VectorTransform.h"
#include "faisslike/index_factory.h"
#include "faisslike/index_inspect.h"
#include "faisslike/index_io.h"
#include "test_util.h"

using namespace faisslike;
using namespace faisslike_test;

// Sanitizers reserve terabytes of address space: no RLIMIT_AS under them (gcc defines
// __SANITIZE_*__, clang answers __has_feature).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FAISSLIKE_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define FAISSLIKE_TEST_SANITIZED 1
#endif
#endif
#ifndef FAISSLIKE_TEST_SANITIZED
#define FAISSLIKE_TEST_SANITIZED 0
#endif

namespace {

using Bytes = std::vector<uint8_t>;
constexpr size_t kHeader = 16;

const char* const kTags[] = {"IxFl", "IwFl", "IxPq", "IPfs", "IwPQ", "IxRF", "IHNf", "IHN2",
                             "IHNc", "IxSQ", "IwSQ", "IxMp", "IxM2", "IxPT", "IxSh", "IBxF",
                             "IBwF", "IBMp", "IBM2", "IBHh", "IBHm", "IBFf", "IBHf", "IxMm",
                             "IxMI", "Ix2L", "IwPf", "IxRq", "IwRq", "IwRf", "IHqg"};

uint64_t get64(const Bytes& b, size_t o) {
    uint64_t v;
    std::memcpy(&v, b.data() + o, 8);
    return v;
}
void put64(Bytes& b, size_t o, uint64_t v) {
    std::memcpy(b.data() + o, &v, 8);
}

bool is_tag(const Bytes& b, size_t o) {
    for (const char* t : kTags)
        if (std::memcmp(b.data() + o, t, 4) == 0) return true;
    return false;
}

// One record: [at, at + 12 + len + 8). Children are records inside its body, found by
// scanning for a tag whose framing fits and whose checksum verifies (64 bits: exact).
struct Record {
    size_t at = 0;
    uint64_t len = 0;
    std::vector<Record> kids;
    size_t body() const { return at + 12; }
    size_t end() const { return at + 12 + len + 8; }
};

uint64_t checksum_of(const Bytes& b, const Record& r) {
    XXH3_state_t* s = XXH3_createState();
    XXH3_64bits_reset(s);
    size_t pos = r.body();
    for (const Record& k : r.kids) {
        XXH3_64bits_update(s, b.data() + pos, k.body() - pos);  // up to and with its framing
        pos = k.body() + k.len;                                 // its body left out
    }
    XXH3_64bits_update(s, b.data() + pos, r.body() + r.len - pos);
    const uint64_t h = XXH3_64bits_digest(s);
    XXH3_freeState(s);
    return h;
}

bool parse(const Bytes& b, size_t at, size_t limit, Record& r) {
    if (at + 20 > limit || !is_tag(b, at)) return false;
    r.at = at;
    r.len = get64(b, at + 4);
    if (r.len > limit - at - 20) return false;
    r.kids.clear();
    for (size_t p = r.body(); p + 20 <= r.body() + r.len;) {
        Record k;
        if (is_tag(b, p) && parse(b, p, r.body() + r.len, k)) {
            r.kids.push_back(k);
            p = k.end();
        } else {
            ++p;
        }
    }
    return checksum_of(b, r) == get64(b, r.body() + r.len);
}

// Recomputes every checksum bottom-up (children first: their trailers are parent bytes).
void reseal(Bytes& b, const Record& r) {
    for (const Record& k : r.kids) reseal(b, k);
    put64(b, r.body() + r.len, checksum_of(b, r));
}

void all_records(Record& r, std::vector<Record*>& out) {
    out.push_back(&r);
    for (Record& k : r.kids) all_records(k, out);
}

void shift(Record& r, int64_t by) {
    r.at = size_t(int64_t(r.at) + by);
    for (Record& k : r.kids) shift(k, by);
}

// The tree after replacing `victim` by the donor record (parsed at offset 0).
Record replaced(const Record& r, const Record& victim, const Record& donor, int64_t delta) {
    if (r.at == victim.at && r.len == victim.len) {
        Record d = donor;
        shift(d, int64_t(victim.at));
        return d;
    }
    Record o = r;
    if (r.at >= victim.end()) shift(o, delta);
    if (r.at < victim.at && victim.end() <= r.body() + r.len) {
        o.len = uint64_t(int64_t(r.len) + delta);
        for (size_t i = 0; i < r.kids.size(); ++i)
            o.kids[i] = replaced(r.kids[i], victim, donor, delta);
    }
    return o;
}

// Replaces record `victim` (at any depth under root) by a donor record: the ancestors'
// lengths follow; returns the new tree (checksums still to reseal).
Record splice(Bytes& b, const Record& root, const Record& victim, const Bytes& donor,
              const Record& donor_tree) {
    const int64_t delta = int64_t(donor.size()) - int64_t(victim.end() - victim.at);
    Record out_tree = replaced(root, victim, donor_tree, delta);
    std::vector<Record*> recs;
    Record old = root;
    all_records(old, recs);
    for (Record* r : recs)
        if (r->at < victim.at && victim.end() <= r->body() + r->len)
            put64(b, r->at + 4, uint64_t(int64_t(r->len) + delta));
    Bytes out(b.begin(), b.begin() + long(victim.at));
    out.insert(out.end(), donor.begin(), donor.end());
    out.insert(out.end(), b.begin() + long(victim.end()), b.end());
    b.swap(out);
    return out_tree;
}

struct Source {
    std::string name;
    Bytes bytes;
    bool binary = false;  // an IndexBinary file (read_index_binary)
};

std::vector<Source> sources() {
    const size_t d = 8, n = 200;
    auto x = clustered(n, d, 71, 10, 3.0f);
    std::vector<idx_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = idx_t(5 * i + 1);
    std::vector<Source> out;
    for (const char* desc : {"Flat",
                             "IVF8,Flat",
                             "IVF8,PQ4x4",
                             "IVF8,SQ8",
                             "PQ4x4",
                             "SQ8",
                             "SQfp16",
                             "HNSW8",
                             "IDMap,Flat",
                             "IDMap2,Flat",
                             "IDMap2,IVF8,Flat",
                             "IDMap2,L2norm,HNSW8",
                             "PQ4x4,RFlat",
                             "L2norm,IVF8,Flat",
                             "IDMap2,IVF8,SQ8",
                             "PCA4,Flat",
                             "L2norm,PCAR4,IVF8,Flat",
                             "RR8,HNSW8",
                             "PCAW6,SQ8",
                             "SQ4",
                             "IVF8,SQ6",
                             "SQbf16",
                             "IVF8,SQ8_direct",
                             "IVF8_HNSW4,Flat",
                             "HNSW8,SQ8",
                             "HNSW8,PQ4x4",
                             "HNSW8,QG",
                             "HNSW8_SQ4",
                             "HR,Flat",
                             "HR5,IVF8,Flat",
                             "MinMax,SQ8",
                             "MinMaxFP16,IVF8,PQ4x4",
                             "IMI2x2,Flat",
                             "IMI2x2,PQ4x4",
                             "HNSW4_8+PQ4x4",
                             "HNSW4_2x2+PQ4x4",
                             "PQ4x4fs",
                             "IDMap2,PQ2x4fs",
                             "RaBitQ",
                             "RaBitQ4",
                             "IVF8,RaBitQ",
                             "IDMap2,IVF8,RaBitQ3",
                             "IVF8,RaBitQfs2"}) {
        auto idx = index_factory(int(d), desc);
        if (!idx->is_trained) idx->train(idx_t(n), x.data());
        add_per_factory(*idx, desc, idx_t(n), x.data(), ids.data());
        out.push_back({desc, serialize_index(idx.get())});
    }
    for (bool successive : {true, false}) {
        IndexShards sh(int(d), successive);
        for (int s = 0; s < 3; ++s) {
            Index* shard = successive ? static_cast<Index*>(new IndexFlatL2(int(d)))
                                      : new IndexIDMap2(new IndexFlatL2(int(d)));
            if (!successive) static_cast<IndexIDMap2*>(shard)->index.set_owned(true);
            sh.add_shard(shard, true);
        }
        if (successive)
            sh.add(idx_t(n), x.data());
        else
            sh.add_with_ids(idx_t(n), x.data(), ids.data());
        out.push_back({successive ? "Shards(Flat)" : "Shards(IDMap2)", serialize_index(&sh)});
    }
    {
        // The quantized-graph walk: its PQ in the record, the packed blocks rebuilt on load.
        IndexHNSWFlat h(int(d), 8);
        h.add(idx_t(n), x.data());
        h.set_qg_traversal(4);
        out.push_back({"HNSW8 (qg)", serialize_index(&h)});
    }
    {
        // OPQ trains on >= 256 vectors: a short run on the data repeated.
        auto opq = index_factory(int(d), "OPQ4,IVF8,PQ4x4fsr");
        static_cast<OPQMatrix*>(static_cast<IndexPreTransform*>(opq.get())->chain[0].get())->niter =
            2;
        std::vector<float> xx(x);
        xx.insert(xx.end(), x.begin(), x.end());
        opq->train(idx_t(2 * n), xx.data());
        opq->add(idx_t(n), x.data());
        out.push_back({"OPQ4,IVF8,PQ4x4fsr", serialize_index(opq.get())});
    }
    // Binary indexes (d = 64 bits) from the same data, thresholded.
    std::vector<uint8_t> codes(n * 8);
    for (size_t i = 0; i < n; ++i) real_to_binary(8, &x[i * d], &codes[i]);
    std::vector<uint8_t> codes64(n * 8);
    for (size_t i = 0; i < n * 8; ++i) codes64[i] = uint8_t(codes[i % n] * 37 + i);
    for (const char* desc : {"BFlat", "BIVF8", "BHNSW8", "BHash8", "BHash2x8", "IDMap2,BIVF8",
                             "IDMap,BFlat", "BIVF4_HNSW4"}) {
        auto idx = index_binary_factory(64, desc);
        idx->train(idx_t(n), codes64.data());
        if (std::string(desc).rfind("IDMap", 0) == 0)
            idx->add_with_ids(idx_t(n), codes64.data(), ids.data());
        else
            idx->add(idx_t(n), codes64.data());
        out.push_back({desc, serialize_index_binary(idx.get()), true});
    }
    {
        IndexBinaryFromFloat ff(new IndexFlatL2(64));
        ff.index.set_owned(true);
        ff.add(idx_t(n), codes64.data());
        out.push_back({"BFromFloat", serialize_index_binary(&ff), true});
    }
    return out;
}

// The binary counterpart of exercise(): every entry point of a loaded IndexBinary.
int exercise_binary(const Bytes& file, const std::string& path) {
    int outcome = 10;  // kRejected
    for (int mapped = 0; mapped < 2; ++mapped) {
        std::unique_ptr<IndexBinary> idx;
        try {
            idx = mapped ? read_index_binary(path, IO_FLAG_MMAP)
                         : deserialize_index_binary(file.data(), file.size());
        } catch (const Error&) {
            continue;
        }
        outcome = 11;  // kLoadedFine
        try {
            (void)serialize_index_binary(idx.get());
        } catch (const Error&) {
            return 14;  // kNotWritable
        }
        auto call = [&](auto&& f) {
            try {
                f();
            } catch (const Error&) {
            }
        };
        std::vector<uint8_t> q(size_t(3) * size_t(idx->code_size), 0x5a);
        const idx_t nt = idx->ntotal;
        for (idx_t k : {idx_t(1), std::min<idx_t>(nt + 3, 4096)}) {
            std::vector<int32_t> D(size_t(3 * k));
            std::vector<idx_t> I(size_t(3 * k));
            bool ran = false;
            call([&] {
                idx->search(3, q.data(), k, D.data(), I.data());
                ran = true;
            });
            if (ran && !idx->accepts_ids())
                for (idx_t l : I)
                    if (l < -1 || l >= nt) return 12;  // kWrong
        }
        RangeSearchResult res;
        call([&] { idx->range_search(3, q.data(), 1 << 20, &res); });
        std::vector<uint8_t> rec(size_t(idx->code_size));
        call([&] { idx->reconstruct(0, rec.data()); });
        call([&] { idx->reconstruct(nt > 0 ? nt - 1 : 0, rec.data()); });
        IDSelectorRange rm(0, 7);
        call([&] { idx->remove_ids(rm); });
        std::vector<idx_t> new_ids = {1000001, 1000002, 1000003};
        call([&] {
            if (idx->accepts_ids())
                idx->add_with_ids(3, q.data(), new_ids.data());
            else
                idx->add(3, q.data());
        });
        std::vector<int32_t> D(30);
        std::vector<idx_t> I(30);
        call([&] { idx->search(3, q.data(), 10, D.data(), I.data()); });
        call([&] { (void)serialize_index_binary(idx.get()); });
    }
    return outcome;
}

enum Outcome : int {
    kRejected = 10,
    kLoadedFine = 11,
    kWrong = 12,
    kAllocFailed = 13,
    kNotWritable = 14,
    kInspectThrew = 15,
    kCrashedAfterOthers = 16  // crashed in a batch, not when run alone: still a defect
};

// In a child: load (copy, then mapped) and exercise one file. Returns its Outcome.
int exercise(const Bytes& file, const std::string& path, bool binary) {
    int outcome = kRejected;
    // The inspector reads every file to a report: it throws only when the file cannot be
    // opened.
    try {
        (void)inspect_index_file(path);
        (void)inspect_index_file(path, true);
    } catch (...) {
        return kInspectThrew;
    }
    try {
        if (binary) return exercise_binary(file, path);
        for (int mapped = 0; mapped < 2; ++mapped) {
            std::unique_ptr<Index> idx;
            try {
                idx = mapped ? read_index(path, IO_FLAG_MMAP)
                             : deserialize_index(file.data(), file.size());
            } catch (const Error&) {
                continue;
            }
            outcome = kLoadedFine;
            // What loads must write back: the writer and the reader apply the same rules.
            try {
                (void)serialize_index(idx.get());
            } catch (const Error&) {
                return kNotWritable;
            }
            const int d = idx->d;
            auto q = randn(size_t(3) * size_t(d), 5);
            auto call = [&](auto&& f) {
                try {
                    f();
                } catch (const Error&) {
                }
            };
            const idx_t nt = idx->ntotal;
            for (idx_t k : {idx_t(1), std::min<idx_t>(nt + 3, 4096)}) {
                std::vector<float> D(size_t(3 * k));
                std::vector<idx_t> I(size_t(3 * k));
                bool ran = false;
                call([&] {
                    idx->search(3, q.data(), k, D.data(), I.data());
                    ran = true;
                });
                if (ran && !idx->accepts_ids())
                    for (idx_t l : I)
                        if (l < -1 || l >= nt) return kWrong;
            }
            IDSelectorRange sel(0, 50);
            SearchParameters sp;
            sp.sel = &sel;
            std::vector<float> D(30);
            std::vector<idx_t> I(30);
            call([&] { idx->search(3, q.data(), 10, D.data(), I.data(), &sp); });
            RangeSearchResult res;
            call([&] { idx->range_search(3, q.data(), 1e30f, &res); });
            std::vector<float> rec(static_cast<size_t>(d));
            call([&] { idx->reconstruct(0, rec.data()); });
            call([&] { idx->reconstruct(nt > 0 ? nt - 1 : 0, rec.data()); });
            call([&] { (void)serialize_index(idx.get()); });
            // The standalone codec, on vectors and on arbitrary codes.
            if (idx->has_sa_codec()) {
                const size_t cs = idx->sa_code_size();
                std::vector<uint8_t> codes(3 * cs);
                for (size_t i = 0; i < codes.size(); ++i) codes[i] = uint8_t(i * 131 + 7);
                std::vector<float> dec(size_t(3) * size_t(d));
                call([&] { idx->sa_decode(3, codes.data(), dec.data()); });
                call([&] { idx->sa_encode(3, q.data(), codes.data()); });
                call([&] { idx->sa_decode(3, codes.data(), dec.data()); });
            }
            IDSelectorRange rm(0, 7);
            call([&] { idx->remove_ids(rm); });
            std::vector<idx_t> new_ids = {1000001, 1000002, 1000003};
            call([&] {
                if (idx->accepts_ids())
                    idx->add_with_ids(3, q.data(), new_ids.data());
                else
                    idx->add(3, q.data());
            });
            call([&] { idx->search(3, q.data(), 10, D.data(), I.data()); });
            call([&] { (void)serialize_index(idx.get()); });
        }
    } catch (const std::bad_alloc&) {
        return kAllocFailed;
    } catch (...) {
        return kWrong;  // anything but faisslike::Error escaping is a defect
    }
    return outcome;
}

struct Case {
    Bytes bytes;
    std::string path;  // the same bytes, written there for the memory-mapped load
    bool binary = false;
};

// Runs cases [begin, end) in one forked child, which writes each case's Outcome to a pipe
// before it starts the next. Appends what it read; returns how the child ended (a wait status).
// std::runtime_error when the pipe, the child or the wait cannot be had: no case ran then.
int run_batch(const std::vector<Case>& cases, size_t begin, size_t end, std::vector<int>& out) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    const pid_t pid = fork();
    if (pid < 0) {
        const int err = errno;
        close(fds[0]);
        close(fds[1]);
        throw std::runtime_error(std::string("fork: ") + std::strerror(err));
    }
    if (pid == 0) {
        close(fds[0]);
        // The parent's OpenMP pool did not survive fork(): stay on this thread.
        omp_set_num_threads(1);
#if !FAISSLIKE_TEST_SANITIZED
        // A hostile file must not make us allocate without bound: 2 GiB of address space is
        // far more than these tiny indexes need (sanitizers reserve terabytes: no limit there).
        struct rlimit rl = {size_t(2) << 30, size_t(2) << 30};
        setrlimit(RLIMIT_AS, &rl);
#endif
        for (size_t c = begin; c < end; ++c) {
            alarm(60);  // a case that does not finish in a minute is a hang (SIGALRM, counted)
            const uint8_t o = uint8_t(exercise(cases[c].bytes, cases[c].path, cases[c].binary));
            if (write(fds[1], &o, 1) != 1) _exit(1);
        }
        _exit(0);
    }
    close(fds[1]);
    uint8_t o;
    while (out.size() < end - begin && read(fds[0], &o, 1) == 1) out.push_back(o);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    return status;
}

// Every case in forked children, 50 to a child: a fork of a sanitized process costs tens of
// milliseconds (its shadow memory's page tables), most of this test's time when each case had
// its own child. The outcome of a case whose child died is how the case ends alone in a fresh
// child (a crash, counted as one), or kCrashedAfterOthers when alone it does not crash.
// Returns one result per case: an Outcome, or -signal for a case killed by a signal.
std::vector<int> run_cases(const std::vector<Case>& cases) {
    std::vector<int> results;
    size_t next = 0;
    while (next < cases.size()) {
        const size_t end = std::min(cases.size(), next + 50);
        std::vector<int> got;
        const int status = run_batch(cases, next, end, got);
        results.insert(results.end(), got.begin(), got.end());
        next += got.size();
        if (next == end && WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
        if (next == end) {  // all reported, yet the child did not end cleanly (exit handlers)
            results.back() = WIFSIGNALED(status) ? -WTERMSIG(status) : 100 + WEXITSTATUS(status);
            continue;
        }
        // The child died on case `next`: run it alone.
        std::vector<int> alone;
        const int st = run_batch(cases, next, next + 1, alone);
        if (!alone.empty() && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            results.push_back(alone[0] == kRejected || alone[0] == kLoadedFine ? kCrashedAfterOthers
                                                                               : alone[0]);
        else
            results.push_back(WIFSIGNALED(st) ? -WTERMSIG(st) : 100 + WEXITSTATUS(st));
        ++next;
    }
    return results;
}

std::string outcome_name(int r) {
    switch (r) {
        case kRejected:
            return "rejected";
        case kLoadedFine:
            return "loaded+exercised";
        case kWrong:
            return "wrong";
        case kAllocFailed:
            return "allocation over bound";
        case kNotWritable:
            return "loaded but not writable";
        case kInspectThrew:
            return "inspect_index_file threw";
        case kCrashedAfterOthers:
            return "crash after other files in the same process";
    }
    if (r < 0) return "crash(signal " + std::to_string(-r) + ")";
    return "exit " + std::to_string(r - 100);
}

// Runs the files (run_cases) and counts each outcome; every one but rejected and
// loaded+exercised is a failure, listed with the file's name.
void run_and_tally(const std::vector<Case>& files, const std::vector<std::string>& names,
                   std::map<std::string, int>& counts, std::vector<std::string>& failures) {
    const std::vector<int> results = run_cases(files);
    ASSERT_EQ(results.size(), files.size());
    for (size_t c = 0; c < files.size(); ++c) {
        const std::string outcome = outcome_name(results[c]);
        counts[outcome]++;
        if (outcome != "rejected" && outcome != "loaded+exercised")
            failures.push_back(names[c] + ": " + outcome);
    }
}

// Hostile values for a field of `width` bytes.
uint64_t hostile_value(std::mt19937_64& rng, int width) {
    static const uint64_t v64[] = {0,
                                   1,
                                   2,
                                   3,
                                   7,
                                   255,
                                   256,
                                   65535,
                                   uint64_t(1) << 31,
                                   (uint64_t(1) << 31) - 1,
                                   uint64_t(1) << 32,
                                   uint64_t(1) << 40,
                                   uint64_t(1) << 62,
                                   ~uint64_t(0),
                                   ~uint64_t(0) - 1,
                                   uint64_t(int64_t(-2))};
    uint64_t v = v64[rng() % (sizeof(v64) / sizeof(v64[0]))];
    if (rng() % 4 == 0) v = rng();
    if (width == 4) v &= 0xffffffffu;
    return v;
}

}  // namespace

TEST(HostileStructures, ValidChecksumsNeverCrashOrAllocateWithoutBound) {
    const char* env = std::getenv("FAISSLIKE_HOSTILE_CASES");
    const int cases = env ? std::atoi(env) : 1500;
    auto srcs = sources();
    // Every source parses into its records, and resealing changes nothing: the parser and
    // the checksum rule match the reader's.
    std::vector<Record> roots(srcs.size());
    // Records by tag (bytes and their tree at offset 0), for swaps.
    std::map<std::string, std::vector<std::pair<Bytes, Record>>> donors;
    for (size_t s = 0; s < srcs.size(); ++s) {
        SCOPED_TRACE(srcs[s].name);
        Bytes& b = srcs[s].bytes;
        ASSERT_TRUE(parse(b, kHeader, b.size(), roots[s]));
        ASSERT_EQ(roots[s].end(), b.size());
        Bytes copy = b;
        reseal(copy, roots[s]);
        ASSERT_EQ(copy, b);
        std::vector<Record*> recs;
        all_records(roots[s], recs);
        for (Record* r : recs) {
            Bytes rb(b.begin() + long(r->at), b.begin() + long(r->end()));
            Record rt;
            ASSERT_TRUE(parse(rb, 0, rb.size(), rt));
            donors[std::string(rb.begin(), rb.begin() + 4)].emplace_back(rb, rt);
        }
    }
    char tmpl[] = "/tmp/faisslike_hostile_XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    std::mt19937_64 rng(20261202);
    std::map<std::string, int> counts;
    std::vector<std::string> failures;
    std::vector<Case> files;
    std::vector<std::string> names;
    for (int c = 0; c < cases; ++c) {
        const size_t s = size_t(c) % srcs.size();
        Bytes b = srcs[s].bytes;
        Record root = roots[s];
        std::vector<Record*> recs;
        all_records(root, recs);
        const Record target = *recs[rng() % recs.size()];
        std::string what;
        const int kind = int(rng() % 8);
        if (kind < 6 || donors.size() < 2) {
            // 1-3 numeric fields of the record's own bytes (its header region first: that is
            // where counts, sizes and parameters live).
            const int nfields = 1 + int(rng() % 3);
            for (int f = 0; f < nfields; ++f) {
                const int width = rng() % 2 ? 8 : 4;
                const size_t span = std::min<size_t>(target.len, rng() % 3 ? 96 : target.len);
                if (span < size_t(width)) break;
                size_t off = target.body() + (rng() % (span - size_t(width) + 1));
                bool inside_kid = false;
                for (const Record& k : target.kids)
                    inside_kid |= off + size_t(width) > k.at && off < k.end();
                if (inside_kid) continue;
                const uint64_t v = hostile_value(rng, width);
                std::memcpy(b.data() + off, &v, size_t(width));
                what += " field@" + std::to_string(off - target.body()) + "=" + std::to_string(v);
            }
            reseal(b, root);
        } else {
            // Swap the record (often a nested one: quantizer, wrapped index, shard) for a
            // record of another type taken from another file.
            auto it = donors.begin();
            std::advance(it, long(rng() % donors.size()));
            const auto& donor = it->second[rng() % it->second.size()];
            what = " swap " +
                   std::string(b.begin() + long(target.at), b.begin() + long(target.at) + 4) +
                   "->" + it->first;
            const Record fresh = splice(b, root, target, donor.first, donor.second);
            reseal(b, fresh);
        }
        const std::string path = dir + "/h" + std::to_string(c) + ".index";
        FILE* f = std::fopen(path.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        ASSERT_EQ(std::fwrite(b.data(), 1, b.size(), f), b.size());
        std::fclose(f);
        files.push_back({std::move(b), path, srcs[s].binary});
        names.push_back(srcs[s].name + what);
    }
    run_and_tally(files, names, counts, failures);
    std::system(("rm -rf '" + dir + "'").c_str());
    std::string summary;
    for (auto& kv : counts) summary += kv.first + "=" + std::to_string(kv.second) + " ";
    std::printf("[hostile] %d files (x2 loads): %s\n", cases, summary.c_str());
    std::string first;
    for (size_t i = 0; i < failures.size() && i < 20; ++i) first += failures[i] + "\n";
    EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first:\n" << first;
    // The generator must reach past the checksums and the framing, or it proves nothing.
    EXPECT_GT(counts["loaded+exercised"], cases / 20);
}

// FAISS-format files carry no checksums: every mutation reaches the reader's checks. Fields
// overwritten with hostile values, and truncations, of FAISS-format files of every type
// both libraries have (written by our FAISS writer): each must be rejected or load into an
// index every entry point of which works; never a crash, hang or unbounded allocation.
TEST(HostileFaissFiles, MutatedFaissFormatNeverCrashes) {
    const char* env = std::getenv("FAISSLIKE_HOSTILE_CASES");
    const int cases = env ? std::atoi(env) : 1500;
    const size_t d = 8, n = 200;
    auto x = clustered(n, d, 73, 10, 3.0f);
    std::vector<idx_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = idx_t(5 * i + 1);
    std::vector<Source> srcs;
    for (const char* desc :
         {"Flat", "IVF8,Flat", "IVF8,PQ4x4", "IVF8,SQ8", "IVF8,SQ4", "PQ4x4", "SQ8", "SQfp16",
          "HNSW4", "HNSW4,SQ8", "HNSW4,PQ4x4", "IDMap,Flat", "IDMap2,IVF8,Flat", "PQ4x4,RFlat",
          "L2norm,PCAR4,IVF8,Flat", "HR,Flat", "IMI2x2,Flat"}) {
        auto idx = index_factory(int(d), desc);
        if (!idx->is_trained) idx->train(idx_t(n), x.data());
        add_per_factory(*idx, desc, idx_t(n), x.data(), ids.data());
        srcs.push_back({std::string(desc) + " (faiss format)", serialize_index_faiss(idx.get())});
        // Every source loads as it is (the writer and the reader agree).
        auto back = deserialize_index(srcs.back().bytes.data(), srcs.back().bytes.size());
        ASSERT_EQ(back->ntotal, idx->ntotal) << desc;
    }
    std::vector<uint8_t> codes(n * 8);
    for (size_t i = 0; i < codes.size(); ++i) codes[i] = uint8_t(i * 2654435761u >> 13);
    for (const char* desc : {"BFlat", "BIVF8", "BHNSW8", "IDMap2,BIVF8", "IDMap,BFlat"}) {
        auto idx = index_binary_factory(64, desc);
        idx->train(idx_t(n), codes.data());
        if (std::string(desc).rfind("IDMap", 0) == 0)
            idx->add_with_ids(idx_t(n), codes.data(), ids.data());
        else
            idx->add(idx_t(n), codes.data());
        srcs.push_back(
            {std::string(desc) + " (faiss format)", serialize_index_binary_faiss(idx.get()), true});
        auto back = deserialize_index_binary(srcs.back().bytes.data(), srcs.back().bytes.size());
        ASSERT_EQ(back->ntotal, idx->ntotal) << desc;
    }
    char tmpl[] = "/tmp/faisslike_hostile_faiss_XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    std::mt19937_64 rng(20261203);
    std::map<std::string, int> counts;
    std::vector<std::string> failures;
    std::vector<Case> files;
    std::vector<std::string> names;
    for (int c = 0; c < cases; ++c) {
        const Source& src = srcs[size_t(c) % srcs.size()];
        Bytes b = src.bytes;
        std::string what;
        const int kind = int(rng() % 8);
        if (kind == 0) {
            const size_t len = size_t(rng() % b.size());
            b.resize(len);
            what = " truncated to " + std::to_string(len);
        } else {
            // Counts and sizes sit in the first bytes of each record: bias toward them.
            const size_t span = rng() % 2 ? std::min<size_t>(b.size(), 256) : b.size();
            const int width = kind <= 3 ? 8 : kind <= 5 ? 4 : 1;
            const size_t at = size_t(rng() % span);
            const uint64_t v = hostile_value(rng, width);
            for (int k = 0; k < width && at + size_t(k) < b.size(); ++k)
                b[at + size_t(k)] = uint8_t(v >> (8 * k));
            what = " " + std::to_string(width) + " bytes at " + std::to_string(at);
        }
        const std::string path = dir + "/h" + std::to_string(c) + ".index";
        FILE* f = std::fopen(path.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        if (!b.empty()) ASSERT_EQ(std::fwrite(b.data(), 1, b.size(), f), b.size());
        std::fclose(f);
        files.push_back({std::move(b), path, src.binary});
        names.push_back(src.name + what);
    }
    run_and_tally(files, names, counts, failures);
    std::system(("rm -rf '" + dir + "'").c_str());
    std::string summary;
    for (auto& kv : counts) summary += kv.first + "=" + std::to_string(kv.second) + " ";
    std::printf("[hostile faiss] %d files: %s\n", cases, summary.c_str());
    std::string first;
    for (size_t i = 0; i < failures.size() && i < 20; ++i) first += failures[i] + "\n";
    EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first:\n" << first;
    EXPECT_GT(counts["loaded+exercised"], cases / 20);
    EXPECT_GT(counts["rejected"], cases / 20);
}
