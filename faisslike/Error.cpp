#include "faisslike/Error.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <vector>

namespace faisslike {

std::string format_string(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = std::vsnprintf(nullptr, 0, fmt, ap);
    va_end(ap);
    std::string out;
    if (n > 0) {
        std::vector<char> buf(size_t(n) + 1);
        std::vsnprintf(buf.data(), buf.size(), fmt, ap2);
        out.assign(buf.data(), size_t(n));
    }
    va_end(ap2);
    return out;
}

namespace {
std::string located(const char* file, int line, const char* func, const std::string& msg) {
    const char* base = std::strrchr(file, '/');
    return format_string("Error in %s at %s:%d: %s", func, base ? base + 1 : file, line,
                         msg.c_str());
}
}  // namespace

void throw_error(const char* file, int line, const char* func, const std::string& msg) {
    throw Error(located(file, line, func, msg));
}

void throw_invalid_argument(const char* file, int line, const char* func, const std::string& msg) {
    throw InvalidArgument(located(file, line, func, msg));
}

void throw_file_error(const char* file, int line, const char* func, const std::string& msg) {
    throw FileError(located(file, line, func, msg));
}

}  // namespace faisslike
