// The database as hostile input : rows other programs insert into
// psa_posts, a foreign SQLite file, a full disk, rows left 'running' by a
// killed process, and the lock file that keeps two daemons apart.
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <sqlite3.h>
#include <SQLiteCpp/Exception.h>
#include <gtest/gtest.h>

#include "storage/cache_store.h"
#include "storage/db_lock.h"
#include "storage/queue_store.h"
#include "storage/sql_util.h"
#include "test_db.h"

namespace cwsync::storage {
namespace {

using testing::DbTest;
using testing::TempDir;

class QueueRowChecksTest : public DbTest {
 protected:
  // The message SQLite gives for `values`, or "" when the INSERT succeeded.
  std::string insert(const std::string& values) {
    try {
      db().handle().exec("INSERT INTO psa_posts (tenant, kind, ticket_id, payload) VALUES " + values);
      return "";
    } catch (const SQLite::Exception& e) {
      return e.what();
    }
  }
  // A row from before migration 2 (or a trigger dropped by hand).
  void slip_through(const std::string& values) {
    db().handle().exec("DROP TRIGGER IF EXISTS psa_posts_check_insert");
    ASSERT_EQ(insert(values), "");
  }
};

TEST_F(QueueRowChecksTest, TriggersRefuseIllTypedRowsWithTheRule) {
  const std::string ticket = "ticket_id must be a positive INTEGER";
  EXPECT_NE(insert("('acme','note','1010abc','{\"text\":\"x\"}')").find(ticket), std::string::npos);
  EXPECT_NE(insert("('acme','note',1011.5,'{\"text\":\"x\"}')").find(ticket), std::string::npos);
  EXPECT_NE(insert("('acme','note',0,'{\"text\":\"x\"}')").find(ticket), std::string::npos);
  EXPECT_NE(insert("('acme','note',1,'[1]')").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(insert("('acme','note',1,'{not json')").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(insert("('acme','note',1,'{\"text\":\"  \"}')").find("needs \"text\""), std::string::npos);
  EXPECT_NE(insert("('acme','status',1,'{\"status\":-3}')").find("needs \"status\""), std::string::npos);
  EXPECT_NE(insert("('acme','time_entry',1,'{\"start\":\"2026-11-23T09:00:00Z\"}')")
                .find("needs \"start\" and \"end\""), std::string::npos);
  EXPECT_NE(insert("('acme','time_entry',1,'{\"start\":\"2026-11-23T00:00:00Z\","
                   "\"end\":\"2036-11-23T00:00:00Z\"}')").find("at most 24 hours"),
            std::string::npos);
  EXPECT_NE(insert("('acme','time_entry',1,'{\"start\":\"2026-11-23T10:00:00Z\","
                   "\"end\":\"2026-11-23T09:00:00Z\"}')").find("end after it starts"),
            std::string::npos);
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM psa_posts"), 0);
  // An UPDATE cannot smuggle one in either.
  ASSERT_EQ(insert("('acme','note',1010,'{\"text\":\"fine\"}')"), "");
  EXPECT_THROW(db().handle().exec("UPDATE psa_posts SET ticket_id = '1010abc'"), SQLite::Exception);
}

TEST_F(QueueRowChecksTest, WellTypedRowsStillGoIn) {
  EXPECT_EQ(insert("('acme','note','1012','{\"text\":\"digits as text are an integer\"}')"), "");
  EXPECT_EQ(insert("('acme','status',1013,'{\"status\":\"Closed\"}')"), "");
  EXPECT_EQ(insert("('acme','status',1013,'{\"status\":501}')"), "");
  EXPECT_EQ(insert("('acme','time_entry',1014,'{\"start\":\"2026-11-23T00:00:00Z\","
                   "\"end\":\"2026-11-24T00:00:00Z\"}')"), "");  // exactly 24 h
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM psa_posts WHERE typeof(ticket_id) = 'integer'"), 4);
}

TEST_F(QueueRowChecksTest, ASlippedRowKeepsItsRawTicketAndHistoryFindsIt) {
  slip_through("('acme','note','1010abc','{\"text\":\"a\"}'),('acme','note',1011.5,'{\"text\":\"b\"}'),"
               "('acme','note',1010,'{\"text\":\"c\"}')");
  QueueStore store(db());
  auto posts = store.list({});
  ASSERT_TRUE(posts.ok());
  ASSERT_EQ(posts->size(), 3u);
  for (const auto& p : *posts) {
    std::optional<std::string> want;
    if (p.payload.find("\"a\"") != std::string::npos) want = "1010abc";
    if (p.payload.find("\"b\"") != std::string::npos) want = "1011.5";
    EXPECT_EQ(p.ticket_id_text, want) << p.payload;
  }
  auto h1010 = store.history(std::nullopt, 1010);
  ASSERT_TRUE(h1010.ok());
  EXPECT_EQ(h1010->size(), 2u);  // the real 1010 and '1010abc'
  auto h1011 = store.history(std::nullopt, 1011);
  ASSERT_TRUE(h1011.ok());
  EXPECT_EQ(h1011->size(), 1u);
  EXPECT_EQ(store.history(std::nullopt, 1012)->size(), 0u);
}

TEST(ForeignDatabaseTest, ANonEmptyFileOfAnotherProgramIsRefusedUntouched) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  {
    SQLite::Database other(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)");
  }
  std::ifstream in(path, std::ios::binary);
  const std::string before{std::istreambuf_iterator<char>(in), {}};
  auto db = Database::open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().message.find("not a cwsync database"), std::string::npos) << db.error().message;
  EXPECT_NE(db.error().message.find("invoices"), std::string::npos);
  EXPECT_NE(db.error().describe().find(path), std::string::npos);
  EXPECT_NE(db.error().message.find("`database:`"), std::string::npos);
  std::ifstream again(path, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(again), {}), before);
  // An empty file is a new database, as before.
  auto fresh = Database::open(dir.file("new.db"));
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(migrate(*fresh).ok());
}

TEST(DiskErrorTest, FullDiskCodesAreExplainedOthersAreLeftAlone) {
  TempDir dir;
  const std::string path = dir.file("cache.db");
  auto sqlite_error = [](int code, const char* message) {
    Error e = make_error(ErrorKind::kDatabase, message, "commit");
    e.sqlite_code = code;
    return e;
  };
  Error full = detail::explain_disk_error(sqlite_error(SQLITE_FULL, "database or disk is full"), path);
  EXPECT_EQ(full.message.rfind("disk full: ", 0), 0u) << full.message;
  EXPECT_NE(full.message.find(std::filesystem::path(path).parent_path().string()), std::string::npos);
  EXPECT_NE(full.message.find(" free"), std::string::npos);
  // An I/O error with room on the disk is some other problem: unchanged.
  Error io = detail::explain_disk_error(sqlite_error(SQLITE_IOERR_WRITE, "disk I/O error"), path);
  EXPECT_EQ(io.message, "disk I/O error");
  // The code decides, not the words: a message that only looks like it is left alone.
  Error other = detail::explain_disk_error(sqlite_error(SQLITE_ERROR, "database or disk is full"), path);
  EXPECT_EQ(other.message, "database or disk is full");
}

// A restart on a real full disk: a 1 MiB tmpfs in a private mount namespace
// (a forked child, so the test process keeps its mounts), filled to the last
// byte while the database is closed.
TEST(DiskErrorTest, ReopeningOnAFullDiskSaysDiskFullWithThePath) {
  TempDir dir;
  const std::string mnt = dir.file("small");
  std::filesystem::create_directory(mnt);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto say = [&](const std::string& s, int code) {
      (void)!::write(fds[1], s.data(), s.size());
      ::_exit(code);
    };
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("cwsync-test", mnt.c_str(), "tmpfs", 0, "size=1m") != 0) {
      say("cannot mount a tmpfs (needs CAP_SYS_ADMIN)", 77);
    }
    const std::string path = mnt + "/cache.db";
    {
      auto db = Database::open(path);
      if (!db.ok() || !migrate(*db).ok()) say("setup failed", 1);
    }
    std::ofstream filler(mnt + "/filler", std::ios::binary);
    std::vector<char> block(4096, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) filler.flush();
    filler.close();
    auto db = Database::open(path);
    if (db.ok()) {
      Status st = migrate(*db);
      if (st.ok()) st = CacheStore(*db).put_meta("acme", "k", "1", SystemClock::instance().now());
      say(st.ok() ? std::string("no error on a full disk") : st.error().describe(), 0);
    }
    say(db.error().describe(), 0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) GTEST_SKIP() << out;
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_NE(out.find("disk full: " + mnt + " has "), std::string::npos) << out;
  EXPECT_EQ(out.find("SQLite said"), out.rfind("SQLite said")) << "said twice: " << out;
}

