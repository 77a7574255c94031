#include "storage/sql_util.h"

#include <sqlite3.h>

#include <SQLiteCpp/Exception.h>

namespace cwsync::storage::detail {

Error db_error(const std::exception& e, std::string_view context) {
  std::string message = e.what();
  if (const auto* se = dynamic_cast<const SQLite::Exception*>(&e)) {
    const int primary = se->getErrorCode() & 0xff;
    // A stable prefix, because callers retry these and nothing else.
    if (primary == SQLITE_BUSY) message = "SQLITE_BUSY: " + message;
    if (primary == SQLITE_LOCKED) message = "SQLITE_LOCKED: " + message;
  }
  return make_error(ErrorKind::kDatabase, std::move(message), std::string(context));
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
