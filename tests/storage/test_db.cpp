#include "test_db.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

namespace cwsync::storage::testing {

std::int64_t DbTest::scalar(const std::string& sql) {
  return db_->handle().execAndGet(sql).getInt64();
}

std::string DbTest::text(const std::string& sql) {
  auto col = db_->handle().execAndGet(sql);
  return col.isNull() ? std::string("<null>") : col.getString();
}

std::string dump_rows(SQLite::Database& db, const std::string& sql, bool sorted) {
  SQLite::Statement st(db, sql);
  std::vector<std::string> rows;
  while (st.executeStep()) {
    std::string row;
    for (int c = 0; c < st.getColumnCount(); ++c) {
      const SQLite::Column col = st.getColumn(c);
      row += std::string(st.getColumnName(c)) + "=";
      if (col.isNull()) row += "NULL";
      else if (col.isFloat()) row += std::to_string(std::llround(col.getDouble() * 100));
      else row += col.getString();
      row += " ";
    }
    rows.push_back(row);
  }
  if (sorted) std::sort(rows.begin(), rows.end());
  std::string out;
  for (const auto& r : rows) out += r + "\n";
  return out;
}

}  // namespace cwsync::storage::testing
