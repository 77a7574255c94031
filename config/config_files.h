// Internal to the config loader: reading a file the config names (the config
// itself, a tenants_dir file, .env, a *_file secret) without ever blocking.
//
// An admin can point any of these at a FIFO or a device. A plain open() of a
// FIFO waits for a writer forever, which hangs check-config and, on SIGHUP,
// the daemon's signal thread. So every such file is opened non-blocking,
// checked with fstat to be a regular file, and read through that descriptor.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <variant>

namespace cwsync::config_detail {

enum class FileFault {
  kOpen,        // open() failed (missing, permission denied, dangling symlink)
  kNotRegular,  // a directory, FIFO, socket or device
  kTooLarge,    // more than the caller's limit
  kRead,        // read() failed
};

struct FileReadError {
  FileFault fault = FileFault::kOpen;
  int error = 0;               // errno for kOpen and kRead
  std::string kind;            // kNotRegular: "a directory", "a FIFO (named pipe)", ...
  std::size_t limit = 0;       // kTooLarge: the limit in bytes
  std::string symlink_target;  // kOpen with ENOENT on a dangling symlink

  bool is_directory() const { return fault == FileFault::kNotRegular && kind == "a directory"; }
  // What happened, without the path and without any content:
  // "cannot read: Permission denied", "is a FIFO (named pipe)", ...
  std::string describe() const;
};

// The whole content of `path` if it is a regular file of at most `max_bytes`;
// otherwise why not. Opens with O_RDONLY|O_NONBLOCK|O_CLOEXEC, so it never
// blocks on a FIFO. Thread-safe.
std::variant<std::string, FileReadError> read_regular_file(const std::filesystem::path& path,
                                                           std::size_t max_bytes);

}  // namespace cwsync::config_detail
