#include "config/config_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace cwsync::config_detail {
namespace {

// Closes the descriptor on every return path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

FileReadError open_error(const std::filesystem::path& path, int error) {
  // A socket refuses open() (ENXIO): say what it is rather than the errno.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return {FileFault::kNotRegular, 0, file_kind(st.st_mode), 0, {}};
  }
  FileReadError e{FileFault::kOpen, error, {}, 0, {}};
  std::error_code ec;
  if (error == ENOENT && std::filesystem::is_symlink(path, ec)) {
    e.symlink_target = std::filesystem::read_symlink(path, ec).string();
  }
  return e;
}

}  // namespace

std::string FileReadError::describe() const {
  switch (fault) {
    case FileFault::kOpen:
      if (!symlink_target.empty()) {
        return "is a symbolic link to '" + symlink_target + "', which does not exist";
      }
      return "cannot read: " + std::generic_category().message(error);
    case FileFault::kNotRegular:
      return kind == "a directory" ? "is a directory" : "is " + kind + ", not a regular file";
    case FileFault::kTooLarge:
      return "is larger than " + std::to_string(limit / 1024) + " KiB";
    case FileFault::kRead:
      return "cannot read: " + std::generic_category().message(error);
  }
  return "cannot read";
}

std::variant<std::string, FileReadError> read_regular_file(const std::filesystem::path& path,
                                                           std::size_t max_bytes) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return open_error(path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return FileReadError{FileFault::kRead, errno, {}, 0, {}};
  if (!S_ISREG(st.st_mode)) {
    return FileReadError{FileFault::kNotRegular, 0, file_kind(st.st_mode), 0, {}};
  }
  std::string content;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FileReadError{FileFault::kRead, errno, {}, 0, {}};
    if (n == 0) return content;
    content.append(buf, static_cast<std::size_t>(n));
    if (content.size() > max_bytes)
      return FileReadError{FileFault::kTooLarge, 0, {}, max_bytes, {}};
  }
}

}  // namespace cwsync::config_detail
