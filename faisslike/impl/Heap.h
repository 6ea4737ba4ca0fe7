// k-selection heaps stored in caller arrays (FAISS layout): a max-heap (CMax) keeps the k
// smallest values, a min-heap (CMin) the k largest. Ties are broken by id so results do not
// depend on the order candidates arrive in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>

#include "faisslike/MetricType.h"

namespace faisslike {

template <typename T, typename TI>
struct CMin;

template <typename T, typename TI>
struct CMax {
    using T_ = T;
    using TI_ = TI;
    using Crev = CMin<T, TI>;
    // True when (a1, a2) belongs above (b1, b2) in the heap, i.e. is a worse result.
    static inline bool cmp2(T a1, T b1, TI a2, TI b2) { return a1 > b1 || (a1 == b1 && a2 > b2); }
    static inline T neutral() { return std::numeric_limits<T>::infinity(); }
};

template <typename T, typename TI>
struct CMin {
    using T_ = T;
    using TI_ = TI;
    using Crev = CMax<T, TI>;
    static inline bool cmp2(T a1, T b1, TI a2, TI b2) { return a1 < b1 || (a1 == b1 && a2 > b2); }
    static inline T neutral() { return -std::numeric_limits<T>::infinity(); }
};

// Fills the heap with neutral values and -1 labels.
template <class C>
inline void heap_heapify(size_t k, typename C::T_* val, typename C::TI_* ids) {
    for (size_t i = 0; i < k; ++i) {
        val[i] = C::neutral();
        ids[i] = -1;
    }
}

// Sift-down from the root (0-based layout).
template <class C>
inline void heap_sift_down(size_t k, typename C::T_* val, typename C::TI_* ids, size_t i,
                           typename C::T_ v, typename C::TI_ id) {
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= k) break;
        size_t r = l + 1, c = l;
        if (r < k && C::cmp2(val[r], val[l], ids[r], ids[l])) c = r;
        if (!C::cmp2(val[c], v, ids[c], id)) break;
        val[i] = val[c];
        ids[i] = ids[c];
        i = c;
    }
    val[i] = v;
    ids[i] = id;
}

// Replaces the worst kept result by (v, id) if (v, id) is better. Returns whether it did.
template <class C>
inline bool heap_push_if_better(size_t k, typename C::T_* val, typename C::TI_* ids,
                                typename C::T_ v, typename C::TI_ id) {
    if (!C::cmp2(val[0], v, ids[0], id)) return false;
    heap_sift_down<C>(k, val, ids, 0, v, id);
    return true;
}

// Turns the heap into a sorted list, best first; -1 entries (neutral values) end up last.
template <class C>
inline void heap_reorder(size_t k, typename C::T_* val, typename C::TI_* ids) {
    for (size_t n = k; n > 1; --n) {
        typename C::T_ v = val[n - 1];
        typename C::TI_ id = ids[n - 1];
        val[n - 1] = val[0];
        ids[n - 1] = ids[0];
        heap_sift_down<C>(n - 1, val, ids, 0, v, id);
    }
}

}  // namespace faisslike
