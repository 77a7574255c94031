// Shared fixture for storage tests: a fresh temp directory with a migrated
// cache database (a real file in WAL mode), removed afterwards.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "base/clock.h"
#include "storage/database.h"
#include "storage/migrations.h"

namespace cwsync::storage::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cwsync-storage-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline TimePoint at(const char* iso) { return *parse_iso8601(iso); }

// Every row of `sql` as text, "column=value " per column, one row per line,
// in the query's order or sorted. Reals are rounded to cents: a maintained
// summary may add in another order than a from-scratch sum.
std::string dump_rows(SQLite::Database& db, const std::string& sql, bool sorted);
inline TimePoint days_ago(double days, TimePoint from = SysClock::now()) {
  return from - std::chrono::duration_cast<SysClock::duration>(
                    std::chrono::duration<double, std::ratio<86400>>(days));
}

class DbTest : public ::testing::Test {
 protected:
  // Opens in the constructor so derived fixtures can build stores as members.
  DbTest() : path_(dir_.file("cache.db")) {
    auto db = Database::open(path_);
    if (!db.ok()) throw std::runtime_error(db.error().describe());
    db_.emplace(std::move(*db));
    auto st = migrate(*db_);
    if (!st.ok()) throw std::runtime_error(st.error().describe());
  }
  Database& db() { return *db_; }
  // A second connection to the same file.
  Database open_another(OpenOptions options = {}) {
    auto db = Database::open(path_, options);
    EXPECT_TRUE(db.ok()) << db.error().describe();
    return std::move(*db);
  }
  std::int64_t scalar(const std::string& sql);
  std::string text(const std::string& sql);

  TempDir dir_;
  std::string path_;
  std::optional<Database> db_;
};

}  // namespace cwsync::storage::testing
