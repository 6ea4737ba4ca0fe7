// Internal: what the calling thread is doing, for progress reports and interrupt points
// (faisslike/Progress.h). Entry points open an OperationScope; the parallel driver polls it
// from the region's member 0, which is the thread that opened it.
#pragma once

#include <chrono>
#include <cstdint>

namespace faisslike {

class OperationScope {
   public:
    enum Interrupts {
        kAnywhere,  // any poll may throw Interrupted (searches, train)
        kAtPoints,  // only interrupt_point() calls between blocks (add)
    };
    OperationScope(const char* what, int64_t total, bool verbose, Interrupts mode);
    ~OperationScope();
    OperationScope(const OperationScope&) = delete;
    OperationScope& operator=(const OperationScope&) = delete;

    // Work done so far (reported when verbose, at most every 0.1 s).
    void advance(int64_t k);
    // Throws Interrupted if the interrupt callback asks (and no enclosing work forbids it).
    void interrupt_point();
    // The finished report (also sent by the destructor unless unwinding), with the work
    // done set to `done` when given.
    void finish(int64_t done = -1);

   private:
    friend void poll_operation();
    friend bool add_ends_with_block(int64_t ni);
    void report(bool finished);
    const char* what_;
    int64_t total_, done_ = 0;
    bool verbose_, finished_ = false;
    Interrupts mode_;
    int uncaught_at_open_;
    std::chrono::steady_clock::time_point start_, last_report_;
    OperationScope* outer_;
};

// Work during which no interrupt may be thrown (an add's block in progress): nested
// operations' polls and interrupt points do not throw while one is open on this thread.
class NoInterrupts {
   public:
    NoInterrupts();
    ~NoInterrupts();
    NoInterrupts(const NoInterrupts&) = delete;
    NoInterrupts& operator=(const NoInterrupts&) = delete;
};

// From the parallel driver (member 0 of a region, every few iterations): rate-limited; may
// throw Interrupted when the innermost operation of this thread allows it anywhere.
void poll_operation();
// Whether this thread has an open operation (cheap: the driver's fast path).
bool operation_open();
// Inside an add's block of `ni` vectors (an index's do_add): whether the add ends with this
// block, and so does every add enclosing it on this thread (a wrapper's add adds each of its
// blocks to what it wraps in one call), up to the first operation that is not an add. True
// outside any operation. Lets an index run whole-index work once per add call.
bool add_ends_with_block(int64_t ni);

}  // namespace faisslike
