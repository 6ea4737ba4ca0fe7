// Counts the calls under way on one object (an Index or an IndexBinary): any number of
// searches, or one mutation. A mutation overlapping a search (or another mutation) throws
// instead of corrupting memory.
#pragma once

#include <atomic>
#include <cstdint>

namespace faisslike {

class UsageCounter {
   public:
    UsageCounter() = default;
    // Copies start idle: the count belongs to the object, not its value.
    UsageCounter(const UsageCounter&) {}
    UsageCounter& operator=(const UsageCounter&) { return *this; }

    void begin_read() const;
    void end_read() const { users_.fetch_sub(1, std::memory_order_release); }
    void begin_write() const;
    void end_write() const { users_.store(0, std::memory_order_release); }

   private:
    // >= 0: number of searches under way; -1: a mutation under way.
    mutable std::atomic<int64_t> users_{0};
};

// The scopes the entry points open: T has usage() and check_mapped_file().
template <class T>
struct ReadScope {
    const T& obj;
    explicit ReadScope(const T& o) : obj(o) {
        o.check_mapped_file();
        o.usage().begin_read();
    }
    ~ReadScope() { obj.usage().end_read(); }
    ReadScope(const ReadScope&) = delete;
    ReadScope& operator=(const ReadScope&) = delete;
};

template <class T>
struct WriteScope {
    const T& obj;
    explicit WriteScope(const T& o) : obj(o) {
        o.check_mapped_file();
        o.usage().begin_write();
    }
    ~WriteScope() { obj.usage().end_write(); }
    WriteScope(const WriteScope&) = delete;
    WriteScope& operator=(const WriteScope&) = delete;
};

}  // namespace faisslike
