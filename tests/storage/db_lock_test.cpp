// DbLock is per database file, whatever name reaches it: a symlink or a hard
// link to a database a daemon runs on meets that daemon's lock. And taking or
// dropping it never disturbs the SQLite locks of this process's connections.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "storage/db_lock.h"
#include "test_db.h"

namespace cwsync::storage {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// A database file with a symlink and a hard link (in another folder) to it.
struct LinkedDb {
  TempDir dir;
  std::string path = dir.file("cache.db");
  std::string sym = dir.file("sym.db");
  std::string hard = dir.file("other/hard.db");
  LinkedDb() {
    auto db = Database::open(path);
    EXPECT_TRUE(db.ok()) << db.error().describe();
    fs::create_directory(dir.file("other"));
    fs::create_symlink(path, sym);
    fs::create_hard_link(path, hard);
  }
};

std::string refusal(const std::string& database) {
  auto lock = DbLock::open(database);
  if (!lock.ok()) return "open failed: " + lock.error().describe();
  Status st = lock->lock_daemon();
  return st.ok() ? std::string() : st.error().message;
}

TEST(DbLockLinksTest, ASymlinkToTheDatabaseMeetsTheDaemonLock) {
  LinkedDb db;
  auto first = DbLock::open(db.path);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->lock_daemon().ok());
  const std::string said = refusal(db.sym);
  EXPECT_NE(said.find("another cwsync daemon (pid " + std::to_string(::getpid()) +
                      ") is already running on database " + db.sym),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("stop it first"), std::string::npos) << said;
}

TEST(DbLockLinksTest, AHardLinkInAnotherFolderMeetsTheDaemonLock) {
  LinkedDb db;
  auto first = DbLock::open(db.path);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->lock_daemon().ok());
  const std::string said = refusal(db.hard);
  EXPECT_NE(said.find("another cwsync daemon is already running on database " + db.hard),
            std::string::npos)
      << said;
  {
    DbLock gone = std::move(*first);  // the daemon ends: both of its locks go
  }
  EXPECT_EQ(refusal(db.hard), "");
}

TEST(DbLockLinksTest, ATenantLockThroughASymlinkMeetsTheRealName) {
  LinkedDb db;
  auto pull = TenantSyncLock::try_acquire(db.path, "acme", TenantSyncRole::kPull);
  ASSERT_TRUE(pull.ok() && pull->has_value());
  auto reconcile = TenantSyncLock::try_acquire(db.sym, "acme", TenantSyncRole::kReconcile);
  ASSERT_TRUE(reconcile.ok());
  EXPECT_FALSE(reconcile->has_value());
}

// True when another process sees a lock held on the SQLite SHARED range of
// `path` (SQLite's unix VFS: 510 bytes from 0x40000002).
bool shared_lock_seen_from_outside(const std::string& path) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0x40000002;
    fl.l_len = 510;
    const bool held = fd >= 0 && ::fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    ::_exit(held ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Closing any descriptor of a file drops every POSIX lock the process holds
// on it, SQLite's included: the daemon lock must never do that.
TEST(DbLockLinksTest, TakingAndDroppingTheLockKeepsSqliteLocksOfThisProcess) {
  LinkedDb db;
  auto conn = Database::open(db.path);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn->user_version().ok());  // WAL: the connection now holds SHARED
  ASSERT_TRUE(shared_lock_seen_from_outside(db.path)) << "precondition: SQLite holds SHARED";
  {
    auto lock = DbLock::open(db.path);
    ASSERT_TRUE(lock.ok());
    ASSERT_TRUE(lock->lock_daemon().ok());
    EXPECT_FALSE(refusal(db.hard).empty());  // a refused one is dropped too
  }
  EXPECT_TRUE(shared_lock_seen_from_outside(db.path));
}

}  // namespace
}  // namespace cwsync::storage
