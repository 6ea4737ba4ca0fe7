// Internal: the one way the library runs work on several threads (OpenMP underneath).
// An exception thrown by any worker is caught there, the other workers stop taking work,
// and the first one is rethrown on the calling thread once every worker is done: no
// exception ever crosses an OpenMP boundary (which would std::terminate the process).
// Rule: no `#pragma omp` anywhere else in the library.
#pragma once

#include <omp.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <utility>

#include "faisslike/impl/Operation.h"
#include "faisslike/impl/UsageGuard.h"

namespace faisslike {

// Threads a region started here would really get: 1 inside another region (nesting is off),
// so per-thread buffers are never sized for threads that do not exist.
int parallel_threads();

// The first exception of a region's workers.
class ParallelErrors {
   public:
    // Call from a catch block.
    void capture() noexcept;
    bool failed() const { return failed_.load(std::memory_order_relaxed); }
    // Rethrows the first captured exception: faisslike::Error (and subclasses) and
    // std::bad_alloc as they are, anything else as faisslike::Error. No-op when none.
    void rethrow() const;

   private:
    std::atomic<bool> failed_{false};
    std::mutex mu_;
    std::exception_ptr first_;
};

// The threads of one parallel_region. Worksharing calls (for_range, barrier) must be made
// by every member, in the same order; nothing that can throw may run outside them except
// through guard().
class Team {
   public:
    Team(int rank, int size, ParallelErrors& errors)
        : rank(rank), size(size), errors_(errors), poll_(rank == 0 && operation_open()) {}
    const int rank, size;

    // f(i) for i in [0, n), shared among the members (dynamic or static chunks), then a
    // barrier. Iterations after a failure (in any member) are skipped.
    template <class F>
    void for_range(int64_t n, F&& f, bool dynamic = true) {
        // A one-member team runs inline: an orphaned `omp for` here would bind to an
        // enclosing region of the caller's and share the loop with its threads.
        if (size == 1) {
            for (int64_t i = 0; i < n; ++i) run_one(f, i);
            return;
        }
        if (dynamic) {
#pragma omp for schedule(dynamic)
            for (int64_t i = 0; i < n; ++i) run_one(f, i);
        } else {
#pragma omp for schedule(static)
            for (int64_t i = 0; i < n; ++i) run_one(f, i);
        }
    }
    void barrier() {
        if (size > 1) {
#pragma omp barrier
        }
    }
    // Runs f() on this member only; an exception is recorded instead of escaping. Returns
    // false if it (or an earlier one of the region) failed.
    template <class F>
    bool guard(F&& f) {
        if (errors_.failed()) return false;
        try {
            f();
            return true;
        } catch (...) {
            errors_.capture();
            return false;
        }
    }
    bool failed() const {
        return errors_.failed();
    }

   private:
    template <class F>
    void run_one(F& f, int64_t i) {
        if (errors_.failed()) return;
        try {
            // Member 0 is the thread that opened the operation: it checks for an interrupt
            // (Ctrl-C) now and then; an Interrupted stops the region like any error.
            if (poll_ && (polls_++ & 15) == 0) poll_operation();
            f(i);
        } catch (...) {
            errors_.capture();
        }
    }
    ParallelErrors& errors_;
    const bool poll_;
    uint32_t polls_ = 0;
};

template <class Body>
void run_member(Team& team, ParallelErrors& errors, Body& body) {
    try {
        body(team);
    } catch (...) {
        errors.capture();
    }
}

// Runs body(Team&) on nt threads (nt <= 1, or inside another region: on this thread alone).
// Every member runs body even when another has already failed: body holds worksharing
// calls (for_range, barrier) that all members must reach, or the others wait forever.
template <class Body>
void parallel_region(int nt, Body&& body) {
    ParallelErrors errors;
    if (nt > 1 && parallel_threads() > 1) {
        // Workers act for the caller: they see the objects it reads and writes as it does.
        const ThreadDomains caller = ThreadDomains::capture();
#pragma omp parallel num_threads(nt)
        {
            Team team(omp_get_thread_num(), omp_get_num_threads(), errors);
            InheritDomains inherit(team.rank == 0 ? nullptr : &caller);
            run_member(team, errors, body);
        }
    } else {
        Team team(0, 1, errors);
        run_member(team, errors, body);
    }
    errors.rethrow();
}

// f(i) for i in [0, n) on all available threads (serially when !enabled).
template <class F>
void parallel_for(int64_t n, F&& f, bool enabled = true, bool dynamic = true) {
    if (n <= 0) return;
    parallel_region(enabled && n > 1 ? parallel_threads() : 1,
                    [&](Team& t) { t.for_range(n, f, dynamic); });
}

// Same with per-thread state: make() runs once per thread, lazily on its first iteration
// (so that an exception there is captured like any other), then f(state, i).
template <class Make, class F>
void parallel_for_with(int64_t n, Make&& make, F&& f, bool enabled = true) {
    if (n <= 0) return;
    using State = decltype(make());
    parallel_region(enabled && n > 1 ? parallel_threads() : 1, [&](Team& t) {
        std::unique_ptr<State> state;
        t.for_range(n, [&](int64_t i) {
            if (!state) state.reset(new State(make()));  // guaranteed elision: no move needed
            f(*state, i);
        });
    });
}

}  // namespace faisslike
