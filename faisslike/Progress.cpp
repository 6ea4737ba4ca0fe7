#include "faisslike/Progress.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>

#include "faisslike/impl/Operation.h"

namespace faisslike {

namespace {

using Clock = std::chrono::steady_clock;
// Interrupt checks may take a lock (Python's GIL): spaced out.
constexpr auto kPollPeriod = std::chrono::milliseconds(20);
constexpr auto kReportPeriod = std::chrono::milliseconds(100);

std::mutex g_mu;
std::shared_ptr<InterruptCallback> g_interrupt;
std::atomic<bool> g_has_interrupt{false};
ProgressCallback g_progress;

thread_local OperationScope* t_op = nullptr;
thread_local int t_blocked = 0;
thread_local Clock::time_point t_last_poll;

std::shared_ptr<InterruptCallback> interrupt_instance() {
    if (!g_has_interrupt.load(std::memory_order_acquire)) return nullptr;
    std::lock_guard<std::mutex> lock(g_mu);
    return g_interrupt;
}

}  // namespace

void InterruptCallback::set_instance(std::shared_ptr<InterruptCallback> cb) {
    std::lock_guard<std::mutex> lock(g_mu);
    g_interrupt = std::move(cb);
    g_has_interrupt.store(g_interrupt != nullptr, std::memory_order_release);
}

void InterruptCallback::clear_instance() {
    set_instance(nullptr);
}

bool InterruptCallback::is_interrupted() {
    std::shared_ptr<InterruptCallback> cb = interrupt_instance();
    return cb && cb->want_interrupt();
}

void InterruptCallback::check() {
    if (is_interrupted()) throw Interrupted("computation interrupted");
}

void set_progress_callback(ProgressCallback cb) {
    std::lock_guard<std::mutex> lock(g_mu);
    g_progress = std::move(cb);
}

OperationScope::OperationScope(const char* what, int64_t total, bool verbose, Interrupts mode)
    : what_(what),
      total_(total),
      verbose_(verbose),
      mode_(mode),
      uncaught_at_open_(std::uncaught_exceptions()),
      start_(Clock::now()),
      last_report_(start_),
      outer_(t_op) {
    t_op = this;
}

OperationScope::~OperationScope() {
    // Not when an exception (an interrupt) unwinds it: no "finished" for unfinished work.
    if (!finished_ && std::uncaught_exceptions() == uncaught_at_open_) finish();
    t_op = outer_;
}

void OperationScope::advance(int64_t k) {
    done_ += k;
    if (verbose_ && Clock::now() - last_report_ >= kReportPeriod) report(false);
}

void OperationScope::interrupt_point() {
    if (t_blocked == 0) InterruptCallback::check();
}

void OperationScope::finish(int64_t done) {
    if (done >= 0) done_ = done;
    finished_ = true;
    if (verbose_) report(true);
}

void OperationScope::report(bool finished) {
    last_report_ = Clock::now();
    const ProgressInfo info{what_, done_, total_,
                            std::chrono::duration<double>(last_report_ - start_).count(), finished};
    ProgressCallback cb;
    {
        std::lock_guard<std::mutex> lock(g_mu);
        cb = g_progress;
    }
    if (cb) {
        try {
            cb(info);
        } catch (...) {  // a failing renderer must not fail the work it reports on
        }
        return;
    }
    const double rate = info.seconds > 0 ? double(info.done) / info.seconds : 0.0;
    if (info.total > 0 && rate > 0)
        std::fprintf(stderr, "%s: %lld / %lld (%.0f%%), %.1f s, %.0f/s, ETA %.1f s%s\n", info.what,
                     (long long)info.done, (long long)info.total,
                     100.0 * double(info.done) / double(info.total), info.seconds, rate,
                     double(info.total - info.done) / rate, finished ? ", done" : "");
    else
        std::fprintf(stderr, "%s: %lld, %.1f s%s\n", info.what, (long long)info.done, info.seconds,
                     finished ? ", done" : "");
}

NoInterrupts::NoInterrupts() {
    ++t_blocked;
}
NoInterrupts::~NoInterrupts() {
    --t_blocked;
}

bool operation_open() {
    return t_op != nullptr;
}

bool add_ends_with_block(int64_t ni) {
    int64_t block = ni;
    for (const OperationScope* op = t_op; op != nullptr; op = op->outer_) {
        if (std::strcmp(op->what_, "add") != 0) break;
        if (op->done_ + block < op->total_) return false;
        block = op->total_;  // the enclosing add's block was this whole add
    }
    return true;
}

void poll_operation() {
    OperationScope* op = t_op;
    if (!op || op->mode_ != OperationScope::kAnywhere || t_blocked != 0) return;
    const Clock::time_point now = Clock::now();
    if (now - t_last_poll < kPollPeriod) return;
    t_last_poll = now;
    InterruptCallback::check();
}

}  // namespace faisslike
