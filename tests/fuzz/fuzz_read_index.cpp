// libFuzzer target: deserialize_index on arbitrary bytes must either throw faisslike::Error
// or return an index that searches, reconstructs and re-serializes without any sanitizer
// report. Build and run: see tests/fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "faisslike/Error.h"
#include "faisslike/Index.h"
#include "faisslike/IndexBinary.h"
#include "faisslike/index_io.h"
#include "faisslike/io.h"

namespace {
// Hands out views into the input like the memory-mapped reader does, so the in-place code
// paths (mapped Flat vectors, inverted lists, HNSW links) are fuzzed too.
struct ViewReader : faisslike::BufferIOReader {
    using BufferIOReader::BufferIOReader;
    const uint8_t* try_view(size_t n) override {
        FAISSLIKE_THROW_IF_NOT_MSG(n <= size - pos, "truncated");
        const uint8_t* p = data + pos;
        pos += n;
        return p;
    }
    std::shared_ptr<const void> keepalive() const override {
        return std::shared_ptr<const void>(data, [](const void*) {});  // input outlives the index
    }
};
}  // namespace

namespace {
// The same for binary index files (their records differ from the first byte of the body).
void fuzz_binary(const uint8_t* data, size_t size) {
    std::unique_ptr<faisslike::IndexBinary> idx;
    try {
        if (size % 2) {
            ViewReader r(data, size);
            idx = faisslike::read_index_binary(&r);
        } else {
            idx = faisslike::deserialize_index_binary(data, size);
        }
    } catch (const faisslike::Error&) {
        return;
    }
    if (idx->d > 4096 || idx->ntotal > 100000) return;
    std::vector<uint8_t> q(size_t(idx->code_size) * 2, 0xa5);
    std::vector<int32_t> D(2 * 3);
    std::vector<faisslike::idx_t> I(2 * 3);
    try {
        idx->search(2, q.data(), 3, D.data(), I.data());
        for (faisslike::idx_t l : I)
            if (l < -1) __builtin_trap();
        if (idx->ntotal > 0) {
            std::vector<uint8_t> r(size_t(idx->code_size));
            idx->reconstruct(0, r.data());
        }
    } catch (const faisslike::Error&) {
    }
    auto again = faisslike::serialize_index_binary(idx.get());
    (void)again;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz_binary(data, size);
    std::unique_ptr<faisslike::Index> idx;
    try {
        if (size % 2) {  // odd sizes: the in-place (mmap-like) reader
            ViewReader r(data, size);
            idx = faisslike::read_index(&r);
        } else {
            idx = faisslike::deserialize_index(data, size);
        }
    } catch (const faisslike::Error&) {
        return 0;  // the expected outcome for almost every input
    }
    // A file that loads must be usable: search it (bounded work), reconstruct, write it back.
    const int d = idx->d;
    if (d > 4096 || idx->ntotal > 100000) return 0;  // keep each run fast
    std::vector<float> q(size_t(d) * 2, 0.5f);
    std::vector<float> D(2 * 3);
    std::vector<faisslike::idx_t> I(2 * 3);
    try {
        idx->search(2, q.data(), 3, D.data(), I.data());
        for (faisslike::idx_t l : I) {
            if (l < -1) __builtin_trap();  // labels are ids or -1
        }
        if (idx->ntotal > 0) {
            std::vector<float> r(static_cast<size_t>(d));
            idx->reconstruct(0, r.data());
        }
    } catch (const faisslike::Error&) {
        // e.g. untrained index, or reconstruct not supported: a clean error is fine
    }
    auto again = faisslike::serialize_index(idx.get());
    (void)again;
    return 0;
}
