// A growable array that readers may scan while the one writer appends (the storage of live
// indexes, see UsageGuard.h). Appends write past the published size, then publish the new
// size; growth copies into a larger block, publishes it, and retires the old one to the
// writer's domain, freed after the readers that may hold it are gone. Readers load size()
// first, then data(): the block they get holds at least that many elements.
// Shrinking, swap and element overwrite are for writers that exclude readers.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#include "faisslike/impl/UsageGuard.h"

namespace faisslike {

// malloc-backed: blocks are freed without their size (retire_block).
template <class T>
struct PlainAllocator {
    T* allocate(size_t n) {
        if (n > size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
        void* p = std::malloc(n * sizeof(T));
        if (!p) throw std::bad_alloc();
        return static_cast<T*>(p);
    }
    void deallocate(T* p, size_t) noexcept { std::free(p); }
};

template <class T, class Alloc = PlainAllocator<T>>
class LiveArray {
    static_assert(std::is_trivially_copyable<T>::value, "LiveArray holds plain values");

   public:
    using value_type = T;
    using iterator = T*;
    using const_iterator = const T*;

    LiveArray() = default;
    ~LiveArray() { free_block(p_.load(std::memory_order_relaxed)); }
    LiveArray(const LiveArray& o) { append(o.data(), o.size()); }
    LiveArray(LiveArray&& o) noexcept { steal(o); }
    LiveArray& operator=(const LiveArray& o) {
        if (this != &o) assign(o.data(), o.data() + o.size());
        return *this;
    }
    LiveArray& operator=(LiveArray&& o) noexcept {
        if (this != &o) {
            free_block(p_.load(std::memory_order_relaxed));
            steal(o);
        }
        return *this;
    }

    // ---- readers
    size_t size() const { return n_.load(std::memory_order_acquire); }
    bool empty() const { return size() == 0; }
    const T* data() const { return p_.load(std::memory_order_acquire); }
    const T& operator[](size_t i) const { return data()[i]; }
    const T* begin() const { return data(); }
    const T* end() const { return data() + size(); }
    // Changes with every access that may write (any non-const member), process-wide unique:
    // a reader-side cache derived from the contents (IndexFlat's bf16 rows) is valid while
    // the generation, size and data() it was built from are unchanged.
    uint64_t generation() const { return gen_.load(std::memory_order_acquire); }

    // ---- the writer
    T* data() {
        touch();
        return p_.load(std::memory_order_acquire);
    }
    T& operator[](size_t i) { return data()[i]; }
    T* begin() { return data(); }
    T* end() { return data() + size(); }
    size_t capacity() const { return cap_; }

    void reserve(size_t c) {
        if (c > cap_) regrow(c);
    }
    // Appends k elements: written first, then published.
    void append(const T* src, size_t k) {
        const size_t n = size();
        make_room(n, k);
        if (k) std::memcpy(static_cast<void*>(data() + n), src, k * sizeof(T));
        n_.store(n + k, std::memory_order_release);
    }
    void push_back(const T& v) { append(&v, 1); }
    // Room for k more elements past the published size, to be written in place, then
    // published by commit(k) (readers see nothing of them before).
    T* prepare(size_t k) {
        const size_t n = size();
        make_room(n, k);
        return data() + n;
    }
    void commit(size_t k) {
        touch();
        n_.store(size() + k, std::memory_order_release);
    }
    // vector compatibility: appends [first, last) (pos must be end()).
    void insert(const T* /*end*/, const T* first, const T* last) {
        append(first, size_t(last - first));
    }
    void assign(const T* first, const T* last) {
        n_.store(0, std::memory_order_release);
        append(first, size_t(last - first));
    }
    void assign(size_t k, const T& v) {
        n_.store(0, std::memory_order_release);
        resize(k, v);
    }
    // Growing value-initializes (or fills with v) the new elements before publishing them.
    void resize(size_t k) { resize(k, T()); }
    void resize(size_t k, const T& v) {
        const size_t n = size();
        touch();
        if (k > n) {
            make_room(n, k - n);
            std::fill(data() + n, data() + k, v);
        }
        n_.store(k, std::memory_order_release);
    }
    void clear() {
        touch();
        n_.store(0, std::memory_order_release);
    }
    void shrink_to_fit() {
        if (cap_ > size()) regrow(size());
    }
    void swap(LiveArray& o) noexcept {
        LiveArray t(std::move(o));
        o = std::move(*this);
        *this = std::move(t);
    }

   private:
    static uint64_t next_generation() {
        static std::atomic<uint64_t> counter{0};
        return counter.fetch_add(1, std::memory_order_relaxed) + 1;
    }
    void touch() { gen_.store(next_generation(), std::memory_order_release); }
    void make_room(size_t n, size_t k) {
        if (k > size_t(-1) / sizeof(T) - n) throw std::bad_array_new_length();
        if (n + k <= cap_) return;
        // Grow by at least 25%: amortized linear appends, at most 25% slack after a big one
        // (doubling can leave 2x: the FAISS out-of-memory complaint).
        regrow(std::max(n + k, cap_ + cap_ / 4));
    }
    void regrow(size_t c) {
        touch();
        const size_t n = std::min(size(), c);
        T* q = c ? Alloc().allocate(c) : nullptr;
        T* old = p_.load(std::memory_order_relaxed);
        if (n) std::memcpy(static_cast<void*>(q), old, n * sizeof(T));
        p_.store(q, std::memory_order_release);
        cap_ = c;
        if (n < size()) n_.store(n, std::memory_order_release);
        retire(old);
    }
    static void release(void* p) { Alloc().deallocate(static_cast<T*>(p), 0); }
    static void retire(T* p) { retire_block(p, &release); }
    static void free_block(T* p) {
        if (p) release(p);
    }
    void steal(LiveArray& o) noexcept {
        p_.store(o.p_.load(std::memory_order_relaxed), std::memory_order_release);
        n_.store(o.n_.load(std::memory_order_relaxed), std::memory_order_release);
        cap_ = o.cap_;
        o.p_.store(nullptr, std::memory_order_relaxed);
        o.n_.store(0, std::memory_order_relaxed);
        o.cap_ = 0;
        touch();
        o.touch();
    }

    std::atomic<T*> p_{nullptr};
    std::atomic<size_t> n_{0};
    size_t cap_ = 0;
    std::atomic<uint64_t> gen_{next_generation()};
};

// Element-wise equality (tests compare stored arrays).
template <class T, class A, class C>
bool live_equal(const LiveArray<T, A>& a, const C& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}
template <class T, class A, class B>
bool operator==(const LiveArray<T, A>& a, const LiveArray<T, B>& b) {
    return live_equal(a, b);
}
template <class T, class A, class B>
bool operator!=(const LiveArray<T, A>& a, const LiveArray<T, B>& b) {
    return !live_equal(a, b);
}
template <class T, class A, class B>
bool operator==(const LiveArray<T, A>& a, const std::vector<T, B>& b) {
    return live_equal(a, b);
}
template <class T, class A, class B>
bool operator==(const std::vector<T, B>& b, const LiveArray<T, A>& a) {
    return live_equal(a, b);
}

}  // namespace faisslike
