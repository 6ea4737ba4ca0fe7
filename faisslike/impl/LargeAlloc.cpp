#include "faisslike/impl/LargeAlloc.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

namespace faisslike {

namespace {
constexpr size_t kHuge = size_t(2) << 20;
constexpr size_t kHugeMin = size_t(4) << 20;  // below this the rounding waste is too dear
}  // namespace

bool large_alloc_hugepages() {
    static const bool on = [] {
        const char* e = std::getenv("FAISSLIKE_HUGEPAGES");
        return !(e && std::strcmp(e, "0") == 0);
    }();
    return on;
}

void* large_alloc(size_t bytes) {
    if (bytes == 0) bytes = 1;
    const bool huge = bytes >= kHugeMin && large_alloc_hugepages();
    const size_t align = huge ? kHuge : 64;
    if (bytes > size_t(-1) - align) throw std::bad_alloc();
    const size_t rounded = (bytes + align - 1) / align * align;  // aligned_alloc's rule
    void* p = std::aligned_alloc(align, rounded);
    if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    // Before the first touch, so the pages are faulted in huge. Advice only: failure is fine.
    if (huge) (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
    return p;
}

void large_free(void* p) noexcept {
    std::free(p);
}

}  // namespace faisslike
