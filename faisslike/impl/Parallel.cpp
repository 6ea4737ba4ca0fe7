#include "faisslike/impl/Parallel.h"

#include <new>
#include <string>

#include "faisslike/Error.h"

namespace faisslike {

int parallel_threads() {
    if (omp_get_level() > 0 && omp_get_active_level() >= omp_get_max_active_levels()) return 1;
    return omp_get_max_threads();
}

void ParallelErrors::capture() noexcept {
    std::lock_guard<std::mutex> lock(mu_);
    if (!first_) first_ = std::current_exception();
    failed_.store(true, std::memory_order_relaxed);
}

void ParallelErrors::rethrow() const {
    if (!failed_.load(std::memory_order_relaxed)) return;
    try {
        std::rethrow_exception(first_);
    } catch (const Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(std::string("error in a parallel worker: ") + e.what());
    } catch (...) {
        throw Error("unknown exception in a parallel worker");
    }
}

}  // namespace faisslike
