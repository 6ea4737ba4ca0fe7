// An index held by a wrapper (IDMap's index, IVF's quantizer, Refine's base, a shard): a
// pointer that owns what it points to or not. Replaces the `own_fields` + raw pointer pair:
// one place decides deletion, and the pointer reads like a plain Index*.
#pragma once

#include <memory>

namespace faisslike {

struct Index;

class SubIndex {
   public:
    SubIndex() = default;
    SubIndex(Index* p, bool owned) : p_(p), owned_(owned) {}
    explicit SubIndex(std::unique_ptr<Index> p) : p_(p.release()), owned_(true) {}
    SubIndex(const SubIndex&) = delete;
    SubIndex& operator=(const SubIndex&) = delete;
    SubIndex(SubIndex&& o) noexcept : p_(o.p_), owned_(o.owned_) { o.p_ = nullptr; }
    SubIndex& operator=(SubIndex&& o) noexcept {
        if (this != &o) {
            reset();
            p_ = o.p_;
            owned_ = o.owned_;
            o.p_ = nullptr;
        }
        return *this;
    }
    ~SubIndex() { reset(); }

    Index* get() const { return p_; }
    Index* operator->() const { return p_; }
    Index& operator*() const { return *p_; }
    operator Index*() const { return p_; }  // reads like the raw pointer it replaces
    bool owned() const { return owned_; }
    // Whether the holder deletes the index (FAISS's own_fields).
    void set_owned(bool owned) { owned_ = owned; }
    void reset();

   private:
    Index* p_ = nullptr;
    bool owned_ = false;
};

}  // namespace faisslike