TEST_F(QueueRowChecksTest, RunsLeftRunningAreClosedAsInterrupted) {
  CacheStore cache(db());
  const TimePoint t0 = testing::at("2026-11-23T10:00:00Z");
  auto left = cache.start_run("acme", Entity::kQuotes, RunKind::kIncremental, t0);
  ASSERT_TRUE(left.ok());
  auto n = cache.close_interrupted_runs(t0 + std::chrono::minutes(1));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(text("SELECT status || ' ' || error FROM sync_runs").rfind("failed interrupted", 0), 0u);
  EXPECT_EQ(text("SELECT finished_at FROM sync_runs"), "2026-11-23T10:01:00Z");
  EXPECT_EQ(*cache.close_interrupted_runs(t0), 0);
}

TEST(DbLockTest, OneDaemonPerDatabaseAndSyncersKnowWhetherTheyAreAlone) {
  TempDir dir;
  const std::string path = dir.file("cache.db");
  auto first = DbLock::open(path);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->lock_daemon().ok());
  auto second = DbLock::open(path);
  ASSERT_TRUE(second.ok());
  Status refused = second->lock_daemon();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("pid " + std::to_string(::getpid())), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find(path), std::string::npos);

  EXPECT_EQ(*first->join_syncers(), true);    // nobody else syncs
  EXPECT_EQ(*second->join_syncers(), false);  // the first one does
  {
    DbLock gone = std::move(*first);          // the daemon ends: its locks go
  }
  auto third = DbLock::open(path);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->lock_daemon().ok());
}

}  // namespace
}  // namespace cwsync::storage
