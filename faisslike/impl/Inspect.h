// Internal: what the index readers report while inspect_index_file() runs them (one thread,
// a thread-local sink; without one every hook is a null check). Records as they nest, the
// first value of each scalar field, and the bytes of each array field ("memory per part").
#pragma once

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

namespace faisslike {
namespace records {

struct InspectNode {
    std::string tag;                  // 4 ASCII characters
    std::string field;                // where the parent holds it ("quantizer", "index", ...)
    std::string type;                 // class name, once the record was read
    uint64_t offset = 0, length = 0;  // file offset of the record, its size with framing
    enum Checksum { kNone, kOk, kMismatch } checksum = kNone;
    bool complete = false;
    struct Scalar {
        std::string name, value;
        uint64_t count;  // how many times the field was read (a per-list size: many)
    };
    std::vector<Scalar> scalars;
    struct Part {
        std::string name;
        uint64_t bytes, arrays;
    };
    std::vector<Part> parts;
    std::vector<std::unique_ptr<InspectNode>> children;
};

struct InspectSink {
    InspectNode root;  // a holder: the file's record is its only child
    std::vector<InspectNode*> stack{&root};

    InspectNode* begin(const char* tag, const char* field, uint64_t offset);
    void scalar(const char* field, std::string value);
    void bytes(const char* field, uint64_t n);
    void fourcc(uint32_t v);
};

// The current thread's sink, null unless an inspection runs.
InspectSink*& inspect_sink();

// One record while it is read: closed (complete or not) when the scope ends, also by an
// exception.
class InspectScope {
   public:
    InspectScope(const char* tag, const char* field, uint64_t offset);
    ~InspectScope();
    InspectScope(const InspectScope&) = delete;
    InspectScope& operator=(const InspectScope&) = delete;
    // The record was read: its class (from the object built) and its end offset.
    void done(const std::type_info& type, uint64_t end_offset);
    InspectNode* node() const { return node_; }

   private:
    InspectNode* node_ = nullptr;
};

template <class T>
void inspect_scalar(const char* field, const T& v) {
    InspectSink* k = inspect_sink();
    if (!k) return;
    if constexpr (std::is_same_v<T, uint32_t>) {
        if (std::strcmp(field, "fourcc") == 0) return k->fourcc(v);  // FAISS: names the record
        if (std::strstr(field, "type") && std::isalnum(v & 0xff) && std::isalnum((v >> 8) & 0xff) &&
            std::isalnum((v >> 16) & 0xff) && std::isalnum(v >> 24))  // a FAISS fourcc
            return k->scalar(field, std::string{'\'', char(v), char(v >> 8), char(v >> 16),
                                                char(v >> 24), '\''});
    }
    if constexpr (std::is_floating_point_v<T>) {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.6g", double(v));
        k->scalar(field, buf);
    } else if constexpr (std::is_integral_v<T>) {
        k->scalar(field, std::to_string(v));
    }
}

inline void inspect_bytes(const char* field, uint64_t n) {
    if (InspectSink* k = inspect_sink()) k->bytes(field, n);
}

}  // namespace records
}  // namespace faisslike
