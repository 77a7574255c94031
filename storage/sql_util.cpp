#include "storage/sql_util.h"

#include <sys/statvfs.h>
#include <unistd.h>
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <optional>

#include <SQLiteCpp/Exception.h>

namespace cwsync::storage::detail {

Error db_error(const std::exception& e, std::string_view context) {
  Error error = make_error(ErrorKind::kDatabase, e.what(), std::string(context));
  if (const auto* se = dynamic_cast<const SQLite::Exception*>(&e)) {
    error.sqlite_code = se->getExtendedErrorCode();
  }
  return error;
}

namespace {

constexpr unsigned long long kDiskFullBytes = 1024 * 1024;
const std::string kDiskFullPrefix = "disk full: ";

std::string folder_of(const std::string& db_path) {
  const std::filesystem::path p(db_path);
  return p.has_parent_path() ? p.parent_path().string() : ".";
}

// SQLite reads a WAL database without writing only when the -wal and -shm
// files exist; it cannot create them in a folder it may not write.
std::optional<std::string> missing_wal_file(const std::string& db_path) {
  std::error_code ec;
  if (::access(folder_of(db_path).c_str(), W_OK) == 0) return std::nullopt;
  for (const char* suffix : {"-shm", "-wal"}) {
    if (!std::filesystem::exists(db_path + suffix, ec)) return db_path + suffix;
  }
  return std::nullopt;
}

std::string human_bytes(unsigned long long n) {
  char buf[32];
  if (n < 1024) std::snprintf(buf, sizeof buf, "%llu bytes", n);
  else if (n < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024);
  else std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1024.0 * 1024));
  return buf;
}

}  // namespace

Error explain_disk_error(Error error, const std::string& db_path) {
  const int primary = error.sqlite_code & 0xff;
  const bool full = primary == SQLITE_FULL;
  const bool io = primary == SQLITE_IOERR;
  if (!full && !io) return error;
  // A failed commit is explained where it fails and again by its caller
  // (a migration); the second time would nest the message in itself.
  if (error.message.rfind(kDiskFullPrefix, 0) == 0) return error;
  const std::string dir = folder_of(db_path);
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return error;
  const unsigned long long free_bytes =
      static_cast<unsigned long long>(vfs.f_bavail) * static_cast<unsigned long long>(vfs.f_frsize);
  if (!full && free_bytes >= kDiskFullBytes) return error;  // some other I/O failure
  error.message = kDiskFullPrefix + dir + " has " + human_bytes(free_bytes) +
                  " free for this user; free some space there or move `database:` to a disk "
                  "with room (SQLite said: " + error.message + ")";
  return error;
}

Error explain_open_error(Error error, const std::string& db_path, bool read_only) {
  const int primary = error.sqlite_code & 0xff;
  if (primary == SQLITE_NOTADB) {
    error.message =
        "not an SQLite database: the file holds something else (another program's file, or a "
        "damaged or encrypted database); cwsync left it untouched. Point `database:` in the "
        "config at a new file (cwsync creates it) or at an existing cwsync database";
    return error;
  }
  if (read_only && (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN)) {
    if (auto missing = missing_wal_file(db_path)) {
      error.kind = ErrorKind::kIo;
      error.message = "cannot read the database without writing: " + *missing +
                      " is missing and " + folder_of(db_path) +
                      " is not writable by this user, so SQLite cannot create it; start the "
                      "daemon once (it leaves the -wal and -shm files behind when it stops), or "
                      "let this user's group write " + folder_of(db_path);
      return error;
    }
  }
  return explain_disk_error(std::move(error), db_path);
}

Status check_is_cwsync(SQLite::Database& db, const std::string& path, int version) {
  if (version != 0) return {};
  SQLite::Statement st(db,
      "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
      "ORDER BY type = 'table' DESC, name LIMIT 4");
  std::string names;
  int n = 0;
  while (st.executeStep()) {
    if (++n > 3) {
      names += ", ...";
      break;
    }
    names += (names.empty() ? "" : ", ") + st.getColumn(0).getString();
  }
  if (n == 0) return {};
  return make_error(ErrorKind::kDatabase,
                    "not a cwsync database: it holds another program's tables (" + names +
                        ") and no cwsync schema version (PRAGMA user_version is 0); cwsync left "
                        "it untouched. Point `database:` in the config at a new file (cwsync "
                        "creates it) or at an existing cwsync database",
                    path);
}

void bind(SQLite::Statement& st, const char* name, const std::optional<std::string>& v) {
  if (v) st.bind(name, *v); else st.bind(name);
}
void bind(SQLite::Statement& st, const char* name, const std::optional<TimePoint>& v) {
  if (v) st.bind(name, iso(*v)); else st.bind(name);
}
void bind(SQLite::Statement& st, const char* name, const std::optional<double>& v) {
  if (v) st.bind(name, *v); else st.bind(name);
}
void bind(SQLite::Statement& st, const char* name, const std::optional<std::int64_t>& v) {
  if (v) st.bind(name, static_cast<int64_t>(*v)); else st.bind(name);
}
void bind(SQLite::Statement& st, const char* name, const std::optional<int>& v) {
  if (v) st.bind(name, *v); else st.bind(name);
}
void bind(SQLite::Statement& st, const char* name, const std::optional<bool>& v) {
  if (v) st.bind(name, *v ? 1 : 0); else st.bind(name);
}

std::optional<std::string> col_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}
std::optional<TimePoint> col_time(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return parse_iso8601(c.getString());
}
TimePoint col_time_or_epoch(const SQLite::Column& c) {
  return col_time(c).value_or(TimePoint{});
}
std::optional<double> col_real(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getDouble();
}
std::optional<std::int64_t> col_int(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}
std::optional<int> col_int32(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt();
}

}  // namespace cwsync::storage::detail
