#include "storage/database.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include "storage/migrations.h"
#include "storage/sql_util.h"

namespace cwsync::storage {
namespace {

namespace fs = std::filesystem;

constexpr mode_t kDbFileMode = 0640;

// SQLite would create the file with the process umask (often 0644). The cache
// holds customer data, so create it ourselves with an explicit mode; SQLite
// gives the -wal and -shm files the same mode as the main file.
Status create_file(const std::string& path) {
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return make_error(ErrorKind::kIo, "directory does not exist: " + dir.string(), path);
  }
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, kDbFileMode);
  if (fd < 0) {
    if (errno == EEXIST) return {};  // lost a race with another opener: fine
    return make_error(ErrorKind::kIo, std::string("cannot create database: ") + std::strerror(errno),
                      path);
  }
  // open() applied the umask; set the mode we promise regardless of it.
  const bool chmod_ok = ::fchmod(fd, kDbFileMode) == 0;
  const int saved = errno;
  ::close(fd);
  if (!chmod_ok) {
    return make_error(ErrorKind::kIo, std::string("cannot set mode 0640: ") + std::strerror(saved),
                      path);
  }
  return {};
}

// SQLite keeps memory-use statistics (sqlite3_memory_used) by default, which
// takes a global mutex on every allocation: about 650 lock/unlock pairs per
// synced quote, 3-4% of a full sync's instructions (callgrind, docs/sync.md
// "Efficiency"). cwsync never reads those statistics. The setting must come
// before SQLite initialises; if something initialised it first, the call
// fails harmlessly and the statistics stay on.
void configure_sqlite_once() {
  static const bool configured = [] {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  }();
  (void)configured;
}

