#include "faisslike/impl/UsageGuard.h"

#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include "faisslike/Error.h"

namespace faisslike {

namespace {
// What this thread has open: the domains it reads (to refuse a write that would wait for
// itself) and writes, innermost last.
thread_local std::vector<const UsageCounter*> tls_reads;
thread_local std::vector<const UsageCounter*> tls_writes;
thread_local const ThreadDomains* tls_inherited = nullptr;  // a parallel worker's caller's

bool writing_here(const UsageCounter* d) {
    for (const UsageCounter* w : tls_writes)
        if (w == d) return true;
    if (const ThreadDomains* in = tls_inherited)
        for (int i = 0; i < in->nwrites; ++i)
            if (in->writes[i] == d) return true;
    return false;
}

// Appends to a bounded list, dropping the outermost entry when full.
void push_bounded(const UsageCounter** list, int& n, const UsageCounter* d) {
    if (n == ThreadDomains::kMax) {
        std::move(list + 1, list + n, list);
        --n;
    }
    list[n++] = d;
}
}  // namespace

ThreadDomains ThreadDomains::capture() {
    ThreadDomains t;
    if (const ThreadDomains* in = tls_inherited) t = *in;
    for (const UsageCounter* d : tls_reads) push_bounded(t.reads, t.nreads, d);
    for (const UsageCounter* w : tls_writes) push_bounded(t.writes, t.nwrites, w);
    return t;
}

InheritDomains::InheritDomains(const ThreadDomains* d) : prev_(tls_inherited) {
    if (d) tls_inherited = d;  // null: keep what this thread has
}

InheritDomains::~InheritDomains() {
    tls_inherited = prev_;
}

const UsageCounter* UsageCounter::current_writer() {
    if (!tls_writes.empty()) return tls_writes.back();
    if (const ThreadDomains* in = tls_inherited)
        if (in->nwrites > 0) return in->writes[in->nwrites - 1];
    return nullptr;
}

bool UsageCounter::read_by_this_thread() const {
    if (std::find(tls_reads.begin(), tls_reads.end(), this) != tls_reads.end()) return true;
    if (const ThreadDomains* in = tls_inherited)
        for (int i = 0; i < in->nreads; ++i)
            if (in->reads[i] == this) return true;
    return false;
}

int UsageCounter::begin_read() const {
    // The writer reading its own object (e.g. a wrapper's add asking its own state): it
    // frees nothing while it reads, so the read needs no slot.
    if (writing_here(this)) return -1;
    for (;;) {
        if (exclusive_.load()) {
            std::unique_lock<std::mutex> lk(m_);
            cv_.wait(lk, [&] { return !exclusive_.load(); });
        }
        const uint64_t e = epoch_.load();
        const int s = int(e & 1);
        active_[s].fetch_add(1);
        // Re-checked after counting in: a writer that flipped the epoch or went exclusive
        // meanwhile may not wait for this slot, so back out and retry.
        if (!exclusive_.load() && epoch_.load() == e) {
            tls_reads.push_back(this);
            return s;
        }
        if (active_[s].fetch_sub(1) == 1 && waiters_.load() > 0) {
            std::lock_guard<std::mutex> lk(m_);
            cv_.notify_all();
        }
    }
}

void UsageCounter::end_read(int slot) const {
    if (slot < 0) return;
    auto it = std::find(tls_reads.rbegin(), tls_reads.rend(), this);
    if (it != tls_reads.rend()) tls_reads.erase(std::next(it).base());
    if (active_[slot].fetch_sub(1) == 1 && waiters_.load() > 0) {
        std::lock_guard<std::mutex> lk(m_);
        cv_.notify_all();
    }
}

void UsageCounter::wait_drained(int slot) const {
    for (int i = 0; i < 64; ++i) {
        if (active_[slot].load() == 0) return;
        std::this_thread::yield();
    }
    waiters_.fetch_add(1);
    {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return active_[slot].load() == 0; });
    }
    waiters_.fetch_sub(1);
}

void UsageCounter::lock_writer() const {
    FAISSLIKE_THROW_IF_NOT_MSG(!read_by_this_thread() && !writing_here(this),
                               "an index cannot be changed from inside a call on it "
                               "(e.g. from a search's callback)");
    tls_writes.push_back(this);
    writer_.lock();
    reclaim(false);
}

void UsageCounter::enter_write(Mode mode) const {
    if (mode == Mode::Exclusive) {
        exclusive_.store(true);
        wait_drained(0);
        wait_drained(1);
    }
}

void UsageCounter::end_write(Mode mode) const {
    tls_writes.pop_back();
    // Exclusive: every reader has left and none can start, so nothing retired is in use.
    reclaim(mode == Mode::Exclusive);
    if (mode == Mode::Exclusive) {
        exclusive_.store(false);
        std::lock_guard<std::mutex> lk(m_);
        cv_.notify_all();
    }
    writer_.unlock();
}

void UsageCounter::reclaim(bool all) const {
    std::vector<Retired> done;
    {
        std::lock_guard<std::mutex> lk(retire_m_);
        if (all || (pending_slot_ >= 0 && active_[pending_slot_].load() == 0)) {
            done.swap(pending_);
            pending_slot_ = -1;
        }
        if (all) {
            done.insert(done.end(), waiting_.begin(), waiting_.end());
            waiting_.clear();
        } else if (pending_slot_ < 0 && !waiting_.empty()) {
            // Readers counted in before the flip are in the old slot: the ones that may hold
            // the waiting blocks. Flips happen only once the other slot has drained (here, or
            // in synchronize), so no reader of an older generation is in the new one.
            std::lock_guard<std::mutex> sl(sync_);
            pending_slot_ = int(epoch_.fetch_add(1) & 1);
            pending_.swap(waiting_);
        }
    }
    for (const Retired& r : done) r.second(r.first);
}

void UsageCounter::retire(void* p, void (*release)(void*)) const {
    std::lock_guard<std::mutex> lk(retire_m_);
    waiting_.emplace_back(p, release);
}

size_t UsageCounter::retired_blocks() const {
    std::lock_guard<std::mutex> lk(retire_m_);
    return waiting_.size() + pending_.size();
}

UsageCounter::~UsageCounter() {
    // The object is being destroyed: nobody reads it any more.
    for (const Retired& r : pending_) r.second(r.first);
    for (const Retired& r : waiting_) r.second(r.first);
}

void UsageCounter::synchronize() const {
    // Readers that counted in before the flip are in the old slot; later ones see the new
    // epoch (and, through it, everything published before this call).
    std::lock_guard<std::mutex> lk(sync_);
    // The other slot first: readers of an older epoch may linger there (a grace period of
    // reclaim() not yet waited for), and readers of the next epoch would join them.
    wait_drained(int((epoch_.load() + 1) & 1));
    const uint64_t e = epoch_.fetch_add(1);
    wait_drained(int(e & 1));
}

void retire_block(void* p, void (*release)(void*)) {
    if (!p) return;
    const UsageCounter* domain = UsageCounter::current_writer();
    if (!domain) {
        release(p);  // no write scope open: nobody can be reading it
        return;
    }
    try {
        domain->retire(p, release);
    } catch (...) {
        // Out of memory for the list: wait for the readers now instead.
        domain->synchronize();
        release(p);
    }
}

}  // namespace faisslike
