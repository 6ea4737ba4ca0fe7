// Allocation of the big row arrays (vectors, codes, graph links).
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace faisslike {

// 64-byte aligned; blocks of 4 MiB or more are 2 MiB aligned and ask the kernel for
// transparent huge pages (madvise), so graph walks and other random row reads do not pay a
// TLB miss per row (Linux's default THP mode is "madvise": without asking, none are used).
// FAISSLIKE_HUGEPAGES=0 turns the request off. Throws std::bad_alloc.
void* large_alloc(size_t bytes);
void large_free(void* p) noexcept;
// Whether large_alloc asks for huge pages (the environment variable, read once).
bool large_alloc_hugepages();

template <class T>
struct LargeAllocator {
    using value_type = T;
    LargeAllocator() = default;
    template <class U>
    LargeAllocator(const LargeAllocator<U>&) {}
    T* allocate(size_t n) {
        if (n > size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
        return static_cast<T*>(large_alloc(n * sizeof(T)));
    }
    void deallocate(T* p, size_t) noexcept { large_free(p); }
    template <class U>
    bool operator==(const LargeAllocator<U>&) const {
        return true;
    }
    template <class U>
    bool operator!=(const LargeAllocator<U>&) const {
        return false;
    }
};

template <class T>
using LargeVector = std::vector<T, LargeAllocator<T>>;

}  // namespace faisslike
