// The concurrency domain of one object (an Index or an IndexBinary): any number of readers
// (search, range_search, reconstruct) run without locks; writers (add, remove_ids, ...) are
// serialized among themselves and either run beside the readers (types whose storage
// publishes appends safely, see Index::concurrent_add) or exclude them for their duration
// (train, reset, compact and the types that cannot). Storage that grows while readers scan
// it retires its old block here: the block is freed once the readers that may hold it have
// left (a grace period, as RCU). Writers never wait for readers to do so: a later write (or
// the object's destruction) frees what an earlier one retired once its readers are gone.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace faisslike {

class UsageCounter {
   public:
    UsageCounter() = default;
    // Copies start idle: the domain belongs to the object, not its value.
    UsageCounter(const UsageCounter&) {}
    UsageCounter& operator=(const UsageCounter&) { return *this; }
    ~UsageCounter();

    // Returns the slot to pass to end_read. Waits while an exclusive writer runs.
    int begin_read() const;
    void end_read(int slot) const;
    // mode Shared: serialized with other writers, concurrent with readers.
    // mode Exclusive: also waits for the readers under way and holds new ones back.
    enum class Mode { Shared, Exclusive };
    // begin_write = lock_writer, then enter_write: a writer may choose its mode from state
    // that only writers change once it holds the lock.
    void begin_write(Mode mode) const {
        lock_writer();
        enter_write(mode);
    }
    void lock_writer() const;
    void enter_write(Mode mode) const;
    void end_write(Mode mode) const;
    // Waits until every reader that started before the call has ended (writers only).
    void synchronize() const;
    // A block readers may still scan: released after its grace period (writers only).
    void retire(void* p, void (*release)(void*)) const;
    // Blocks retired and not yet released (tests).
    size_t retired_blocks() const;

    // The domain of the innermost write scope open on this thread (null: none). Storage
    // growing under it retires its old block through it.
    static const UsageCounter* current_writer();

   private:
    void wait_drained(int slot) const;
    bool read_by_this_thread() const;
    // Releases what no reader can hold any more (all: no reader exists); starts the grace
    // period of what waits. Under the writer lock.
    void reclaim(bool all) const;

    using Retired = std::pair<void*, void (*)(void*)>;
    mutable std::mutex retire_m_;           // the lists below (parallel workers retire too)
    mutable std::vector<Retired> waiting_;  // grace period not started
    mutable std::vector<Retired> pending_;  // freed once slot pending_slot_ drains
    mutable int pending_slot_ = -1;

    mutable std::atomic<uint64_t> epoch_{0};
    mutable std::atomic<int64_t> active_[2] = {{0}, {0}};
    mutable std::atomic<bool> exclusive_{false};
    mutable std::atomic<int> waiters_{0};
    mutable std::mutex writer_;
    mutable std::mutex sync_;  // one grace period at a time: concurrent flips could starve
    mutable std::mutex m_;     // with cv_: sleeping readers and writers
    mutable std::condition_variable cv_;
};

// Frees a block retired by storage that readers may still scan: after a grace period of the
// current writer's domain (immediately when no write scope is open: nobody can read it).
void retire_block(void* p, void (*release)(void*));

// The domains a thread reads and writes, handed to the workers of a parallel region it
// starts: a worker then reads the object its caller writes without waiting for it, refuses
// to change an object its caller reads (a callback's add would wait for its own search), and
// retires blocks into its caller's writer. Only the innermost kMax of each are kept.
struct ThreadDomains {
    static constexpr int kMax = 8;
    const UsageCounter* reads[kMax];
    const UsageCounter* writes[kMax];  // innermost last
    int nreads = 0, nwrites = 0;
    // This thread's own scopes plus what it inherited itself.
    static ThreadDomains capture();
};

// Installs a caller's domains on a worker thread for the scope's lifetime.
class InheritDomains {
   public:
    explicit InheritDomains(const ThreadDomains* d);
    ~InheritDomains();
    InheritDomains(const InheritDomains&) = delete;
    InheritDomains& operator=(const InheritDomains&) = delete;

   private:
    const ThreadDomains* prev_;
};

// The scopes the entry points open: T has usage() and check_mapped_file().
template <class T>
struct ReadScope {
    const T& obj;
    int slot;
    explicit ReadScope(const T& o) : obj(o) {
        o.check_mapped_file();
        slot = o.usage().begin_read();
    }
    ~ReadScope() { obj.usage().end_read(slot); }
    ReadScope(const ReadScope&) = delete;
    ReadScope& operator=(const ReadScope&) = delete;
};

template <class T>
struct WriteScope {
    const T& obj;
    UsageCounter::Mode mode;
    explicit WriteScope(const T& o, UsageCounter::Mode m = UsageCounter::Mode::Exclusive)
        : obj(o), mode(m) {
        o.check_mapped_file();
        o.usage().begin_write(mode);
    }
    // Shared if shared() holds once the writer lock is held (add: concurrent_add()).
    template <class F>
    WriteScope(const T& o, F shared) : obj(o), mode(UsageCounter::Mode::Exclusive) {
        o.check_mapped_file();
        o.usage().lock_writer();
        try {
            mode = shared() ? UsageCounter::Mode::Shared : UsageCounter::Mode::Exclusive;
        } catch (...) {
            o.usage().end_write(UsageCounter::Mode::Shared);  // releases the lock, waits for none
            throw;
        }
        o.usage().enter_write(mode);
    }
    ~WriteScope() { obj.usage().end_write(mode); }
    WriteScope(const WriteScope&) = delete;
    WriteScope& operator=(const WriteScope&) = delete;
};

}  // namespace faisslike
