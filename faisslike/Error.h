// One exception type for everything the library rejects.
#pragma once

#include <exception>
#include <string>

namespace faisslike {

class Error : public std::exception {
   public:
    explicit Error(std::string msg) : msg_(std::move(msg)) {}
    const char* what() const noexcept override { return msg_.c_str(); }

   private:
    std::string msg_;
};

// The operating system refused a file operation (missing file, permission, disk full).
// Bad file *contents* are plain Error. Python maps this one to OSError.
class FileError : public Error {
   public:
    using Error::Error;
};

// A bad argument value (dimension, k, a parameter out of range, a null pointer, parameters of
// another index type): the caller's mistake, not the index's state. Python maps it to
// ValueError, whatever index type raised it.
class InvalidArgument : public Error {
   public:
    using Error::Error;
};

// printf-style formatting; used by the macros below so messages can name values.
std::string format_string(const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

[[noreturn]] void throw_error(const char* file, int line, const char* func, const std::string& msg);
[[noreturn]] void throw_invalid_argument(const char* file, int line, const char* func,
                                         const std::string& msg);
[[noreturn]] void throw_file_error(const char* file, int line, const char* func,
                                   const std::string& msg);

}  // namespace faisslike

#define FAISSLIKE_THROW_FMT(fmt, ...)                      \
    ::faisslike::throw_error(__FILE__, __LINE__, __func__, \
                             ::faisslike::format_string(fmt, __VA_ARGS__))

#define FAISSLIKE_THROW_FILE_FMT(fmt, ...)                      \
    ::faisslike::throw_file_error(__FILE__, __LINE__, __func__, \
                                  ::faisslike::format_string(fmt, __VA_ARGS__))

#define FAISSLIKE_THROW_MSG(msg) \
    ::faisslike::throw_error(__FILE__, __LINE__, __func__, std::string(msg))

#define FAISSLIKE_THROW_IF_NOT_FMT(cond, fmt, ...)          \
    do {                                                    \
        if (!(cond)) FAISSLIKE_THROW_FMT(fmt, __VA_ARGS__); \
    } while (false)

#define FAISSLIKE_THROW_IF_NOT_MSG(cond, msg)  \
    do {                                       \
        if (!(cond)) FAISSLIKE_THROW_MSG(msg); \
    } while (false)

// Argument checks: throw InvalidArgument (Python ValueError) naming the value.
#define FAISSLIKE_CHECK_ARG(cond, fmt, ...)                                                    \
    do {                                                                                       \
        if (!(cond))                                                                           \
            ::faisslike::throw_invalid_argument(__FILE__, __LINE__, __func__,                  \
                                                ::faisslike::format_string(fmt, __VA_ARGS__)); \
    } while (false)

#define FAISSLIKE_CHECK_ARG_MSG(cond, msg)                                                       \
    do {                                                                                         \
        if (!(cond))                                                                             \
            ::faisslike::throw_invalid_argument(__FILE__, __LINE__, __func__, std::string(msg)); \
    } while (false)

#define FAISSLIKE_THROW_ARG_FMT(fmt, ...)                             \
    ::faisslike::throw_invalid_argument(__FILE__, __LINE__, __func__, \
                                        ::faisslike::format_string(fmt, __VA_ARGS__))
