// One SQLite connection to the cache file, set up the way the contract
// (docs/schema.md) promises: WAL, synchronous=NORMAL, foreign_keys=ON and a
// busy_timeout. Writers use WriteTransaction (BEGIN IMMEDIATE), so a write lock
// is taken up front and a busy database fails fast at BEGIN instead of midway.
//
// Threading: a Database is used by one thread at a time. Give each thread
// (sync loop, queue drainer, health server) its own connection; WAL lets them
// run side by side.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"

namespace SQLite { class Database; }

namespace cwsync::storage {

// The -wal file keeps its high-water mark after checkpoints (an initial full
// sync can leave hundreds of MB). With this limit SQLite truncates it back to
// at most this size whenever a checkpoint lets it restart from the beginning.
inline constexpr std::int64_t kWalSizeLimitBytes = 32 * 1024 * 1024;

struct OpenOptions {
  std::chrono::milliseconds busy_timeout{5000};
  // Read-only: for CLI readers and dashboards. Never creates, never migrates.
  bool read_only = false;
  // Read-write only: create the file (mode 0640) when it does not exist.
  bool create = true;
};

class Database {
 public:
  // Opens (and, if allowed, creates with mode 0640) the database at `path`
  // and applies the connection pragmas. Errors: kIo when the file or its
  // directory is missing or unreadable; kDatabase when it is not a database
  // or its schema version is newer than this build (file left untouched).
  static Result<Database> open(const std::string& path, const OpenOptions& options = {});

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  const std::string& path() const { return path_; }
  bool read_only() const { return read_only_; }

  // PRAGMA user_version. Errors: kDatabase.
  Result<int> user_version();
  // PRAGMA integrity_check: "ok" or the first problems SQLite reports.
  Result<std::string> integrity_check();
  // PRAGMA journal_mode ("wal" after a read-write open).
  Result<std::string> journal_mode();

  // The underlying connection, for the repositories in storage/ only.
  SQLite::Database& handle() { return *db_; }

 private:
  Database(std::unique_ptr<SQLite::Database> db, std::string path, bool read_only);

  std::unique_ptr<SQLite::Database> db_;
  std::string path_;
  bool read_only_ = false;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back on destruction unless committed.
// Use through begin(); the constructor does not throw.
class WriteTransaction {
 public:
  // Takes the write lock, waiting up to busy_timeout. Errors: kDatabase
  // (is_busy() true when another writer held the lock throughout).
  static Result<WriteTransaction> begin(Database& db);

  WriteTransaction(WriteTransaction&& other) noexcept;
  WriteTransaction& operator=(WriteTransaction&&) = delete;
  ~WriteTransaction();

  // Commits. Errors: kDatabase; the transaction is rolled back either way.
  Status commit();
  // Rolls back now (also what the destructor does). Idempotent.
  void rollback() noexcept;

 private:
  explicit WriteTransaction(Database& db) : db_(&db) {}
  Database* db_;
};

// True for an Error caused by SQLITE_BUSY / SQLITE_LOCKED that outlived the
// busy_timeout: the operation changed nothing and may simply be retried.
bool is_busy(const Error& error);

}  // namespace cwsync::storage
