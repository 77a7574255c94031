#include "storage/db_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace cwsync::storage {
namespace {

constexpr off_t kDaemonByte = 0;
constexpr off_t kSyncByte = 1;
// Tenant bytes live past the pid text, spread over 2^40 offsets: two tenants
// share one only by a 64-bit hash collision, and then merely take turns.
constexpr off_t kTenantBytes = 4096;

off_t tenant_byte(std::string_view tenant) {
  std::uint64_t h = 14695981039346656037ULL;  // FNV-1a: stable across runs and builds
  for (unsigned char c : tenant) h = (h ^ c) * 1099511628211ULL;
  return kTenantBytes + static_cast<off_t>(h & ((1ULL << 40) - 1));
}

// F_OFD_SETLK(W) on one byte; short is F_RDLCK, F_WRLCK or F_UNLCK.
int set_lock(int fd, off_t byte, short type, bool wait) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = byte;
  fl.l_len = 1;
  return ::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// The pid the daemon wrote, or "" when the file holds none.
std::string holder_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return {};
  std::string s(buf, static_cast<std::size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.find_first_not_of("0123456789") == std::string::npos ? s : std::string();
}

}  // namespace

Result<DbLock> DbLock::open(const std::string& database_path) {
  std::string path = database_path + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return make_error(ErrorKind::kIo, errno_text("cannot open the lock file"), path);
  }
  return DbLock(fd, std::move(path), database_path);
}

DbLock::DbLock(DbLock&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), database_(std::move(other.database_)) {
  other.fd_ = -1;
}

DbLock::~DbLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the description drops its OFD locks
}

Status DbLock::lock_daemon() {
  if (set_lock(fd_, kDaemonByte, F_WRLCK, false) != 0) {
    if (errno != EAGAIN && errno != EACCES) {
      return make_error(ErrorKind::kIo, errno_text("cannot lock"), path_);
    }
    const std::string pid = holder_pid(fd_);
    return make_error(ErrorKind::kIo,
                      "another cwsync daemon" + (pid.empty() ? std::string() : " (pid " + pid + ")") +
                          " is already running on database " + database_ +
                          " (it holds " + path_ + "); stop it first (systemctl stop cwsync), or "
                          "give this one its own `database:`",
                      path_);
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The lock is what counts; the pid is only for the message above.
    return {};
  }
  return {};
}

Result<bool> DbLock::join_syncers() {
  // A moment's exclusive hold proves nobody else syncs; then share.
  const bool sole = set_lock(fd_, kSyncByte, F_WRLCK, false) == 0;
  if (set_lock(fd_, kSyncByte, F_RDLCK, true) != 0) {
    return make_error(ErrorKind::kIo, errno_text("cannot take the sync lock"), path_);
  }
  return sole;
}

Result<std::optional<TenantSyncLock>> TenantSyncLock::try_acquire(
    const std::string& database_path, std::string_view tenant, TenantSyncRole role) {
  const std::string path = database_path + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return make_error(ErrorKind::kIo, errno_text("cannot open the lock file"), path);
  const short type = role == TenantSyncRole::kReconcile ? F_WRLCK : F_RDLCK;
  if (set_lock(fd, tenant_byte(tenant), type, false) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EAGAIN || err == EACCES) return std::optional<TenantSyncLock>();
    errno = err;
    return make_error(ErrorKind::kIo, errno_text("cannot take the tenant's sync lock"), path);
  }
  return std::optional<TenantSyncLock>(TenantSyncLock(fd));
}

TenantSyncLock::~TenantSyncLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace cwsync::storage
