#include "storage/migrations.h"

#include <fstream>
#include <iterator>
#include <set>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include "test_db.h"

namespace cwsync::storage {
namespace {

using testing::TempDir;

std::set<std::string> objects(SQLite::Database& db, const char* type) {
  SQLite::Statement st(db, "SELECT name FROM sqlite_master WHERE type = ?");
  st.bind(1, type);
  std::set<std::string> out;
  while (st.executeStep()) out.insert(st.getColumn(0).getString());
  return out;
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(MigrationsTest, EmptyFileMigratesToCurrentWithEveryTableAndView) {
  TempDir dir;
  auto db = Database::open(dir.file("cache.db"));
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*db->user_version(), 0);
  ASSERT_TRUE(migrate(*db).ok());
  EXPECT_EQ(*db->user_version(), latest_schema_version());

  const auto tables = objects(db->handle(), "table");
  for (const char* t : {"cpq_quotes", "cpq_quote_items", "cpq_opportunities", "sync_state",
                        "sync_meta", "sync_runs", "psa_posts", "psa_activity_log", "settings"}) {
    EXPECT_TRUE(tables.count(t)) << t;
  }
  const auto views = objects(db->handle(), "view");
  for (const char* v : {"cpq_pipeline", "cpq_backlog", "cpq_at_risk", "cpq_at_risk_totals",
                        "cpq_recent_wins", "psa_post_history", "cpq_pipeline_items",
                        "cpq_quote_latest"}) {
    EXPECT_TRUE(views.count(v)) << v;
  }
  EXPECT_TRUE(objects(db->handle(), "trigger").count("psa_posts_log_enqueued"));
  EXPECT_EQ(db->handle().execAndGet("SELECT value FROM settings WHERE key = 'at_risk_days'")
                .getString(), "45");
  EXPECT_EQ(db->handle()
                .execAndGet("SELECT value FROM settings WHERE key = 'pipeline_window_days'")
                .getString(), "30");
  EXPECT_EQ(*db->integrity_check(), "ok");
}

TEST(MigrationsTest, RerunIsANoOpAndKeepsData) {
  TempDir dir;
  auto db = Database::open(dir.file("cache.db"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(migrate(*db).ok());
  db->handle().exec("UPDATE settings SET value = '60' WHERE key = 'at_risk_days'");
  ASSERT_TRUE(migrate(*db).ok());
  // A second process migrating the same file is also a no-op.
  auto other = Database::open(dir.file("cache.db"));
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(migrate(*other).ok());
  EXPECT_EQ(*db->user_version(), latest_schema_version());
  EXPECT_EQ(db->handle().execAndGet("SELECT COUNT(*) FROM settings").getInt(), 2);
  EXPECT_EQ(db->handle().execAndGet("SELECT value FROM settings WHERE key = 'at_risk_days'")
                .getString(), "60");
}

TEST(MigrationsTest, NewerDatabaseIsRefusedAndLeftByteForByteUntouched) {
  TempDir dir;
  const std::string path = dir.file("future.db");
  {
    // A database written by a future cwsync, in the default rollback mode.
    SQLite::Database raw(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE future_thing (x); INSERT INTO future_thing VALUES (1);");
    raw.exec("PRAGMA user_version = " + std::to_string(latest_schema_version() + 5));
  }
  const std::string before = bytes_of(path);
  auto db = Database::open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().kind, ErrorKind::kDatabase);
  EXPECT_NE(db.error().message.find("newer than this cwsync supports"), std::string::npos)
      << db.error().message;
  EXPECT_EQ(bytes_of(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(MigrationsTest, MigrateRefusesWhenAnotherProcessUpgradedPastUs) {
  TempDir dir;
  auto db = Database::open(dir.file("cache.db"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(migrate(*db).ok());
  const int future = latest_schema_version() + 1;
  db->handle().exec("PRAGMA user_version = " + std::to_string(future));
  const auto st = migrate(*db);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find(std::to_string(future)), std::string::npos);
  EXPECT_EQ(*db->user_version(), future);
}

TEST(MigrationsTest, MessageNamesBothVersions) {
  const std::string m = newer_schema_message(42);
  EXPECT_NE(m.find("42"), std::string::npos);
  EXPECT_NE(m.find("(" + std::to_string(latest_schema_version()) + ")"), std::string::npos);
}

}  // namespace
}  // namespace cwsync::storage