// SQLite deletes the -wal and -shm files when the last connection closes.
// A reader without write access to the folder (a group member, the folder
// 0750) cannot create them again, and a WAL database cannot be read without
// them, so `cwsync status` would fail while the daemon is stopped. With this
// set on every writing connection the files stay (the -wal empty after the
// closing checkpoint, since journal_size_limit is set) with the file's mode.
void keep_wal_files_on_close(SQLite::Database& db) {
  int persist = 1;
  const int rc = sqlite3_file_control(db.getHandle(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  if (rc != SQLITE_OK) throw SQLite::Exception("cannot keep the WAL files on close", rc);
}

Error directory_as_database(const std::string& path) {
  return make_error(ErrorKind::kIo,
                    "is a directory, not a database file; point `database:` at a file in it, "
                    "e.g. " + (fs::path(path) / "cache.db").string() + " (cwsync creates it)",
                    path);
}

std::string pragma_text(SQLite::Database& db, const char* sql) {
  return db.execAndGet(sql).getString();
}

}  // namespace

Database::Database(std::unique_ptr<SQLite::Database> db, std::string path, bool read_only)
    : db_(std::move(db)), path_(std::move(path)), read_only_(read_only) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

Result<Database> Database::open(const std::string& path, const OpenOptions& options) {
  configure_sqlite_once();
  std::error_code ec;
  // SQLite would say "unable to open database file" or "disk I/O error".
  if (fs::is_directory(path, ec)) return directory_as_database(path);
  const bool exists = fs::exists(path, ec);
  if (!exists) {
    if (options.read_only || !options.create) {
      return make_error(ErrorKind::kIo, "database file does not exist (run `cwsync migrate`)",
                        path);
    }
    if (auto st = create_file(path); !st) return st.error();
  }
  const int flags = options.read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE;
  auto opened = detail::guarded("open " + path, [&]() -> Result<Database> {
    auto db = std::make_unique<SQLite::Database>(
        path, flags, static_cast<int>(options.busy_timeout.count()));
    // Check the version before any pragma that writes (journal_mode), so a
    // database from a newer cwsync is left byte-for-byte untouched.
    const int version = db->execAndGet("PRAGMA user_version").getInt();
    if (version > latest_schema_version()) {
      return make_error(ErrorKind::kDatabase, newer_schema_message(version), path);
    }
    if (auto st = detail::check_is_cwsync(*db, path, version); !st) return st.error();
    if (!options.read_only) {
      // Without write permission SQLite quietly opens read-only, and every
      // later write fails with "attempt to write a readonly database" on a
      // connection that stays read-only even after the mode is fixed. Refuse
      // up front, with the fix in the message.
      if (sqlite3_db_readonly(db->getHandle(), "main") == 1) {
        return make_error(ErrorKind::kIo,
                          "database file is not writable by this user; check the owner and mode "
                          "of the file and its directory",
                          path);
      }
      keep_wal_files_on_close(*db);
      const std::string mode = pragma_text(*db, "PRAGMA journal_mode=WAL");
      if (mode != "wal") {
        return make_error(ErrorKind::kDatabase, "cannot switch to WAL mode (got " + mode + ")",
                          path);
      }
      db->exec("PRAGMA synchronous=NORMAL");
      db->exec("PRAGMA journal_size_limit=" + std::to_string(kWalSizeLimitBytes));
      // Statement journals (an upsert whose triggers keep the pipeline
      // summaries, schema v5) in memory: as temp files they tripled the
      // page writes of a sync (docs/sync.md, "Efficiency").
      db->exec("PRAGMA temp_store=MEMORY");
      // A sync page rewrites index pages all over the file (GUID keys): a
      // checkpoint every kWalSizeLimitBytes of WAL instead of every 4 MiB
      // copies each of them once per checkpoint, not once per page (about 5%
      // less CPU per synced page; bench/ingest, docs/sync.md "Efficiency").
      // A larger page cache saved as much again but cost 6 MB of RSS.
      db->exec("PRAGMA wal_autocheckpoint=" + std::to_string(kWalSizeLimitBytes / 4096));
    }
    db->exec("PRAGMA foreign_keys=ON");
    return Database(std::move(db), path, options.read_only);
  });
  if (!opened.ok()) return detail::explain_open_error(opened.error(), path, options.read_only);
  return opened;
}

Result<int> Database::user_version() {
  return detail::guarded("PRAGMA user_version", [&]() -> Result<int> {
    return db_->execAndGet("PRAGMA user_version").getInt();
  });
}

Result<std::string> Database::integrity_check() {
  return detail::guarded("PRAGMA integrity_check", [&]() -> Result<std::string> {
    SQLite::Statement st(*db_, "PRAGMA integrity_check");
    std::string out;
    while (st.executeStep()) {
      if (!out.empty()) out += "; ";
      out += st.getColumn(0).getString();
    }
    return out;
  });
}

Result<std::string> Database::journal_mode() {
  return detail::guarded("PRAGMA journal_mode", [&]() -> Result<std::string> {
    return pragma_text(*db_, "PRAGMA journal_mode");
  });
}

Result<WriteTransaction> WriteTransaction::begin(Database& db) {
  auto txn = detail::guarded("BEGIN IMMEDIATE", [&]() -> Result<WriteTransaction> {
    db.handle().exec("BEGIN IMMEDIATE");
    return WriteTransaction(db);
  });
  if (!txn.ok()) return detail::explain_disk_error(txn.error(), db.path());
  return txn;
}

WriteTransaction::WriteTransaction(WriteTransaction&& other) noexcept : db_(other.db_) {
  other.db_ = nullptr;
}

WriteTransaction::~WriteTransaction() { rollback(); }

Status WriteTransaction::commit() {
  if (db_ == nullptr) return make_error(ErrorKind::kInternal, "transaction already finished");
  Status st = detail::guarded("COMMIT", [&]() -> Status {
    db_->handle().exec("COMMIT");
    db_ = nullptr;
    return {};
  });
  if (!st) {
    const std::string path = db_->path();
    rollback();
    return detail::explain_disk_error(st.error(), path);
  }
  return st;
}

void WriteTransaction::rollback() noexcept {
  if (db_ == nullptr) return;
  // Fails harmlessly when SQLite already rolled back (e.g. after SQLITE_FULL).
  db_->handle().tryExec("ROLLBACK");
  db_ = nullptr;
}

bool is_busy(const Error& error) {
  const int primary = error.sqlite_code & 0xff;
  return error.kind == ErrorKind::kDatabase && (primary == SQLITE_BUSY || primary == SQLITE_LOCKED);
}

}  // namespace cwsync::storage
