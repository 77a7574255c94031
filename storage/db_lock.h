// Advisory locks on "<database>.lock", the file beside the database that
// tells cwsync processes about each other (docs/operations.md, "One daemon
// per database"):
//  - the daemon lock (byte 0, exclusive) is held by `cwsync run` for its
//    whole life, so a second daemon on the same database refuses to start
//    instead of doubling the API rate;
//  - the sync lock (byte 1) is shared by every process that runs sync passes
//    (`cwsync run`, `cwsync sync --once`) while it lives. One that can take it
//    exclusively for a moment knows no other syncer is alive, so sync_runs
//    rows still marked 'running' were left by a killed process.
// They are open-file-description locks (fcntl F_OFD_SETLK): the kernel drops
// them when the process ends, however it ends, and they are not inherited.
// "<database>" is the configured path with symlinks resolved, so every name
// of the file through a symlink meets the same locks. A hard link has nothing
// to resolve: the daemon lock is also held on the database file itself (an
// OFD lock on a byte SQLite never uses), so a second daemon refuses whatever
// name it was given.
// Readers, `enqueue` and `queue` commands take no lock.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace cwsync::storage {

class DbLock {
 public:
  // Opens (creating, mode 0640) "<database_path>.lock", symlinks resolved.
  // Errors: kIo naming the lock file.
  static Result<DbLock> open(const std::string& database_path);

  DbLock(DbLock&& other) noexcept;
  DbLock& operator=(DbLock&&) = delete;
  ~DbLock();  // releases every lock taken through this object

  // Takes the daemon lock without waiting, on the lock file and on the
  // database file when it exists, and records this pid in the lock file.
  // Errors: kIo "another cwsync daemon (pid N) is already running on ...",
  // with the fix (no pid when only the database file's lock is held, e.g.
  // through a hard link).
  Status lock_daemon();
  // Joins the syncers (shared sync lock; waits if another process is just
  // probing). True when no other syncer was alive at that moment. Errors: kIo.
  Result<bool> join_syncers();

  const std::string& path() const { return path_; }

 private:
  DbLock(int fd, std::string path, std::string database)
      : fd_(fd), path_(std::move(path)), database_(std::move(database)) {}
  Status lock_db_file();
  void release_db_file();
  Error already_running(const std::string& pid, const std::string& held) const;
  int fd_ = -1;
  int db_fd_ = -1;  // on the database file; never closed (db_lock.cpp says why)
  std::string path_, database_;
};

// What a sync run does to a tenant's rows. Pulls of one tenant may overlap
// each other; a reconcile overlaps nothing of its tenant, because a row a
// pull upserts while the reconcile lists ids could be tombstoned wrongly.
enum class TenantSyncRole { kPull, kReconcile };

// That rule, held on a byte of "<database>.lock" chosen by the tenant's name
// (pulls share it, a reconcile takes it alone). Each holder opens its own
// file description, so the lock excludes threads of one process as well as
// other processes: `cwsync sync --once --entity reconcile` next to a running
// daemon waits its turn like the daemon's own jobs. The kernel drops it when
// the holder closes or dies.
class TenantSyncLock {
 public:
  // Takes the lock without waiting. nullopt: the other role holds it now.
  // Errors: kIo naming the lock file.
  static Result<std::optional<TenantSyncLock>> try_acquire(const std::string& database_path,
                                                           std::string_view tenant,
                                                           TenantSyncRole role);
  TenantSyncLock(TenantSyncLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  TenantSyncLock& operator=(TenantSyncLock&&) = delete;
  ~TenantSyncLock();

 private:
  explicit TenantSyncLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace cwsync::storage
