#include "storage/database.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include "test_db.h"

namespace cwsync::storage {
namespace {

using testing::DbTest;
using testing::TempDir;

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(DatabaseOpenTest, CreatesFileWithMode0640EvenUnderPermissiveUmask) {
  TempDir dir;
  const mode_t old = ::umask(0);  // would give 0666 to a file SQLite creates itself
  auto db = Database::open(dir.file("cache.db"));
  ::umask(old);
  ASSERT_TRUE(db.ok()) << db.error().describe();
  ASSERT_TRUE(migrate(*db).ok());
  EXPECT_EQ(mode_of(dir.file("cache.db")), 0640u);
  // SQLite gives the WAL the main file's mode.
  EXPECT_EQ(mode_of(dir.file("cache.db-wal")), 0640u);
}

TEST(DatabaseOpenTest, AppliesConnectionPragmas) {
  TempDir dir;
  auto db = Database::open(dir.file("cache.db"), {.busy_timeout = std::chrono::milliseconds(1234)});
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*db->journal_mode(), "wal");
  auto& h = db->handle();
  EXPECT_EQ(h.execAndGet("PRAGMA foreign_keys").getInt(), 1);
  EXPECT_EQ(h.execAndGet("PRAGMA synchronous").getInt(), 1);  // NORMAL
  EXPECT_EQ(h.execAndGet("PRAGMA busy_timeout").getInt(), 1234);
  EXPECT_EQ(h.execAndGet("PRAGMA journal_size_limit").getInt64(), kWalSizeLimitBytes);
  EXPECT_EQ(*db->integrity_check(), "ok");
}

TEST(DatabaseOpenTest, WalFileShrinksBackToTheLimitAfterACheckpoint) {
  TempDir dir;
  const std::string path = dir.file("cache.db");
  auto db = Database::open(path);
  ASSERT_TRUE(db.ok());
  auto& h = db->handle();
  h.exec("PRAGMA wal_autocheckpoint=0");  // let the WAL grow past the limit first
  h.exec("CREATE TABLE blobs (b BLOB)");
  h.exec("BEGIN");
  SQLite::Statement ins(h, "INSERT INTO blobs VALUES (zeroblob(1048576))");
  for (int k = 0; k < 40; ++k) {
    ins.exec();
    ins.reset();
  }
  h.exec("COMMIT");
  const auto wal = std::filesystem::path(path + "-wal");
  ASSERT_GT(static_cast<std::int64_t>(std::filesystem::file_size(wal)), kWalSizeLimitBytes);
  h.exec("PRAGMA wal_checkpoint(PASSIVE)");
  h.exec("INSERT INTO blobs VALUES (1)");  // the next write restarts the WAL and truncates it
  EXPECT_LE(static_cast<std::int64_t>(std::filesystem::file_size(wal)), kWalSizeLimitBytes);
}

TEST(DatabaseOpenTest, MissingDirectoryIsAnIoError) {
  TempDir dir;
  auto db = Database::open(dir.file("nope/cache.db"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().kind, ErrorKind::kIo);
  EXPECT_NE(db.error().message.find("directory"), std::string::npos);
}

TEST(DatabaseOpenTest, ReadOnlyOpenNeverCreates) {
  TempDir dir;
  auto db = Database::open(dir.file("cache.db"), {.read_only = true});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().kind, ErrorKind::kIo);
  EXPECT_FALSE(std::filesystem::exists(dir.file("cache.db")));
}

TEST(DatabaseOpenTest, GarbageFileIsADatabaseError) {
  TempDir dir;
  std::ofstream(dir.file("cache.db")) << "this is not an SQLite database, not even close......";
  auto db = Database::open(dir.file("cache.db"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().kind, ErrorKind::kDatabase);
  EXPECT_FALSE(is_busy(db.error()));
}

class DatabaseTest : public DbTest {};

TEST_F(DatabaseTest, ReadOnlyConnectionCannotWrite) {
  Database reader = open_another({.read_only = true});
  EXPECT_TRUE(reader.read_only());
  EXPECT_EQ(reader.handle().execAndGet("SELECT COUNT(*) FROM settings").getInt(), 2);
  EXPECT_THROW(reader.handle().exec("DELETE FROM settings"), std::exception);
  EXPECT_FALSE(migrate(reader).ok());
}

TEST_F(DatabaseTest, ReaderReadsWhileWriterHoldsWriteTransaction) {
  db().handle().exec("INSERT INTO settings (key, value) VALUES ('probe', 'before')");
  auto txn = WriteTransaction::begin(db());
  ASSERT_TRUE(txn.ok());
  db().handle().exec("UPDATE settings SET value = 'during' WHERE key = 'probe'");

  Database reader = open_another({.busy_timeout = std::chrono::milliseconds(50),
                                  .read_only = true});
  // Not blocked, and sees the last committed value.
  EXPECT_EQ(reader.handle().execAndGet("SELECT value FROM settings WHERE key = 'probe'")
                .getString(),
            "before");
  ASSERT_TRUE(txn->commit().ok());
  EXPECT_EQ(reader.handle().execAndGet("SELECT value FROM settings WHERE key = 'probe'")
                .getString(),
            "during");
}

TEST_F(DatabaseTest, SecondWriterGetsABusyErrorAfterTimeout) {
  auto holder = WriteTransaction::begin(db());
  ASSERT_TRUE(holder.ok());
  Database other = open_another({.busy_timeout = std::chrono::milliseconds(50)});
  const auto started = std::chrono::steady_clock::now();
  auto txn = WriteTransaction::begin(other);
  ASSERT_FALSE(txn.ok());
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(40));
  EXPECT_EQ(txn.error().kind, ErrorKind::kDatabase);
  EXPECT_TRUE(is_busy(txn.error())) << txn.error().describe();
  holder->rollback();
  auto retry = WriteTransaction::begin(other);
  EXPECT_TRUE(retry.ok());
}

TEST_F(DatabaseTest, UncommittedTransactionRollsBackOnDestruction) {
  {
    auto txn = WriteTransaction::begin(db());
    ASSERT_TRUE(txn.ok());
    db().handle().exec("UPDATE settings SET value = '99' WHERE key = 'at_risk_days'");
  }
  EXPECT_EQ(text("SELECT value FROM settings WHERE key = 'at_risk_days'"), "45");
}

}  // namespace
}  // namespace cwsync::storage
