// Progress reports for long operations and interrupting them (FAISS's InterruptCallback).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "faisslike/Error.h"

namespace faisslike {

// An operation stopped because the interrupt callback asked it to. Python raises
// KeyboardInterrupt.
class Interrupted : public Error {
   public:
    using Error::Error;
};

// Asked, on the thread that started an operation, at its interrupt points: searches (any
// time: read-only), train (any time: an interrupted train leaves the index untrained, as
// before the call), k-means (between iterations and inside their searches), add (between
// blocks of vectors: the index then holds every vector of the blocks done, in order, and
// ntotal says how many). Calls are spaced at least ~20 ms apart.
struct InterruptCallback {
    virtual ~InterruptCallback() = default;
    virtual bool want_interrupt() = 0;

    // The process-wide instance (none by default; the Python module installs one that checks
    // for Ctrl-C).
    static void set_instance(std::shared_ptr<InterruptCallback> cb);
    static void clear_instance();
    // Whether an instance is installed and wants to interrupt now.
    static bool is_interrupted();
    // Throws Interrupted when is_interrupted().
    static void check();
};

// One report: `what` ("add", "train", "k-means", ...), work done out of total (vectors or
// iterations), seconds since the start; finished on the last report.
struct ProgressInfo {
    const char* what;
    int64_t done, total;
    double seconds;
    bool finished;
};
using ProgressCallback = std::function<void(const ProgressInfo&)>;

// Receives the reports of the operations of objects whose `verbose` is set, on the thread
// that runs them, at most every 0.1 s, and once when they finish. Default (or null): one line
// per report on stderr. The Python module renders a progress bar.
void set_progress_callback(ProgressCallback cb);

}  // namespace faisslike
