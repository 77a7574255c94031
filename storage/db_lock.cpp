#include "storage/db_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>

namespace cwsync::storage {
namespace {

constexpr off_t kDaemonByte = 0;
constexpr off_t kSyncByte = 1;
// Tenant bytes live past the pid text, spread over 2^40 offsets: two tenants
// share one only by a 64-bit hash collision, and then merely take turns.
constexpr off_t kTenantBytes = 4096;
// The daemon's byte on the database file itself, far from the bytes SQLite
// locks there (from 0x40000000, 512 bytes): no lock of SQLite meets it.
constexpr off_t kDbFileByte = off_t{1} << 62;

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

// The database's name with every symlink resolved: the realpath of the file,
// or of its folder when the file does not exist yet. Two names of one file
// through symlinks then share one lock file.
std::string resolved_path(const std::string& database_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path real = fs::canonical(database_path, ec);
  if (!ec) return real.string();
  const fs::path p(database_path);
  const fs::path dir = fs::canonical(p.has_parent_path() ? p.parent_path() : fs::path("."), ec);
  return ec ? database_path : (dir / p.filename()).string();
}

std::string lock_file_of(const std::string& database_path) {
  return resolved_path(database_path) + ".lock";
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
  std::string path = lock_file_of(database_path);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return make_error(ErrorKind::kIo, errno_text("cannot open the lock file"), path);
  }
  return DbLock(fd, std::move(path), database_path);
}

DbLock::DbLock(DbLock&& other) noexcept
    : fd_(other.fd_), db_fd_(other.db_fd_), path_(std::move(other.path_)),
      database_(std::move(other.database_)) {
  other.fd_ = -1;
  other.db_fd_ = -1;
}

DbLock::~DbLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the description drops its OFD locks
  release_db_file();
}

// A hard link is a second name with no symlink to resolve, so the lock file
// cannot meet it: only the inode is common to both names. The daemon lock is
// therefore also an OFD lock on kDbFileByte of the database file itself.
// That descriptor is never closed: closing any descriptor of a file drops
// every POSIX (fcntl F_SETLK) lock the process holds on it, and SQLite's
// connections in this process lock the same file that way; losing their
// SHARED lock would let another process think it is the last connection and
// delete the WAL under them. OFD locks are not dropped by other closes, and a
// daemon takes this lock once, so it costs one descriptor per process.
Status DbLock::lock_db_file() {
  db_fd_ = ::open(resolved_path(database_).c_str(), O_RDWR | O_CLOEXEC);
  if (db_fd_ < 0) {
    return make_error(ErrorKind::kIo, errno_text("cannot open the database to lock it"),
                      database_);
  }
  if (set_lock(db_fd_, kDbFileByte, F_WRLCK, false) == 0) return {};
  if (errno != EAGAIN && errno != EACCES) {
    return make_error(ErrorKind::kIo, errno_text("cannot lock"), database_);
  }
  return already_running("", resolved_path(database_));
}

void DbLock::release_db_file() {
  if (db_fd_ < 0) return;
  set_lock(db_fd_, kDbFileByte, F_UNLCK, false);  // not close(): see lock_db_file()
  db_fd_ = -1;
}

Error DbLock::already_running(const std::string& pid, const std::string& held) const {
  return make_error(ErrorKind::kIo,
                    "another cwsync daemon" + (pid.empty() ? std::string() : " (pid " + pid + ")") +
                        " is already running on database " + database_ + " (it holds " + held +
                        "); stop it first (systemctl stop cwsync), or give this one its own "
                        "`database:`",
                    path_);
}

Status DbLock::lock_daemon() {
  if (set_lock(fd_, kDaemonByte, F_WRLCK, false) != 0) {
    if (errno != EAGAIN && errno != EACCES) {
      return make_error(ErrorKind::kIo, errno_text("cannot lock"), path_);
    }
    return already_running(holder_pid(fd_), path_);
  }
  // The file exists once the daemon opened it; a lock on a name alone (tests)
  // has no inode to share.
  std::error_code ec;
  if (std::filesystem::exists(database_, ec)) {
    if (Status st = lock_db_file(); !st) {
      set_lock(fd_, kDaemonByte, F_UNLCK, false);
      release_db_file();
      return st;
    }
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
  const std::string path = lock_file_of(database_path);
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
