// Internal to storage/ (not a public header): exception translation and
// NULL-aware binding shared by the repositories. SQLiteCpp throws; every
// public storage function catches at its boundary through guarded().
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "base/clock.h"
#include "base/result.h"

namespace cwsync::storage::detail {

// kDatabase error carrying SQLite's extended result code (Error::sqlite_code).
Error db_error(const std::exception& e, std::string_view context);

// Runs body() and turns any exception into an Error for `context`.
template <typename F>
auto guarded(std::string_view context, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return db_error(e, context);
  }
}

inline std::string iso(TimePoint t) { return format_iso8601(t); }

// `error` reworded as "disk full: DIR has N bytes free ..." when its cause is
// a full disk: SQLite's "database or disk is full", or its "disk I/O error"
// while the database's directory has less than 1 MiB free for this user
// (creating the -shm/-wal file on a full disk fails that way). Otherwise
// `error` unchanged.
// Explaining an already explained error leaves it as it is.
Error explain_disk_error(Error error, const std::string& db_path);

// `error` from opening `db_path`, reworded with its cause and the fix when
// the file is not an SQLite database, or when a read-only open fails because
// the -wal or -shm file is missing and the folder is not writable for this
// user; then as explain_disk_error.
Error explain_open_error(Error error, const std::string& db_path, bool read_only);

// kDatabase naming `path` when `db` (PRAGMA user_version `version`) is not a
// cwsync database: version 0 with tables or other objects of its own.
// Nothing is written. Used before any pragma that would change the file.
Status check_is_cwsync(SQLite::Database& db, const std::string& path, int version);

void bind(SQLite::Statement& st, const char* name, const std::optional<std::string>& v);
void bind(SQLite::Statement& st, const char* name, const std::optional<TimePoint>& v);
void bind(SQLite::Statement& st, const char* name, const std::optional<double>& v);
void bind(SQLite::Statement& st, const char* name, const std::optional<std::int64_t>& v);
void bind(SQLite::Statement& st, const char* name, const std::optional<int>& v);
void bind(SQLite::Statement& st, const char* name, const std::optional<bool>& v);
inline void bind(SQLite::Statement& st, const char* name, TimePoint v) { st.bind(name, iso(v)); }

std::optional<std::string> col_text(const SQLite::Column& c);
std::optional<TimePoint> col_time(const SQLite::Column& c);    // nullopt if NULL/unparsable
TimePoint col_time_or_epoch(const SQLite::Column& c);
std::optional<double> col_real(const SQLite::Column& c);
std::optional<std::int64_t> col_int(const SQLite::Column& c);
std::optional<int> col_int32(const SQLite::Column& c);

}  // namespace cwsync::storage::detail
